"""The wheel ships specs/ as package data, so an installed synthcore (a task image) finds its schema and catalog."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_installed_wheel_reads_specs_from_the_package(tmp_path: Path) -> None:
    subprocess.run(["uv", "build", "--wheel", "-o", str(tmp_path), str(REPO)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("synthdata-*.whl"))
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    assert (site / "synthcore" / "_specs" / "schema.sql").read_text() == (REPO / "specs" / "schema.sql").read_text()
    probe = (
        "from synthcore.spec.io import SPECS_DIR; from synthcore.baseline.catalog import load_catalog;"
        "from synthcore.load.schema import schema_sections; from synthcore.stages import DEFAULT_SPEC;"
        "print(SPECS_DIR); print(len(load_catalog().queries), len(schema_sections().tables), DEFAULT_SPEC.exists())"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env={"PYTHONPATH": str(site)}, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    specs_dir, counts = done.stdout.splitlines()
    assert specs_dir == str(site / "synthcore" / "_specs")
    queries, tables, default_spec = counts.split()
    assert int(queries) >= 5 and int(tables) == 6 and default_spec == "True"
