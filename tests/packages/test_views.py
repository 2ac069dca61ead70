"""The JSON API under /api/packages, through HTTP as automation uses it."""

from __future__ import annotations

import os

import pytest

from core.db import db
from packages.models import PackageVersion
from tests.conftest import basic
from tests.packages.conftest import CORPUS, MANIFEST_12, Entries, zip_bytes

API = "/api/packages"


@pytest.fixture
def author(make_user):
    return {"Authorization": make_user("author")}


def upload(client, headers, data: bytes, url: str = f"{API}/courses", **form):
    return client.post(
        url,
        headers=headers,
        data={"file": (__import__("io").BytesIO(data), "course.zip"), **form},
        content_type="multipart/form-data",
    )


@pytest.mark.usefixtures("review_off")  # an author publishes (review: test_review_api.py)
def test_packages_api_upload_multipart(client, author):
    data = (CORPUS / "golf_scorm12_cp_single_sco.zip").read_bytes()
    response = upload(client, author, data, category="Golf", publish="true")
    assert response.status_code == 201
    body = response.get_json()
    assert (body["kind"], body["edition"], body["version"]) == ("scorm12", "1.2", 1)
    assert response.headers["Location"] == f"{API}/versions/{body['version_id']}"
    course = client.get(f"{API}/courses/{body['course']}", headers=author).get_json()
    assert course["category"] == "Golf"
    assert course["published"] is True
    assert course["owner_unit"] is None
    assert course["latest_published_version"] == 1
    assert course["title"] == "Golf Explained - CP Single SCO"


@pytest.mark.usefixtures("review_off")
def test_packages_api_upload_raw_zip_and_new_version(client, author, make_unit):
    make_unit("fire-dept")
    data = zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "x"})
    headers = {**author, "Content-Type": "application/zip"}
    first = client.post(
        f"{API}/courses?owner_unit=fire-dept&title=Brand", data=data, headers=headers
    )
    assert first.status_code == 201
    course_id = first.get_json()["course"]
    second = client.post(
        f"{API}/courses/{course_id}/versions?draft=true", data=data, headers=headers
    )
    assert second.status_code == 201
    assert second.get_json()["version"] == 2
    versions = client.get(f"{API}/courses/{course_id}/versions", headers=author).get_json()
    assert [(v["number"], v["published"]) for v in versions["versions"]] == [(1, True), (2, False)]
    course = client.get(f"{API}/courses/{course_id}", headers=author).get_json()
    assert (course["title"], course["owner_unit"]) == ("Brand", "fire-dept")
    assert course["latest_published_version"] == 1


def test_packages_api_refusal_is_400_with_file_and_line(client, author):
    data = (CORPUS / "bad_scorm12_item_bad_identifierref.zip").read_bytes()
    response = upload(client, author, data)
    assert response.status_code == 400
    body = response.get_json()
    assert body["message"].startswith("The package was refused")
    assert body["errors"][0]["file"] == "imsmanifest.xml"
    assert body["errors"][0]["line"] == 20
    assert client.get(f"{API}/courses", headers=author).get_json() == {"courses": []}


def test_packages_api_not_a_zip(client, author):
    response = client.post(
        f"{API}/courses", data=b"# markdown", headers={**author, "Content-Type": "application/zip"}
    )
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["message"] == "The upload is not a zip file"


def test_packages_api_wrong_content_type(client, author):
    response = client.post(f"{API}/courses", json={"zip": "no"}, headers=author)
    assert response.status_code == 400
    assert "multipart/form-data" in response.get_json()["message"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("wrong-password", 401),
        ("learner", 403),
        ("inactive", 401),
        ("author", 201),
        ("admin", 201),
    ],
)
def test_packages_api_upload_needs_author(client, make_user, who, status):
    headers = {}
    if who == "wrong-password":
        make_user("author")
        headers = {"Authorization": basic("author@example.org", "nope")}
    elif who == "inactive":
        headers = {"Authorization": make_user("author", active=False)}
    elif who:
        headers = {"Authorization": make_user(who)}
    data = zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "x"})
    response = upload(client, headers, data)
    assert response.status_code == status
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Basic")
        assert response.get_json()["status"] == 401
    if status == 403:
        assert response.get_json()["error"] == "Forbidden"


