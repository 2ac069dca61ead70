"""/content: package files with types, ranges, caching, and nothing outside the package."""

from __future__ import annotations

import pytest

from tests.packages.conftest import MANIFEST_12, zip_bytes

VIDEO = bytes(range(256)) * 40


@pytest.fixture
def version(client, make_user, each_storage):
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


def test_packages_content_not_by_counting_version_ids(client, version):
    # Version ids can be counted: /content/<id>/... would open every course, published or
    # not. Only the content hash names a version's files.
    for key in (str(version["id"]), "1", "2", "3"):
        assert client.get(f"/content/{key}/index.html", buffered=True).status_code == 404
    by_hash = client.get(f"/content/{version['content_hash']}/index.html", buffered=True)
    assert by_hash.data == b"<h1>Hej</h1>"


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
    other_hash = client.get(
        f"/api/packages/versions/{other['version_id']}", headers=headers
    ).get_json()["content_hash"]
    assert client.get(f"/content/{other_hash}/secret.html", buffered=True).status_code == 200
    assert (
        client.get(f"/content/{version['content_hash']}/secret.html", buffered=True).status_code
        == 404
    )


def test_packages_content_redirects_to_content_origin(app, client, version):
    key = version["content_hash"]
    app.config.update(
        CONTENT_ORIGIN="https://content.example.org", PORTAL_URL="https://lms.example.org"
    )
    try:
        response = client.get(f"/content/{key}/index.html?x=1", buffered=True)
        assert response.status_code == 308
        assert response.headers["Location"] == (
            f"https://content.example.org/content/{key}/index.html?x=1"
        )
        served = client.get(
            f"/content/{key}/index.html", buffered=True, base_url="https://content.example.org"
        )
        assert served.status_code == 200
    finally:
        app.config.update(CONTENT_ORIGIN="", PORTAL_URL="")


def test_packages_content_urls_use_content_origin(app, client, make_user):
    app.config.update(
        CONTENT_ORIGIN="https://content.example.org/", PORTAL_URL="https://lms.example.org"
    )
    try:
        headers = {"Authorization": make_user("author"), "Content-Type": "application/zip"}
        data = zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "x"})
        body = client.post("/api/packages/courses", data=data, headers=headers).get_json()
        detail = client.get(f"/api/packages/versions/{body['version_id']}", headers=headers)
        url = detail.get_json()["launch"][0]["url"]
        assert url.startswith("https://content.example.org/content/")
    finally:
        app.config.update(CONTENT_ORIGIN="", PORTAL_URL="")


# (Sec-Fetch-Dest, Sec-Fetch-Site, sandboxed with content on the portal's origin, with
# content on an origin of its own). An uploaded SVG or HTML page opened as a page of its
# own runs sandboxed (an opaque origin): its script can read no portal page.
FETCHES = [
    ("document", "none", True, True),  # typed, a bookmark, a link in an e-mail
    ("document", "cross-site", True, True),
    ("document", "same-site", True, True),
    ("document", "same-origin", True, False),  # a cmi5 AU's own window, a course pop-up
    ("iframe", "same-origin", False, False),  # the SCO's frame
    ("frame", "same-origin", False, False),
    ("image", "same-origin", False, False),
    ("script", "same-origin", False, False),
    ("empty", "same-origin", False, False),  # fetch()
    (None, None, True, False),  # no Fetch Metadata: cannot tell a frame from a page
]


@pytest.mark.parametrize(("dest", "site", "shared", "isolated"), FETCHES)
def test_packages_content_opened_as_a_page_is_sandboxed(
    app, client, version, dest, site, shared, isolated
):
    headers = {}
    if dest:
        headers = {"Sec-Fetch-Dest": dest, "Sec-Fetch-Site": site}
    url = f"/content/{version['content_hash']}/index.html"
    one_origin = client.get(url, buffered=True, headers=headers)
    app.config.update(CONTENT_PORT=5001, PORT=5000)
    try:
        own_origin = client.get(
            url, buffered=True, headers=headers, base_url="http://localhost:5001"
        )
    finally:
        app.config.update(CONTENT_PORT=0)
    for response, sandboxed in ((one_origin, shared), (own_origin, isolated)):
        assert response.status_code == 200
        policy = response.headers["Content-Security-Policy"]
        assert policy.startswith("sandbox ") is sandboxed
        assert "allow-same-origin" not in policy
        assert "Sec-Fetch-Dest" in response.vary
    # Only the player page (the portal) and the content origin itself may frame content.
    assert one_origin.headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")
    assert own_origin.headers["Content-Security-Policy"].endswith(
        "frame-ancestors 'self' http://127.0.0.1:5000"
    )
