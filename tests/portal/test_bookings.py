"""Booking classroom sessions: one active booking per course, earlier completions, the
waiting list, and what the mail side is sent."""

from __future__ import annotations

import pytest

from portal import signals
from tests.portal.conftest import post
from tests.portal.test_classroom_sessions import caught


@pytest.fixture
def course(portal):
    trainer = portal.user("tom@example.org", role="author", name="Tom Trainer")
    course = portal.course("Lifting technique", kind="classroom")
    return {
        "trainer": trainer,
        "course": course,
        "first": portal.session(course, trainer, seats=1, days=7),
        "second": portal.session(course, trainer, seats=5, days=14),
    }


def test_portal_booking_one_active_booking_per_course(portal, login, course):
    lea = login(portal.user("lea@example.org"))
    with caught(signals.booking_confirmed) as seen:
        assert post(lea, f"/sessions/{course['first']}/enrol").status_code == 302
    assert len(seen) == 1
    response = post(lea, f"/sessions/{course['second']}/enrol", headers={"Accept-Language": "sv"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Du har redan en bokning av den här kursen" in page
    # Gives back the first, then may book the second.
    post(lea, f"/sessions/{course['first']}/enrol", {"cancel": "1"})
    assert post(lea, f"/sessions/{course['second']}/enrol").status_code == 302


def test_portal_booking_waiting_counts_as_active(portal, login, course):
    post(login(portal.user("a@example.org")), f"/sessions/{course['first']}/enrol")
    lea = login(portal.user("lea@example.org"))
    with caught(signals.booking_confirmed) as seen:
        post(lea, f"/sessions/{course['first']}/enrol")
    assert seen == []  # the waiting list is not a confirmed booking
    assert post(lea, f"/sessions/{course['second']}/enrol").status_code == 409


def test_portal_booking_twice_the_same_session_refused(portal, login, course):
    lea = login(portal.user("lea@example.org"))
    post(lea, f"/sessions/{course['second']}/enrol")
    assert post(lea, f"/sessions/{course['second']}/enrol").status_code == 409


def test_portal_booking_told_of_an_earlier_completion(portal, login, course, app):
    from core.db import db
    from portal import classroom
    from portal.models import Enrolment

    lea_id = portal.user("lea@example.org")
    lea = login(lea_id)
    post(lea, f"/sessions/{course['first']}/enrol")
    trainer = login(course["trainer"])
    with app.app_context():
        enrolment = db.session.scalar(db.select(Enrolment).where(Enrolment.user_id == lea_id))
        assert enrolment is not None
        enrolment_id = enrolment.id
        del classroom  # recorded through the trainer's page below
    post(
        trainer,
        f"/trainer/sessions/{course['first']}",
        {f"e{enrolment_id}-attended": "true", f"e{enrolment_id}-completed": "true"},
    )
    page = lea.get(f"/catalogue/{course['course']}").get_data(as_text=True)
    assert "You completed this course on" in page
    response = post(lea, f"/sessions/{course['second']}/enrol", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "You are booked." in page
    assert "Note: you completed this course on" in page


def test_portal_booking_promoted_in_order_when_a_seat_frees(portal, login, course):
    url = f"/sessions/{course['first']}/enrol"
    a, b, c = (login(portal.user(f"{n}@example.org")) for n in "abc")
    for client in (a, b, c):
        post(client, url)
    assert "Waiting list, number 2" in c.get("/my").get_data(as_text=True)
    with caught(signals.promoted) as seen:
        post(a, url, {"cancel": "1"})
    assert len(seen) == 1
    assert "Booked" in b.get("/my").get_data(as_text=True)
    assert "Waiting list, number 1" in c.get("/my").get_data(as_text=True)


def test_portal_booking_a_past_session_refused(portal, login, course, app):
    from datetime import timedelta

    from core.db import db
    from portal.models import ClassroomSession

    with app.app_context():
        session = db.session.get(ClassroomSession, course["second"])
        assert session is not None
        session.starts_at -= timedelta(days=30)
        session.ends_at -= timedelta(days=30)
        db.session.commit()
    response = post(login(portal.user("lea@example.org")), f"/sessions/{course['second']}/enrol")
    assert response.status_code == 400


def test_portal_booking_the_last_seat_twice_at_once_is_not_overbooked(portal, login, course, app):
    """Another transaction books the last seat and holds the session's lock; a booking
    made meanwhile waits for it and then finds the session full (the waiting list).

    On PostgreSQL the test commits only once the booking is seen waiting for the lock
    (without the lock it fails); SQLite cannot show a waiting connection, so there it
    checks only the outcome.
    """
    import threading

    from sqlalchemy import insert, text, update

    from core.db import db
    from portal.classroom import now
    from portal.models import ClassroomSession, Enrolment

    first_id = portal.user("first@example.org")
    second = login(portal.user("second@example.org"))
    answers: list[int] = []
    with app.app_context(), db.engine.connect() as other:
        # What bookings.lock does, in a transaction of its own: the row (PostgreSQL) or
        # the database's write lock (SQLite), then the seat.
        other.execute(
            update(ClassroomSession)
            .where(ClassroomSession.id == course["first"])
            .values(sequence=ClassroomSession.sequence)
        )
        other.execute(
            insert(Enrolment).values(
                session_id=course["first"],
                user_id=first_id,
                enrolled_at=now(),
                status="booked",
                completed=False,
            )
        )
        booking = threading.Thread(
            target=lambda: answers.append(
                post(second, f"/sessions/{course['first']}/enrol").status_code
            )
        )
        booking.start()
        if other.dialect.name == "postgresql":
            # Commit only once the booking is seen waiting for the lock.
            with db.engine.connect() as watcher:
                waiting = text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                while not watcher.execute(waiting).scalar() and booking.is_alive():
                    watcher.rollback()
        other.commit()
        booking.join()
    assert answers == [302]
    with app.app_context():
        statuses = sorted(
            db.session.scalars(
                db.select(Enrolment.status).where(Enrolment.session_id == course["first"])
            )
        )
    assert statuses == ["booked", "waiting"]
