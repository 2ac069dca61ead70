"""Report files: made while the person waits, or (large ones) in the background.

``export_file`` is what a report page answers for ``format=csv`` (or ``excel``): the file
at once, audited, or for more than EXPORT_BACKGROUND_ROWS rows a background job and a
redirect to the export's page, which shows how far the job is and then offers the file
to the person who asked (portal/report_exports.py), and to nobody else.
"""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from accounts import audit
from accounts.auth import login_required
from core import jobs
from core.db import db
from core.jobs import runs
from portal import bp, report_exports
from portal.export_models import ReportExport
from portal.report_files import EXPORTERS, Params
from portal.views.common import Page, render, this_user


def _file(filename: str, body: bytes) -> BaseResponse:
    response = make_response(body)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_file(kind: str, params: Params) -> BaseResponse:
    """The report's file now (audited), or, when it is large, its job and the job's page.

    Should the queue be unreachable, the file is made here after all.
    """
    user = this_user()
    locale = str(get_locale() or "en")
    if report_exports.is_large(user, kind, params):
        export = report_exports.start(user, kind, params, locale)
        db.session.commit()
        if jobs.try_enqueue("export_report", export.id, task_id=export.task_id):
            return redirect(url_for("portal.export_page", export_id=export.id))
        db.session.delete(export)
        db.session.commit()
    made = EXPORTERS[kind].build(user, params, locale)
    audit.record("report.exported", "report", None, made.audit_name, details=made.details)
    db.session.commit()
    return _file(made.filename, made.body)


def _back(export: ReportExport) -> str:
    """The report the file was asked from."""
    p: dict[str, Any] = export.params
    where = {k: p[k] for k in ("unit_id", "by", "manager_id") if p.get(k) is not None}
    if export.kind == "compliance_people":
        return url_for(
            "portal.compliance_requirement",
            requirement_id=p["requirement_id"],
            status=p.get("status"),
            **where,
        )
    if export.kind == "course_learners":
        return url_for("portal.report_course", course_id=p["course_id"], **where)
    return url_for("portal.admin_audit")


@bp.get("/exports/<int:export_id>")
@login_required
def export_page(export_id: int) -> Page:
    """A report file being made: how far the job is, then the file (its asker's only)."""
    export = report_exports.of_person(this_user(), export_id)
    return render(
        "export.html",
        export=export,
        run=runs.find(export.task_id),
        expired=report_exports.expired(export),
        back=_back(export),
    )


@bp.get("/exports/<int:export_id>/file")
@login_required
def export_download(export_id: int) -> BaseResponse:
    """The ready file, for the person who asked, while they have the same scope (audited)."""
    export, body = report_exports.for_download(this_user(), export_id)
    name, details = report_exports.audit_details(export)
    audit.record("report.exported", "report", None, name, details=details)
    db.session.commit()
    response = _file(export.filename, body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/exports/<int:export_id>/remove")
@login_required
def export_remove(export_id: int) -> BaseResponse:
    """The person removes their file before its time is up."""
    report_exports.remove(this_user(), export_id)
    db.session.commit()
    flash(_("The file is removed."), "success")
    return redirect(url_for("portal.export_page", export_id=export_id))
