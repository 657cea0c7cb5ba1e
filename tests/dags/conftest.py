"""Airflow for the DAG tests: AIRFLOW_HOME in a temp dir, SQLite metadata, dags folder = the repo's dags/.

The settings are environment variables set before Airflow is first imported (at collection of this folder).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="synthdata-airflow-"))

os.environ.update(
    {
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME}/airflow.db",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        "SYNTHDATA_SAMPLER_MODE": "local",
        "SYNTHDATA_RETRIES": "0",
    }
)
if str(DAGS) not in sys.path:
    sys.path.insert(0, str(DAGS))


def airflow_connection(dsn: str) -> str:
    """An Airflow connection (JSON, for an AIRFLOW_CONN_* variable) equal to a test server's libpq DSN."""
    import json

    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(dsn)
    return json.dumps(
        {
            "conn_type": "postgres",
            "host": parts["host"],
            "port": int(parts["port"]),
            "login": parts["user"],
            "schema": parts["dbname"],
        }
    )
