"""Report files made in the background: asked for on a page, made by a job, kept a while.

``start`` keeps what the person asked for (the report's kind and arguments, their locale,
and a digest of their scope) with a task id of its own, so the export's page follows the
job's run (core/jobs/runs.py). The job (``tasks.export_report``) checks that the person is
still active with the very same scope, builds the file as the page would
(portal/report_files.py), writes it whole to ``instance/exports/`` (0600) and marks it
ready until EXPORT_KEEP_HOURS later. Only that person, still with that scope, may
download it (``for_download``); anyone else is told there is no such export, so ids
reveal nothing. The hourly sweep removes expired files and their rows.
"""

from __future__ import annotations

import os
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from accounts.models import User
from core import files
from core.db import db
from core.errors import AppError, Conflict, Forbidden, NotFound
from portal.export_models import ReportExport
from portal.report_files import EXPORTERS, File, Params


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _keep() -> timedelta:
    return timedelta(hours=int(current_app.config["EXPORT_KEEP_HOURS"]))


def directory() -> Path:
    """Where the files wait for their person (the instance directory, 0700)."""
    return Path(current_app.config["INSTANCE_PATH"]) / "exports"


def path_of(export: ReportExport) -> Path:
    """The export's file (named by its random token, never by anything a user sent)."""
    if not export.token.isalnum():
        raise ValueError("an export's token is letters and digits")
    return directory() / f"{export.token}.csv"


def is_large(user: User, kind: str, params: Params) -> bool:
    """Whether the file would have more rows than a page makes while the person waits."""
    limit = int(current_app.config["EXPORT_BACKGROUND_ROWS"])
    return EXPORTERS[kind].size(user, params) > limit


def start(user: User, kind: str, params: Params, locale: str) -> ReportExport:
    """Keep the request for a file (flushed); enqueue its job under ``task_id`` after the commit."""
    exporter = EXPORTERS[kind]
    now = _now()
    export = ReportExport(
        token=secrets.token_hex(16),
        user_id=user.id,
        kind=kind,
        params=params,
        scope=exporter.scope(user, params),
        locale=locale,
        filename=exporter.filename(params),
        task_id=uuid.uuid4().hex,
        status="queued",
        created_at=now,
        expires_at=now + _keep(),
    )
    db.session.add(export)
    db.session.flush()
    return export


def _same_scope(export: ReportExport, user: User) -> bool:
    if not user.active:
        return False
    try:
        return EXPORTERS[export.kind].scope(user, export.params) == export.scope
    except AppError:  # Forbidden: no longer a manager; NotFound: the report is gone
        return False


def waiting(export_id: int) -> ReportExport | None:
    """The export if its file is still to be made (None: made, refused, removed or gone)."""
    export = db.session.get(ReportExport, export_id)
    if export is None or export.status != "queued" or expired(export):
        return None
    return export


def build(export: ReportExport) -> File | None:
    """The file, as the person's page would make it now (None, refused: scope changed)."""
    user = db.session.get(User, export.user_id)
    if user is None or not _same_scope(export, user):
        export.status = "refused"
        return None
    with force_locale(export.locale):
        return EXPORTERS[export.kind].build(user, export.params, export.locale)


def keep(export: ReportExport, made: File) -> None:
    """Write the file whole (a retry writes it again), then mark the export ready."""
    path = path_of(export)
    files.private_dir(path.parent)
    partial = path.with_suffix(".part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(made.body)
    partial.replace(path)
    now = _now()
    export.status, export.ready_at, export.expires_at = "ready", now, now + _keep()
    export.rows, export.size = made.rows, len(made.body)
    export.audit = {"name": made.audit_name, "details": made.details}


def of_person(user: User, export_id: int) -> ReportExport:
    """The person's own export; anyone else's is "not found" (never "forbidden")."""
    export = db.session.get(ReportExport, export_id)
    if export is None or export.user_id != user.id:
        raise NotFound("No such export")
    return export


def expired(export: ReportExport) -> bool:
    """Whether the file is no longer kept (its time is up, or the person removed it)."""
    return export.expires_at <= _now()


def for_download(user: User, export_id: int) -> tuple[ReportExport, bytes]:
    """The person's ready file, if they still have the scope they asked with."""
    export = of_person(user, export_id)
    if export.status != "ready":
        raise Conflict("The file is not ready")
    path = path_of(export)
    if expired(export) or not path.exists():
        raise NotFound("The file is no longer kept")
    if not _same_scope(export, user):
        raise Forbidden("You no longer have access to this report")
    return export, path.read_bytes()


def audit_details(export: ReportExport) -> tuple[str, dict[str, Any]]:
    """The name and details a download is audited with (as the page's own export)."""
    found = export.audit or {}
    details = {**found.get("details", {}), "export_id": export.id}
    return str(found.get("name") or export.filename), details


def remove(user: User, export_id: int) -> ReportExport:
    """The person removes their file now (the row stays until the sweep)."""
    export = of_person(user, export_id)
    path_of(export).unlink(missing_ok=True)
    export.expires_at = min(export.expires_at, _now())
    db.session.flush()
    return export


def sweep() -> int:
    """Remove every expired file and its row; how many went."""
    gone = list(db.session.scalars(select(ReportExport).where(ReportExport.expires_at <= _now())))
    for export in gone:
        path_of(export).unlink(missing_ok=True)
        path_of(export).with_suffix(".part").unlink(missing_ok=True)
        db.session.delete(export)
    db.session.flush()
    return len(gone)
