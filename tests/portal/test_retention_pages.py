"""Admin → Retention and Admin → Access request: roles, CSRF, forms, dry run, run, archive."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from accounts.models import AuditEvent
from core import jobs
from core.db import db
from portal.retention_models import RetentionHold, RetentionRule, RetentionRun
from tests.portal.conftest import post
from tests.portal.jobs_fixtures import queue  # noqa: F401
from tests.portal.mail_helpers import drain
from tests.portal.retention_helpers import build, lrs_counts

RULE = {
    "action": "rule",
    "name": "Lärloggar",
    "decision_ref": "KS 2026/123",
    "decision_date": "2026-03-01",
    "decision_text": "Gallras efter två år.",
    "kind": "statements",
    "keep_count": "2",
    "keep_unit": "years",
    "active": "true",
}


@pytest.mark.parametrize("path", ["/admin/retention", "/admin/access-request"])
@pytest.mark.parametrize(
    ("role", "status"), [("learner", 403), ("manager", 403), ("author", 403), ("admin", 200)]
)
def test_retention_pages_need_the_admin_role(portal, login, path, role, status):
    client = login(portal.user(role=role))
    assert client.get(path).status_code == status
    assert post(client, path, {"action": "dry_run", "person": "x@example.org"}).status_code in (
        status,
        400,
    )


def test_retention_forms_need_csrf(portal, login, app):
    admin = login(portal.user("admin@example.org", role="admin"))
    data = RULE | {"csrf_token": "wrong"}
    assert admin.post("/admin/retention", data=data).status_code in (400, 403)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RetentionRule)) == 0


def test_retention_rule_refused_keeps_the_input_then_saved_and_audited(portal, login, app):
    admin = login(portal.user("admin@example.org", role="admin"))
    refused = post(
        admin, "/admin/retention", RULE | {"verb_id": "http://adlnet.gov/expapi/verbs/voided"}
    )
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert 'value="KS 2026/123"' in page
    assert 'aria-invalid="true"' in page
    assert post(admin, "/admin/retention", RULE).status_code == 302
    with app.app_context():
        rule = db.session.scalars(select(RetentionRule)).one()
        assert rule.decision_ref == "KS 2026/123"
        assert rule.keep_unit == "years"
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "retention.rule_saved")
        )
    changed = post(
        admin, f"/admin/retention/rules/{rule.id}", RULE | {"active": ""} | {"keep_count": "3"}
    )
    assert changed.status_code == 302
    with app.app_context():
        again = db.session.get(RetentionRule, rule.id)
        assert again is not None
        assert again.keep_count == 3
        assert not again.active


def test_retention_hold_placed_and_released(portal, login, app):
    admin = login(portal.user("admin@example.org", role="admin"))
    portal.user("lea@example.org")
    hold = {"action": "hold", "kind": "person", "reason": "Tvist", "target": "nobody@example.org"}
    assert post(admin, "/admin/retention", hold).status_code == 400
    assert post(admin, "/admin/retention", hold | {"target": "lea@example.org"}).status_code == 302
    with app.app_context():
        held = db.session.scalars(select(RetentionHold)).one()
        assert held.created_by_name == "admin@example.org"
    page = admin.get("/admin/retention").get_data(as_text=True)
    assert "Tvist" in page
    assert (
        post(admin, "/admin/retention", {"action": "release", "hold_id": held.id}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(RetentionHold, held.id).released_at is not None  # type: ignore[union-attr]


def test_retention_dry_run_on_the_page_then_the_run_as_a_job(app, portal, login, make_xapi, queue):  # noqa: F811
    build(app, portal, make_xapi(["all"], trusted=True))
    admin = login(portal.user("admin@example.org", role="admin"))
    assert post(admin, "/admin/retention", RULE).status_code == 302
    before = lrs_counts(app)
    dry = post(admin, "/admin/retention", {"action": "dry_run"})
    assert dry.status_code == 200
    assert "KS 2026/123" in dry.get_data(as_text=True)
    assert lrs_counts(app) == before
    ran = post(admin, "/admin/retention", {"action": "run"})
    assert ran.status_code == 302
    drain(jobs.huey)
    with app.app_context():
        run = db.session.scalars(select(RetentionRun)).one()
        assert run.trigger == "admin"
        assert run.actor_name == "admin@example.org"
    assert lrs_counts(app)["statements"] == 0
    assert "KS 2026/123" in admin.get("/admin/retention").get_data(as_text=True)


def test_access_request_archive_holds_the_persons_data(app, portal, login, make_xapi):
    world = build(app, portal, make_xapi(["all"], trusted=True))
    admin = login(portal.user("admin@example.org", role="admin"))
    assert post(admin, "/admin/access-request", {"person": "nobody@example.org"}).status_code == 400
    got = post(admin, "/admin/access-request", {"person": "bo@example.org"})
    assert got.status_code == 200
    assert got.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(got.data))
    names = set(archive.namelist())
    assert {
        "manifest.json",
        "account.json",
        "statements.json",
        "attempts.json",
        "bookings.json",
        "results.json",
        "evaluations.json",
        "certificates.json",
        "notifications.json",
        "audit_log.json",
        "mandatory_training.json",
    } <= names
    account = json.loads(archive.read("account.json"))
    assert account["email"] == "bo@example.org"
    assert "password_hash" not in account
    statements = json.loads(archive.read("statements.json"))
    ids = {s["statement"]["id"] for s in statements}
    # Bo's own four (the voided one marked), not Lea's, not the admin's voiding statement.
    assert ids == {
        world.statements[k] for k in ("bo.completed", "bo.lesson", "bo.page", "bo.noted")
    }
    assert [
        s["voided"] for s in statements if s["statement"]["id"] == world.statements["bo.noted"]
    ] == [True]
    results = json.loads(archive.read("results.json"))
    assert [r["statement_id"] for r in results] == [world.statements["bo.completed"]]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["files"]["statements.json"]["rows"] == 4
    with app.app_context():
        entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "gdpr.exported"))
        assert entry is not None
        assert entry.target_id == str(world.people["bo"])


def test_access_request_from_the_cli(app, portal, make_xapi, runner, tmp_path):
    build(app, portal, make_xapi(["all"], trusted=True))
    out = tmp_path / "bo.zip"
    result = runner.invoke(args=["retention", "export-person", "bo@example.org", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert len(json.loads(zipfile.ZipFile(out).read("statements.json"))) == 4
    with app.app_context():
        entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "gdpr.exported"))
        assert entry is not None
        assert entry.actor_name == "command line"
