"""Changing and cancelling classroom sessions: who may, what is refused, what people see."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from portal import signals
from tests.portal.conftest import CSRF, post


@pytest.fixture
def room(portal):
    trainer = portal.user("tom@example.org", role="author", name="Tom Trainer")
    planner = portal.user("pia@example.org", role="author", name="Pia Planner")
    course = portal.course("Lifting technique", kind="classroom")
    return {
        "trainer": trainer,
        "planner": planner,
        "course": course,
        "session": portal.session(course, trainer, seats=1, planner=planner),
    }


@contextmanager
def caught(signal: Any) -> Iterator[list[dict[str, Any]]]:
    """Record what a blinker signal sends while the block runs (the sender's id, its
    person where it has one, and the keyword arguments), read while the request runs."""
    seen: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append({"id": sender.id, "user_id": getattr(sender, "user_id", None), **kwargs})

    with signal.connected_to(receiver):
        yield seen


def change(room: dict[str, int], **overrides: str) -> dict[str, str]:
    form = {
        "action": "change",
        "starts_at": "2031-03-10T09:00",
        "ends_at": "2031-03-10T12:00",
        "place": "Town hall",
        "trainer_id": str(room["trainer"]),
        "seats": "1",
    }
    form.update(overrides)
    return form


@pytest.mark.parametrize(
    ("who", "status"),
    [("trainer", 200), ("planner", 200), ("admin", 200), ("other", 403), ("learner", 403)],
)
def test_portal_session_edit_page_by_role(portal, login, room, who, status):
    users = {
        "trainer": room["trainer"],
        "planner": room["planner"],
        "admin": portal.user("ada@example.org", role="admin"),
        "other": portal.user("otto@example.org", role="author"),
        "learner": portal.user("lea@example.org"),
    }
    client = login(users[who])
    url = f"/trainer/sessions/{room['session']}"
    assert client.get(f"{url}/edit").status_code == status
    assert client.get(f"{url}/attendance-list").status_code == status
    # Nor can they change it by posting.
    response = post(client, f"{url}/edit", change(room, place="Elsewhere"))
    assert response.status_code == (302 if status == 200 else 403)


def test_portal_session_change_is_told_and_shown(portal, login, room):
    lea = portal.user("lea@example.org")
    learner = login(lea)
    post(learner, f"/sessions/{room['session']}/enrol")
    with caught(signals.session_changed) as seen:
        response = post(
            login(room["trainer"]),
            f"/trainer/sessions/{room['session']}/edit",
            change(room, place="Library, room 2"),
        )
    assert response.status_code == 302
    (sent,) = seen
    assert sent["id"] == room["session"]
    assert sent["user_ids"] == [lea]
    assert set(sent["changes"]) == {"starts_at", "ends_at", "place"}
    mine = learner.get("/my").get_data(as_text=True)
    assert "Library, room 2" in mine
    assert "3/10/31, 9:00\u202fAM\u201312:00\u202fPM" in mine  # local time, no seconds
    assert "changed" in mine


def test_portal_session_past_start_needs_confirmation(portal, login, room):
    trainer = login(room["trainer"])
    url = f"/trainer/sessions/{room['session']}/edit"
    form = change(room, starts_at="2020-01-07T09:00", ends_at="2020-01-07T11:00", place="Old hall")
    response = post(trainer, url, form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The start is in the past: tick the box to confirm it" in page
    assert 'value="Old hall"' in page
    assert 'value="2020-01-07T09:00"' in page
    assert post(trainer, url, {**form, "confirm_past": "true"}).status_code == 302
    assert "Old hall" in trainer.get(url).get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"ends_at": "2031-03-10T08:00"}, "The session must end after it starts"),
        ({"seats": "0"}, "from 1 to 10"),
        ({"place": ""}, "Fill in"),
    ],
)
def test_portal_session_change_refused(portal, login, room, overrides, field_message):
    response = post(
        login(room["trainer"]),
        f"/trainer/sessions/{room['session']}/edit",
        change(room, **overrides),
    )
    assert response.status_code == 400
    assert field_message in response.get_data(as_text=True)


def test_portal_session_fewer_seats_than_booked_refused_more_seats_promote(portal, login, room):
    enrol = f"/sessions/{room['session']}/enrol"
    a, b, c = (portal.user(f"{n}@example.org", name=n.upper()) for n in "abc")
    for person in (a, b, c):
        post(login(person), enrol)
    trainer = login(room["trainer"])
    url = f"/trainer/sessions/{room['session']}/edit"
    with caught(signals.promoted) as seen:
        assert post(trainer, url, change(room, seats="3")).status_code == 302
    assert [sent["user_id"] for sent in seen] == [b, c]  # in the order they joined
    response = post(trainer, url, change(room, seats="2"))
    assert response.status_code == 400
    assert "Fewer seats than people booked" in response.get_data(as_text=True)


def test_portal_session_cancelled_with_reason(portal, login, room):
    lea = portal.user("lea@example.org")
    learner = login(lea)
    post(learner, f"/sessions/{room['session']}/enrol")
    trainer = login(room["trainer"])
    url = f"/trainer/sessions/{room['session']}/edit"
    response = post(trainer, url, {"action": "cancel", "reason": ""})
    assert response.status_code == 400
    with caught(signals.session_cancelled) as seen:
        response = post(trainer, url, {"action": "cancel", "reason": "The trainer is ill"})
    assert response.status_code == 302
    assert seen[0]["user_ids"] == [lea]
    mine = learner.get("/my", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Inställt" in mine
    assert "The trainer is ill" in mine
    # Nobody books a cancelled session, and it is not offered.
    other = login(portal.user("bo@example.org"))
    response = post(other, f"/sessions/{room['session']}/enrol")
    assert response.status_code == 409
    assert "This session is cancelled" in response.get_data(as_text=True)
    # A second cancellation is refused too.
    assert post(trainer, url, {"action": "cancel", "reason": "again"}).status_code == 409


def test_portal_session_edit_needs_csrf(portal, login, room):
    client = login(room["trainer"])
    response = client.post(
        f"/trainer/sessions/{room['session']}/edit",
        data={**change(room, place="Forged"), "csrf_token": "wrong"},
    )
    assert response.status_code in (400, 403)
    assert "Forged" not in client.get(f"/trainer/sessions/{room['session']}/edit").get_data(
        as_text=True
    )
    assert CSRF  # the right token works (the other tests)


def test_portal_session_attendance_list_prints_names_units_and_a_signature_column(
    portal, login, room
):
    unit = portal.unit("care", "Home care")
    lea = portal.user("lea@example.org", name="Lea Lind", unit_id=unit)
    post(login(lea), f"/sessions/{room['session']}/enrol")
    waiting = portal.user("wai@example.org", name="Wera Waiting")
    post(login(waiting), f"/sessions/{room['session']}/enrol")
    page = (
        login(room["trainer"])
        .get(
            f"/trainer/sessions/{room['session']}/attendance-list",
            headers={"Accept-Language": "sv"},
        )
        .get_data(as_text=True)
    )
    assert "Närvarolista" in page
    assert "Lea Lind" in page
    assert "Home care" in page
    assert "Underskrift" in page
    assert "Wera Waiting" not in page  # the waiting list has no seat


def test_portal_session_planned_in_the_past_needs_confirmation(portal, login, room):
    author = login(room["planner"])
    url = f"/author/courses/{room['course']}"
    form = {
        "action": "session",
        "starts_at": "2020-01-07T09:00",
        "ends_at": "2020-01-07T11:00",
        "place": "Entered afterwards",
        "trainer_id": str(room["trainer"]),
        "seats": "4",
    }
    response = post(author, url, form, headers={"Accept-Language": "sv"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Starttiden har redan passerat: kryssa i rutan för att bekräfta den" in page
    assert 'value="Entered afterwards"' in page
    assert post(author, url, {**form, "confirm_past": "true"}).status_code == 302
    assert "Entered afterwards" in author.get(url).get_data(as_text=True)


def test_portal_session_cancelled_records_no_attendance(portal, login, room, app):
    from core.db import db
    from portal.models import Enrolment

    lea = portal.user("lea@example.org")
    post(login(lea), f"/sessions/{room['session']}/enrol")
    trainer = login(room["trainer"])
    post(trainer, f"/trainer/sessions/{room['session']}/edit", {"action": "cancel", "reason": "x"})
    with app.app_context():
        enrolment = db.session.scalar(db.select(Enrolment.id).where(Enrolment.user_id == lea))
    response = post(
        trainer, f"/trainer/sessions/{room['session']}", {f"e{enrolment}-attended": "true"}
    )
    assert response.status_code == 409
