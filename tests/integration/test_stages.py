"""The stage API on real parts: the sampler's hand-over, the scan, and the upload to a local S3 server with SSE-KMS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synthcore import stages
from synthcore.errors import InputError, PrivacyViolation
from synthcore.sample import SampleOptions
from synthcore.sample.keyed_ids import AnonymizationKey
from tests.integration.sample.production_db import WINDOW_END, seed_production
from tests.s3server import local_s3

BUCKET = "packs"


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, Any]]:
    with local_s3(BUCKET) as server:
        yield server


@pytest.fixture(scope="module")
def documents(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    dsn = pg_server.create_database("production_stages")
    seed_production(dsn)
    out = tmp_path_factory.mktemp("sample") / "pack.json"
    summary = stages.sample(dsn, out, AnonymizationKey(b"k" * 32), SampleOptions(window_end=WINDOW_END))
    return stages.sampled_documents(summary)


def test_hand_over_scans_clean_and_carries_what_the_officer_reads(documents: dict[str, Any], tmp_path: Path) -> None:
    pack = stages.materialize_pack(documents, tmp_path)
    scanned = stages.scan(pack)
    summary = documents["summary"]
    assert scanned["pack_sha256"] == summary["pack_sha256"] and scanned["verdict"] == "clean"
    assert json.loads(json.dumps(documents)) == documents  # fit for XCom
    body = scanned["approval_body"]
    assert summary["pack_sha256"] in body and f"k = {summary['k']}" in body and "suppressed" in body
    assert summary["cells_published"] > 0 and summary["window_end"].startswith("2026-06-30")


def test_upload_is_encrypted_tagged_and_only_of_the_approved_bytes(
    documents: dict[str, Any], s3: dict[str, Any], tmp_path: Path
) -> None:
    client, kms = s3["client"], s3["kms_key_id"]
    pack = stages.materialize_pack(documents, tmp_path)
    with pytest.raises(PrivacyViolation, match=r"is not the approved 0{64}; nothing uploaded"):
        stages.upload(client, pack, BUCKET, "p", kms, "0" * 64)
    with pytest.raises(InputError, match="SSE-KMS is mandatory"):
        stages.upload(client, pack, BUCKET, "p", "", documents["summary"]["pack_sha256"])
    assert "Contents" not in client.list_objects_v2(Bucket=BUCKET)
    uploaded = stages.upload(client, pack, BUCKET, "p", kms, documents["summary"]["pack_sha256"])
    assert uploaded["pack_uri"] == f"s3://{BUCKET}/p/pack.json"
    for key in ("p/pack.json", "p/pack_mapping.json"):
        head = client.head_object(Bucket=BUCKET, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms" and kms in head["SSEKMSKeyId"]
        tags = {t["Key"]: t["Value"] for t in client.get_object_tagging(Bucket=BUCKET, Key=key)["TagSet"]}
        assert tags["retention-days"] == "90"
    body = client.get_object(Bucket=BUCKET, Key="p/pack.json")["Body"].read()
    assert body == pack.read_bytes()
