"""Each job run in the database: queued, running, done or failed, with its attempts.

Written from huey's signals, each in its own app context and transaction (the
producer's after its commit, the worker's around the job), so Admin → Jobs sees the
queue of every node. The last error keeps the exception's type and the first line of
its message, capped, never its traceback or the job's arguments' values beyond ids.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from huey import Huey
from huey import signals as s
from huey.api import Task
from sqlalchemy import JSON, DateTime, Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from core import jobs
from core.db import Model, db

STATUSES = ("queued", "running", "done", "failed")
ERROR_LENGTH = 300
_SECRET_SETTINGS = ("MAIL_PASSWORD", "SECRET_KEY", "OIDC_CLIENT_SECRET", "S3_SECRET_ACCESS_KEY")


class JobRun(Model):
    """One job: its latest state (a retry updates the same row)."""

    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    # The job's arguments (ids, dates as text): enough to enqueue it again.
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(ERROR_LENGTH), default="")
    # Done of total, for jobs that report it (e.g. a batch of messages).
    done: Mapped[int | None] = mapped_column(Integer, nullable=True)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # What a job reports for its page when it is done (e.g. a people import's counts).
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The worker that runs or ran it: "host:pid" (a worker that starts again on the host
    # marks the runs of its dead predecessors failed).
    worker: Mapped[str] = mapped_column(String(120), default="")
    queued_at: Mapped[datetime] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _row(task: Task) -> JobRun:
    row = db.session.scalar(select(JobRun).where(JobRun.task_id == task.id))
    if row is None:
        row = JobRun(
            task_id=task.id,
            name=task.name,
            args=[a if isinstance(a, int | str) else str(a) for a in task.args],
            status="queued",
            attempts=0,
            last_error="",
            worker="",
            queued_at=_now(),
        )
        db.session.add(row)
    return row


def error_text(exc: BaseException | None) -> str:
    """The exception's type and first line, capped; any configured secret blanked."""
    if exc is None:
        return ""
    first = (str(exc).splitlines() or [""])[0]
    for name in _SECRET_SETTINGS:
        secret = jobs.app().config.get(name)
        if secret:
            first = first.replace(str(secret), "***")
    return f"{type(exc).__name__}: {first}"[:ERROR_LENGTH]


def _record(signal: str, task: Task, exc: BaseException | None = None) -> None:
    row = _row(task)
    if signal == s.SIGNAL_ENQUEUED and row.status != "running":
        row.status = "queued"
    elif signal == s.SIGNAL_EXECUTING:
        row.status, row.started_at, row.finished_at = "running", _now(), None
        row.attempts += 1
        row.worker = this_worker()
    elif signal == s.SIGNAL_COMPLETE:
        row.status, row.finished_at, row.last_error = "done", _now(), ""
    elif signal in (s.SIGNAL_ERROR, s.SIGNAL_TIMEOUT, s.SIGNAL_INTERRUPTED):
        row.status, row.finished_at = "failed", _now()
        row.last_error = error_text(exc) or signal
    elif signal == s.SIGNAL_RETRYING:
        row.status = "queued"  # its error stays until it succeeds
    db.session.commit()


def on_signal(signal: str, task: Task, exc: BaseException | None = None, *_: Any) -> None:
    """Receives huey's signals: the run's row, in a context and transaction of its own."""
    with jobs.app().app_context():
        try:
            _record(signal, task, exc)
        except Exception:
            db.session.rollback()
            raise


WATCHED = (
    s.SIGNAL_ENQUEUED,
    s.SIGNAL_EXECUTING,
    s.SIGNAL_COMPLETE,
    s.SIGNAL_ERROR,
    s.SIGNAL_RETRYING,
    s.SIGNAL_TIMEOUT,
    s.SIGNAL_INTERRUPTED,
)


def connect(huey: Huey) -> None:
    """Keep the table in step with the queue (connecting twice changes nothing)."""
    if on_signal not in huey._signal.receivers.get(s.SIGNAL_ENQUEUED, []):
        huey.signal(*WATCHED)(on_signal)


def this_worker() -> str:
    """The name of this process as a worker: host name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


DIED = "the worker stopped while it ran (killed or restarted)"


def abandoned_on_this_host() -> int:
    """Mark failed the runs left 'running' by workers of this host that are gone.

    A worker killed in the middle of a job cannot say so; the next one on the host can.
    (Runs of another host's dead worker stay 'running' until that host starts one.)
    """
    host = socket.gethostname()
    count = 0
    for row in db.session.scalars(select(JobRun).where(JobRun.status == "running")):
        name, _sep, pid = row.worker.rpartition(":")
        if name == host and pid.isdigit() and not _alive(int(pid)):
            row.status, row.finished_at, row.last_error = "failed", _now(), DIED
            count += 1
    db.session.commit()
    return count


def progress(task_id: str | None, done: int, total: int) -> None:
    """A job's progress, kept with the job's next commit (Admin → Jobs shows it)."""
    if task_id is None:
        return
    row = db.session.scalar(select(JobRun).where(JobRun.task_id == task_id))
    if row is not None:
        row.done, row.total = done, total


def find(task_id: str) -> JobRun | None:
    """The run of the job with ``task_id``."""
    return db.session.scalar(select(JobRun).where(JobRun.task_id == task_id))


def keep_result(task_id: str | None, result: dict[str, Any]) -> None:
    """Keep what the job reports (committed with the job's work)."""
    row = find(task_id) if task_id else None
    if row is not None:
        row.result = result


def prune(days: int = 30) -> int:
    """Forget runs that finished well (done) more than ``days`` ago; failed ones stay."""
    before = _now() - timedelta(days=days)
    gone = db.session.execute(
        delete(JobRun).where(JobRun.status == "done", JobRun.finished_at < before)
    )
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


def listed(status: str, limit: int = 200) -> list[JobRun]:
    """The runs with ``status``, newest first."""
    return list(
        db.session.scalars(
            select(JobRun)
            .where(JobRun.status == status)
            .order_by(JobRun.queued_at.desc(), JobRun.id.desc())
            .limit(limit)
        )
    )
