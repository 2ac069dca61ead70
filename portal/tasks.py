"""The portal's background jobs: sending the outbox, reminders, digests, refreshes.

Collectors store messages and commit, then each message is sent by a job of its own
(retried with backoff; sending claims the row, so a message goes once). A worker that
starts, and every ten minutes the scheduler, sweeps the outbox for messages whose job
was lost (a worker killed while running it).
"""

from __future__ import annotations

from datetime import date

from core import jobs
from core.db import db
from core.jobs import crontab, runs
from portal import notice_kinds, notices, reminders, requirements
from portal.notices import Draft

__all__ = ["notice_kinds"]  # imported for its kinds of message


def _store_and_send(drafts: list[Draft]) -> int:
    task_id = jobs.current_task_id()
    ids = notices.store(drafts)
    runs.progress(task_id, 0, len(ids))
    db.session.commit()
    for done, message_id in enumerate(ids, start=1):
        jobs.enqueue("send_message", message_id)
        if done % 100 == 0:
            runs.progress(task_id, done, len(ids))
            db.session.commit()
    runs.progress(task_id, len(ids), len(ids))
    db.session.commit()
    return len(ids)


@jobs.job(retries=5, retry_delay=30, retry_backoff=2)
def send_message(message_id: int) -> None:
    """Send one outbox message (nothing when it is sent already)."""
    notices.deliver(message_id)


@jobs.job()
def notify_assignment(assignment_id: int) -> None:
    """Tell everyone an assignment reaches."""
    _store_and_send(reminders.assigned(assignment_id))


@jobs.periodic(crontab(hour="5", minute="0"))
def daily_notices() -> None:
    """Reminders before due dates, overdue notices and expiries (06:00 Swedish winter time)."""
    run_daily(date.today())


def run_daily(today: date) -> int:
    """Store and enqueue ``today``'s messages; how many are to be e-mailed."""
    return _store_and_send(reminders.daily(today))


@jobs.periodic(crontab(day_of_week="1", hour="5", minute="30"))
def weekly_digest() -> None:
    """Managers' Monday summary of their people's overdue training."""
    _store_and_send(reminders.weekly(date.today()))


@jobs.periodic(crontab(hour="1", minute="0"))
def refresh_requirements() -> None:
    """Nightly ``flask requirements refresh``: audiences follow the organisation."""
    requirements.refresh()
    db.session.commit()


@jobs.periodic(crontab(minute="*/10"))
def sweep_outbox() -> None:
    """Send messages whose job was lost (pending, or claimed by a sender that died)."""
    for message_id in notices.waiting():
        jobs.enqueue("send_message", message_id)


def _sweep_at_start() -> None:
    jobs.enqueue("sweep_outbox")


def init_app() -> None:
    """Each worker sweeps the outbox as it starts (messages of a killed worker's jobs)."""
    if _sweep_at_start not in jobs.START_ACTIONS:
        jobs.at_worker_start(_sweep_at_start)
