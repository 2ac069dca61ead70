"""Package files in S3 (STORAGE=s3) against a real SeaweedFS: store, import, serve, check.

The server is started by the tests (tests/s3_server.py); each test gets a bucket of its
own (``on_s3``). What matters on S3 beside the local directory: nothing of a refused
import stays in the bucket, content is streamed with ranges, and ``/readyz`` asks the
bucket.
"""

# ruff: noqa: F811  (the fixtures imported from test_runtime are parameters here)
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from packages.s3_storage import S3Storage
from packages.service import storage_from_settings
from tests.packages.conftest import CORPUS, MANIFEST_12, zip_bytes
from tests.packages.test_storage import check_private_objects
from tests.packages.test_views import upload
from tests.player.test_runtime import Player, launch, make_learner  # noqa: F401  (fixtures)
from tests.s3_server import Bucket, S3Server

GOLF = "golf_2004v3_runtime_basic_calls.zip"


@pytest.fixture
def storage(s3_server: S3Server, tmp_path: Path) -> S3Storage:
    bucket = s3_server.create_bucket()
    made = storage_from_settings(
        {**s3_server.settings(bucket, prefix="files/"), "STORAGE_PATH": str(tmp_path)}
    )
    assert isinstance(made, S3Storage)
    return made


def keys(storage: S3Storage) -> list[str]:
    pages = storage.client.get_paginator("list_objects_v2").paginate(Bucket=storage.bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def test_packages_s3_put_is_content_addressed(storage: S3Storage) -> None:
    digest, size, created = storage.put(io.BytesIO(b"hello"))
    assert (size, created) == (5, True)
    assert storage.put(io.BytesIO(b"hello")) == (digest, 5, False)
    assert keys(storage) == [f"files/{digest[:2]}/{digest[2:4]}/{digest}"]
    assert storage.exists(digest)
    assert storage.size(digest) == 5
    assert storage.local_path(digest) is None
    with storage.open(digest) as stored:
        assert stored.read() == b"hello"
    storage.delete(digest)
    assert not storage.exists(digest)
    storage.delete(digest)  # absent: no error
    assert keys(storage) == []


def test_packages_s3_large_file_in_parts_reads_from_any_offset(storage: S3Storage) -> None:
    data = bytes(range(256)) * (40 * 1024 + 3)  # ~10 MB: a multipart upload
    digest, size, _ = storage.put(io.BytesIO(data))
    assert size == len(data)
    with storage.open(digest) as stored:
        stored.seek(len(data) - 1000)
        assert stored.read() == data[-1000:]
        stored.seek(17)
        assert stored.read(5) == data[17:22]
    assert keys(storage) == [storage.key(digest)]


def test_packages_s3_stage_then_commit_or_discard(storage: S3Storage) -> None:
    kept = storage.stage(io.BytesIO(b"keep"))
    dropped = storage.stage(io.BytesIO(b"drop"))
    assert not storage.exists(kept.digest)
    assert storage.commit(kept) is True
    storage.discard(dropped)
    assert storage.exists(kept.digest)
    assert not storage.exists(dropped.digest)
    assert storage.temp_objects() == []
    assert storage.commit(storage.stage(io.BytesIO(b"keep"))) is False
    assert keys(storage) == [storage.key(kept.digest)]


def test_packages_s3_failed_upload_leaves_nothing(storage: S3Storage) -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() > 4:
                raise OSError("connection reset")
            return super().read(2)

    with pytest.raises(OSError, match="connection reset"):
        storage.put(Broken(b"abcdefgh"))
    assert keys(storage) == []


def test_packages_s3_sweep_removes_old_temporary_objects(storage: S3Storage) -> None:
    storage.keep_upload(io.BytesIO(b"an upload whose import was cut off by a crash"))
    assert storage.sweep_staged(timedelta(hours=1)) == 0  # too young: an import may own it
    assert storage.sweep_staged(timedelta(seconds=-5)) == 1
    assert keys(storage) == []


def test_packages_s3_private_objects(storage: S3Storage) -> None:
    check_private_objects(
        storage, lambda: [key.removeprefix("files/private/") for key in keys(storage)]
    )


def test_packages_s3_private_object_failed_upload_leaves_nothing(storage: S3Storage) -> None:
    with pytest.raises(FileNotFoundError):
        storage.put_private("lrs-archive-abc.zip", storage.temp_dir / "never-written.zip")
    assert keys(storage) == []


def test_packages_s3_wrong_secret_is_refused(s3_server: S3Server, tmp_path: Path) -> None:
    settings = {**s3_server.settings(s3_server.create_bucket()), "STORAGE_PATH": str(tmp_path)}
    wrong = storage_from_settings({**settings, "S3_SECRET_ACCESS_KEY": "not-the-secret"})
    with pytest.raises(ClientError):
        wrong.check()
    storage_from_settings(settings).check()


def test_packages_s3_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="S3_BUCKET"):
        storage_from_settings({"STORAGE": "s3", "STORAGE_PATH": str(tmp_path)})
    with pytest.raises(ValueError, match="'local' or 's3'"):
        storage_from_settings({"STORAGE": "ftp", "STORAGE_PATH": str(tmp_path)})


