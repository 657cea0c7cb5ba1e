"""Every Dockerfile passes hadolint at its strictest threshold, and keeps the properties the images promise:
base pinned by digest, numeric non-root user, no secret baked in, a context limited by .dockerignore."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.tools import build_images

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = sorted(ROOT.glob("images/*/Dockerfile"))
HADOLINT = Path(sys.executable).parent / "hadolint"


def _hadolint(path: Path | str, text: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(HADOLINT), "--no-color", "--failure-threshold", "info", str(path)]
    return subprocess.run(command, input=text, capture_output=True, text=True, check=False)


def test_every_image_has_a_dockerfile():
    assert [p.parent.name for p in DOCKERFILES] == ["airflow", "sampler"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_hadolint_passes(dockerfile):
    result = _hadolint(dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_a_sloppy_dockerfile():
    result = _hadolint("-", "FROM debian\nRUN apt-get update && apt-get install -y curl\n")
    assert result.returncode == 1 and "DL3008" in result.stdout


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_non_root_numeric_user_and_no_baked_secret(dockerfile):
    text = dockerfile.read_text()
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users and all(part.isdigit() and int(part) != 0 for part in users[-1].split(":"))
    assert not re.search(r"^(ENV|ARG)\b.*(SALT|DSN|PASSWORD|SECRET|TOKEN|KEY)", text, re.MULTILINE | re.IGNORECASE)


def test_sampler_base_is_pinned_by_digest():
    default = re.search(r"^ARG PYTHON_BASE=(\S+)$", (ROOT / "images/sampler/Dockerfile").read_text(), re.MULTILINE)
    assert default and build_images.DIGEST_REF.match(default.group(1))


@pytest.mark.parametrize("ref", ["apache/airflow:3.3.2-python3.11", "apache/airflow@sha256:abc", "latest"])
def test_airflow_build_refuses_a_base_without_digest(ref):
    with pytest.raises(build_images.BuildError, match="by digest"):
        build_images.build_airflow(None, ref)


def test_build_context_is_limited_to_the_staged_files():
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    assert lines[0] == "**" and all(line.startswith("!") or "__pycache__" in line for line in lines[1:])


def test_build_command_rejects_an_undigested_airflow_base_before_starting_anything():
    script = ROOT / "scripts" / "build_images.py"
    result = subprocess.run(
        [sys.executable, str(script), "--airflow-base", "apache/airflow:3.3.2"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "by digest" in result.stderr and not result.stdout
