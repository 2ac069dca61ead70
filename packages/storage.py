"""Package file storage: a small interface and a local-directory default.

Files are addressed by the SHA-256 of their content, so a file that many versions (or
many courses) share is stored once.  Writes go to a temporary file that is renamed into
place, so a reader never sees half a file and concurrent writers of the same content
are harmless.  An import first *stages* every file (temp files, hashed while written)
and *commits* them only when the whole zip has been read: a damaged upload leaves
nothing, and stored files are never deleted on failure (another import may share them).
Pure Python, no Flask.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

_CHUNK = 1024 * 1024
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_PROBE = b"kompetens readiness probe\n"
_UPLOAD = re.compile(r"^upload-[A-Za-z0-9_]+\.zip$")
# Private objects (an LRS archive...): a flat name, never a digest, so no content URL
# (which takes a sha256 digest, check_digest) can name one.
_PRIVATE = re.compile(r"^[a-z][a-z0-9-]{0,80}\.[a-z]{1,8}$")


@dataclass(frozen=True)
class StagedFile:
    """A file written to a temporary place, not yet stored under its digest."""

    digest: str
    size: int
    temp: str  # where it waits: a file path (local) or an object key (packages/s3_storage.py)


class Storage(Protocol):
    """Where package files live (local directory, shared volume or object storage)."""

    @property
    def temp_dir(self) -> Path:
        """A local directory for uploads and partial files (removed after use)."""
        ...

    def put(self, stream: BinaryIO) -> tuple[str, int, bool]:
        """Store a stream; return (sha256 hex, size, True if it was not stored before)."""
        ...

    def stage(self, stream: BinaryIO) -> StagedFile:
        """Write a stream to a temporary file while hashing it."""
        ...

    def commit(self, staged: StagedFile) -> bool:
        """Store a staged file under its digest; True if it was not stored before."""
        ...

    def commit_all(self, staged: list[StagedFile]) -> None:
        """Commit every staged file (the backend may do several at once)."""
        ...

    def discard(self, staged: StagedFile) -> None:
        """Drop a staged file."""
        ...

    def open(self, digest: str) -> BinaryIO:
        """Open a stored file for reading."""
        ...

    def exists(self, digest: str) -> bool:
        """Tell whether the file is stored."""
        ...

    def size(self, digest: str) -> int:
        """Return the stored file's size in bytes."""
        ...

    def local_path(self, digest: str) -> Path | None:
        """Return a filesystem path for efficient serving, or None if the backend has none."""
        ...

    def delete(self, digest: str) -> None:
        """Remove a stored file (no error if it is absent)."""
        ...

    def check(self) -> None:
        """Raise unless a file can be stored and read back now (``/readyz``, core/ops/health.py).

        Cheap (a load balancer asks every few seconds) and leaving nothing behind; the
        exception's text goes to the log only.
        """
        ...

    def keep_upload(self, stream: BinaryIO) -> str:
        """Keep an uploaded zip for a background import; return its name."""
        ...

    def upload_file(self, name: str) -> AbstractContextManager[Path]:
        """A kept upload as a local file, for the time of the ``with`` block."""
        ...

    def drop_upload(self, name: str) -> None:
        """Remove a kept upload (no error if it is gone)."""
        ...

    def sweep_staged(self, older_than: timedelta) -> int:
        """Remove temporary files older than ``older_than`` (work cut off by a crash)."""
        ...

    def put_private(self, name: str, source: Path) -> None:
        """Move a local file (in ``temp_dir``) into storage as private object ``name``.

        Private objects live under ``private/``: found by name, not by digest, and never
        served as content (admin downloads and jobs read them; every node sees them).
        """
        ...

    def open_private(self, name: str) -> BinaryIO:
        """Open a private object for reading; FileNotFoundError if it is not there."""
        ...

    def private_file(self, name: str) -> AbstractContextManager[Path]:
        """A private object as a local file for the ``with`` block; FileNotFoundError if absent."""
        ...

    def delete_private(self, name: str) -> None:
        """Remove a private object (no error if it is absent)."""
        ...

    def sweep_private(self, starting: str, older_than: timedelta) -> int:
        """Remove the private objects whose names start so, older than ``older_than``."""
        ...


def check_private(name: str) -> str:
    """Refuse a private object name that is not flat lower-case ``word.ext``."""
    if not _PRIVATE.match(name):
        raise ValueError(f"not a private object name: {name!r}")
    return name


def check_digest(digest: str) -> str:
    """Refuse anything that is not a lower-case sha256 hex string (no path tricks)."""
    if not _DIGEST.match(digest):
        raise ValueError(f"not a sha256 digest: {digest!r}")
    return digest


