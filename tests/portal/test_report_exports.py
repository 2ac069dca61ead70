"""Large report files are made by a background job; only the person who asked gets them.

EXPORT_BACKGROUND_ROWS is lowered so the tests' small reports count as large; the job
runs from the real queue (``drain``, on SQLite and on Redis). SOC (boss) has IFO below it
with lea and per; UTB (olle) has sam (tests/portal/test_requirements.py's ``org``).
"""

# ruff: noqa: F811  (the fixtures imported from other test modules are parameters here)

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from accounts.models import AuditEvent, User
from core import jobs
from core.db import db
from portal.export_models import ReportExport
from tests.portal.conftest import post
from tests.portal.jobs_fixtures import queue  # noqa: F401
from tests.portal.mail_helpers import drain
from tests.portal.test_requirements import _create, _csv, org  # noqa: F401

SV = {"Accept-Language": "sv"}


@pytest.fixture
def large(app: Flask) -> Iterator[None]:
    saved = app.config["EXPORT_BACKGROUND_ROWS"]
    app.config["EXPORT_BACKGROUND_ROWS"] = 1
    yield
    app.config["EXPORT_BACKGROUND_ROWS"] = saved


@pytest.fixture
def rid(app, login, org) -> int:
    with app.app_context():
        return _create(login, org)


def _export(app: Flask, export_id: int) -> ReportExport:
    with app.app_context():
        found = db.session.get(ReportExport, export_id)
        assert found is not None
        db.session.expunge(found)
        return found


def _id(location: str) -> int:
    assert location.startswith("/exports/"), location
    return int(location.rsplit("/", 1)[1])


def _exported(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        found = list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "report.exported")
                .order_by(AuditEvent.id)
            )
        )
        db.session.expunge_all()
        return found


def test_a_large_compliance_file_is_made_in_the_background_and_given_to_its_asker(
    app, login, org, rid, queue, large
):
    boss = login(org["boss"])
    url = f"/compliance/requirements/{rid}?format=excel&status=all"
    started = boss.get(url, headers=SV)
    assert started.status_code == 302
    page_url = started.headers["Location"]
    waiting = boss.get(page_url, headers=SV).get_data(as_text=True)
    assert "Väntar på sin tur." in waiting
    assert f'href="{page_url}">Se hur det går' in waiting
    assert _exported(app) == []  # nothing handed out yet

    drain(jobs.huey)
    ready = boss.get(page_url).get_data(as_text=True)  # English now: the file stays Swedish
    assert "The file is ready: 3 rows." in ready
    download = boss.get(f"{page_url}/file")
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="compliance-{rid}-all-excel.csv"'
    )
    rows = _csv(download, ";")
    assert sorted(r["Namn"] for r in rows) == ["Boss", "Lea", "Per"]
    # The same bytes as the page makes while the person waits (a small file).
    app.config["EXPORT_BACKGROUND_ROWS"] = 1000
    assert boss.get(url, headers=SV).get_data() == download.get_data()

    events = _exported(app)
    assert [e.target_name for e in events] == [f"compliance-{rid}-all"] * 2
    assert events[0].details["export_id"] == _id(page_url)
    assert events[0].details["rows"] == 3
    assert events[0].actor_name == "boss@example.org"
    token = _export(app, _id(page_url)).token
    kept = Path(app.config["INSTANCE_PATH"]) / "exports" / f"{token}.csv"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_small_files_are_made_at_once(app, login, org, rid):
    boss = login(org["boss"])
    response = boss.get(f"/compliance/requirements/{rid}?format=csv&status=all")
    assert response.status_code == 200
    assert len(_csv(response)) == 3
    with app.app_context():
        assert db.session.scalar(select(ReportExport.id)) is None


@pytest.mark.parametrize("who", ["olle", "lea", "admin", "per"])
def test_nobody_else_reaches_the_export_or_its_file(app, login, org, rid, queue, large, who):
    boss = login(org["boss"])
    page_url = boss.get(f"/compliance/requirements/{rid}?format=csv&status=all").headers["Location"]
    drain(jobs.huey)
    other = login(org[who])
    assert other.get(page_url).status_code == 404
    assert other.get(f"{page_url}/file").status_code == 404
    assert post(other, f"{page_url}/remove").status_code == 404
    assert boss.get(f"{page_url}/file").status_code == 200  # still there for its asker
    assert len(_exported(app)) == 1


