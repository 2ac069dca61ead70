"""Admin → LRS archive: export the LRS, or import an archive into an empty one, as jobs.

The work is ``lrs.export`` and ``lrs.archive_import`` (also ``flask lrs export/import``);
here it runs in the background with its progress on the job's page. Archive files are
private objects of the package storage (packages/storage.py ``put_private``: the shared
directory or the bucket, so any node's download or worker finds them; never served as
content), named by a random token: an export until EXPORT_KEEP_HOURS have passed (it
holds every learner's records), an uploaded archive until its import has run.  A file
is written locally in the storage's ``temp_dir`` first and moved in whole.  The import job
verifies every checksum (progress committed as it goes: nothing is written yet) and
then imports in one transaction, committed with the job's result and audit entry.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from flask import current_app

from accounts import audit
from accounts.models import User
from core import jobs
from core.db import db
from core.errors import AppError, NotFound
from core.jobs import crontab, runs
from lrs import archive_import, export
from packages import service
from player import attempt_archive

EXPORT_JOB = "export_lrs_archive"
IMPORT_JOB = "import_lrs_archive"
# Commit the verification's progress at most this often (seconds).
PROGRESS_EVERY = 1.0


NAME_START = "lrs-archive-"


def archive_name(token: str) -> str:
    """The private object of an export or an upload, by its token (letters and digits)."""
    if not token.isalnum():
        raise NotFound("No such archive")
    return f"{NAME_START}{token.lower()}.zip"


@contextlib.contextmanager
def _local_file() -> Iterator[Path]:
    """A new local path in the storage's ``temp_dir``, removed afterwards if still there.

    Not yet a file: the export makes it (``x`` mode).
    """
    path = service.get_storage().temp_dir / f"lrs-archive-{new_token()}.zip"
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def keep_upload(token: str, save: Any) -> None:
    """Keep an uploaded archive for its import job; ``save`` writes it to a local path."""
    with _local_file() as path:
        save(path)
        service.get_storage().put_private(archive_name(token), path)


def new_token() -> str:
    """A random name for an archive file."""
    return secrets.token_hex(16)


def _actor(actor_id: int) -> User | None:
    return db.session.get(User, actor_id)


@jobs.job(retries=0)
def export_lrs_archive(token: str, actor_id: int, attempts: bool = False) -> None:
    """Write the LRS (with the player's ``attempts`` if asked) into the token's file."""
    task_id = jobs.current_task_id()
    last = [0.0]

    def progress(what: str, done: int, total: int) -> None:
        if what == "statements" and time.monotonic() - last[0] >= PROGRESS_EVERY:
            last[0] = time.monotonic()
            runs.progress(task_id, done, total)
            db.session.commit()  # the export reads on a connection of its own

    with _local_file() as partial:
        parts = [attempt_archive.PART.name] if attempts else []
        manifest = export.export_lrs(partial, progress, parts)
        size = partial.stat().st_size
        # Moved in whole: the download appears whole or not at all.
        service.get_storage().put_private(archive_name(token), partial)
    total = manifest.counts.get("statements", 0)
    runs.progress(task_id, total, total)
    runs.keep_result(task_id, {"token": token, "counts": manifest.counts, "size": size})
    audit.record("lrs.exported", "lrs", None, "", actor=_actor(actor_id), details=manifest.counts)
    db.session.commit()


@jobs.job(retries=0)
def import_lrs_archive(token: str, actor_id: int, filename: str) -> None:
    """Verify and import the uploaded archive; its result (or refusal) on the job's page."""
    task_id = jobs.current_task_id()
    storage = service.get_storage()
    name = archive_name(token)
    try:
        with contextlib.ExitStack() as stack:
            try:
                path = stack.enter_context(storage.private_file(name))
            except FileNotFoundError:
                return  # swept, or imported already
            _import(task_id, path, actor_id, filename)
    finally:
        storage.delete_private(name)  # imported or refused: the upload is not kept


def _import(task_id: str | None, path: Path, actor_id: int, filename: str) -> None:
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
        return
    runs.keep_result(task_id, {"counts": counts})
    audit.record("lrs.imported", "file", None, filename, actor=_actor(actor_id), details=counts)
    db.session.commit()


@jobs.periodic(crontab(minute="45"))
def sweep_lrs_archives() -> None:
    """Hourly: exported archives past EXPORT_KEEP_HOURS, and uploads left behind, go."""
    keep = timedelta(hours=float(current_app.config["EXPORT_KEEP_HOURS"]))
    service.get_storage().sweep_private(NAME_START, keep)


def job_of(task_id: str, *names: str) -> Any:
    """The run of an archive job of one of these kinds, or NotFound."""
    run = runs.find(task_id)
    if run is None or run.name not in names:
        raise NotFound("No such archive job")
    return run


def open_export(task_id: str) -> tuple[str, IO[bytes]]:
    """The finished export's name and an open reader of it, while it is kept."""
    run = job_of(task_id, EXPORT_JOB)
    token = (run.result or {}).get("token")
    if not token:
        raise NotFound("The file is no longer kept")
    name = archive_name(str(token))
    try:
        return name, service.get_storage().open_private(name)
    except FileNotFoundError:
        raise NotFound("The file is no longer kept") from None
