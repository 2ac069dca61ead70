"""Learners' pages: sign-in, home, settings, catalogue, course page, my learning."""

from __future__ import annotations

import math

from flask import (
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, format_datetime, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from accounts import oidc, ratelimit, service
from accounts.auth import current_user, has_role, login_required, sign_in, sign_out
from accounts.models import User
from core.db import db
from core.errors import AppError, Forbidden
from packages import review as course_review
from player import review as player_review
from portal import (
    bookings,
    bp,
    calendar_feeds,
    catalogue,
    classroom,
    classroom_test_sittings,
    compliance,
    course_images,
    evaluations,
    learning,
    learning_paths,
    notices,
    schemas,
)
from portal.models import COURSE_KINDS
from portal.views import sso
from portal.views.common import (
    Page,
    attempt,
    form,
    form_data,
    launch_url,
    render,
    review_url,
    safe_next,
    show_refusal,
    submit,
    this_user,
)

# -- Sign-in, home, settings ------------------------------------------------------------


def _login_page(error: str | None = None) -> str:
    """The sign-in page: its password form and single sign-on's button, where they are on."""
    config = current_app.config
    return render_template(
        "login.html",
        error=error,
        local_passwords=config["LOCAL_PASSWORDS"],
        sso=oidc.Provider.from_config(config) is not None,
        sso_name=config.get("OIDC_NAME") or _("Sign in with your organisation's account"),
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page | tuple[str, int, dict[str, str]]:
    """Sign in with e-mail and password (or find the single sign-on button)."""
    error = None
    if request.method == "POST":
        if not current_app.config["LOCAL_PASSWORDS"]:
            return _login_page(_("Signing in with a password is turned off here.")), 403
        try:
            user = service.authenticate_user(
                request.form.get("email", ""),
                request.form.get("password", ""),
                current_app.config["LOCKOUT_ATTEMPTS"],
                current_app.config["LOCKOUT_MINUTES"],
                client=ratelimit.this_client(),
            )
        except ratelimit.TooManyRequests as exc:
            minutes = math.ceil(exc.retry_after / 60)
            error = ngettext(
                "Too many failed sign-ins from your network. Try again in %(num)d minute.",
                "Too many failed sign-ins from your network. Try again in %(num)d minutes.",
                minutes,
            )
            headers = {"Retry-After": str(exc.retry_after)}
            return _login_page(error), 429, headers
        if user is not None:
            sign_in(user)
        db.session.commit()  # the failure counts, or the new session
        if user is not None:
            return redirect(safe_next(request.args.get("next")))
        error = _("Wrong e-mail or password, or the account is locked for a while.")
    status = 401 if error else 200
    return _login_page(error), status


@bp.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    """Sign out, here and, for a single sign-on session, at the provider where it can."""
    id_token = session.get(sso.ID_TOKEN)
    sign_out()
    db.session.commit()
    at_provider = sso.logout_redirect(id_token if isinstance(id_token, str) else None)
    return at_provider or redirect(url_for("portal.login"))


@bp.route("/")
@login_required
def home() -> str:
    """The signed-in user's start page: what to do next."""
    user = this_user()
    return render_template(
        "home.html",
        user=user,
        in_progress=learning.in_progress(user)[:3],
        assigned=[a for a in learning.assigned(user) if not a.done][:3],
        # After the player (whose "Back to the portal" leads here): what to evaluate.
        to_evaluate=evaluations.due(user)[:3],
        launch_url=launch_url,
        to_review=[w for w in course_review.waiting_for(user) if not w.own]
        if course_review.is_reviewer(user)
        else [],
        back=course_review.back_to(user) if has_role("author", user) else [],
    )


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> Page:
    """The user's language (or the browser's), their password and calendar address."""
    user = this_user()
    feed_url = None
    if request.method == "POST":
        if request.form.get("action") == "calendar":
            # Shown once, on this answer only: the table keeps only the token's hash.
            token = attempt(
                lambda: calendar_feeds.reset(user), _("Your calendar address is ready.")
            )
            if token is not None:
                feed_url = url_for("portal.calendar_feed", token=token, _external=True)
        elif request.form.get("action") == "password":
            if not current_app.config["LOCAL_PASSWORDS"]:
                raise Forbidden("Signing in with a password is turned off here.")
            if _change_password(user):
                return redirect(url_for("portal.settings"))
        else:
            changed = submit(
                schemas.SettingsSchema(),
                lambda data: service.update_user(user, locale=data["locale"]),
            )
            if changed is not None:
                session["locale"] = changed.locale
                return redirect(url_for("portal.settings"))
    return render(
        "settings.html",
        user=user,
        feed_url=feed_url,
        has_feed=calendar_feeds.has_feed(user),
        notice_kinds=notices.optional_kinds(),
        wanted=notices.wanted_by(user),
    )


def _change_password(user: User) -> bool:
    """Change the user's own password; their other sessions end, this one starts anew.

    A wrong current password counts as a failed sign-in of this client (a stolen session
    cannot guess it without limit).
    """
    schema = schemas.PasswordChangeSchema()
    data = form_data(schema)
    if data is None:
        return False
    client = ratelimit.this_client()
    try:
        ratelimit.check(client)
        service.change_password(
            user, data["current_password"], data["password"], data["password_again"]
        )
    except AppError as exc:
        db.session.rollback()
        if exc.errors and exc.errors[0]["path"] == "current_password":
            ratelimit.record_failure(client)
            db.session.commit()
        show_refusal(exc, schema)  # at the field it names, in the user's language
        return False
    sign_in(user)
    db.session.commit()
    flash(_("Your password has been changed, and you are signed out everywhere else."), "success")
    return True


@bp.post("/language")
def language() -> BaseResponse:
    """Switch the language for this browser (and the signed-in user's setting)."""
    data = form(schemas.SettingsSchema())
    session["locale"] = data["locale"]
    user = current_user()
    if user is not None:
        service.update_user(user, locale=data["locale"])
        db.session.commit()
    return redirect(safe_next(request.form.get("next")))


# -- Catalogue --------------------------------------------------------------------------


@bp.get("/catalogue")
@login_required
def get_catalogue() -> Page:
    """Published courses the user may take, with search and filters."""
    user = this_user()
    schema = schemas.CatalogueQuerySchema()
    query = form_data(schema, request.args) or schema.load({})  # refused: all, and the form
    entries = catalogue.search_catalogue(
        user, query["q"], query["category"], query["unit"], query["kind"]
    )
    units = service.list_units(active_only=True)
    if not has_role("author", user):
        units = [u for u in units if u.id == user.unit_id]
    return render(
        "catalogue.html",
        entries=entries,
        images=course_images.etags([e.course.id for e in entries]),
        query=query,
        categories=catalogue.categories(user),
        units=units,
        kinds=COURSE_KINDS,
    )


@bp.get("/catalogue/<int:course_id>")
@login_required
def get_course(course_id: int) -> Page:
    """A course's page: description, start or resume, or its classroom sessions."""
    return _course_page(course_id)


def _course_page(course_id: int) -> Page:
    """The course page, with the status a refused booking set (portal/views/common.py)."""
    user = this_user()
    course = catalogue.visible_course(user, course_id)
    kind = catalogue.course_kind(course.id)
    sessions = classroom.sessions_of(course.id, upcoming_only=True) if kind == "classroom" else []
    mine = {
        row.session.id: booking
        for row in sessions
        if (booking := classroom.enrolment_of(row.session, user)) is not None
    }
    resumable = any(
        i.course_id == course.id and i.session is None for i in learning.in_progress(user)
    )
    return render(
        "course.html",
        course=course,
        kind=kind,
        sessions=sessions,
        mine=mine,
        completed_at=bookings.completed_at(user, course.id) if kind == "classroom" else None,
        needs_approval=kind == "classroom" and bookings.needs_approval(course.id),
        launch_url=launch_url(course.id),
        resumable=resumable,
        unit=course.owner,
        image=course_images.get(course.id),
    )


@bp.post("/sessions/<int:session_id>/enrol")
@login_required
def post_enrol(session_id: int) -> Page:
    """Book a seat (or the waiting list) on a classroom session, or give the booking back.

    A refused booking shows the course page again with the refusal and its status: 409
    for a second booking of the course or a cancelled session, 400 for a past one.
    """
    user = this_user()
    session_ = classroom.get_session(session_id)
    catalogue.visible_course(user, session_.course_id)
    if request.form.get("cancel"):
        attempt(lambda: bookings.cancel(session_, user), _("Your booking was cancelled."))
    elif (other := bookings.active_booking(user, session_.course_id, session_.id)) is not None:
        # Named here rather than by the service, so the date is in the user's locale.
        g.form_status = 409
        flash(
            _(
                "You already have a booking of this course on %(date)s. "
                "Cancel it first if you want another session.",
                date=format_datetime(other.session.starts_at, "short"),
            ),
            "error",
        )
    else:
        booked = attempt(lambda: bookings.enrol(session_, user))
        if booked is not None:
            _booked_message(booked)
    if g.get("form_status", 200) != 200:
        return _course_page(session_.course_id)
    return redirect(url_for("portal.get_course", course_id=session_.course_id))


def _booked_message(booked: bookings.Booked) -> None:
    if booked.enrolment.status == "pending":
        flash(_("Your manager is asked to approve the booking."), "success")
    elif booked.enrolment.status == "waiting":
        flash(
            _(
                "The session is full: you are number %(n)s on the waiting list.",
                n=bookings.waiting_place(booked.enrolment),
            ),
            "success",
        )
    else:
        flash(_("You are booked."), "success")
    if booked.completed_at is not None:
        flash(
            _(
                "Note: you completed this course on %(date)s. The booking stands, "
                "for example to renew it.",
                date=format_date(booked.completed_at, "medium"),
            ),
            "info",
        )


# -- My learning ----------------------------------------------------------------------------


@bp.get("/my")
@login_required
def my_learning() -> str:
    """In progress (resume in one click), completed (date, score) and assigned courses."""
    user = this_user()
    required = compliance.for_person(user)
    in_progress = learning.in_progress(user)
    return render_template(
        "my_learning.html",
        in_progress=in_progress,
        progress=learning.progress_of(user, in_progress),
        paths=learning_paths.started_paths(user),
        bookings=bookings.my_bookings(user),
        tests=classroom_test_sittings.open_for(user),
        completed=learning.completed(user),
        to_evaluate=evaluations.due(user),
        assigned=learning.assigned(user),
        required=required,
        required_courses=compliance.courses_of([r.requirement.id for r in required]),
        statuses=compliance.STATUSES,
        launch_url=launch_url,
        # Courses with an attempt to look at again, in review mode (nothing is recorded).
        reviewable=player_review.reviewable_courses(user),
        review_url=review_url,
    )
