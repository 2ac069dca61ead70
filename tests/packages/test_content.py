"""/content: package files with types, ranges, caching, and nothing outside the package."""

from __future__ import annotations

import pytest

from tests.packages.conftest import MANIFEST_12, zip_bytes

VIDEO = bytes(range(256)) * 40


@pytest.fixture
def version(client, make_user):
    data = zip_bytes(
        {
            "imsmanifest.xml": MANIFEST_12,
            "index.html": "<h1>Hej</h1>",
            "media/clip.mp4": VIDEO,
            "js/app.js": "var a;",
            "my file.css": "body{}",
            "fonts/a.woff2": b"wOF2",
        }
    )
    headers = {"Authorization": make_user("author"), "Content-Type": "application/zip"}
    body = client.post("/api/packages/courses", data=data, headers=headers).get_json()
    detail = client.get(f"/api/packages/versions/{body['version_id']}", headers=headers)
    return detail.get_json()


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("index.html", "text/html"),
        ("media/clip.mp4", "video/mp4"),
        ("js/app.js", "text/javascript"),
        ("my%20file.css", "text/css"),
        ("fonts/a.woff2", "font/woff2"),
        ("imsmanifest.xml", "application/xml"),
    ],
)
def test_packages_content_types(client, version, path, mimetype):
    response = client.get(f"/content/{version['content_hash']}/{path}", buffered=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_packages_content_by_version_id_and_hash(client, version):
    by_id = client.get(f"/content/{version['id']}/index.html", buffered=True)
    by_hash = client.get(f"/content/{version['content_hash']}/index.html", buffered=True)
    assert by_id.data == by_hash.data == b"<h1>Hej</h1>"


def test_packages_content_immutable_caching(client, version):
    url = f"/content/{version['content_hash']}/media/clip.mp4"
    response = client.get(url, buffered=True)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = response.headers["ETag"]
    again = client.get(url, buffered=True, headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_packages_content_range_request(client, version):
    url = f"/content/{version['content_hash']}/media/clip.mp4"
    response = client.get(url, buffered=True, headers={"Range": "bytes=256-511"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 256-511/{len(VIDEO)}"
    assert response.data == VIDEO[256:512]
    assert (
        client.get(url, buffered=True, headers={"Range": f"bytes={len(VIDEO) + 10}-"}).status_code
        == 416
    )
    assert client.head(url, buffered=True).headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    "path",
    [
        "missing.html",
        "../../config.py",
        "..%2F..%2Fconfig.py",
        "media/",
        "media",
        "MEDIA/clip.mp4",
        "%2e%2e/%2e%2e/etc/passwd",
    ],
)
def test_packages_content_nothing_outside_package(client, version, path):
    assert (
        client.get(f"/content/{version['content_hash']}/{path}", buffered=True).status_code == 404
    )


@pytest.mark.parametrize("key", ["999", "0" * 64, "not-a-key", "A" * 64])
def test_packages_content_unknown_version(client, version, key):
    assert client.get(f"/content/{key}/index.html", buffered=True).status_code == 404


def test_packages_content_other_version_files_not_reachable(client, version, make_user):
    headers = {"Authorization": make_user("admin"), "Content-Type": "application/zip"}
    data = zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "v2", "secret.html": "s"})
    other = client.post("/api/packages/courses", data=data, headers=headers).get_json()
    assert (
        client.get(f"/content/{other['version_id']}/secret.html", buffered=True).status_code == 200
    )
    assert client.get(f"/content/{version['id']}/secret.html", buffered=True).status_code == 404


def test_packages_content_redirects_to_content_origin(app, client, version):
    app.config["CONTENT_ORIGIN"] = "https://content.example.org"
    try:
        response = client.get(f"/content/{version['id']}/index.html?x=1", buffered=True)
        assert response.status_code == 308
        assert response.headers["Location"] == (
            f"https://content.example.org/content/{version['id']}/index.html?x=1"
        )
        served = client.get(
            f"/content/{version['id']}/index.html",
            buffered=True,
            base_url="https://content.example.org",
        )
        assert served.status_code == 200
    finally:
        app.config["CONTENT_ORIGIN"] = ""


def test_packages_content_urls_use_content_origin(app, client, make_user):
    app.config["CONTENT_ORIGIN"] = "https://content.example.org/"
    try:
        headers = {"Authorization": make_user("author"), "Content-Type": "application/zip"}
        data = zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "x"})
        body = client.post("/api/packages/courses", data=data, headers=headers).get_json()
        detail = client.get(f"/api/packages/versions/{body['version_id']}", headers=headers)
        url = detail.get_json()["launch"][0]["url"]
        assert url.startswith("https://content.example.org/content/")
    finally:
        app.config["CONTENT_ORIGIN"] = ""
