"""The worker as a process: killed in the middle of a batch of reminders, started again.

``flask jobs worker`` runs as a subprocess against this test's database and queue
(SQLite file, or Redis DB 5) and sends to aiosmtpd. The SMTP server holds the third
message unanswered; the test kills the worker with SIGKILL while it waits (the message is
claimed, not sent), lets the server refuse it, starts a new worker and counts what
arrived: every reminder exactly once.
"""
# ruff: noqa: F811  (the fixtures imported from jobs_fixtures and test_requirements are parameters here)

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core import jobs
from core.db import db
from core.jobs.runs import DIED, JobRun
from portal.notice_models import OutboxMessage
from tests.portal.jobs_fixtures import queue, requirement, smtp  # noqa: F401
from tests.portal.mail_helpers import drain
from tests.portal.test_requirements import org  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"


class Workers:
    """Start and stop `flask jobs worker` processes with the test's settings."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as out:
            worker = subprocess.Popen(  # noqa: S603  (our own CLI)
                [str(FLASK), "--app", "wsgi", "jobs", "worker", "--workers", "1"],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.running.append(worker)
        return worker


@pytest.fixture
def workers(app, queue, smtp, tmp_path) -> Iterator[Workers]:
    env = {
        **os.environ,
        **queue["env"],
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_TLS": "none",
        "MAIL_FROM": app.config["MAIL_FROM"],
        # One sender thread: a claim is stale as soon as its sender is gone.
        "MAIL_CLAIM_SECONDS": "0",
        "JOBS_SCHEDULER": "0",
    }
    if "REDIS_URL" not in queue["env"]:
        env.pop("REDIS_URL", None)
    found = Workers(env, tmp_path / "worker.log")
    yield found
    for worker in found.running:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    _fresh_connections(app)


def _fresh_connections(app: Any) -> None:
    """Open the database anew after other processes shared the SQLite file.

    A worker that exits may checkpoint and reset the WAL's shared-memory file; this
    process's pooled connections still map the old one (on SQLite the full suite died of
    SIGBUS a few tests later). New connections map the file as it is now.
    """
    with app.app_context():
        db.session.remove()
        # SQLite only: on PostgreSQL there is no shared file to remap, and a disposed
        # pool abandons the connections still checked out elsewhere, which psycopg then
        # reports (ResourceWarning) whenever the garbage collector meets them.
        if db.engine.dialect.name == "sqlite":
            db.engine.dispose()


def _people(portal: Any, org: dict[str, Any], count: int) -> list[str]:
    addresses = [f"person{i}@example.org" for i in range(count)]
    for address in addresses:
        portal.user(address, unit_id=org["ifo"])
    return addresses


def test_a_worker_killed_mid_batch_sends_every_reminder_once_after_restart(
    app,
    login,
    org,
    portal,
    queue,
    smtp,
    workers,
):
    everyone = sorted(
        [*_people(portal, org, 5), "boss@example.org", "lea@example.org", "per@example.org"]
    )
    requirement(login, org, date.today() + timedelta(days=3))  # a reminder each
    smtp.sink.hold_at = 3
    first = workers.start()
    jobs.enqueue("daily_notices")
    assert smtp.sink.holding.wait(120), workers.log.read_text()
    first.send_signal(signal.SIGKILL)  # while it waits for the server's answer
    first.wait()
    smtp.sink.release.set()  # the held message is refused: it never arrived
    assert len(smtp.sink.received) == 2

    second = workers.start()  # its start sweeps the outbox
    assert smtp.sink.wait_for(len(everyone)), workers.log.read_text()
    second.send_signal(signal.SIGINT)  # finishes the running job, then stops
    assert second.wait(60) == 0
    _fresh_connections(app)
    drain(jobs.huey)  # whatever was left in the queue: only jobs that find their work done

    assert smtp.sink.recipients() == everyone
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert len(rows) == len(everyone)
        assert {r.status for r in rows} == {"sent"}
        # The job the killed worker was running is shown failed, by the worker after it.
        (lost,) = db.session.scalars(select(JobRun).where(JobRun.status != "done")).all()
        assert (lost.name, lost.status, lost.last_error) == ("send_message", "failed", DIED)
