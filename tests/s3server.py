"""A local S3-compatible server with KMS (moto's server mode on loopback), for tests that talk S3 through boto3."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from synthcore.pgserver import free_port

CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@contextmanager
def local_s3(*buckets: str) -> Iterator[dict[str, Any]]:
    """Start the server, create ``buckets`` and a KMS key; yield the client, the endpoint and the key id."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)
        for bucket in buckets:
            client.create_bucket(Bucket=bucket)
        key_id = boto3.client("kms", endpoint_url=endpoint, **CREDENTIALS).create_key()["KeyMetadata"]["KeyId"]
        yield {"client": client, "endpoint": endpoint, "kms_key_id": key_id}
    finally:
        server.stop()
