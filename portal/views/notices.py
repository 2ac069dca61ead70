"""Notifications: a person's own, their e-mail choices; Admin → Outbox and Admin → Jobs."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from accounts import audit
from accounts.auth import current_user, login_required, role_required
from core import jobs
from core.db import db
from core.errors import NotFound
from core.jobs import runs
from portal import bp, notices
from portal.notice_models import OUTBOX_STATUSES
from portal.views.common import Page, render, this_user


@bp.get("/notifications")
@login_required
def notifications() -> Page:
    """The person's own messages, newest first, whether e-mailed or not; unread ones marked."""
    user = this_user()
    return render(
        "notifications.html",
        messages=notices.of_person(user),
        unread=notices.unread_count(user.id),
    )


@bp.post("/notifications/read")
@login_required
def notifications_read() -> BaseResponse:
    """Mark one notification read (``message_id``), or all of the person's."""
    user = this_user()
    wanted = request.form.get("message_id", "")
    if wanted:
        if not wanted.isdigit():
            raise NotFound("No such notification")
        notices.mark_read(user, int(wanted))
        done = _("The notification is marked as read.")
    else:
        notices.mark_read(user)
        done = _("Every notification is marked as read.")
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("portal.notifications"))


def unread_notices() -> int:
    """The signed-in person's unread notifications, for the header (once per request)."""
    if "unread_notices" not in g:
        user = current_user()
        g.unread_notices = notices.unread_count(user.id) if user is not None else 0
    return int(g.unread_notices)


@bp.record_once
def _template_helpers(state: BlueprintSetupState) -> None:
    state.app.jinja_env.globals["unread_notices"] = unread_notices


@bp.post("/settings/notifications")
@login_required
def notification_settings() -> BaseResponse:
    """Which optional e-mails the person gets (overdue notices always go)."""
    user = this_user()
    wanted = {k for k in request.form.getlist("kind") if k in notices.optional_kinds()}
    notices.set_wanted(user, wanted)
    db.session.commit()
    flash(_("Your choice of e-mails is saved."), "success")
    return redirect(url_for("portal.settings"))


@bp.get("/admin/outbox")
@role_required("admin")
def admin_outbox() -> Page:
    """Every message, e-mailed or not (mail may be off), newest first."""
    status = request.args.get("status") or None
    if status is not None and status not in OUTBOX_STATUSES:
        status = None
    return render(
        "admin_outbox.html",
        messages=notices.outbox(status),
        status=status,
        mail_on=notices.mailer.enabled(current_app.config),
        statuses=notices.OUTBOX_STATUS_NAMES,
        reasons=notices.REASONS,
    )


@bp.get("/admin/jobs")
@role_required("admin")
def admin_jobs() -> Page:
    """Queued, running and failed jobs (and the last ones done)."""
    shown = {status: runs.listed(status, 100) for status in runs.STATUSES}
    return render(
        "admin_jobs.html",
        shown=shown,
        queue="Redis" if current_app.config["REDIS_URL"] else "SQLite",
        retryable=jobs.TASKS,
    )


@bp.post("/admin/jobs/<int:run_id>/retry")
@role_required("admin")
def admin_job_retry(run_id: int) -> BaseResponse:
    """Enqueue a failed job again with its arguments (audited)."""
    run = db.session.get(runs.JobRun, run_id)
    if run is None:
        raise NotFound(f"No job run {run_id}")
    if run.status != "failed" or run.name not in jobs.TASKS:
        flash(_("Only a failed job can be tried again."), "error")
        return redirect(url_for("portal.admin_jobs"))
    audit.record("job.retried", "job", run.id, run.name, details={"args": run.args})
    db.session.commit()
    jobs.enqueue(run.name, *run.args, task_id=run.task_id)  # the same row: queued again
    flash(_("The job is queued again."), "success")
    return redirect(url_for("portal.admin_jobs"))
