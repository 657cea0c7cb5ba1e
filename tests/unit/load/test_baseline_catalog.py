"""The query catalog files and the plan-shape hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthcore.baseline.catalog import load_catalog
from synthcore.baseline.explain import plan_hash
from synthcore.errors import SpecError

REQUIRED = {
    "message_history_page",
    "message_history_next_page",
    "conversation_list",
    "unread_counts",
    "latest_message_per_conversation",
    "read_receipts_of_message",
}


def test_committed_catalog_has_every_hot_path_query() -> None:
    catalog = load_catalog()
    assert {q.name for q in catalog.queries} == REQUIRED
    assert set(catalog.subjects) == {"heavy_room", "median_room", "heavy_user", "typical_user"}
    by_name = {q.name: q for q in catalog.queries}
    assert by_name["message_history_next_page"].params == ("conversation_id", "cursor_created_at")
    assert by_name["unread_counts"].subjects == ("heavy_user", "typical_user")
    assert all(q.description and not q.sql.endswith(";") for q in catalog.queries)


def test_unknown_subject_is_named(tmp_path: Path) -> None:
    (tmp_path / "subjects.sql").write_text("-- subject: room\nSELECT 1 AS x;\n")
    (tmp_path / "q.sql").write_text("-- A query.\n-- subjects: room, crowd\nSELECT %(x)s\n")
    with pytest.raises(SpecError, match=r"q\.sql: subjects: unknown \['crowd'\]; defined in subjects\.sql: \['room'\]"):
        load_catalog(tmp_path)


def test_missing_header_and_missing_subjects_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"subjects\.sql: missing"):
        load_catalog(tmp_path)
    (tmp_path / "subjects.sql").write_text("-- subject: room\nSELECT 1 AS x;\n")
    (tmp_path / "q.sql").write_text("SELECT 1\n")
    with pytest.raises(SpecError, match=r"q\.sql: header: needs a '-- description' line"):
        load_catalog(tmp_path)


def test_plan_hash_ignores_timings_but_not_shape() -> None:
    scan = {"Node Type": "Index Scan", "Relation Name": "messages", "Index Name": "a", "Actual Total Time": 1.0}
    plan = {"Node Type": "Limit", "Actual Rows": 50, "Plans": [scan]}
    slower = {**plan, "Actual Rows": 49, "Plans": [{**scan, "Actual Total Time": 9.0}]}
    other_index = {**plan, "Plans": [{**scan, "Index Name": "b"}]}
    assert plan_hash(plan) == plan_hash(slower)
    assert plan_hash(plan) != plan_hash(other_index)
    assert len(plan_hash(plan)) == 16
