import json
import subprocess
import sys

import pytest

from synthcore.errors import OutputError
from synthcore.generate import generate_dataset
from synthcore.spec.bands import Band
from synthcore.spec.tables import REPORT_NAME


def _checksums(report) -> dict[str, tuple[int, str]]:
    return {name: (t.rows, t.checksum) for name, t in report.tables.items()}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthcore", *args], capture_output=True, text=True, check=False)


def test_same_seed_any_chunking_same_data(tmp_path, ci_dataset):
    _, three_chunks = ci_dataset
    one = generate_dataset(tmp_path / "one", band=Band.CI, seed="s1", chunks=1, workers=1)
    # three workers: two threads of this process and one spawned process
    seven = generate_dataset(tmp_path / "seven", band=Band.CI, seed="s1", chunks=7, workers=3)
    assert _checksums(one) == _checksums(seven) == _checksums(three_chunks)
    assert one.tables["messages"].rows == 50_000


def test_chunks_one_by_one_in_reverse_order_via_cli(tmp_path, ci_dataset):
    _, reference = ci_dataset
    out = tmp_path / "reverse"
    for chunk in reversed(range(7)):
        assert not (out / REPORT_NAME).exists()
        result = _cli(
            "generate", "--band", "ci", "--seed", "s1", "--out", str(out), "--chunks", "7", "--chunk", str(chunk)
        )
        assert result.returncode == 0, result.stderr
    report = json.loads((out / REPORT_NAME).read_text())
    assert {n: (t["rows"], t["checksum"]) for n, t in report["tables"].items()} == _checksums(reference)
    assert not list(out.rglob("*.tmp"))


def test_other_seed_other_data(tmp_path, ci_dataset):
    _, s1 = ci_dataset
    s2 = generate_dataset(tmp_path / "s2", band=Band.CI, seed="s2", chunks=3, workers=1)
    for name in s1.tables:
        assert s1.tables[name].checksum != s2.tables[name].checksum, name


def test_refuses_directory_holding_another_dataset(tmp_path, ci_dataset):
    out, _ = ci_dataset
    with pytest.raises(OutputError, match=r"already holds a different dataset \(seed='s1'\)"):
        generate_dataset(out, band=Band.CI, seed="s9", chunks=3, workers=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--band", "huge"], "Invalid value for '--band'"),
        (["--seed", ""], "error: --seed must not be empty"),
        (["--chunks", "3", "--chunk", "3"], r"error: chunk 3 is out of range: valid chunks are 0..2 \(of 3\)"),
        (["--chunks", "500"], "error: --chunks must be between 1 and 24"),
        (["--spec", "/nonexistent/spec.json"], "error: /nonexistent/spec.json: cannot read file"),
    ],
)
def test_bad_input_exits_nonzero_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "out"
    base = {"--seed": "s1", "--out": str(out)}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    result = _cli("generate", *[x for kv in base.items() for x in kv])
    assert result.returncode == 2
    assert __import__("re").search(message, result.stderr), result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_invalid_spec_file_names_the_field(tmp_path):
    spec = json.loads((__import__("synthcore.spec.io", fromlist=["x"]).DEFAULT_SPEC_PATH).read_text())
    spec["messages"]["content_length"]["sigma"] = -1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec))
    result = _cli("generate", "--seed", "s1", "--out", str(tmp_path / "o"), "--spec", str(path))
    assert result.returncode == 2
    assert (
        "bad.json: messages.content_length.lognormal.sigma: Input should be greater than or equal to 0" in result.stderr
    )


def test_unwritable_output_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = _cli("generate", "--seed", "s1", "--out", str(blocker / "sub"))
    assert result.returncode == 2
    assert "cannot be created" in result.stderr
