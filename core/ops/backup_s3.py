"""The bucket half of a backup when STORAGE=s3 (core/ops/backup.py).

The objects under S3_PREFIX (but its staging ``tmp/``) are downloaded into the backup's
``storage/`` with the layout a STORAGE_PATH has (packages/s3_storage.py uses the same
keys), so their sha256s go in the manifest like any file's, and a backup of a bucket
restores into a directory or a bucket alike.  Restore uploads them into an EMPTY
bucket/prefix.  boto3 directly: core imports nothing of packages/ (tests/test_layers.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import boto3
from botocore.config import Config as BotoConfig


class BucketError(Exception):
    """An object key that cannot be a backup's file name."""


@dataclass(frozen=True)
class Bucket:
    """The S3 settings of an instance with STORAGE=s3 (config.py S3_*)."""

    name: str
    prefix: str = ""
    endpoint_url: str = ""
    region: str = ""
    access_key_id: str = ""
    secret_access_key: str = ""

    @property
    def key_prefix(self) -> str:
        """The prefix as packages/s3_storage.py spells it: '' or ``name/``."""
        return f"{self.prefix.strip('/')}/" if self.prefix.strip("/") else ""

    def client(self) -> Any:
        """A boto3 client for the bucket (path-style: every S3 server takes it)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url or None,
            region_name=self.region or None,
            aws_access_key_id=self.access_key_id or None,
            aws_secret_access_key=self.secret_access_key or None,
            config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )


def _keys(bucket: Bucket, client: Any) -> Iterator[str]:
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket.name, Prefix=bucket.key_prefix
    )
    for page in pages:
        for item in page.get("Contents", []):
            yield item["Key"]


def _relative(bucket: Bucket, key: str) -> str:
    """The key below the prefix, refused if it could leave the backup's directory."""
    name = key[len(bucket.key_prefix) :]
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or any(part in ("..", ".") for part in parts):
        raise BucketError(f"s3://{bucket.name}/{key} cannot be a file name in a backup")
    return name


def download(bucket: Bucket, into: Path) -> int:
    """Download every object (staging ``tmp/`` left out) under ``into``; how many."""
    client = bucket.client()
    count = 0
    for key in _keys(bucket, client):
        name = _relative(bucket, key)
        if name.startswith("tmp/"):
            continue  # imports under way or cut off: nothing a row names
        target = into / name
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        client.download_file(bucket.name, key, str(target))
        target.chmod(0o600)
        count += 1
    return count


def is_empty(bucket: Bucket) -> bool:
    """Whether nothing is stored under the prefix."""
    found = bucket.client().list_objects_v2(Bucket=bucket.name, Prefix=bucket.key_prefix, MaxKeys=1)
    return not found.get("Contents")


def upload(bucket: Bucket, source: Path) -> int:
    """Upload every file under ``source`` to its key under the prefix; how many."""
    client = bucket.client()
    count = 0
    for path in sorted(source.rglob("*")):
        if path.is_file():
            key = bucket.key_prefix + path.relative_to(source).as_posix()
            client.upload_file(str(path), bucket.name, key)
            count += 1
    return count