@pytest.mark.parametrize(
    ("role", "status"),
    [("learner", 403), ("manager", 403), ("author", 200), ("admin", 200), (None, 401)],
)
def test_packages_api_reads_need_an_author(client, author, make_user, role, status):
    # A learner listing the API saw unpublished and other units' courses with their
    # manifests: every read needs an author's role, like the writes.
    body = upload(
        client, author, zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "x"})
    ).get_json()
    headers = {}
    if role == "author":
        headers = author
    elif role:
        headers = {"Authorization": make_user(role)}
    for url in (
        f"{API}/courses",
        f"{API}/courses/{body['course']}",
        f"{API}/courses/{body['course']}/versions",
        f"{API}/versions/{body['version_id']}",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == status, url
        if status == 200:
            assert "Fire safety" in response.get_data(as_text=True)
        else:
            assert "imsmanifest" not in response.get_data(as_text=True)
            assert "Fire safety" not in response.get_data(as_text=True)


def test_packages_api_version_detail_has_manifest_and_urls(client, author, app):
    body = upload(
        client, author, zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "x"})
    ).get_json()
    version = client.get(f"{API}/versions/{body['version_id']}", headers=author).get_json()
    assert version["manifest"]["organizations"][0]["title"] == "Fire safety"
    url = version["launch"][0]["url"]
    assert url == f"/content/{version['content_hash']}/index.html"
    assert client.get(url, buffered=True).data == b"x"


def test_packages_api_patch_course(client, author, make_unit):
    make_unit("raddning")
    body = upload(
        client, author, zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "x"})
    ).get_json()
    url = f"{API}/courses/{body['course']}"
    response = client.patch(
        url,
        json={"title": "Brandskydd", "published": True, "owner_unit": "raddning"},
        headers=author,
    )
    assert response.status_code == 200
    assert response.get_json()["title"] == "Brandskydd"
    assert response.get_json()["owner_unit"] == "raddning"
    bad = client.patch(url, json={"colour": "red"}, headers=author)
    assert bad.status_code == 400
    assert bad.get_json()["errors"][0]["path"] == "colour"


def test_packages_api_unknown_course_is_404(client, author):
    assert client.get(f"{API}/courses/999", headers=author).status_code == 404
    data = zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "x"})
    response = upload(client, author, data, url=f"{API}/courses/999/versions")
    assert response.status_code == 404
    assert response.get_json()["message"] == "No course 999"


def test_packages_api_unit_filter(client, author, make_unit):
    make_unit("hr", "it")
    data = zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "x"})
    upload(client, author, data, owner_unit="hr")
    upload(client, author, data, owner_unit="it")
    upload(client, author, data)
    courses = client.get(f"{API}/courses?unit=hr", headers=author).get_json()["courses"]
    assert sorted(str(c["owner_unit"]) for c in courses) == ["None", "hr"]


def test_packages_api_respects_portal_lockout(app, client, make_user):
    good = {"Authorization": make_user("author")}
    bad = {"Authorization": basic("author@example.org", "wrong")}
    for _ in range(app.config["LOCKOUT_ATTEMPTS"]):
        assert client.get(f"{API}/courses", headers=bad).status_code == 401
    response = client.get(f"{API}/courses", headers=good)
    assert response.status_code == 401
    assert "locked" in response.get_json()["message"]


def test_packages_api_unknown_unit_refused(client, author):
    data = zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "x"})
    response = upload(client, author, data, owner_unit="nowhere")
    assert response.status_code == 400
    assert response.get_json()["errors"] == [{"path": "owner_unit", "message": "unknown unit"}]
    assert client.get(f"{API}/courses", headers=author).get_json() == {"courses": []}


def test_packages_api_refuses_a_bomb_of_many_small_entries(client, author, app):
    # 200 entries of 500 KB of zeros: each under the size from which one entry's ratio is
    # checked (1 MiB), together 100 MB from an upload of about 100 KB.
    entries: Entries = {"imsmanifest.xml": MANIFEST_12, "index.html": "x"}
    entries |= {f"media/pad{i:03}.bin": b"\0" * 500_000 for i in range(200)}
    data = zip_bytes(entries)
    assert len(data) < 200_000

    def stored() -> int:
        return sum(len(files) for _root, _dirs, files in os.walk(app.config["STORAGE_PATH"]))

    before = stored()
    response = upload(client, author, data)
    assert response.status_code == 400
    assert "as a whole" in response.get_json()["message"]
    with app.app_context():
        assert db.session.query(PackageVersion).count() == 0
    assert stored() == before