class LocalStorage:
    """Files under ``root/ab/cd/<sha256>``; temporary files under ``root/tmp``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, digest: str) -> Path:
        check_digest(digest)
        return self.root / digest[:2] / digest[2:4] / digest

    @property
    def temp_dir(self) -> Path:
        """Where uploads and partial files are written before they are renamed."""
        path = self.root / "tmp"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def put(self, stream: BinaryIO) -> tuple[str, int, bool]:
        """Stream to a temp file while hashing, then rename it to its digest."""
        staged = self.stage(stream)
        return staged.digest, staged.size, self.commit(staged)

    def stage(self, stream: BinaryIO) -> StagedFile:
        """Write a stream to a temp file under ``root/tmp`` while hashing it."""
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.temp_dir, prefix="stage-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StagedFile(digest.hexdigest(), size, tmp)

    def commit(self, staged: StagedFile) -> bool:
        """Rename the staged file into place (or drop it if the content is stored)."""
        target = self._path(staged.digest)
        temp = Path(staged.temp)
        if target.exists():
            temp.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        # Owner only: stored files include unpublished courses; the app serves them itself.
        os.chmod(temp, 0o600)
        os.replace(temp, target)
        return True

    def commit_all(self, staged: list[StagedFile]) -> None:
        """Rename each staged file into place, in turn (a rename costs nothing to wait for)."""
        for file in staged:
            self.commit(file)

    def discard(self, staged: StagedFile) -> None:
        """Remove a staged file."""
        Path(staged.temp).unlink(missing_ok=True)

    def open(self, digest: str) -> BinaryIO:
        """Open a stored file for reading."""
        return self._path(digest).open("rb")

    def exists(self, digest: str) -> bool:
        """Tell whether the file is stored."""
        return self._path(digest).is_file()

    def size(self, digest: str) -> int:
        """Return the stored file's size in bytes."""
        return self._path(digest).stat().st_size

    def local_path(self, digest: str) -> Path | None:
        """Return the file's path on disk."""
        return self._path(digest)

    def delete(self, digest: str) -> None:
        """Remove a stored file."""
        self._path(digest).unlink(missing_ok=True)

    def check(self) -> None:
        """Write a small file where uploads are staged, read it back and remove it."""
        fd, name = tempfile.mkstemp(dir=self.temp_dir, prefix="ready-")
        probe = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(_PROBE)
            if probe.read_bytes() != _PROBE:
                raise OSError(f"{self.root}: a file read back differs from what was written")
        finally:
            probe.unlink(missing_ok=True)

    def keep_upload(self, stream: BinaryIO) -> str:
        """Write an upload to ``root/tmp/upload-*.zip``; its file name is its name."""
        fd, tmp = tempfile.mkstemp(dir=self.temp_dir, prefix="upload-", suffix=".zip")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    out.write(chunk)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Path(tmp).name

    @contextmanager
    def upload_file(self, name: str) -> Iterator[Path]:
        """The kept upload's own file (it stays until ``drop_upload``)."""
        yield self._upload_path(name)

    def drop_upload(self, name: str) -> None:
        """Remove a kept upload."""
        self._upload_path(name).unlink(missing_ok=True)

    def _upload_path(self, name: str) -> Path:
        if not _UPLOAD.match(name):
            raise ValueError(f"not an upload name: {name!r}")
        return self.temp_dir / name

    def sweep_staged(self, older_than: timedelta) -> int:
        """Remove files in ``root/tmp`` last written more than ``older_than`` ago."""
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for path in self.temp_dir.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    # -- private objects (``root/private/<name>``) -------------------------------------

    def _private_path(self, name: str) -> Path:
        return self.root / "private" / check_private(name)

    def put_private(self, name: str, source: Path) -> None:
        """Rename the file into ``root/private`` (``temp_dir`` is on the same filesystem)."""
        target = self._private_path(name)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(source, 0o600)
        os.replace(source, target)

    def open_private(self, name: str) -> BinaryIO:
        """Open the private file for reading."""
        return self._private_path(name).open("rb")

    @contextmanager
    def private_file(self, name: str) -> Iterator[Path]:
        """The private object's own file."""
        path = self._private_path(name)
        if not path.is_file():
            raise FileNotFoundError(name)
        yield path

    def delete_private(self, name: str) -> None:
        """Remove the private file."""
        self._private_path(name).unlink(missing_ok=True)

    def sweep_private(self, starting: str, older_than: timedelta) -> int:
        """Remove private files named ``starting...`` last written before the cutoff."""
        folder = self.root / "private"
        if not folder.is_dir():
            return 0
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for path in folder.glob(f"{starting}*"):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
