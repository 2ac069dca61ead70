"""Notifications read and unread: the page marks unread ones, the header counts them,
and a person marks one or all of their own as read (with the CSRF token)."""

# ruff: noqa: F811  (the fixture imported from test_requirements is a parameter here)

from __future__ import annotations

import re

from sqlalchemy import select

from accounts.models import User
from core.db import db
from portal import notices
from portal.notice_models import OutboxMessage
from tests.portal.conftest import post
from tests.portal.test_requirements import org  # noqa: F401

SV = {"Accept-Language": "sv"}


def _messages(app, org) -> dict[str, int]:
    """Two reminders for Lea, one for Per (mail is off: kept for the pages only)."""
    with app.app_context():
        lea = db.session.get(User, org["lea"])
        per = db.session.get(User, org["per"])
        assert lea is not None
        assert per is not None
        drafts = [
            notices.Draft("reminder", "t:lea:1", lea, {"what": "GDPR", "due": "2030-01-01"}),
            notices.Draft("reminder", "t:lea:2", lea, {"what": "Brandskydd", "due": "2030-02-01"}),
            notices.Draft("reminder", "t:per:1", per, {"what": "GDPR", "due": "2030-01-01"}),
        ]
        notices.store(drafts)
        db.session.commit()
        found = db.session.execute(select(OutboxMessage.key, OutboxMessage.id)).all()
        return {key: message_id for key, message_id in found}


def _unread(page: str) -> int:
    return len(re.findall(r'class="notice unread"', page))


def test_unread_notifications_stand_out_and_are_counted_in_the_header(app, login, org):
    ids = _messages(app, org)
    lea = login(org["lea"])
    page = lea.get("/notifications", headers=SV).get_data(as_text=True)
    assert _unread(page) == 2
    assert "Du har 2 olästa notiser." in page
    assert '<span class="badge" aria-hidden="true">2</span>' in page
    assert "(2 olästa)" in page
    assert "Markera alla som lästa" in page

    answer = post(lea, "/notifications/read", {"message_id": str(ids["t:lea:1"])})
    assert answer.status_code == 302
    page = lea.get("/notifications").get_data(as_text=True)
    assert _unread(page) == 1
    assert "You have 1 unread notification." in page
    assert "(1 unread)" in lea.get("/my").get_data(as_text=True)  # every page's header

    post(lea, "/notifications/read")  # all of them
    page = lea.get("/notifications").get_data(as_text=True)
    assert _unread(page) == 0
    assert "Mark all as read" not in page
    assert 'class="badge"' not in page
    # Per's message is his own: still unread.
    assert _unread(login(org["per"]).get("/notifications").get_data(as_text=True)) == 1


def test_nobody_marks_another_person_s_notification(app, login, org):
    ids = _messages(app, org)
    lea = login(org["lea"])
    assert post(lea, "/notifications/read", {"message_id": str(ids["t:per:1"])}).status_code == 404
    assert post(lea, "/notifications/read", {"message_id": "x"}).status_code == 404
    admin = login(org["admin"])
    assert post(admin, "/notifications/read", {"message_id": str(ids["t:per:1"])}).status_code == (
        404
    )
    assert _unread(login(org["per"]).get("/notifications").get_data(as_text=True)) == 1


def test_marking_read_needs_the_csrf_token_and_a_signed_in_person(app, client, login, org):
    ids = _messages(app, org)
    lea = login(org["lea"])
    forged = lea.post("/notifications/read", data={"message_id": str(ids["t:lea:1"])})
    assert forged.status_code == 400
    assert client.post("/notifications/read", data={"csrf_token": "guess"}).status_code == 400
    anonymous = client.get("/notifications")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")
    assert _unread(lea.get("/notifications").get_data(as_text=True)) == 2
