"""The portal's background jobs: mail, reminders, digests, imports, report files.

Collectors store messages and commit, then each message is sent by a job of its own
(retried with backoff; sending claims the row, so a message goes once). A worker that
starts, and every ten minutes the scheduler, sweeps the outbox for messages whose job
was lost (a worker killed while running it). Nightly and hourly jobs clean up after
them: sent messages past OUTBOX_RETENTION_DAYS, report files past EXPORT_KEEP_HOURS.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from flask import current_app

from accounts import audit, people_import
from accounts.models import User
from core import jobs
from core.db import db
from core.jobs import crontab, runs
from packages import imports as package_imports
from packages import service as packages
from portal import (
    catalogue,
    compliance_trend,
    notice_kinds,
    notices,
    reminders,
    report_exports,
    requirements,
)
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


@jobs.periodic(crontab(hour="2", minute="0"))
def compliance_snapshot() -> None:
    """Nightly, after the refresh: today's compliance counts for the trend.

    Also enqueued when a requirement is created; a second run on the same day replaces
    the first (one snapshot a day). A worker that starts takes one if today has none.
    """
    compliance_trend.record(date.today())
    db.session.commit()


@jobs.periodic(crontab(hour="1", minute="30"))
def prune_job_runs() -> None:
    """Nightly: runs that went well are kept 30 days (Admin → Jobs), failed ones until retried."""
    runs.prune(30)
    db.session.commit()


@jobs.periodic(crontab(hour="2", minute="0"))
def prune_outbox() -> None:
    """Nightly: messages sent (or kept without e-mail) go after OUTBOX_RETENTION_DAYS."""
    days = int(current_app.config["OUTBOX_RETENTION_DAYS"])
    if days <= 0:
        return  # kept for ever
    while notices.prune(days):
        db.session.commit()  # a thousand at a time: the database is not held long


@jobs.job(retries=2, retry_delay=30)
def export_report(export_id: int) -> None:
    """A large report file, made as its page would make it, for the person who asked.

    Safe to run again: a file made already (or refused, or removed) is left as it is,
    and the file is written whole before its row says it is ready.
    """
    task_id = jobs.current_task_id()
    export = report_exports.waiting(export_id)
    if export is None:
        return
    runs.progress(task_id, 1, 3)  # reading the report
    db.session.commit()
    made = report_exports.build(export)
    if made is not None:
        runs.progress(task_id, 2, 3)  # writing the file
        db.session.commit()
        report_exports.keep(export, made)
    runs.progress(task_id, 3, 3)
    db.session.commit()


@jobs.periodic(crontab(minute="15"))
def sweep_exports() -> None:
    """Hourly: report files past EXPORT_KEEP_HOURS are removed with their rows."""
    report_exports.sweep()
    db.session.commit()


@jobs.periodic(crontab(minute="*/10"))
def sweep_outbox() -> None:
    """Send messages whose job was lost (pending, or claimed by a sender that died)."""
    for message_id in notices.waiting():
        jobs.enqueue("send_message", message_id)


def import_file(token: str) -> Path:
    """Where a people import waiting for its job keeps the file (the instance directory)."""
    if not token.isalnum():
        raise ValueError("an import's token is letters and digits")
    return Path(current_app.config["INSTANCE_PATH"]) / "imports" / f"{token}.csv"


@jobs.job(retries=2, retry_delay=60)
def import_people(token: str, actor_id: int, filename: str) -> None:
    """A large people import: check the whole file, then import it if nothing is wrong.

    Safe to run again: the file is removed once its import is committed, and importing
    the same people twice changes nothing the second time.
    """
    path, task_id = import_file(token), jobs.current_task_id()
    if not path.exists():
        return
    runs.progress(task_id, 0, 2)
    db.session.commit()
    result = people_import.plan(path.read_bytes(), db.session)
    if not result.rejected:
        runs.progress(task_id, 1, 2)
        people_import.apply(result, db.session)
        counts = {"created": result.created_count, "updated": result.updated_count}
        actor = db.session.get(User, actor_id)
        audit.record("people.imported", "file", None, filename, actor=actor, details=counts)
    runs.keep_result(task_id, people_import.report(result))
    runs.progress(task_id, 2, 2)
    db.session.commit()
    path.unlink()


def _sweep_at_start() -> None:
    jobs.enqueue("sweep_outbox")


@jobs.job(retries=2, retry_delay=60)
def compliance_snapshot_if_missing() -> None:
    """At a worker's start: today's compliance snapshot, unless one was taken today.

    The first after an installation or upgrade, or after a night the worker was down.
    """
    if not compliance_trend.taken(date.today()):
        compliance_trend.record(date.today())
        db.session.commit()


def _snapshot_at_start() -> None:
    jobs.enqueue("compliance_snapshot_if_missing")


def init_app() -> None:
    """As each worker starts: sweep the outbox, take today's snapshot if there is none."""
    for action in (_sweep_at_start, _snapshot_at_start):
        if action not in jobs.START_ACTIONS:
            jobs.at_worker_start(action)


UPLOAD_JOB = "upload_package"


@jobs.job(retries=0)
def upload_package(name: str, user_id: int, filename: str, options: str) -> None:
    """A large package uploaded on an author's page, imported as the page would import it.

    ``options``: JSON of the course (a new version of it; None: a new course) and the
    form's title, category, unit and publish. Not retried: the upload is removed after
    one run, whatever happened (packages/imports.py).
    """
    chosen = json.loads(options)
    by = db.session.get(User, user_id)

    def run(path: Path, progress: packages.Progress) -> packages.ImportResult:
        with path.open("rb") as stream:
            if chosen["course_id"] is not None:
                course = packages.get_course(chosen["course_id"])
                return catalogue.upload_version(course, stream, filename, by, progress)
            return catalogue.upload_course(
                stream,
                filename,
                chosen["title"],
                chosen["category"],
                chosen["unit"],
                chosen["publish"],
                by=by,
                progress=progress,
            )

    package_imports.run_kept(name, run)
