"""LocalStorage: content-addressed, stored once, no half files."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from packages.storage import LocalStorage, Storage


def test_packages_storage_put_is_content_addressed(tmp_path):
    storage = LocalStorage(tmp_path)
    digest, size, created = storage.put(io.BytesIO(b"hello"))
    assert digest == hashlib.sha256(b"hello").hexdigest()
    assert (size, created) == (5, True)
    assert storage.put(io.BytesIO(b"hello")) == (digest, 5, False)
    with storage.open(digest) as stored:
        assert stored.read() == b"hello"
    assert storage.size(digest) == 5
    assert list((tmp_path / "tmp").iterdir()) == []
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_packages_storage_failed_write_leaves_nothing(tmp_path):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 0:
                raise OSError("disk gone")
            return super().read(3)

    storage = LocalStorage(tmp_path)
    with pytest.raises(OSError, match="disk gone"):
        storage.put(Broken(b"abcdef"))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("digest", ["../../etc/passwd", "ABC", "a" * 63, "g" * 64])
def test_packages_storage_refuses_non_digests(tmp_path, digest):
    with pytest.raises(ValueError, match="not a sha256"):
        LocalStorage(tmp_path).open(digest)


def test_packages_storage_stage_then_commit_or_discard(tmp_path):
    storage = LocalStorage(tmp_path)
    kept = storage.stage(io.BytesIO(b"keep"))
    dropped = storage.stage(io.BytesIO(b"drop"))
    assert not storage.exists(kept.digest)
    assert storage.commit(kept) is True
    storage.discard(dropped)
    assert storage.exists(kept.digest)
    assert not storage.exists(dropped.digest)
    assert list((tmp_path / "tmp").iterdir()) == []
    again = storage.stage(io.BytesIO(b"keep"))
    assert storage.commit(again) is False
    assert list((tmp_path / "tmp").iterdir()) == []


def check_private_objects(storage: Storage, listed: Callable[[], list[str]]) -> None:
    """Put, read, sweep and delete private objects; ``listed`` names what is stored.

    Shared with tests/packages/test_s3.py: both backends behave alike.
    """
    source = storage.temp_dir / "archive.zip"
    source.write_bytes(b"PK every learner's records")
    storage.put_private("lrs-archive-abc.zip", source)
    assert not source.exists()  # moved in, not copied
    assert listed() == ["lrs-archive-abc.zip"]
    with storage.open_private("lrs-archive-abc.zip") as stored:
        assert stored.read() == b"PK every learner's records"
    with storage.private_file("lrs-archive-abc.zip") as local:
        assert local.read_bytes() == b"PK every learner's records"
    # A private object is not a stored file: no digest names it.
    assert not storage.exists(hashlib.sha256(b"PK every learner's records").hexdigest())
    for wrong in ("../x.zip", "private/x.zip", "X.zip", "a" * 64, ""):
        with pytest.raises(ValueError, match="not a private object name"):
            storage.open_private(wrong)
    with pytest.raises(FileNotFoundError):
        storage.open_private("lrs-archive-gone.zip")
    with pytest.raises(FileNotFoundError), storage.private_file("lrs-archive-gone.zip"):
        pass
    assert storage.sweep_private("lrs-archive-", timedelta(hours=1)) == 0  # too young
    assert storage.sweep_private("other-", timedelta(seconds=-5)) == 0  # not its kind
    assert storage.sweep_private("lrs-archive-", timedelta(seconds=-5)) == 1
    assert listed() == []
    (storage.temp_dir / "again.zip").write_bytes(b"x")
    storage.put_private("lrs-archive-def.zip", storage.temp_dir / "again.zip")
    storage.delete_private("lrs-archive-def.zip")
    storage.delete_private("lrs-archive-def.zip")  # absent: no error
    assert listed() == []


def test_packages_storage_private_objects(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    check_private_objects(
        storage, lambda: sorted(path.name for path in (tmp_path / "private").glob("*"))
    )
    assert oct((tmp_path / "private").stat().st_mode & 0o777) == "0o700"
