"""Large uploads to the API are imported by a background job: 202, then poll the import.

PACKAGE_IMPORT_BACKGROUND_BYTES is lowered so a corpus package counts as large; the job
runs from the real queue (``drain``), on local storage and on a real S3 server. Nothing
is left in ``STORAGE_PATH/tmp`` (nor under the bucket's ``tmp/``) afterwards.
"""

# ruff: noqa: F811  (the fixtures imported from other test modules are parameters here)

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from core import jobs
from core.db import db
from packages import service
from packages.models import Course
from tests.packages.conftest import CORPUS, MANIFEST_12, zip_bytes
from tests.packages.test_views import API, upload
from tests.portal.jobs_fixtures import queue  # noqa: F401
from tests.portal.mail_helpers import drain

GOLF = "golf_2004v3_runtime_basic_calls.zip"
NOISE = secrets.token_bytes(3000)  # does not compress: the zip is over the limit


@pytest.fixture
def large(app: Flask) -> Iterator[None]:
    saved = app.config["PACKAGE_IMPORT_BACKGROUND_BYTES"]
    app.config["PACKAGE_IMPORT_BACKGROUND_BYTES"] = 1000
    yield
    app.config["PACKAGE_IMPORT_BACKGROUND_BYTES"] = saved


def temporary(app: Flask, bucket: object) -> list[object]:
    """What waits in STORAGE_PATH/tmp and, on S3, under the bucket's tmp/."""
    local = list((Path(app.config["STORAGE_PATH"]) / "tmp").glob("*"))
    return [*local, *(bucket.objects("tmp/") if bucket else [])]  # type: ignore[attr-defined]


@pytest.fixture
def bucket(request: pytest.FixtureRequest, each_storage: str) -> object:
    return request.getfixturevalue("on_s3") if each_storage == "s3" else None


@pytest.mark.usefixtures("review_off", "large")
def test_packages_large_upload_is_imported_by_a_job(app, client, make_user, queue, bucket):
    author = {"Authorization": make_user("author")}
    response = upload(client, author, (CORPUS / GOLF).read_bytes(), publish="true")
    assert response.status_code == 202, response.get_json()
    location = response.headers["Location"]
    assert location == f"{API}/imports/{response.get_json()['import']}"
    waiting = client.get(location, headers=author).get_json()
    assert waiting["status"] == "queued"
    assert len(temporary(app, bucket)) == 1  # the kept upload

    drain(jobs.huey)
    done = client.get(location, headers=author).get_json()
    assert done["status"] == "done"
    assert done["progress"] == {"done": 100, "total": 100}
    assert done["result"]["kind"] == "scorm2004"
    version = client.get(done["location"], headers=author).get_json()
    assert version["id"] == done["result"]["version_id"]
    course = client.get(f"{API}/courses/{done['result']['course']}", headers=author).get_json()
    assert course["published"] is True
    content = client.get(version["launch"][0]["url"])
    assert content.status_code == 200
    assert temporary(app, bucket) == []


@pytest.mark.usefixtures("large")
def test_packages_large_refused_upload_reports_and_leaves_nothing(
    app, client, make_user, queue, bucket
):
    author = {"Authorization": make_user("author")}
    data = zip_bytes({"imsmanifest.xml": MANIFEST_12, "other.html": NOISE})  # no index.html
    response = client.post(
        f"{API}/courses", data=data, headers={**author, "Content-Type": "application/zip"}
    )
    assert response.status_code == 202
    drain(jobs.huey)
    done = client.get(response.headers["Location"], headers=author).get_json()
    assert done["status"] == "done"
    assert done["result"]["errors"][0]["file"] == "imsmanifest.xml"
    assert "location" not in done
    assert client.get(f"{API}/courses", headers=author).get_json()["courses"] == []
    assert temporary(app, bucket) == []
    if bucket is not None:
        assert bucket.objects() == []  # type: ignore[attr-defined]


@pytest.mark.usefixtures("large")
def test_packages_background_import_is_its_uploaders(app, client, make_user, queue):
    author = {"Authorization": make_user("author")}
    data = zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": NOISE})
    location = upload(client, author, data).headers["Location"]
    assert client.get(location).status_code == 401  # nobody signed in
    other = {"Authorization": make_user("author", email="other@example.org")}
    assert client.get(location, headers=other).status_code == 404
    admin = {"Authorization": make_user("admin")}
    assert client.get(location, headers=admin).status_code == 200
    learner = {"Authorization": make_user("learner")}
    assert client.get(location, headers=learner).status_code == 403
    assert client.get(f"{API}/imports/nope", headers=author).status_code == 404
    drain(jobs.huey)


@pytest.mark.usefixtures("large")
def test_packages_failed_background_import_leaves_nothing(app, client, make_user, queue, bucket):
    """A job that stops with an error (the course went away meanwhile) is "failed", and
    its kept upload is removed all the same."""
    with app.app_context():
        course_id = service.create_course("Soon gone").id
        db.session.commit()
    author = {"Authorization": make_user("author")}
    data = zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": NOISE})
    response = upload(client, author, data, url=f"{API}/courses/{course_id}/versions")
    assert response.status_code == 202
    with app.app_context():
        db.session.delete(db.session.get(Course, course_id))
        db.session.commit()
    drain(jobs.huey)
    done = client.get(response.headers["Location"], headers=author).get_json()
    assert done["status"] == "failed"
    assert "result" not in done
    assert temporary(app, bucket) == []
    if bucket is not None:
        assert bucket.objects() == []  # type: ignore[attr-defined]
