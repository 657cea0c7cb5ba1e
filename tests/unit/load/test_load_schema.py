"""Parsing specs/schema.sql into sections and keys; run schema names."""

from __future__ import annotations

from synthcore.load.schema import foreign_keys, schema_sections, unique_keys
from synthcore.spec.tables import TABLES


def test_sections_split_tables_keys_and_foreign_keys() -> None:
    sections = schema_sections()
    assert [s.split()[2] for s in sections.tables] == list(TABLES)
    assert len(sections.keys) == 7
    assert all("FOREIGN KEY" in s for s in sections.foreign_keys)
    assert len(sections.foreign_keys) == 9


def test_foreign_keys_are_parsed_with_columns() -> None:
    by_name = {k.name: k for k in foreign_keys()}
    assert len(by_name) == 9
    reply = by_name["messages_replyToId_fkey"]
    assert (reply.table, reply.columns, reply.ref_table, reply.ref_columns) == (
        "messages",
        ("replyToId",),
        "messages",
        ("id",),
    )


def test_unique_keys_include_composites_and_email() -> None:
    by_name = {k.name: (k.table, k.columns) for k in unique_keys()}
    assert by_name["read_receipts_pkey"] == ("read_receipts", ("messageId", "userId"))
    assert by_name["users_email_key"] == ("users", ("email",))
    assert len(by_name) == 7
