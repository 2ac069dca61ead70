"""Admin → LRS archive: export the LRS, or import an archive into an empty one, as jobs.

The work is ``lrs.export`` and ``lrs.archive_import`` (also ``flask lrs export/import``);
here it runs in the background with its progress on the job's page. Archive files live
in the instance directory (``INSTANCE_PATH/lrs-archives``, the service's own, 0700),
named by a random token: an export until EXPORT_KEEP_HOURS have passed (it holds every
learner's records), an uploaded archive until its import has run.  The import job
verifies every checksum (progress committed as it goes: nothing is written yet) and
then imports in one transaction, committed with the job's result and audit entry.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from flask import current_app

from accounts import audit
from accounts.models import User
from core import files, jobs
from core.db import db
from core.errors import AppError, NotFound
from core.jobs import crontab, runs
from lrs import archive_import, export

EXPORT_JOB = "export_lrs_archive"
IMPORT_JOB = "import_lrs_archive"
# Commit the verification's progress at most this often (seconds).
PROGRESS_EVERY = 1.0


def archive_dir() -> Path:
    """Where archive files wait (made private on first use)."""
    return files.private_dir(Path(current_app.config["INSTANCE_PATH"]) / "lrs-archives")


def archive_path(token: str) -> Path:
    """The file of an export or an upload, by its token (letters and digits only)."""
    if not token.isalnum():
        raise NotFound("No such archive")
    return archive_dir() / f"{token}.zip"


def new_token() -> str:
    """A random name for an archive file."""
    return secrets.token_hex(16)


def _actor(actor_id: int) -> User | None:
    return db.session.get(User, actor_id)


@jobs.job(retries=0)
def export_lrs_archive(token: str, actor_id: int) -> None:
    """Write the LRS into the token's file, with progress; audited as the admin's."""
    task_id = jobs.current_task_id()
    target = archive_path(token)
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    last = [0.0]

    def progress(what: str, done: int, total: int) -> None:
        if what == "statements" and time.monotonic() - last[0] >= PROGRESS_EVERY:
            last[0] = time.monotonic()
            runs.progress(task_id, done, total)
            db.session.commit()  # the export reads on a connection of its own

    manifest = export.export_lrs(partial, progress)
    files.private(partial)
    partial.rename(target)  # the download appears whole or not at all
    total = manifest.counts.get("statements", 0)
    runs.progress(task_id, total, total)
    size = target.stat().st_size
    runs.keep_result(task_id, {"token": token, "counts": manifest.counts, "size": size})
    audit.record("lrs.exported", "lrs", None, "", actor=_actor(actor_id), details=manifest.counts)
    db.session.commit()


@jobs.job(retries=0)
def import_lrs_archive(token: str, actor_id: int, filename: str) -> None:
    """Verify and import the uploaded archive; its result (or refusal) on the job's page."""
    task_id = jobs.current_task_id()
    path = archive_path(token)
    if not path.exists():
        return
    last = [0.0]

    def progress(what: str, done: int, total: int) -> None:
        # Only while verifying: nothing is written then, so committing is safe; the
        # import itself is one transaction, committed at the end.
        if what == "verifying" and time.monotonic() - last[0] >= PROGRESS_EVERY:
            last[0] = time.monotonic()
            runs.progress(task_id, done, total)
            db.session.commit()

    try:
        counts = archive_import.import_lrs(path, progress)
    except AppError as exc:
        db.session.rollback()
        runs.keep_result(task_id, {"refused": exc.message, "errors": exc.errors})
        db.session.commit()
        path.unlink(missing_ok=True)
        return
    runs.keep_result(task_id, {"counts": counts})
    audit.record("lrs.imported", "file", None, filename, actor=_actor(actor_id), details=counts)
    db.session.commit()
    path.unlink(missing_ok=True)


@jobs.periodic(crontab(minute="45"))
def sweep_lrs_archives() -> None:
    """Hourly: exported archives past EXPORT_KEEP_HOURS, and uploads left behind, go."""
    keep = float(current_app.config["EXPORT_KEEP_HOURS"]) * 3600
    for path in archive_dir().iterdir():
        if time.time() - path.stat().st_mtime > keep:
            path.unlink(missing_ok=True)


def job_of(task_id: str, *names: str) -> Any:
    """The run of an archive job of one of these kinds, or NotFound."""
    run = runs.find(task_id)
    if run is None or run.name not in names:
        raise NotFound("No such archive job")
    return run


def exported_file(task_id: str) -> Path:
    """The finished export's file, while it is kept."""
    run = job_of(task_id, EXPORT_JOB)
    token = (run.result or {}).get("token")
    if not token or not archive_path(str(token)).exists():
        raise NotFound("The file is no longer kept")
    return archive_path(str(token))