def test_anonymous_visitors_sign_in_and_forms_need_the_csrf_token(
    app, client, login, org, rid, queue, large
):
    boss = login(org["boss"])
    page_url = boss.get(f"/compliance/requirements/{rid}?format=csv&status=all").headers["Location"]
    drain(jobs.huey)
    token = _export(app, _id(page_url)).token
    for path in (page_url, f"{page_url}/file"):
        answer = client.get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/login")
    assert client.post(f"{page_url}/remove", data={"csrf_token": "guess"}).status_code == 400
    assert boss.post(f"{page_url}/remove", data={"csrf_token": "guess"}).status_code == 400
    assert boss.get(f"{page_url}/file").status_code == 200

    removed = post(boss, f"{page_url}/remove", follow_redirects=True)
    assert "The file is no longer kept" in removed.get_data(as_text=True)
    assert boss.get(f"{page_url}/file").status_code == 404
    assert not (Path(app.config["INSTANCE_PATH"]) / "exports" / f"{token}.csv").exists()


def test_a_changed_scope_gets_no_file(app, login, org, rid, queue, large):
    boss = login(org["boss"])
    first = boss.get(f"/compliance/requirements/{rid}?format=csv&status=all").headers["Location"]
    drain(jobs.huey)
    second = boss.get(f"/compliance/requirements/{rid}?format=csv&status=all").headers["Location"]
    with app.app_context():  # the manager moves to another department
        person = db.session.get(User, org["boss"])
        assert person is not None
        person.unit_id = org["utb"]
        db.session.commit()
    assert boss.get(f"{first}/file").status_code == 403  # made, but not for this scope
    drain(jobs.huey)
    assert _export(app, _id(second)).status == "refused"
    page = boss.get(second).get_data(as_text=True)
    assert "The file was not made" in page
    assert boss.get(f"{second}/file").status_code == 409
    assert _exported(app) == []


def test_expired_files_are_refused_and_swept_away(app, login, org, rid, queue, large):
    from portal import tasks

    boss = login(org["boss"])
    page_url = boss.get(f"/compliance/requirements/{rid}?format=csv&status=all").headers["Location"]
    drain(jobs.huey)
    export = _export(app, _id(page_url))
    kept = Path(app.config["INSTANCE_PATH"]) / "exports" / f"{export.token}.csv"
    assert kept.exists()
    with app.app_context():
        found = db.session.get(ReportExport, export.id)
        assert found is not None
        found.expires_at = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
        db.session.commit()
    assert boss.get(f"{page_url}/file").status_code == 404
    assert "The file is no longer kept" in boss.get(page_url).get_data(as_text=True)
    tasks.sweep_exports.call_local()
    assert not kept.exists()
    assert boss.get(page_url).status_code == 404


def test_a_course_s_learners_and_the_audit_log_also_go_to_the_background(
    app, login, org, portal, queue, large, make_xapi
):
    from tests.portal.test_requirements import _complete

    _complete(app, make_xapi, org["lea"], org["fire"])
    _complete(app, make_xapi, org["per"], org["fire"])
    boss = login(org["boss"])
    started = boss.get(f"/reports/courses/{org['fire']}?format=csv")
    assert started.status_code == 302
    admin = login(org["admin"])
    audit_started = admin.get("/admin/audit?format=csv")
    assert audit_started.status_code == 302
    drain(jobs.huey)
    learners = _csv(boss.get(f"{started.headers['Location']}/file"))
    assert sorted(r["Learner"] for r in learners) == ["Lea", "Per"]
    assert 'href="/reports/courses/' in boss.get(started.headers["Location"]).get_data(as_text=True)
    log = _csv(admin.get(f"{audit_started.headers['Location']}/file"))
    # The org's units, and its course's version published when the fixture made it.
    assert {r["Event"] for r in log} == {"unit.created", "unit.changed", "version.published"}
    assert boss.get(f"{audit_started.headers['Location']}/file").status_code == 404


def test_a_retried_job_makes_the_file_once(app, login, org, rid, queue, large):
    from portal import tasks

    boss = login(org["boss"])
    page_url = boss.get(f"/compliance/requirements/{rid}?format=csv&status=all").headers["Location"]
    drain(jobs.huey)
    made = _export(app, _id(page_url))
    tasks.export_report.call_local(made.id)  # run again: nothing changes
    again = _export(app, made.id)
    assert (again.ready_at, again.rows, again.size) == (made.ready_at, 3, made.size)
