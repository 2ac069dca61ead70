"""The managers' digest covers assigned courses too; the outbox is cleaned up nightly.

SOC (boss) has IFO below it with lea and per; UTB (olle) has sam
(tests/portal/test_requirements.py's ``org``).
"""

# ruff: noqa: F811  (the fixtures imported from other test modules are parameters here)

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from core import jobs
from core.db import db
from portal.notice_models import OutboxKey, OutboxMessage
from tests.portal.conftest import post
from tests.portal.jobs_fixtures import queue, requirement, smtp, yesterday  # noqa: F401
from tests.portal.mail_helpers import drain
from tests.portal.test_requirements import org  # noqa: F401


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def test_the_digest_lists_overdue_assigned_courses_as_well(app, login, org, portal, queue, smtp):
    requirement(login, org, yesterday())
    first_aid = portal.course("Första hjälpen")
    assigned = post(
        login(org["olle"]),
        "/manage/assignments",
        {"course_id": first_aid, "user_id": org["sam"], "due_date": str(yesterday()), "note": ""},
    )
    assert assigned.status_code == 302, assigned.get_data(as_text=True)[:2000]
    drain(jobs.huey)  # the assignment's own message
    jobs.enqueue("weekly_digest")
    drain(jobs.huey)

    (olles,) = [m for m in smtp.sink.to("olle@example.org") if "din enhet" in m["Subject"]]
    assert olles["Subject"] == "Försenade utbildningar i din enhet: 1"
    assert "- Sam: Första hjälpen (sista dag" in olles.get_body(("plain",)).get_content()
    (boss,) = [m for m in smtp.sink.to("boss@example.org") if "din enhet" in m["Subject"]]
    assert "Första hjälpen" not in boss.get_body(("plain",)).get_content()  # not his unit


def _age(app, days: int) -> None:
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(created_at=_now() - timedelta(days=days)))
        db.session.commit()


def _statuses(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(OutboxMessage.status)))


def test_old_sent_messages_go_and_are_never_sent_again(app, login, org, queue, smtp):
    from portal import tasks

    requirement(login, org, yesterday())
    jobs.enqueue("daily_notices")
    drain(jobs.huey)
    assert _statuses(app) == ["sent"] * 4  # Lea, Per, Boss; and Boss about Lea
    _age(app, 181)
    tasks.prune_outbox.call_local()
    assert _statuses(app) == []
    with app.app_context():
        assert len(db.session.scalars(select(OutboxKey.key)).all()) == 4
    # The people are still overdue: tomorrow's run finds the same notices, sends none.
    jobs.enqueue("daily_notices")
    drain(jobs.huey)
    assert _statuses(app) == []
    assert len(smtp.sink.received) == 4
    assert "Brandskydd" not in login(org["lea"]).get("/notifications").get_data(as_text=True)


def test_the_cleanup_keeps_recent_unsent_and_failed_messages(app, login, org, queue):
    from portal import tasks

    requirement(login, org, yesterday())  # mail is off: the messages are kept, not e-mailed
    jobs.enqueue("daily_notices")
    drain(jobs.huey)
    assert _statuses(app) == ["not_sent"] * 4
    with app.app_context():
        ids = sorted(db.session.scalars(select(OutboxMessage.id)))
        for message_id, status in zip(ids, ("pending", "failed", "sent"), strict=False):
            db.session.execute(
                update(OutboxMessage).where(OutboxMessage.id == message_id).values(status=status)
            )
        db.session.commit()
    _age(app, 179)
    tasks.prune_outbox.call_local()
    assert len(_statuses(app)) == 4  # younger than OUTBOX_RETENTION_DAYS (180)
    _age(app, 181)
    app.config["OUTBOX_RETENTION_DAYS"] = 0  # kept for ever
    try:
        tasks.prune_outbox.call_local()
        assert len(_statuses(app)) == 4
    finally:
        app.config["OUTBOX_RETENTION_DAYS"] = 180
    tasks.prune_outbox.call_local()
    assert _statuses(app) == ["failed", "pending"]  # still to send, or to try again