# -- through the app -------------------------------------------------------------------


@pytest.mark.usefixtures("review_off")
def test_packages_s3_corpus_package_launched_and_served_with_ranges(
    app, client, make_user, make_learner, launch, on_s3: Bucket
) -> None:
    response = upload(client, {"Authorization": make_user("author")}, (CORPUS / GOLF).read_bytes())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    stored = [key for key in on_s3.objects() if not key.startswith("tmp/")]
    assert len(stored) > 10
    assert on_s3.objects("tmp/") == []
    assert list((Path(app.config["STORAGE_PATH"]) / "tmp").iterdir()) == []

    player = Player(client, launch(make_learner(), body["course"]))
    assert player.navigate("start").status_code == 200
    url = player.launch["url"]
    assert "/content/" in url
    whole = client.get(url)
    assert whole.status_code == 200
    assert b"<html" in whole.data.lower()
    size = len(whole.data)
    assert whole.headers["Content-Length"] == str(size)
    assert whole.headers["Accept-Ranges"] == "bytes"

    part = client.get(url, headers={"Range": "bytes=10-29"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 10-29/{size}"
    assert part.data == whole.data[10:30]
    tail = client.get(url, headers={"Range": "bytes=-7"})
    assert tail.status_code == 206
    assert tail.data == whole.data[-7:]
    assert client.get(url, headers={"Range": f"bytes={size + 5}-"}).status_code == 416
    etag = whole.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_packages_s3_refused_import_leaves_no_objects(
    client, make_user, make_zip, on_s3: Bucket
) -> None:
    author = {"Authorization": make_user("author")}
    assert upload(client, author, zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "hi"}))
    before = on_s3.objects()
    path = make_zip(
        {"imsmanifest.xml": MANIFEST_12, "index.html": "hello " * 1000, "zz.html": "tail " * 1000}
    )
    data = bytearray(path.read_bytes())
    at = data.rfind(b"zz.html", 0, data.find(b"PK\x01\x02")) + len("zz.html") + 5
    data[at : at + 20] = bytes(20)  # corrupt zz.html's compressed data: read last, fails
    response = upload(client, author, bytes(data))
    assert response.status_code == 400
    assert "damaged" in response.get_json()["errors"][0]["message"]
    assert on_s3.objects() == before  # no staged object, no stored file of the refused zip


def test_packages_s3_readyz_checks_the_bucket(client, on_s3: Bucket) -> None:
    assert client.get("/readyz").get_json()["checks"]["storage"] == "ok"
    assert on_s3.objects() == []  # the probe is removed
    on_s3.server.empty_and_delete_bucket(on_s3.name)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"] == "failed"


def test_packages_s3_content_served_on_the_content_origin_only(
    app, client, make_user, on_s3: Bucket
) -> None:
    """With CONTENT_ORIGIN, the portal's host sends /content there; it streams from S3."""
    data = zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "<h1>Hej från S3</h1>"})
    author = {"Authorization": make_user("author"), "Content-Type": "application/zip"}
    body = client.post("/api/packages/courses", data=data, headers=author).get_json()
    key = client.get(f"/api/packages/versions/{body['version_id']}", headers=author).get_json()[
        "content_hash"
    ]
    app.config.update(CONTENT_ORIGIN="http://content.example", PORTAL_URL="http://lms.example")
    try:
        moved = client.get(f"/content/{key}/index.html", base_url="http://lms.example")
        assert moved.status_code == 308
        assert moved.headers["Location"] == f"http://content.example/content/{key}/index.html"
        part = client.get(
            f"/content/{key}/index.html",
            base_url="http://content.example",
            headers={"Range": "bytes=4-7"},
        )
        assert part.status_code == 206
        assert part.data == "<h1>Hej från S3</h1>".encode()[4:8]
        assert (
            "frame-ancestors 'self' http://lms.example" in part.headers["Content-Security-Policy"]
        )
    finally:
        app.config.update(CONTENT_ORIGIN="", PORTAL_URL="")
