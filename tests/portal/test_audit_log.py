"""The audit log: who did what to whom, readable and exportable by admins only."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import match
from tests.portal.conftest import post

SV = {"Accept-Language": "sv"}


def entries(app, action: str | None = None) -> list[tuple[str, str, str | None, dict]]:
    from accounts import audit

    with app.app_context():
        return [
            (e.actor_name, e.action, e.target_id, e.details)
            for e in reversed(audit.events(audit.Filter(action=action)))
        ]


def test_audit_log_records_sign_ins_with_the_method(portal, client, app):
    from tests.portal.conftest import sign_in

    lea = portal.user("lea@example.org", password="correct horse")
    assert sign_in(client, "lea@example.org", "correct horse").status_code == 302
    assert entries(app, "signin.password") == [("lea@example.org", "signin.password", str(lea), {})]
    # A failed sign-in is not a sign-in (the lockout counts those).
    sign_in(client, "lea@example.org", "wrong")
    assert len(entries(app, "signin.password")) == 1


def test_audit_log_records_role_unit_and_deactivation_by_whom(portal, login, app):
    social = portal.unit("SOC", "Social services")
    lea = portal.user("lea@example.org")
    admin = login(portal.user("boss@example.org", role="admin"))
    form = {
        "action": "update",
        "name": "Lea",
        "role": "manager",
        "unit_id": social,
        "active": "true",
    }
    assert post(admin, f"/admin/users/{lea}", form).status_code == 302
    del form["active"]  # the box unticked: deactivated
    assert post(admin, f"/admin/users/{lea}", form).status_code == 302
    changed, deactivated = entries(app, "user.changed"), entries(app, "user.deactivated")
    assert changed == [
        (
            "boss@example.org",
            "user.changed",
            str(lea),
            {"role": ["learner", "manager"], "unit_id": [None, social]},
        )
    ]
    assert deactivated == [("boss@example.org", "user.deactivated", str(lea), {})]


def test_audit_log_records_credentials_without_their_secret(portal, login, app):
    admin = login(portal.user("boss@example.org", role="admin"))
    page = post(admin, "/admin/credentials", {"name": "HR system", "scopes": "statements/write"})
    key = match(r'id="new-key">([^<]+)<', page.get_data(as_text=True)).group(1)
    secret = match(r'id="new-secret">([^<]+)<', page.get_data(as_text=True)).group(1)
    created = entries(app, "credential.created")
    assert created == [
        (
            "boss@example.org",
            "credential.created",
            key,
            {"scopes": ["statements/write"], "trusted": False},
        )
    ]
    post(admin, "/admin/credentials", {"revoke": key})
    assert [e[2] for e in entries(app, "credential.revoked")] == [key]
    assert secret not in admin.get("/admin/audit?format=csv").get_data(as_text=True)


def test_audit_log_records_exports_and_opened_transcripts(portal, login, app):
    social = portal.unit("SOC", "Social services")
    lea = portal.user("lea@example.org", unit_id=social)
    maja = login(portal.user("maja@example.org", role="manager", unit_id=social))
    assert maja.get(f"/reports/learners/{lea}").status_code == 200
    assert maja.get("/reports?format=csv&table=unit").status_code == 200
    assert entries(app, "transcript.opened") == [
        ("maja@example.org", "transcript.opened", str(lea), {})
    ]
    exported = entries(app, "report.exported")
    assert [(e[0], e[1]) for e in exported] == [("maja@example.org", "report.exported")]
    # A transcript the manager may not open is not logged as opened.
    other = portal.user("sam@example.org")
    assert maja.get(f"/reports/learners/{other}").status_code == 403
    assert len(entries(app, "transcript.opened")) == 1


@pytest.mark.parametrize(("role", "status"), [("learner", 403), ("author", 403), ("manager", 403)])
def test_audit_log_is_for_admins_only(portal, login, role, status):
    client = login(portal.user(f"{role}@example.org", role=role))
    assert client.get("/admin/audit").status_code == status
    assert client.get("/admin/audit?format=csv").status_code == status


def test_audit_log_anonymous_is_sent_to_sign_in(client):
    response = client.get("/admin/audit")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_audit_log_page_filters_and_exports(portal, login, app):
    admin = login(portal.user("boss@example.org", role="admin"))
    portal.unit("SOC", "Social services")
    post(admin, "/admin/units", {"form": "new", "code": "BUF", "name": "Schools"})
    lea = portal.user("lea@example.org")
    post(admin, f"/admin/users/{lea}", {"action": "update", "name": "Lea", "role": "author"})
    page = admin.get("/admin/audit?action=unit.created", headers=SV).get_data(as_text=True)
    assert "Logg över åtgärder" in page
    assert "Enhet skapad" in page
    assert "Schools (BUF)" in page
    assert "Roll, enhet eller namn ändrat" not in page.split("</select>")[-1]
    page = admin.get("/admin/audit?who=lea@").get_data(as_text=True)
    assert "Role, unit or name changed" in page
    assert "Schools (BUF)" not in page
    body = admin.get("/admin/audit?format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["Event"] for r in rows} >= {"unit.created", "user.changed"}
    # The export itself is in the log.
    assert entries(app, "report.exported")[-1][3] == {"rows": len(rows)}


def test_audit_log_bad_filter_is_refused_with_the_form(portal, login):
    admin = login(portal.user("boss@example.org", role="admin"))
    response = admin.get("/admin/audit?since=yesterday&action=nonsense", headers=SV)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_audit_log_has_no_way_to_change_or_remove_an_entry(portal, login, app):
    admin = login(portal.user("boss@example.org", role="admin"))
    post(admin, "/admin/units", {"form": "new", "code": "BUF", "name": "Schools"})
    before = entries(app)
    for method in ("post", "put", "delete", "patch"):
        response = getattr(admin, method)("/admin/audit", data={"csrf_token": "test-csrf-token"})
        assert response.status_code == 405
    assert entries(app) == before
