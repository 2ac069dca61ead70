"""Manager approval told by e-mail (read from aiosmtpd): the manager when a booking waits,
the person when it is approved (a seat with the invitation, or the waiting list) or refused
with the reason. Each message once, however often the queue runs.
"""

# ruff: noqa: F811  (the fixtures imported from other test modules are parameters here)

from __future__ import annotations

from email.message import EmailMessage

from accounts.models import User
from core import jobs
from core.db import db
from tests.portal.conftest import post
from tests.portal.jobs_fixtures import queue, smtp  # noqa: F401
from tests.portal.mail_helpers import drain
from tests.portal.test_approvals import approval, pending_id  # noqa: F401


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body((subtype,))
    assert body is not None
    return str(body.get_content())


def _text(message: EmailMessage) -> str:
    return _part(message, "plain")


def _html(message: EmailMessage) -> str:
    return _part(message, "html")


def _calendars(message: EmailMessage) -> list[str]:
    return [
        str(p.get_content())
        for p in message.iter_attachments()
        if p.get_content_type() == "text/calendar"
    ]


def test_the_manager_is_asked_and_the_person_told_of_the_approval(
    app, portal, login, approval, queue, smtp
):
    post(login(approval["lea"]), f"/sessions/{approval['session']}/enrol")
    drain(jobs.huey)
    (asked,) = smtp.sink.to("bea@example.org")
    assert asked["Subject"] == "Godkänn en bokning: Lea Lind, Lifting technique"
    assert "Lea Lind har bokat Lifting technique" in _text(asked)
    assert "Plats: Room 1" in _text(asked)
    assert "Bokningar att godkänna" in _html(asked)
    assert asked["Content-Language"] == "sv"
    assert smtp.sink.to("lea@example.org") == []  # nothing yet: no seat is held

    booking = str(pending_id(app, approval["lea"]))
    approve = {"action": "approve", "enrolment_id": booking}
    post(login(approval["boss"]), "/manage/bookings", approve)
    drain(jobs.huey)
    drain(jobs.huey)
    (approved,) = smtp.sink.to("lea@example.org")  # one message, not "Booked" as well
    assert approved["Subject"] == "Godkänd: Lifting technique"
    assert "och du har en plats" in _text(approved)
    assert "Din chef har godkänt" in _html(approved)
    (invitation,) = _calendars(approved)
    assert "METHOD:REQUEST" in invitation
    assert smtp.sink.recipients() == ["bea@example.org", "lea@example.org"]


def test_an_approval_onto_the_waiting_list_says_the_place_in_line(
    app, portal, login, approval, queue, smtp
):
    post(login(approval["lea"]), f"/sessions/{approval['session']}/enrol")
    post(login(portal.user("bo@example.org")), f"/sessions/{approval['session']}/enrol")
    booking = str(pending_id(app, approval["lea"]))
    approve = {"action": "approve", "enrolment_id": booking}
    post(login(approval["boss"]), "/manage/bookings", approve)
    drain(jobs.huey)
    (approved,) = smtp.sink.to("lea@example.org")
    assert approved["Subject"] == "Godkänd: Lifting technique"
    assert "nummer 1 på reservlistan" in _text(approved)
    assert _calendars(approved) == []  # no seat, no invitation yet


def test_a_refusal_is_told_with_the_reason_in_the_person_s_language(
    app, portal, login, approval, queue, smtp
):
    with app.app_context():
        lea = db.session.get(User, approval["lea"])
        assert lea is not None
        lea.locale = "en"
        db.session.commit()
    post(login(approval["lea"]), f"/sessions/{approval['session']}/enrol")
    booking = str(pending_id(app, approval["lea"]))
    post(
        login(approval["boss"]),
        "/manage/bookings",
        {"action": "refuse", "enrolment_id": booking, "note": "Staffing is too thin that week"},
    )
    drain(jobs.huey)
    (refused,) = smtp.sink.to("lea@example.org")
    assert refused["Subject"] == "Not approved: Lifting technique"
    assert "Your manager has not approved your booking" in _text(refused)
    assert "Reason: Staffing is too thin that week" in _text(refused)
    assert "Staffing is too thin that week" in _html(refused)
    assert refused["Content-Language"] == "en"
    # The manager's request went out in Swedish (the manager chose no language).
    (asked,) = smtp.sink.to("bea@example.org")
    assert asked["Subject"].startswith("Godkänn en bokning")


def test_approval_messages_are_on_the_notifications_pages_too(app, portal, login, approval, queue):
    lea = login(approval["lea"])
    post(lea, f"/sessions/{approval['session']}/enrol")
    boss = login(approval["boss"])
    assert "Godkänn en bokning: Lea Lind" in boss.get("/notifications").get_data(as_text=True)
    booking = str(pending_id(app, approval["lea"]))
    post(boss, "/manage/bookings", {"action": "refuse", "enrolment_id": booking, "note": "No"})
    # Stored in Swedish, the organisation's language (Lea chose none).
    assert "Inte godkänd: Lifting technique" in lea.get("/notifications").get_data(as_text=True)
