"""Admin → LRS archive: export the whole LRS as a job, download it; import into an empty LRS.

Admins only, every step: the archive holds every learner's records.  Thin: the jobs and
their files are portal/lrs_archive.py's; the work is lrs/export.py and
lrs/archive_import.py's.
"""

from __future__ import annotations

from flask import flash, g, redirect, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from accounts import audit
from accounts.auth import role_required
from core import jobs
from core.db import db
from core.errors import Conflict
from lrs import archive_import, export
from portal import bp, lrs_archive
from portal.views.common import Page, render, this_user


def _page(**context: object) -> Page:
    try:
        archive_import.check_empty()
        empty = True
    except Conflict:
        empty = False
    return render(
        "admin_lrs_archive.html", statements=export.count_statements(), empty=empty, **context
    )


@bp.get("/admin/lrs/archive")
@role_required("admin")
def admin_lrs_archive() -> Page:
    """The page: how many statements there are, export, and import when the LRS is empty."""
    return _page()


@bp.post("/admin/lrs/archive/export")
@role_required("admin")
def admin_lrs_archive_export() -> BaseResponse:
    """Start an export job; its page shows how far it is, then offers the file."""
    # The form's checkbox adds the player's attempts (player/attempt_archive.py).
    attempts = request.form.get("attempts") == "on"
    task = jobs.enqueue(lrs_archive.EXPORT_JOB, lrs_archive.new_token(), this_user().id, attempts)
    return redirect(url_for("portal.admin_lrs_archive_job", task_id=task.id))


@bp.post("/admin/lrs/archive/import")
@role_required("admin")
def admin_lrs_archive_import() -> Page:
    """Keep the uploaded archive and start its import (refused at once if not empty)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        g.form_status = 400
        flash(_("Choose an archive file (.zip) made by an LRS export."), "error")
        return _page()
    try:
        archive_import.check_empty()
    except Conflict:
        g.form_status = 409
        flash(
            _("This LRS is not empty: an archive can only be imported into an empty one."), "error"
        )
        return _page()
    token = lrs_archive.new_token()
    lrs_archive.keep_upload(token, upload.save)
    task = jobs.enqueue(lrs_archive.IMPORT_JOB, token, this_user().id, upload.filename)
    return redirect(url_for("portal.admin_lrs_archive_job", task_id=task.id))


@bp.get("/admin/lrs/archive/jobs/<task_id>")
@role_required("admin")
def admin_lrs_archive_job(task_id: str) -> Page:
    """An export's or an import's progress, then its outcome."""
    run = lrs_archive.job_of(task_id, lrs_archive.EXPORT_JOB, lrs_archive.IMPORT_JOB)
    return _page(job=run, exporting=run.name == lrs_archive.EXPORT_JOB)


@bp.get("/admin/lrs/archive/jobs/<task_id>/file")
@role_required("admin")
def admin_lrs_archive_download(task_id: str) -> BaseResponse:
    """The finished export (audited), while it is kept."""
    name, stream = lrs_archive.open_export(task_id)
    audit.record("lrs.downloaded", "lrs", None, name)
    db.session.commit()
    response = send_file(
        stream, mimetype="application/zip", as_attachment=True, download_name="lrs-archive.zip"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
