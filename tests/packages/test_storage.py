"""LocalStorage: content-addressed, stored once, no half files."""

from __future__ import annotations

import hashlib
import io

import pytest

from packages.storage import LocalStorage


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
