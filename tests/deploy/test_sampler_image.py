"""The sampler image, really built and run: non-root, read-only root filesystem, no network but the database's
socket, core dependencies only, and a real sample of a canary-filled 'production' PostgreSQL whose pack passes
the scan and carries no canary."""

from __future__ import annotations

import json
import os
from pathlib import Path

from synthcore.privacy import scan_pack_file
from synthcore.spec.io import sha256_hex
from tests.integration.sample.production_db import seed_production

SECRET = "image-test-hmac-key-0123456789-abcdefghijklmnop"
UID = 10001
MAX_IMAGE_BYTES = 900e6  # 755 MB on the Debian stand-in base (pyarrow 165 MB and opendp 264 MB of it)


def _run(client, image: str, command: list[str], **kwargs) -> tuple[int, str]:
    """Run a hardened container to completion: (exit code, combined output)."""
    container = client.containers.run(
        image,
        command,
        detach=True,
        read_only=True,
        network_mode="none",
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        **kwargs,
    )
    try:
        code = container.wait(timeout=300)["StatusCode"]
        return code, container.logs().decode()
    finally:
        container.remove(force=True)


def _writable(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, UID, UID)
    return path


def test_image_is_non_root_with_sampler_entrypoint(docker_client, sampler_image):
    config = docker_client.images.get(sampler_image).attrs["Config"]
    user = config["User"].split(":")
    assert all(part.isdigit() and int(part) != 0 for part in user)
    assert config["Entrypoint"] == ["synthcore", "sample"]
    assert not any(key in env for env in config["Env"] for key in ("ANONYMIZATION_SALT", "SYNTH_SAMPLE_DSN"))
    assert docker_client.images.get(sampler_image).attrs["Size"] < MAX_IMAGE_BYTES


def test_help_runs_read_only(docker_client, sampler_image):
    code, out = _run(docker_client, sampler_image, ["--help"])
    assert code == 0, out
    assert "--dsn" in out and "--out" in out


def test_sampler_path_has_no_pipeline_or_airflow_packages(docker_client, sampler_image):
    probe = (
        "import importlib.util as u; print([m for m in ('scipy', 'duckdb', 'matplotlib', 'airflow') if u.find_spec(m)])"
    )
    code, out = _run(docker_client, sampler_image, ["-c", probe], entrypoint=["python3"])
    assert (code, out.strip()) == (0, "[]"), out


def test_real_sample_from_inside_the_container(docker_client, sampler_image, pg_server, tmp_path):
    """Run as the DAG runs it: DSN and key from the environment, pack under /work, hand-over on the XCom path."""
    dsn = pg_server.create_database("production_image")
    canaries = seed_production(dsn)
    out, xcom = _writable(tmp_path / "work"), _writable(tmp_path / "xcom")
    volumes = {
        str(pg_server.socket_dir): {"bind": "/run/postgresql", "mode": "rw"},
        str(out): {"bind": "/work", "mode": "rw"},
        str(xcom): {"bind": "/airflow/xcom", "mode": "rw"},
    }
    environment = {
        "SYNTH_SAMPLE_DSN": f"host=/run/postgresql port={pg_server.port} user=postgres dbname=production_image",
        "ANONYMIZATION_SALT": SECRET,
    }
    command = ["--out", "/work/pack.json", "--window-end", "2026-06-30", "--xcom-return", "/airflow/xcom/return.json"]
    code, log = _run(docker_client, sampler_image, command, volumes=volumes, environment=environment)
    assert code == 0, log

    pack, manifest = out / "pack.json", out / "pack_mapping.json"
    assert pack.stat().st_uid == UID  # written by the image's non-root user
    assert json.loads(manifest.read_text())["pack_sha256"] == sha256_hex(pack.read_bytes())
    handover = json.loads((xcom / "return.json").read_text())
    assert handover["summary"]["pack_sha256"] == sha256_hex(pack.read_bytes())
    assert (handover["pack"], handover["manifest"]) == (pack.read_text(), manifest.read_text())
    assert scan_pack_file(pack).clean
    scan = ["synthcore", "scan"]
    code, log = _run(docker_client, sampler_image, ["/work/pack.json"], entrypoint=scan, volumes=volumes)
    assert code == 0, log
    exported = (pack.read_text() + manifest.read_text() + log).lower()
    assert not [c for c in canaries if c.lower() in exported]
    assert SECRET.lower() not in exported and SECRET.lower() not in (xcom / "return.json").read_text().lower()


def test_sampler_without_key_fails_closed_and_writes_nothing(docker_client, sampler_image, pg_server, tmp_path):
    out = _writable(tmp_path / "work")
    command = ["--dsn", f"host=/run/postgresql port={pg_server.port} user=postgres", "--out", "/work/pack.json"]
    volumes = {str(pg_server.socket_dir): {"bind": "/run/postgresql", "mode": "rw"}, str(out): {"bind": "/work"}}
    code, log = _run(docker_client, sampler_image, command, volumes=volumes)  # no ANONYMIZATION_SALT
    assert code != 0 and "ANONYMIZATION_SALT" in log
    assert list(out.iterdir()) == []


def test_root_filesystem_is_read_only(docker_client, sampler_image):
    script = 'for d in / /opt/synthdata /tmp /work; do touch "$d/x" && echo "wrote $d"; done; true'
    code, out = _run(docker_client, sampler_image, ["-c", script], entrypoint=["sh"])
    assert code == 0 and "wrote" not in out and out.count("Read-only file system") == 4, out
