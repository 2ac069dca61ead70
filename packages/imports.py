"""Large package imports in the background: the upload is kept, a job imports it.

Reading and storing a zip of hundreds of megabytes takes longer than a request may
(gunicorn stops a worker that does not answer its arbiter for 30 s, and a front proxy
gives up too). So an upload larger than PACKAGE_IMPORT_BACKGROUND_BYTES is only
received in the request: kept in storage (``Storage.keep_upload``: ``STORAGE_PATH/tmp``,
or a temporary object in the bucket that any node's worker can read), and a job imports
it. The job's run (core/jobs/runs.py) carries its progress (percent of the bytes stored)
and, when it is done, its result: what the import created, or why it was refused. The
kept upload is removed whatever happens; one left by a worker killed in the middle is
removed by the daily sweep (``sweep_temporary``).

The API's job is here; the portal has its own (portal/tasks.py), as its uploads make
portal rows too; both run ``run_kept``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app

from accounts.models import User
from core import jobs
from core.db import db
from core.errors import NotFound
from core.jobs import crontab, runs
from packages import service
from packages.report import PackageRefused

# An import cut off by a crash leaves temporary files: none lives longer than this.
TEMPORARY_LIFETIME = timedelta(days=1)
API_JOB = "import_package_upload"

Run = Callable[[Path, service.Progress], service.ImportResult]


def in_background(content_length: int | None) -> bool:
    """Whether an upload of this many bytes is imported by a job (unknown size: yes)."""
    limit = int(current_app.config["PACKAGE_IMPORT_BACKGROUND_BYTES"])
    return content_length is None or content_length > limit


def result_of(import_result: service.ImportResult) -> dict[str, Any]:
    """What an import created, as the API answers it (kept with the job's run)."""
    return {**import_result.as_dict(), "version_id": import_result.version.id}


def run_kept(name: str, run: Run) -> None:
    """Import the kept upload ``name`` with ``run`` (in a job), then remove it.

    Progress goes to the job's run in percent (committed: the import has added nothing
    to the session yet while it stores files). A refusal is a result, not a failure:
    retrying would refuse it again.
    """
    task_id = jobs.current_task_id()
    storage = service.get_storage()
    shown = [-1]

    def progress(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent != shown[0]:
            shown[0] = percent
            runs.progress(task_id, percent, 100)
            db.session.commit()

    try:
        progress(0, 1)
        with storage.upload_file(name) as path:
            try:
                result = result_of(run(path, progress))
            except PackageRefused as exc:
                db.session.rollback()
                result = {
                    "errors": [e.as_dict() for e in exc.errors],
                    "warnings": [w.as_dict() for w in exc.warnings],
                }
        runs.keep_result(task_id, result)
        runs.progress(task_id, 100, 100)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        storage.drop_upload(name)


def status(task_id: str, user: User, job_name: str) -> runs.JobRun:
    """The run of a background import that ``user`` started (an admin: anyone's).

    NotFound for someone else's, so task ids reveal nothing.
    """
    run = runs.find(task_id)
    if run is None or run.name != job_name or len(run.args) < 2:
        raise NotFound("No such import")
    if user.role != "admin" and str(run.args[1]) != str(user.id):
        raise NotFound("No such import")
    return run


@jobs.job(retries=0)
def import_package_upload(name: str, user_id: int, label: str, options: str) -> None:
    """An upload to the API, imported as ``packages.views`` would import it in the request.

    ``options``: JSON of the course (or None), title, category, owner unit, and whether
    the version is live and the course published (decided in the request).
    """
    chosen = json.loads(options)
    user = db.session.get(User, user_id)

    def run(path: Path, progress: service.Progress) -> service.ImportResult:
        result = service.import_package(
            path,
            chosen["course_id"],
            title=chosen["title"],
            category=chosen["category"],
            owner_unit_id=chosen["owner_unit_id"],
            published=chosen["live"],
            label=label,
            uploaded_by=user,
            progress=progress,
        )
        if chosen["publish"]:
            service.set_published(result.course, True)
        return result

    run_kept(name, run)


@jobs.periodic(crontab(minute="40", hour="3"))
def sweep_temporary() -> None:
    """Nightly: temporary files and objects of imports cut off by a crash are removed."""
    service.get_storage().sweep_staged(TEMPORARY_LIFETIME)
