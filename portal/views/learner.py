"""Learners' pages: sign-in, home, settings, catalogue, course page, my learning."""

from __future__ import annotations

from flask import (
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from core.db import db
from core.schemas import load
from player import service as player
from portal import bp, catalogue, classroom, learning, schemas, service
from portal.auth import current_user, has_role, login_required, sign_in, sign_out
from portal.models import COURSE_KINDS
from portal.views.common import Page, attempt, form, launch_url, render, review_url, this_user

# -- Sign-in, home, settings ------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("portal.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page:
    """Sign in with e-mail and password."""
    error = None
    if request.method == "POST":
        user = service.authenticate_user(
            request.form.get("email", ""),
            request.form.get("password", ""),
            current_app.config["LOCKOUT_ATTEMPTS"],
            current_app.config["LOCKOUT_MINUTES"],
        )
        db.session.commit()
        if user is not None:
            sign_in(user)
            return redirect(_safe_next(request.args.get("next")))
        error = _("Wrong e-mail or password, or the account is locked for a while.")
    status = 401 if error else 200
    return render_template("login.html", error=error), status


@bp.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    """Sign out."""
    sign_out()
    return redirect(url_for("portal.login"))


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
        launch_url=launch_url,
    )


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> Page:
    """The user's language (or the browser's)."""
    user = this_user()
    if request.method == "POST":
        data = form(schemas.SettingsSchema())
        if attempt(lambda: service.update_user(user, locale=data["locale"])) is not None:
            session["locale"] = data["locale"]
            return redirect(url_for("portal.settings"))
    return render("settings.html", user=user)


@bp.post("/language")
def language() -> BaseResponse:
    """Switch the language for this browser (and the signed-in user's setting)."""
    data = form(schemas.SettingsSchema())
    session["locale"] = data["locale"]
    user = current_user()
    if user is not None:
        service.update_user(user, locale=data["locale"])
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


# -- Catalogue --------------------------------------------------------------------------


@bp.get("/catalogue")
@login_required
def get_catalogue() -> str:
    """Published courses the user may take, with search and filters."""
    user = this_user()
    query = load(schemas.CatalogueQuerySchema(), request.args, "search")
    entries = catalogue.search_catalogue(
        user, query["q"], query["category"], query["unit"], query["kind"]
    )
    units = service.list_units(active_only=True)
    if not has_role("author", user):
        units = [u for u in units if u.id == user.unit_id]
    return render_template(
        "catalogue.html",
        entries=entries,
        query=query,
        categories=catalogue.categories(user),
        units=units,
        kinds=COURSE_KINDS,
    )


@bp.get("/catalogue/<int:course_id>")
@login_required
def get_course(course_id: int) -> str:
    """A course's page: description, start or resume, or its classroom sessions."""
    user = this_user()
    course = catalogue.visible_course(user, course_id)
    kind = catalogue.course_kind(course.id)
    sessions = classroom.sessions_of(course.id, upcoming_only=True) if kind == "classroom" else []
    mine = {s.id for s, _n in sessions if classroom.enrolment_of(s, user) is not None}
    resumable = any(
        i.course_id == course.id and i.session is None for i in learning.in_progress(user)
    )
    return render_template(
        "course.html",
        course=course,
        kind=kind,
        sessions=sessions,
        mine=mine,
        launch_url=launch_url(course.id),
        resumable=resumable,
        unit=service.unit_by_code(course.owner_unit),
    )


@bp.post("/sessions/<int:session_id>/enrol")
@login_required
def post_enrol(session_id: int) -> BaseResponse:
    """Take a seat on a classroom session."""
    user = this_user()
    session_ = classroom.get_session(session_id)
    catalogue.visible_course(user, session_.course_id)
    if request.form.get("cancel"):
        attempt(lambda: classroom.cancel(session_, user), _("Your seat was cancelled."))
    else:
        attempt(lambda: classroom.enrol(session_, user), _("You are enrolled."))
    return redirect(url_for("portal.get_course", course_id=session_.course_id))


# -- My learning ----------------------------------------------------------------------------


@bp.get("/my")
@login_required
def my_learning() -> str:
    """In progress (resume in one click), completed (date, score) and assigned courses."""
    user = this_user()
    return render_template(
        "my_learning.html",
        in_progress=learning.in_progress(user),
        completed=learning.completed(user),
        assigned=learning.assigned(user),
        launch_url=launch_url,
        # Courses with an attempt to look at again, in review mode (nothing is recorded).
        reviewable=player.reviewable_courses(user),
        review_url=review_url,
    )
