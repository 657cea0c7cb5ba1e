"""Finalize resumes: keys built and foreign keys added NOT VALID by an interrupted run are kept and completed."""

from __future__ import annotations

from pathlib import Path

import psycopg
from conftest import CHUNKS, SCHEMA, Dataset

from synthcore.load import load_dataset


def test_an_interrupted_finalize_resumes_to_validated_keys(pg_dsn: str, dataset: Dataset, runs_dir: Path) -> None:
    for chunk in range(CHUNKS):
        load_dataset(pg_dsn, dataset.path, chunk=chunk, runs_dir=runs_dir)
    with psycopg.connect(pg_dsn) as conn:  # what a finalize killed after its first steps leaves behind
        conn.execute(f"SET search_path TO {SCHEMA}")
        conn.execute("ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id)")
        conn.execute("ALTER TABLE messages ADD CONSTRAINT messages_pkey PRIMARY KEY (id)")
        conn.execute(
            'ALTER TABLE messages ADD CONSTRAINT "messages_senderId_fkey" FOREIGN KEY ("senderId")'
            " REFERENCES users (id) ON DELETE CASCADE NOT VALID"
        )
    done = load_dataset(pg_dsn, dataset.path, finalize_only=True, runs_dir=runs_dir)
    assert done.finalized
    with psycopg.connect(pg_dsn) as conn:
        keys = conn.execute(
            "SELECT contype, count(*), bool_and(convalidated) FROM pg_constraint"
            " WHERE connamespace = %s::regnamespace AND contype IN ('p', 'f') GROUP BY 1 ORDER BY 1",
            [SCHEMA],
        ).fetchall()
    assert keys == [("f", 9, True), ("p", 8, True)]  # 6 dataset keys + the ledger's and state table's
