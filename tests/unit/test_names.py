"""Run-schema names and run-record paths: the naming rule, the default name, paths that stay in their directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthcore.errors import InputError
from synthcore.names import default_schema_name, path_inside, run_record_path, validate_schema_name


@pytest.mark.parametrize("name", ["a", "synth_ci_s1", "s" * 63, "x9_", "selects", "pgx"])
def test_safe_names_pass(name: str) -> None:
    assert validate_schema_name(name) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "it is empty"),
        ("s" * 64, "64 bytes, longer than PostgreSQL's 63-byte identifier limit"),
        ("é" * 32, "64 bytes"),
        ("../escape", "it contains './'"),
        ("a/b", "it contains '/'"),
        ("Synth", "it contains 'S'"),
        ("1abc", "it does not start with a letter"),
        ("_x", "it does not start with a letter"),
        ("a-b", "it contains '-'"),
        ("a b", "it contains ' '"),
        ('a"b', "it contains '\"'"),
        ("café", "it contains 'é'"),
        ("a\n", "it contains '\\n'"),
        ("public", "only writes to schemas it creates"),
        ("information_schema", "only writes to schemas it creates"),
        ("pg_temp", "only writes to schemas it creates"),
        ("select", "reserved SQL keyword"),
        ("user", "reserved SQL keyword"),
        ("left", "reserved SQL keyword"),
    ],
)
def test_unsafe_names_are_refused_with_the_reason(name: str, reason: str) -> None:
    with pytest.raises(InputError, match="invalid schema name") as error:
        validate_schema_name(name)
    assert reason in str(error.value)
    assert "lowercase letters, digits and underscores" in str(error.value)


def test_default_schema_name_is_a_safe_identifier() -> None:
    assert default_schema_name("dev", "Seed 1!") == "synth_dev_seed_1"
    assert default_schema_name("ci", "demo", "prod") == "prod_ci_demo"
    assert default_schema_name("ci", "../../etc") == "synth_ci_etc"
    assert default_schema_name("ci", "!!!") == "synth_ci_seed"
    long = default_schema_name("ci", "x" * 100)
    assert len(long) == 63
    assert long != default_schema_name("ci", "x" * 99)


def test_default_schema_name_refuses_an_unsafe_prefix() -> None:
    with pytest.raises(InputError, match="it contains 'P'"):
        default_schema_name("ci", "s1", "Prod")


def test_paths_stay_inside_their_directory(tmp_path: Path) -> None:
    assert path_inside(tmp_path, "synth_ci_s1", "load-all.json") == tmp_path / "synth_ci_s1" / "load-all.json"
    with pytest.raises(InputError, match="outside"):
        path_inside(tmp_path / "runs", "..", "elsewhere.json")
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "link").symlink_to(tmp_path)
    with pytest.raises(InputError, match="outside"):
        path_inside(tmp_path / "runs", "link", "x.json")


def test_run_record_paths_refuse_unsafe_schemas(tmp_path: Path) -> None:
    assert run_record_path(tmp_path, "synth_ci_s1", "teardown.sql") == tmp_path / "synth_ci_s1" / "teardown.sql"
    with pytest.raises(InputError, match=r"invalid schema name '\.\./x'"):
        run_record_path(tmp_path, "../x", "teardown.sql")
