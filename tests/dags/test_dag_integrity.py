"""The DAG files: they import cleanly, fast, with no work at import time, and follow the suite's policy."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from airflow.dag_processing.dagbag import DagBag

from synthcore.spec.bands import Band
from tests.dags.conftest import DAGS

DAG_IDS = {"prod_shape_extraction", "synthetic_dataset"}


@pytest.fixture(scope="module")
def bag() -> DagBag:
    return DagBag(dag_folder=str(DAGS), known_pools={"default_pool", "pg_load"})


def test_both_dags_import_without_errors(bag: DagBag) -> None:
    assert bag.import_errors == {}
    assert set(bag.dags) == DAG_IDS


# Each DAG file is parsed twice in a fresh interpreter: once to warm its imports (as a DAG processor's are), then
# again while an audit hook records every file opened, socket used and process started by the DAG's own top-level
# code; the second parse is timed.
_PARSE_PROBE = textwrap.dedent(
    """
    import importlib.util, json, os, socket, sys, time
    sys.path.insert(0, {dags!r})
    def parse(name):
        spec = importlib.util.spec_from_file_location(name, {path!r})
        module = importlib.util.module_from_spec(spec)
        started = time.perf_counter()
        spec.loader.exec_module(module)
        return time.perf_counter() - started
    cold = parse("dag_warm_up")
    events = []
    def audit(event, args):
        if event == "open" and isinstance(args[0], str) and not args[0].endswith((".py", ".pyc", ".so")):
            events.append(("open", args[0]))
        elif event.startswith("socket.") and event != "socket.__new__":
            events.append((event, str(args[1:2])))
        elif event in ("subprocess.Popen", "os.system"):
            events.append((event, str(args[0])))
    sys.addaudithook(audit)
    seconds = parse("dag_under_test")
    print(json.dumps({{"seconds": seconds, "cold": cold, "events": events}}))
    """
)


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_no_work_at_import_time_and_a_fast_parse(dag_id: str) -> None:
    probe = _PARSE_PROBE.format(dags=str(DAGS), path=str(DAGS / f"{dag_id}.py"))
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "AIRFLOW__CORE__UNIT_TEST_MODE": "True"}
    env |= {k: v for k, v in __import__("os").environ.items() if k.startswith("AIRFLOW")}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["events"] == [], f"{dag_id} did I/O at import time: {result['events']}"
    assert result["seconds"] < 0.5, f"{dag_id} took {result['seconds']:.2f}s to parse"


def test_policy(bag: DagBag) -> None:
    for dag_id in DAG_IDS:
        dag = bag.dags[dag_id]
        assert "synthdata" in dag.tags and dag.doc_md and dag.catchup is False
        assert dag.deadline, f"{dag_id} has no deadline alert"
        for task in dag.tasks:
            assert task.retry_policy is not None or task.retries == 0, task.task_id
            assert task.on_failure_callback, f"{dag_id}.{task.task_id} has no failure callback"


def test_band_param_is_the_band_enum(bag: DagBag) -> None:
    schema = bag.dags["synthetic_dataset"].params.get_param("band").schema
    assert schema["enum"] == [b.value for b in Band]


def test_terminal_stages_never_retry_and_transient_ones_do(bag: DagBag) -> None:
    from synthcore.errors import GateFailed, InputError, IntegrityCheckFailed, PrivacyViolation, TransientLoadError

    dag = bag.dags["synthetic_dataset"]
    load = dag.get_task("chunk.load")
    policy = load.retry_policy
    assert load.pool == "pg_load" and load.retry_exponential_backoff == 2.0
    assert policy.evaluate(TransientLoadError("lost"), 1, 4).action.value == "retry"
    for terminal in (InputError("x"), IntegrityCheckFailed(["c"]), GateFailed("g", ["r"]), PrivacyViolation("p")):
        assert policy.evaluate(terminal, 1, 4).action.value == "fail", type(terminal).__name__
    assert policy.evaluate(ConnectionResetError("reset"), 1, 4).action.value == "default"
    shape = bag.dags["prod_shape_extraction"]
    assert shape.get_task("scan").retries == 0 and shape.get_task("privacy_officer_approval").retries == 0


def test_approval_gate_fails_closed(bag: DagBag) -> None:
    gate = bag.dags["prod_shape_extraction"].get_task("privacy_officer_approval")
    assert gate.defaults == ["Reject"] and gate.assigned_users == [{"id": "privacy-officer", "name": "Privacy officer"}]
    assert gate.response_timeout.days == 7
    assert bag.dags["prod_shape_extraction"].get_task("upload").upstream_task_ids == {
        "privacy_officer_approval",
        "sample",
        "scan",
    }
