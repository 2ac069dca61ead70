"""Bookings told by e-mail, with the session's invitation attached (read from aiosmtpd).

The booking's message is stored in the outbox in the booking's own transaction and sent
by a job after the commit; the invitation is the booking's ``.ics`` (RFC 6047: a
text/calendar part with its METHOD), REQUEST for a seat, CANCEL when the session is
cancelled.
"""

# ruff: noqa: F811  (the fixtures imported from jobs_fixtures are parameters here)

from __future__ import annotations

from email.message import EmailMessage

import pytest

from core import jobs
from tests.portal.conftest import post
from tests.portal.jobs_fixtures import queue, smtp  # noqa: F401
from tests.portal.mail_helpers import drain


@pytest.fixture
def course(portal):
    trainer = portal.user("tom@example.org", role="author", name="Tom Trainer")
    course = portal.course("Lyftteknik", kind="classroom")
    return {"trainer": trainer, "session": portal.session(course, trainer, seats=1, days=7)}


def _invitation(message: EmailMessage) -> str:
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_filename() == "invitation.ics"
    return str(parts[0].get_content())


def test_a_seat_and_a_seat_from_the_waiting_list_are_mailed_with_the_invitation(
    portal, login, course, queue, smtp
):
    url = f"/sessions/{course['session']}/enrol"
    ada = login(portal.user("ada@example.org", name="Ada"))
    bea = login(portal.user("bea@example.org", name="Bea"))
    post(ada, url)
    post(bea, url)  # the session has one seat: Bea waits
    drain(jobs.huey)
    assert smtp.sink.recipients() == ["ada@example.org"]
    (booked,) = smtp.sink.to("ada@example.org")
    assert booked["Subject"] == "Bokad: Lyftteknik"
    assert "Plats:" in booked.get_body(("plain",)).get_content()
    invitation = _invitation(booked)
    assert "METHOD:REQUEST" in invitation
    assert "UID:" in invitation

    post(ada, url, {"cancel": "1"})  # Ada gives her seat back: Bea gets it
    drain(jobs.huey)
    (promoted,) = smtp.sink.to("bea@example.org")
    assert promoted["Subject"] == "Du har fått en plats: Lyftteknik"
    assert "reservlistan" in promoted.get_body(("plain",)).get_content()
    assert "METHOD:REQUEST" in _invitation(promoted)
    # Each message once, however often the queue is run.
    drain(jobs.huey)
    assert smtp.sink.recipients() == ["ada@example.org", "bea@example.org"]


def test_a_cancelled_session_is_mailed_with_a_cancellation(portal, login, course, queue, smtp):
    post(login(portal.user("ada@example.org", name="Ada")), f"/sessions/{course['session']}/enrol")
    trainer = login(course["trainer"])
    url = f"/trainer/sessions/{course['session']}/edit"
    assert (
        post(trainer, url, {"action": "cancel", "reason": "Kursledaren är sjuk"}).status_code == 302
    )
    drain(jobs.huey)
    cancelled = smtp.sink.to("ada@example.org")[-1]
    assert cancelled["Subject"] == "Inställt: Lyftteknik"
    assert "Kursledaren är sjuk" in cancelled.get_body(("plain",)).get_content()
    invitation = _invitation(cancelled)
    assert "METHOD:CANCEL" in invitation
    assert "STATUS:CANCELLED" in invitation
