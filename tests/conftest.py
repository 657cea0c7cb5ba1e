"""Shared fixtures: one throwaway PostgreSQL server per test session, a fresh database per test."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator

import pytest

from synthcore.pgserver import PgServer, running_server
from tests.airflow_home import AIRFLOW_HOME

_db_names = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A real PostgreSQL server started for this test session and removed after it."""
    with running_server() as server:
        yield server


@pytest.fixture
def pg_dsn(pg_server: PgServer) -> str:
    """DSN of a new, empty database on the session server."""
    return pg_server.create_database(f"test_{next(_db_names)}")


def pytest_sessionfinish() -> None:
    """Remove the tests' Airflow home (its SQLite metadata and task logs)."""
    shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)
