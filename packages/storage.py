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
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

_CHUNK = 1024 * 1024
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_PROBE = b"kompetens readiness probe\n"


@dataclass(frozen=True)
class StagedFile:
    """A file written to a temporary place, not yet stored under its digest."""

    digest: str
    size: int
    temp_path: Path


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
        return StagedFile(digest.hexdigest(), size, Path(tmp))

    def commit(self, staged: StagedFile) -> bool:
        """Rename the staged file into place (or drop it if the content is stored)."""
        target = self._path(staged.digest)
        if target.exists():
            staged.temp_path.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        # Owner only: stored files include unpublished courses; the app serves them itself.
        os.chmod(staged.temp_path, 0o600)
        os.replace(staged.temp_path, target)
        return True

    def discard(self, staged: StagedFile) -> None:
        """Remove a staged file."""
        staged.temp_path.unlink(missing_ok=True)

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
