"""Admin → LRS archive (portal/views/lrs_archive.py): export and import as background jobs.

Admins only, at every step; forms need the CSRF token; the jobs run from the real queue
(``drain``, SQLite and Redis). The import's round trip answers the same bytes as before.
The flows run on both storages: the archives are private objects of STORAGE_PATH or of
the bucket (SeaweedFS, tests/s3_server.py), which content URLs never reach.
"""

# ruff: noqa: F811  (the fixtures imported from other test modules are parameters here)

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from core import jobs
from core.db import db
from packages import service
from portal import lrs_archive
from tests.conftest import XapiClient
from tests.lrs import sample_lrs
from tests.portal.conftest import post
from tests.portal.jobs_fixtures import queue  # noqa: F401
from tests.portal.mail_helpers import drain

SV = {"Accept-Language": "sv"}
PAGE = "/admin/lrs/archive"


def _fetcher(client: FlaskClient, auth: str) -> sample_lrs.Fetch:
    def fetch(path: str) -> sample_lrs.Answer:
        got = client.get(path, headers={"Authorization": auth, "X-Experience-API-Version": "1.0.3"})
        return sample_lrs.answer(got.status_code, dict(got.headers), got.data)

    return fetch


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, app: Flask) -> str:
    """The archives kept in STORAGE_PATH, or in a fresh bucket (``on_s3``)."""
    if request.param == "s3":
        request.getfixturevalue("on_s3")
    return str(request.param)


def _private_objects(app: Flask) -> set[str]:
    """The names of the private objects the app's storage holds now."""
    with app.app_context():
        kept = service.get_storage()
        if app.config.get("STORAGE") == "s3":
            found = kept.client.list_objects_v2(  # type: ignore[attr-defined]
                Bucket=app.config["S3_BUCKET"],
                Prefix=kept.prefix + "private/",  # type: ignore[attr-defined]
            )
            return {item["Key"].rsplit("/", 1)[1] for item in found.get("Contents", [])}
        folder = Path(app.config["STORAGE_PATH"]) / "private"
        return {path.name for path in folder.glob("*")} if folder.is_dir() else set()


def _empty_the_lrs(app: Flask) -> None:
    """What a new instance's LRS holds: nothing (credentials and accounts stay)."""
    with app.app_context(), db.engine.begin() as connection:
        for table in (
            "lrs_statement_filter",
            "lrs_statement",
            "lrs_attachment",
            "lrs_activity",
            "lrs_document",
            "lrs_clock",
        ):
            connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608  (fixed names)


@pytest.mark.parametrize("role", ["learner", "author", "manager"])
def test_lrs_archive_page_is_for_admins_only(portal, login, role: str) -> None:
    other = login(portal.user("mia@example.org", role=role))
    assert other.get(PAGE).status_code == 403
    assert post(other, PAGE + "/export").status_code == 403
    assert post(other, PAGE + "/import").status_code == 403
    assert other.get(PAGE + "/jobs/some-task").status_code == 403
    assert other.get(PAGE + "/jobs/some-task/file").status_code == 403


def test_lrs_archive_page_sends_anonymous_visitors_to_sign_in(client: FlaskClient) -> None:
    for path in (PAGE, PAGE + "/jobs/some-task", PAGE + "/jobs/some-task/file"):
        answer = client.get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/login")


def test_lrs_archive_forms_need_the_csrf_token(portal, login, queue) -> None:
    admin = login(portal.user("boss@example.org", role="admin"))
    assert admin.post(PAGE + "/export").status_code == 400
    refused = admin.post(PAGE + "/import", data={"file": (io.BytesIO(b"x"), "lrs.zip")})
    assert refused.status_code == 400
    assert jobs.huey.pending_count() == 0


