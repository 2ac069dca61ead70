"""Managers' approval of classroom bookings (portal/approvals.py)."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_babel import gettext as _

from accounts.auth import login_required
from core.errors import NotFound
from portal import approvals, bp, schemas
from portal.views.common import Page, attempt, render, submit, this_user


@bp.route("/manage/bookings", methods=["GET", "POST"])
@login_required
def booking_approvals() -> Page:
    """The bookings waiting for this manager: approve, or refuse with a reason.

    Anyone may open it (a manager line need not follow roles); it lists only the
    bookings of the people whose manager they are (an admin: everyone's).
    """
    user = this_user()
    if request.method == "POST":
        enrolment_id = request.form.get("enrolment_id", "")
        done: object = None
        if not enrolment_id.isdigit():
            raise NotFound("No such booking")
        if request.form.get("action") == "approve":
            done = attempt(
                lambda: approvals.approve(int(enrolment_id), user), _("Booking approved.")
            )
        else:
            done = submit(
                schemas.RefuseBookingSchema(),
                lambda data: approvals.refuse(int(enrolment_id), user, data["note"]),
                _("Booking refused; the person sees your reason."),
            )
        if done is not None:
            return redirect(url_for("portal.booking_approvals"))
    return render("booking_approvals.html", pending=approvals.pending_for(user))
