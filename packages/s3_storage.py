"""Package files in an S3 bucket (AWS, MinIO, SeaweedFS, Ceph...): every node sees them.

The layout is the local directory's: ``<prefix>ab/cd/<sha256>``, so moving an instance
from ``STORAGE_PATH`` to a bucket is one copy of the directory (without ``tmp/``).
An import stages each file as a temporary object ``<prefix>tmp/stage-<random>`` (hashed
while it is uploaded; a small one is hashed first and PUT by a background thread while
the zip is read on) and commits it with a server-side copy to its digest's key, then
deletes the temporary object; a PUT or COPY is atomic in S3, so a reader never sees
half a file under a digest. A refused or damaged
import discards its temporary objects; one cut off by a crash leaves some under
``tmp/``, which ``sweep_staged`` removes once they are older than any import can last.

Uploads waiting for a background import are temporary objects too (``put_upload``).
Private objects (LRS archives) are ``<prefix>private/<name>``, never served as content.
Pure Python, no Flask.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import secrets
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from packages.storage import StagedFile, check_digest, check_private

_PROBE = b"kompetens readiness probe\n"
_PART = 8 * 1024 * 1024
_COPY_LIMIT = 5 * 1024**3
_COMMITTERS = 8  # commits at once (the client keeps up to 20 connections)
_IN_FLIGHT = 8  # small files being PUT at once while an import reads its zip
# Parts of 8 MB, two at a time: a 200 MB file costs ~16 MB of buffers, not the default 80.
_TRANSFER = TransferConfig(multipart_threshold=_PART, multipart_chunksize=_PART, max_concurrency=2)


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, or all there are (a stream may return less than asked)."""
    chunks, count = [], 0
    while count < size and (chunk := stream.read(size - count)):
        chunks.append(chunk)
        count += len(chunk)
    return b"".join(chunks)


class _Prefixed(io.RawIOBase):
    """``head`` (already read) followed by the rest of ``stream``."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        chunk = self._stream.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


class _Hashing(io.RawIOBase):
    """A stream that hashes and counts what is read through it (for a staged upload).

    Not seekable on purpose: boto3 then reads it once, front to back, so the hash is the
    file's.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        """Always: it is read."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read from the stream, hashing and counting what passes."""
        chunk = self._stream.read(len(buffer))
        count = len(chunk)
        buffer[:count] = chunk
        self.digest.update(chunk)
        self.size += count
        return count


class ObjectReader(io.RawIOBase):
    """A stored object as a seekable file: one streaming GET from wherever it is read.

    Seeking (a Range request) drops the current GET; the next read starts a new one at
    the new position, so a 206 for the last megabyte of a video reads only that.
    """

    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        self._client, self._bucket, self._key, self._size = client, bucket, key, size
        self._pos = 0
        self._body: Any = None

    def readable(self) -> bool:
        """Always: it is read."""
        return True

    def seekable(self) -> bool:
        """Always: a seek starts a new GET at the next read."""
        return True

    def tell(self) -> int:
        """The position of the next read."""
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move the position; the open GET is dropped if it moves."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        target = max(0, base + offset)
        if target != self._pos:
            self._drop()
            self._pos = target
        return self._pos

    def readinto(self, buffer: Any) -> int:
        """Read from the open GET, starting one at the position if none is open."""
        if self._pos >= self._size or len(buffer) == 0:
            return 0
        if self._body is None:
            found = self._client.get_object(
                Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-"
            )
            self._body = found["Body"]
        chunk = self._body.read(len(buffer))
        count = len(chunk)
        buffer[:count] = chunk
        self._pos += count
        return count

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        """Drop the open GET."""
        self._drop()
        super().close()


