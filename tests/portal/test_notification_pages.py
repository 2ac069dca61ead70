"""Who may open the notification pages, and their forms' CSRF checks."""

# ruff: noqa: F811  (the fixture imported from test_requirements is a parameter here)

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from portal.notice_models import NoticeOptOut
from tests.portal.conftest import post
from tests.portal.test_requirements import org  # noqa: F401


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/admin/jobs", {"admin"}),
        ("/admin/outbox", {"admin"}),
        ("/notifications", {"admin", "boss", "lea"}),
    ],
)
def test_each_role_reaches_only_its_pages(client, login, org, path, allowed):
    for who in ("admin", "boss", "lea"):
        status = login(org[who]).get(path).status_code
        assert status == (200 if who in allowed else 403), (who, path, status)
    anonymous = client.get(path)
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]


def test_the_email_choices_need_the_csrf_token_and_keep_overdue_notices(app, login, org):
    lea = login(org["lea"])
    assert lea.post("/settings/notifications", data={"kind": ["assigned"]}).status_code == 400
    assert (
        post(lea, "/settings/notifications", {"kind": ["assigned", "overdue"]}).status_code == 302
    )
    with app.app_context():
        off = set(
            db.session.scalars(select(NoticeOptOut.kind).where(NoticeOptOut.user_id == org["lea"]))
        )
    assert off == {"reminder", "expiring", "digest"}  # "overdue" is not a choice
    page = lea.get("/settings").get_data(as_text=True)
    assert 'value="assigned" checked' in page
    assert 'value="reminder" checked' not in page


def test_retrying_an_unknown_or_unfailed_job_changes_nothing(login, org):
    admin = login(org["admin"])
    assert post(admin, "/admin/jobs/999/retry").status_code == 404
    assert post(login(org["lea"]), "/admin/jobs/999/retry").status_code == 403
