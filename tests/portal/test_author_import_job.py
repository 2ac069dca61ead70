"""A large package uploaded on the author's pages is imported by a job, followed on a page.

PACKAGE_IMPORT_BACKGROUND_BYTES is lowered so a small zip counts as large; the job runs
from the real queue (``drain``), with local storage and with a real S3 server. Nothing
waits in ``STORAGE_PATH/tmp`` (nor the bucket's ``tmp/``) afterwards.
"""

# ruff: noqa: F811  (the fixtures imported from other test modules are parameters here)

from __future__ import annotations

import io
import re
import secrets
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from core import jobs
from tests.portal.conftest import MANIFEST_12, post
from tests.portal.jobs_fixtures import queue  # noqa: F401
from tests.portal.mail_helpers import drain

SV = {"Accept-Language": "sv"}


def big_zip(title: str = "Brandskydd", manifest: str | None = None) -> bytes:
    """A package that does not compress below the lowered limit."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", manifest or MANIFEST_12.format(title=title))
        archive.writestr("index.html", "<!doctype html><title>x</title><h1>Hej</h1>")
        archive.writestr("media/noise.bin", secrets.token_bytes(4000))
    return buffer.getvalue()


@pytest.fixture
def large(app: Flask) -> Iterator[None]:
    saved = app.config["PACKAGE_IMPORT_BACKGROUND_BYTES"]
    app.config["PACKAGE_IMPORT_BACKGROUND_BYTES"] = 1000
    yield
    app.config["PACKAGE_IMPORT_BACKGROUND_BYTES"] = saved


@pytest.fixture(params=["local", "s3"])
def bucket(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("on_s3") if request.param == "s3" else None


def waiting_files(app: Flask, bucket: Any) -> list[Any]:
    local = list((Path(app.config["STORAGE_PATH"]) / "tmp").glob("*"))
    return [*local, *(bucket.objects("tmp/") if bucket else [])]


def upload(client: Any, url: str, data: bytes, **form: str) -> Any:
    return post(
        client,
        url,
        {"file": (io.BytesIO(data), "brand.zip"), **form},
        content_type="multipart/form-data",
        headers=SV,
    )


@pytest.mark.usefixtures("review_off", "large")
def test_portal_large_upload_is_followed_then_opens_the_course(app, portal, login, queue, bucket):
    author = login(portal.user("ann@example.org", role="author"))
    started = upload(author, "/author", big_zip(), category="Säkerhet")
    assert started.status_code == 302
    job_page = started.headers["Location"]
    assert job_page.startswith("/author/imports/")
    waiting = author.get(job_page, headers=SV).get_data(as_text=True)
    assert "Väntar på sin tur." in waiting
    assert "brand.zip" in waiting
    assert len(waiting_files(app, bucket)) == 1

    drain(jobs.huey)
    done = author.get(job_page, headers=SV).get_data(as_text=True)
    assert "Paketet importerades som version 1." in done
    assert "Se hur det går" not in done
    course_url = re.search(r'href="(/author/courses/\d+)"', done).group(1)  # type: ignore[union-attr]
    course_page = author.get(course_url).get_data(as_text=True)
    assert "Brandskydd" in course_page
    assert waiting_files(app, bucket) == []

    # A new version of the course, large too: the same way.
    again = upload(author, course_url, big_zip("Brandskydd 2"), action="version")
    assert again.headers["Location"].startswith("/author/imports/")
    drain(jobs.huey)
    assert "version 2" in author.get(again.headers["Location"]).get_data(as_text=True)
    assert waiting_files(app, bucket) == []


@pytest.mark.usefixtures("large")
def test_portal_large_refused_upload_shows_the_report(app, portal, login, queue, bucket):
    author = login(portal.user("ann@example.org", role="author"))
    broken = MANIFEST_12.format(title="x").replace('href="index.html"', 'href="missing.html"')
    started = upload(author, "/author", big_zip(manifest=broken))
    drain(jobs.huey)
    page = author.get(started.headers["Location"], headers=SV).get_data(as_text=True)
    assert "Paketet avvisades; inget sparades." in page
    assert "Valideringsrapport" in page
    assert "missing.html" in page
    assert waiting_files(app, bucket) == []
    if bucket is not None:
        assert bucket.objects() == []


@pytest.mark.usefixtures("large")
def test_portal_large_upload_refused_at_once_when_publishing_needs_review(
    app, portal, login, queue
):
    author = login(portal.user("ann@example.org", role="author"))
    response = upload(author, "/author", big_zip(), publish="true")
    assert response.status_code == 403
    assert waiting_files(app, None) == []


@pytest.mark.usefixtures("large")
def test_portal_import_page_is_the_uploaders(app, portal, login, queue):
    ann = login(portal.user("ann@example.org", role="author"))
    job_page = upload(ann, "/author", big_zip()).headers["Location"]
    assert app.test_client().get(job_page).headers["Location"].startswith("/login")
    bo = login(portal.user("bo@example.org", role="author"))
    assert bo.get(job_page).status_code == 404
    admin = login(portal.user("ada@example.org", role="admin"))
    assert admin.get(job_page).status_code == 200
    learner = login(portal.user("lea@example.org"))
    assert learner.get(job_page).status_code == 403
    assert ann.get("/author/imports/nope").status_code == 404
    drain(jobs.huey)
