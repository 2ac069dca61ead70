"""Manager approval of classroom bookings: pending holds no seat, the manager decides."""

from __future__ import annotations

import re

import pytest

from core.db import db
from portal import signals
from portal.models import Enrolment
from tests.portal.conftest import post
from tests.portal.test_classroom_sessions import caught


@pytest.fixture
def approval(portal, login):
    trainer = portal.user("tom@example.org", role="author", name="Tom Trainer")
    boss = portal.user("bea@example.org", role="manager", name="Bea Boss")
    lea = portal.user("lea@example.org", name="Lea Lind")
    portal.manage(lea, boss)
    course = portal.course("Lifting technique", kind="classroom")
    session = portal.session(course, trainer, seats=1)
    post(
        login(trainer),
        f"/author/courses/{course}",
        {"action": "approval", "booking_approval": "true"},
    )
    return {"trainer": trainer, "boss": boss, "lea": lea, "course": course, "session": session}


def pending_id(app, user_id: int) -> int:
    with app.app_context():
        found = db.session.scalar(db.select(Enrolment.id).where(Enrolment.user_id == user_id))
        assert found is not None
        return found


def test_portal_approval_pending_then_approved(portal, login, approval, app):
    lea = login(approval["lea"])
    with caught(signals.approval_requested) as asked, caught(signals.booking_confirmed) as ok:
        response = post(lea, f"/sessions/{approval['session']}/enrol", follow_redirects=True)
    assert "Your manager is asked to approve the booking." in response.get_data(as_text=True)
    assert len(asked) == 1
    assert ok == []
    assert "Awaiting your manager" in lea.get("/my").get_data(as_text=True)
    # No seat is held meanwhile: someone without a manager takes it.
    post(login(portal.user("bo@example.org")), f"/sessions/{approval['session']}/enrol")
    boss = login(approval["boss"])
    page = boss.get("/manage/bookings").get_data(as_text=True)
    assert "Lea Lind" in page
    with caught(signals.booking_confirmed) as ok:
        response = post(
            boss,
            "/manage/bookings",
            {"action": "approve", "enrolment_id": str(pending_id(app, approval["lea"]))},
        )
    assert response.status_code == 302
    assert ok == []  # the seat went to Bo: Lea is on the waiting list
    assert "Waiting list, number 1" in lea.get("/my").get_data(as_text=True)
    assert "Lea Lind" not in boss.get("/manage/bookings").get_data(as_text=True)


def test_portal_approval_refused_with_a_reason(portal, login, approval, app):
    lea = login(approval["lea"])
    post(lea, f"/sessions/{approval['session']}/enrol")
    boss = login(approval["boss"])
    booking = str(pending_id(app, approval["lea"]))
    response = post(boss, "/manage/bookings", {"action": "refuse", "enrolment_id": booking})
    assert response.status_code == 400
    assert re.search(
        r'id="note-\d+" name="note"[^>]*aria-invalid="true"', response.get_data(as_text=True)
    )
    with caught(signals.booking_refused) as refused:
        post(
            boss,
            "/manage/bookings",
            {"action": "refuse", "enrolment_id": booking, "note": "Staffing"},
        )
    assert len(refused) == 1
    mine = lea.get("/my", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Inte godkänd" in mine
    assert "Staffing" in mine


@pytest.mark.parametrize("who", ["other_manager", "learner", "trainer"])
def test_portal_approval_only_the_person_s_manager_decides(portal, login, approval, app, who):
    post(login(approval["lea"]), f"/sessions/{approval['session']}/enrol")
    users = {
        "other_manager": portal.user("max@example.org", role="manager"),
        "learner": portal.user("bo@example.org"),
        "trainer": approval["trainer"],
    }
    client = login(users[who])
    assert "Lea Lind" not in client.get("/manage/bookings").get_data(as_text=True)
    booking = str(pending_id(app, approval["lea"]))
    response = post(client, "/manage/bookings", {"action": "approve", "enrolment_id": booking})
    assert response.status_code == 404
    assert "Awaiting your manager" in login(approval["lea"]).get("/my").get_data(as_text=True)


def test_portal_approval_admin_decides_and_csrf_is_checked(portal, login, approval, app):
    post(login(approval["lea"]), f"/sessions/{approval['session']}/enrol")
    admin = login(portal.user("ada@example.org", role="admin"))
    booking = str(pending_id(app, approval["lea"]))
    forged = admin.post(
        "/manage/bookings", data={"action": "approve", "enrolment_id": booking, "csrf_token": "x"}
    )
    assert forged.status_code in (400, 403)
    assert (
        post(admin, "/manage/bookings", {"action": "approve", "enrolment_id": booking}).status_code
        == 302
    )
    # Decided once: a second decision is refused.
    assert (
        post(admin, "/manage/bookings", {"action": "approve", "enrolment_id": booking}).status_code
        == 409
    )