def test_lrs_archive_export_runs_as_a_job_and_only_admins_download_it(
    app: Flask,
    portal,
    login,
    queue,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    storage: str,
) -> None:
    sample_lrs.fill(xapi, make_statement)
    admin = login(portal.user("boss@example.org", role="admin"))
    assert "The LRS holds 17 statements." in admin.get(PAGE).get_data(as_text=True)
    before = _private_objects(app)
    started = post(admin, PAGE + "/export")
    assert started.status_code == 302
    job_page = started.headers["Location"]
    assert "Väntar på sin tur." in admin.get(job_page, headers=SV).get_data(as_text=True)

    drain(jobs.huey)
    done = admin.get(job_page).get_data(as_text=True)
    assert "The archive is ready: 17 statements, 4 documents, 1 attachments" in done
    manager = login(portal.user("mia@example.org", role="manager"))
    assert manager.get(job_page + "/file").status_code == 403
    got = admin.get(job_page + "/file")
    assert got.status_code == 200
    assert got.headers["Cache-Control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(got.data)) as archive:
        assert json.loads(archive.read("manifest.json"))["counts"]["statements"] == 17
    audit = admin.get("/admin/audit").get_data(as_text=True)
    assert "LRS exported to an archive" in audit
    assert "LRS archive downloaded" in audit
    (name,) = _private_objects(app) - before
    assert name.startswith("lrs-archive-")
    # Content serving never reaches a private object, whatever the URL names.
    token = name.removeprefix("lrs-archive-").removesuffix(".zip")
    for url in (
        f"/content/{name}/x",
        f"/content/{token}/{name}",
        f"/content/private/{name}",
        f"/content/x/private/{name}",
        f"/content/x/../private/{name}",
        f"/content/{token}/manifest.json",
    ):
        answer = admin.get(url)
        assert answer.status_code == 404, url
        assert not answer.data.startswith(b"PK"), url  # no zip


def test_lrs_archive_an_expired_export_is_swept_and_no_longer_downloaded(
    app: Flask, portal, login, queue, storage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = login(portal.user("boss@example.org", role="admin"))
    job_page = post(admin, PAGE + "/export").headers["Location"]
    drain(jobs.huey)
    assert admin.get(job_page + "/file").status_code == 200
    monkeypatch.setitem(app.config, "EXPORT_KEEP_HOURS", 0)
    with app.app_context():
        lrs_archive.sweep_lrs_archives.call_local()
    assert not any(name.startswith("lrs-archive-") for name in _private_objects(app))
    assert admin.get(job_page + "/file").status_code == 404


def test_lrs_archive_import_runs_as_a_job_into_an_empty_lrs(
    app: Flask,
    portal,
    login,
    queue,
    runner,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    tmp_path: Path,
    storage: str,
) -> None:
    gets = sample_lrs.fill(xapi, make_statement)
    before = sample_lrs.recorded(gets, _fetcher(app.test_client(), xapi.auth))
    archive = tmp_path / "lrs.zip"
    assert runner.invoke(args=["lrs", "export", str(archive)]).exit_code == 0
    admin = login(portal.user("boss@example.org", role="admin"))

    refused = admin.post(
        PAGE + "/import",
        data={"csrf_token": "test-csrf-token", "file": (archive.open("rb"), "lrs.zip")},
    )
    assert refused.status_code == 409
    assert "This LRS is not empty" in refused.get_data(as_text=True)
    assert jobs.huey.pending_count() == 0

    _empty_the_lrs(app)
    exports = _private_objects(app)  # other tests' exports, kept for EXPORT_KEEP_HOURS
    started = admin.post(
        PAGE + "/import",
        data={"csrf_token": "test-csrf-token", "file": (archive.open("rb"), "lrs.zip")},
    )
    assert started.status_code == 302
    drain(jobs.huey)
    done = admin.get(started.headers["Location"], headers=SV).get_data(as_text=True)
    assert "Importerat: 17 poster, 4 dokument, 1 bilagor." in done
    sample_lrs.assert_same_answers(gets, before, _fetcher(app.test_client(), xapi.auth))
    assert _private_objects(app) == exports  # the upload is removed once imported


def test_lrs_archive_a_changed_upload_is_refused_and_stores_nothing(
    app: Flask,
    portal,
    login,
    queue,
    runner,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    tmp_path: Path,
    storage: str,
) -> None:
    sample_lrs.fill(xapi, make_statement)
    archive = tmp_path / "lrs.zip"
    assert runner.invoke(args=["lrs", "export", str(archive)]).exit_code == 0
    changed = io.BytesIO()
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(changed, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            out.writestr(item.filename, data.replace(b"Ada", b"Eve"))
    _empty_the_lrs(app)
    admin = login(portal.user("boss@example.org", role="admin"))
    started = admin.post(
        PAGE + "/import",
        data={"csrf_token": "test-csrf-token", "file": (io.BytesIO(changed.getvalue()), "x.zip")},
    )
    drain(jobs.huey)
    done = admin.get(started.headers["Location"]).get_data(as_text=True)
    assert "The archive was refused; nothing was imported." in done
    assert "changed since it was made" in done
    assert json.loads(xapi.get("statements").data)["statements"] == []
    assert not any(name.startswith("lrs-archive-") for name in _private_objects(app))


def test_lrs_archive_export_adds_the_attempts_when_asked(
    app: Flask,
    portal,
    login,
    queue,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
) -> None:
    xapi.post("statements", make_statement())
    admin = login(portal.user("boss@example.org", role="admin"))
    assert 'name="attempts" type="checkbox"' in admin.get(PAGE).get_data(as_text=True)
    manifests = []
    for form in ({"attempts": "on"}, {}):
        job_page = post(admin, PAGE + "/export", data=form).headers["Location"]
        drain(jobs.huey)
        got = admin.get(job_page + "/file")
        assert got.status_code == 200
        with zipfile.ZipFile(io.BytesIO(got.data)) as archive:
            manifests.append(json.loads(archive.read("manifest.json")))
    with_attempts, without = manifests
    assert with_attempts["parts"]["attempts"]["member"] == "attempts.ndjson"
    assert "attempts.ndjson" in with_attempts["members"]
    assert "parts" not in without