class S3Storage:
    """Files in ``bucket`` under ``prefix``; temporary objects under ``prefix + "tmp/"``.

    ``temp_dir`` is still a local directory (the zip is read from a local file: it is
    read out of order, which would cost a GET per seek against the bucket).
    """

    def __init__(
        self,
        bucket: str,
        *,
        temp_root: str | Path,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self._temp_root = Path(temp_root)
        # Path-style addressing works with every S3 server (virtual hosts need DNS names);
        # a few quick retries ride out a dropped connection, not an outage (/readyz).
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=BotoConfig(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
                max_pool_connections=20,
            ),
        )
        # Small files are PUT by these threads while the zip is read on: each waits on a
        # round trip, not on us. At most _IN_FLIGHT at once (memory: _IN_FLIGHT parts).
        self._uploads = ThreadPoolExecutor(max_workers=_IN_FLIGHT, thread_name_prefix="s3-put")
        self._slots = threading.BoundedSemaphore(_IN_FLIGHT)
        self._pending: dict[str, Future[None]] = {}
        self._lock = threading.Lock()

    def key(self, digest: str) -> str:
        """The object key of a stored file."""
        check_digest(digest)
        return f"{self.prefix}{digest[:2]}/{digest[2:4]}/{digest}"

    def _temp_key(self, kind: str) -> str:
        return f"{self.prefix}tmp/{kind}-{secrets.token_hex(16)}"

    @property
    def temp_dir(self) -> Path:
        """A local directory for an upload being received and a nested zip being read."""
        path = self._temp_root / "tmp"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def put(self, stream: BinaryIO) -> tuple[str, int, bool]:
        """Stage the stream, then commit it under its digest."""
        staged = self.stage(stream)
        return staged.digest, staged.size, self.commit(staged)

    def stage(self, stream: BinaryIO) -> StagedFile:
        """Upload to a temporary object while hashing (removed again if the upload fails).

        A file under one part is read whole and sent in one PUT (most package files: one
        round trip, none of the transfer manager's threads); a larger one in parts.
        """
        key = self._temp_key("stage")
        first = _read_up_to(stream, _PART)
        if len(first) < _PART:
            return self._stage_small(key, first)
        try:
            hashing = _Hashing(io.BufferedReader(_Prefixed(first, stream)))
            self.client.upload_fileobj(hashing, self.bucket, key, Config=_TRANSFER)
        except BaseException:
            self._delete_key(key)
            raise
        return StagedFile(hashing.digest.hexdigest(), hashing.size, key)

    def _stage_small(self, key: str, data: bytes) -> StagedFile:
        """Hash now, PUT in the background (``_uploaded`` waits for it)."""
        self._slots.acquire()
        try:
            future = self._uploads.submit(self._put, key, data)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _done: self._slots.release())
        with self._lock:
            self._pending[key] = future
        return StagedFile(hashlib.sha256(data).hexdigest(), len(data), key)

    def _put(self, key: str, data: bytes) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data)
        except BaseException:
            with contextlib.suppress(Exception):
                self._delete_key(key)  # a PUT cut off may still have landed
            raise

    def _uploaded(self, key: str) -> None:
        """Wait until a staged file's background PUT is over; raise if it failed."""
        with self._lock:
            future = self._pending.pop(key, None)
        if future is not None:
            future.result()

    def commit(self, staged: StagedFile) -> bool:
        """Copy the temporary object to its digest's key (unless stored) and delete it."""
        target = self.key(staged.digest)
        try:
            self._uploaded(staged.temp)
            if self._exists_key(target):
                return False
            source = {"Bucket": self.bucket, "Key": staged.temp}
            if staged.size < _COPY_LIMIT:
                self.client.copy_object(Bucket=self.bucket, Key=target, CopySource=source)
            else:  # one COPY takes at most 5 GB; beyond, the copy goes in parts
                self.client.copy(source, self.bucket, target, Config=_TRANSFER)
            return True
        finally:
            self._delete_key(staged.temp)

    def commit_all(self, staged: list[StagedFile]) -> None:
        """Commit the files ``_COMMITTERS`` at a time: each is three round trips to wait for."""
        with ThreadPoolExecutor(max_workers=_COMMITTERS) as pool:
            for _ in pool.map(self.commit, staged):
                pass

    def discard(self, staged: StagedFile) -> None:
        """Delete a temporary object (after its PUT, so it cannot land after the DELETE)."""
        with contextlib.suppress(Exception):
            self._uploaded(staged.temp)
        self._delete_key(staged.temp)

    def open(self, digest: str) -> BinaryIO:
        """A seekable reader of the stored object (GETs as it is read)."""
        key = self.key(digest)
        size = int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        return io.BufferedReader(ObjectReader(self.client, self.bucket, key, size), 256 * 1024)  # type: ignore[return-value]

    def exists(self, digest: str) -> bool:
        """Tell whether the file is stored."""
        return self._exists_key(self.key(digest))

    def size(self, digest: str) -> int:
        """Return the stored object's size in bytes."""
        return int(
            self.client.head_object(Bucket=self.bucket, Key=self.key(digest))["ContentLength"]
        )

    def local_path(self, digest: str) -> Path | None:
        """None: objects have no path on this machine (content is streamed from S3)."""
        check_digest(digest)
        return None

    def delete(self, digest: str) -> None:
        """Delete a stored object (no error if it is absent)."""
        self._delete_key(self.key(digest))

    def check(self) -> None:
        """The bucket exists and a temporary object can be written, read back and deleted."""
        self.client.head_bucket(Bucket=self.bucket)
        key = self._temp_key("ready")
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=_PROBE)
            back = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            if back != _PROBE:
                raise OSError(f"s3://{self.bucket}/{key}: read back differs from what was written")
        finally:
            self._delete_key(key)

    # -- uploads waiting for a background import ---------------------------------------

    def keep_upload(self, stream: BinaryIO) -> str:
        """Keep an upload as a temporary object; return its key (``upload_file`` reads it)."""
        key = self._temp_key("upload")
        try:
            self.client.upload_fileobj(_Hashing(stream), self.bucket, key, Config=_TRANSFER)
        except BaseException:
            self._delete_key(key)
            raise
        return key

    @contextmanager
    def upload_file(self, name: str) -> Iterator[Path]:
        """A kept upload downloaded to a local temporary file (removed after use)."""
        key = self._own_upload(name)
        fd, tmp = tempfile.mkstemp(suffix=".zip", dir=self.temp_dir)
        os.close(fd)
        try:
            self.client.download_file(self.bucket, key, tmp, Config=_TRANSFER)
            yield Path(tmp)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def drop_upload(self, name: str) -> None:
        """Delete a kept upload."""
        self._delete_key(self._own_upload(name))

    def sweep_staged(self, older_than: timedelta) -> int:
        """Delete temporary objects older than ``older_than`` (imports cut off by a crash)."""
        cutoff = datetime.now(UTC) - older_than
        old = [
            item["Key"]
            for item in self._listing(f"{self.prefix}tmp/")
            if item["LastModified"] < cutoff
        ]
        for key in old:
            self._delete_key(key)
        return len(old)

    def temp_objects(self) -> list[str]:
        """The keys of the temporary objects now in the bucket (tests, the operator)."""
        return [item["Key"] for item in self._listing(f"{self.prefix}tmp/")]

    # -- private objects ---------------------------------------------------------------

    def _private_key(self, name: str) -> str:
        return f"{self.prefix}private/{check_private(name)}"

    def put_private(self, name: str, source: Path) -> None:
        """Upload the local file (in parts) as the private object, then remove the file."""
        key = self._private_key(name)
        try:
            self.client.upload_file(str(source), self.bucket, key, Config=_TRANSFER)
        except BaseException:
            with contextlib.suppress(Exception):
                self._delete_key(key)  # a multipart upload cut off leaves no object
            raise
        finally:
            source.unlink(missing_ok=True)

    def open_private(self, name: str) -> BinaryIO:
        """A seekable reader of the private object."""
        key = self._private_key(name)
        if not self._exists_key(key):
            raise FileNotFoundError(name)
        size = int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        return io.BufferedReader(ObjectReader(self.client, self.bucket, key, size), 256 * 1024)  # type: ignore[return-value]

    @contextmanager
    def private_file(self, name: str) -> Iterator[Path]:
        """The private object downloaded to a local temporary file (removed after use)."""
        key = self._private_key(name)
        if not self._exists_key(key):
            raise FileNotFoundError(name)
        fd, tmp = tempfile.mkstemp(suffix=".private", dir=self.temp_dir)
        os.close(fd)
        try:
            self.client.download_file(self.bucket, key, tmp, Config=_TRANSFER)
            yield Path(tmp)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def delete_private(self, name: str) -> None:
        """Delete the private object."""
        self._delete_key(self._private_key(name))

    def sweep_private(self, starting: str, older_than: timedelta) -> int:
        """Delete private objects named ``starting...`` older than ``older_than``."""
        cutoff = datetime.now(UTC) - older_than
        old = [
            item["Key"]
            for item in self._listing(f"{self.prefix}private/{starting}")
            if item["LastModified"] < cutoff
        ]
        for key in old:
            self._delete_key(key)
        return len(old)

    # -- helpers -----------------------------------------------------------------------

    def _own_upload(self, name: str) -> str:
        if not name.startswith(f"{self.prefix}tmp/upload-"):
            raise ValueError(f"not an upload of this storage: {name!r}")
        return name

    def _listing(self, prefix: str) -> Iterator[dict[str, Any]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            yield from page.get("Contents", [])

    def _exists_key(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def _delete_key(self, key: str) -> None:
        # S3's DELETE succeeds for a key that is not there.
        self.client.delete_object(Bucket=self.bucket, Key=key)
