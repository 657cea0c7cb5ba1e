"""The environment guard's pure rules: environment variable, host denylist, schema names."""

from __future__ import annotations

import pytest

from synthcore.errors import InputError, ProductionTargetRefused
from synthcore.load.guard import check_environment, check_host, check_schema_name


@pytest.mark.parametrize("value", ["production", "PROD", " live "])
def test_environment_says_production(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SYNTH_ENV", value)
    with pytest.raises(ProductionTargetRefused, match=r"SYNTH_ENV is (production|prod|live)"):
        check_environment()


@pytest.mark.parametrize("value", ["", "dev", "staging", "ci"])
def test_environment_allows_non_production(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SYNTH_ENV", value)
    check_environment()


@pytest.mark.parametrize("host", ["db.prod.internal", "prod-db-1", "pg-production.example.com", "PROD", "prod3.x"])
def test_production_hosts_are_refused(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.delenv("SYNTH_DENY_HOSTS", raising=False)
    with pytest.raises(ProductionTargetRefused, match=rf"refusing to write to '{host}'.*contains 'prod'"):
        check_host(host)


@pytest.mark.parametrize("host", ["localhost", "/tmp/sock", "product-catalog-dev", "db.reproduce.test"])
def test_other_hosts_pass(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.delenv("SYNTH_DENY_HOSTS", raising=False)
    check_host(host)


def test_denylist_globs_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTH_DENY_HOSTS", "*.bank.example, 10.0.0.*")
    with pytest.raises(ProductionTargetRefused, match=r"SYNTH_DENY_HOSTS pattern '10\.0\.0\.\*'"):
        check_host("10.0.0.7")
    with pytest.raises(ProductionTargetRefused, match=r"pattern '\*\.bank\.example'"):
        check_host("PG.Bank.Example")
    check_host("10.0.1.7")


@pytest.mark.parametrize("schema", ["public", "information_schema", "pg_catalog", "pg_temp_3", ""])
def test_reserved_schemas_are_refused(schema: str) -> None:
    with pytest.raises(InputError, match="invalid schema name"):
        check_schema_name(schema)


def test_overlong_schema_name_is_refused() -> None:
    with pytest.raises(InputError, match="63-byte identifier limit"):
        check_schema_name("s" * 64)
