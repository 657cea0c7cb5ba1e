"""A real Airflow 3.3 (API server, scheduler, DAG processor, LocalExecutor) and a local S3 server, for end-to-end tests.

The metadata database is a PostgreSQL database on the tests' own server; S3 and KMS are moto's server mode on
loopback; every process is stopped when the fixture ends.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from synthcore.pgserver import free_port

REPO = Path(__file__).resolve().parents[2]
USERS = {"privacy-officer": "admin", "engineer": "admin"}


def wait_for(what: str, probe: Callable[[], Any], timeout: float, every: float = 1.0) -> Any:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


@dataclass
class AirflowStack:
    """A running Airflow plus the credentials of its users."""

    url: str
    home: Path
    env: dict[str, str]
    passwords: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, user: str) -> str:
        if user not in self.tokens:
            reply = requests.post(
                f"{self.url}/auth/token", json={"username": user, "password": self.passwords[user]}, timeout=30
            )
            reply.raise_for_status()
            self.tokens[user] = reply.json()["access_token"]
        return self.tokens[user]

    def api(self, method: str, path: str, user: str = "engineer", **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(user)}"}
        return requests.request(method, f"{self.url}/api/v2{path}", headers=headers, timeout=60, **kwargs)

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        reply = self.api("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        assert reply.status_code == 200, reply.text
        return str(reply.json()["dag_run_id"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        """The run's state, or "" while the API server cannot say (busy, restarting): callers poll until a timeout."""
        try:
            reply = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
        except requests.RequestException:
            return ""
        return str(reply.json().get("state", "")) if reply.status_code == 200 else ""

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 600) -> str:
        return str(
            wait_for(
                f"{dag_id} run {run_id} to finish",
                lambda: (s := self.run_state(dag_id, run_id)) in ("success", "failed") and s,
                timeout,
                every=2,
            )
        )

    def failures(self, dag_id: str, run_id: str) -> list[str]:
        """The ``synthdata task failed`` lines the run's task logs hold (for assertion messages)."""
        safe = (
            run_id.replace(":", "_")
            if not (self.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}").exists()
            else run_id
        )
        logs = self.home / "logs" / f"dag_id={dag_id}" / f"run_id={safe}"
        return [
            line[:600] for f in sorted(logs.rglob("*.log")) for line in f.read_text(errors="replace").splitlines()
            if "synthdata task failed" in line
        ]  # fmt: skip

    def explain(self, dag_id: str, run_id: str) -> str:
        """Why a run ended as it did: every task's state and try, then the failure lines of its logs."""
        states = {
            f"{t['task_id']}[{t['map_index']}]"
            if t["map_index"] >= 0
            else t["task_id"]: f"{t['state']}/{t['try_number']}"
            for t in self.task_instances(dag_id, run_id)
        }
        return f"tasks: {states}; failures: {self.failures(dag_id, run_id)}; logs: {self.home}"

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        reply = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})
        return list(reply.json()["task_instances"])

    def airflow(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "airflow", *args], env=self.env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for proc in processes:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in processes:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def running_airflow(home: Path, metadata_dsn: str, extra_env: dict[str, str]) -> Iterator[AirflowStack]:
    """Migrate the metadata DB, create the load pool, start the API server, scheduler and DAG processor."""
    port = free_port()
    passwords = {user: secrets.token_urlsafe(12) for user in USERS}
    (home / "passwords.json").write_text(json.dumps(passwords))
    url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in USERS.items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_dsn,
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        "AIRFLOW__SCHEDULER__TRIGGER_TIMEOUT_CHECK_INTERVAL": "3",
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "600",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",  # the logs are read while the processes run
        **extra_env,
    }
    stack = AirflowStack(url, home, env, passwords)
    stack.airflow("db", "migrate")
    stack.airflow("pools", "set", "pg_load", "2", "synthdata COPY loads")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, args in (
            ("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]),
            ("scheduler", ["scheduler"]),
            ("dag-processor", ["dag-processor"]),
        ):
            log = (home / f"{name}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "airflow", *args],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

        def ready() -> bool:
            dead = [p.args for p in processes if p.poll() is not None]
            assert not dead, f"Airflow processes exited: {dead}; logs in {home}"
            try:
                ids = {d["dag_id"] for d in stack.api("GET", "/dags").json().get("dags", [])}
            except requests.RequestException:
                return False
            return {"prod_shape_extraction", "synthetic_dataset"} <= ids

        wait_for("the API server and both DAGs", ready, timeout=240, every=2)
        yield stack
    finally:
        _stop(processes)
