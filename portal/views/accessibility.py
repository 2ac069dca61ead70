"""The accessibility statement with its form to report a problem; Admin → Accessibility reports."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import flash, g, redirect, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from accounts import ratelimit
from accounts.auth import current_user, role_required
from core import jobs
from core.db import db
from portal import accessibility, bp, schemas
from portal.views.common import Page, form_data, render, this_user


@bp.route("/accessibility", methods=["GET", "POST"])
def accessibility_statement() -> Page | tuple[str, int, dict[str, str]]:
    """The statement, open to anyone; a report is kept and the visitor thanked."""
    if request.method == "POST":
        try:
            accessibility.check_limit()
            data = form_data(schemas.AccessibilityReportSchema())
            if data is not None:
                _report, to_send = accessibility.receive(data, current_user(), _locale())
                db.session.commit()
                for message_id in to_send:  # committed: each message gets its sending job
                    if not jobs.try_enqueue("send_message", message_id):
                        break  # no queue now: the outbox sweep sends them later
                flash(_("Thank you for telling us. We will look into the problem."), "success")
                return redirect(url_for("portal.accessibility_statement"))
        except ratelimit.TooManyRequests as exc:
            db.session.rollback()
            return _too_many(exc.retry_after)
    return _page()


def _too_many(retry_after: int) -> tuple[str, int, dict[str, str]]:
    """The page again, with what was typed, and when another report may be sent."""
    minutes = math.ceil(retry_after / 60)
    g.form_status = 429
    message = ngettext(
        "You have sent several reports in a short time. Try again in %(num)d minute, "
        "or write to us.",
        "You have sent several reports in a short time. Try again in %(num)d minutes, "
        "or write to us.",
        minutes,
    )
    page, status = _page(too_many=message)
    return page, status, {"Retry-After": str(retry_after)}


def _page(too_many: str = "") -> tuple[str, int]:
    user = current_user()
    return render(
        "accessibility.html",
        statement=accessibility.statement(),
        came_from=_came_from(),
        default_name=user.name if user is not None else "",
        default_email=user.email if user is not None and user.email else "",
        too_many=too_many,
    )


def _locale() -> str:
    return str(get_locale() or "sv")


def _came_from() -> str:
    """The portal page the visitor came from (its path), to fill in the form.

    Only this site's pages (the Referer of a link followed on this origin); pages whose
    address is a secret (a certificate's code, a launch token) send no Referer.
    """
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or referrer.path in ("", request.path):
        return ""
    return referrer.path[:500]


@bp.get("/admin/accessibility")
@role_required("admin")
def admin_accessibility() -> Page:
    """Reports of accessibility problems, newest first: those not handled, or all."""
    show_all = request.args.get("show") == "all"
    return render(
        "admin_accessibility.html", reports=accessibility.listed(show_all), show_all=show_all
    )


@bp.post("/admin/accessibility/<int:report_id>/handled")
@role_required("admin")
def admin_accessibility_handled(report_id: int) -> BaseResponse:
    """Mark a report handled (who and when are kept with it)."""
    accessibility.mark_handled(report_id, this_user())
    db.session.commit()
    flash(_("The report is marked as handled."), "success")
    return redirect(url_for("portal.admin_accessibility"))
