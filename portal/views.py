"""Portal pages. Thin: parse the form with a schema, call a service function, commit once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from core.db import db
from core.errors import AppError, NotFound
from core.schemas import load
from lrs.auth import SCOPES
from packages import service as packages
from packages.report import PackageRefused
from portal import bp, catalogue, classroom, learning, reports, schemas, service
from portal.auth import current_user, has_role, login_required, role_required, sign_in, sign_out
from portal.i18n import N_
from portal.models import COURSE_KINDS, ROLES, UNIT_KINDS, User

T = TypeVar("T")
Page = str | BaseResponse | tuple[str, int]


def _user() -> User:
    user = current_user()
    assert user is not None  # noqa: S101  (login_required ran)
    return user


def _form(schema: Any) -> Any:
    return load(schema, request.form, "form")


def _attempt(action: Callable[[], T], done: str | None = None) -> T | None:
    """Run a service call and commit; on an AppError roll back and show its message."""
    try:
        result = action()
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        g.form_status = exc.status_code
        flash(_(exc.message), "error")
        return None
    if done:
        flash(done, "success")
    return result


def _render(template: str, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), int(g.get("form_status", 200))


def _launch_url(course_id: int) -> str:
    """The player's launch entry (player/views.py, GET /courses/<id>/launch)."""
    return f"/courses/{course_id}/launch"


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
    user = _user()
    return render_template(
        "home.html",
        user=user,
        in_progress=learning.in_progress(user)[:3],
        assigned=[a for a in learning.assigned(user) if not a.done][:3],
        launch_url=_launch_url,
    )


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> Page:
    """The user's language (or the browser's)."""
    user = _user()
    if request.method == "POST":
        data = _form(schemas.SettingsSchema())
        if _attempt(lambda: service.update_user(user, locale=data["locale"])) is not None:
            session["locale"] = data["locale"]
            return redirect(url_for("portal.settings"))
    return _render("settings.html", user=user)


@bp.post("/language")
def language() -> BaseResponse:
    """Switch the language for this browser (and the signed-in user's setting)."""
    data = _form(schemas.SettingsSchema())
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
    user = _user()
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
    user = _user()
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
        launch_url=_launch_url(course.id),
        resumable=resumable,
        unit=service.unit_by_code(course.owner_unit),
    )


@bp.post("/sessions/<int:session_id>/enrol")
@login_required
def post_enrol(session_id: int) -> BaseResponse:
    """Take a seat on a classroom session."""
    user = _user()
    session_ = classroom.get_session(session_id)
    catalogue.visible_course(user, session_.course_id)
    if request.form.get("cancel"):
        _attempt(lambda: classroom.cancel(session_, user), _("Your seat was cancelled."))
    else:
        _attempt(lambda: classroom.enrol(session_, user), _("You are enrolled."))
    return redirect(url_for("portal.get_course", course_id=session_.course_id))


# -- My learning ----------------------------------------------------------------------------


@bp.get("/my")
@login_required
def my_learning() -> str:
    """In progress (resume in one click), completed (date, score) and assigned courses."""
    user = _user()
    return render_template(
        "my_learning.html",
        in_progress=learning.in_progress(user),
        completed=learning.completed(user),
        assigned=learning.assigned(user),
        launch_url=_launch_url,
    )


# -- Authoring --------------------------------------------------------------------------------


@bp.route("/author", methods=["GET", "POST"])
@role_required("author")
def author_courses() -> Page:
    """The author's course list, package upload and new classroom course."""
    report = None
    if request.method == "POST":
        if request.form.get("action") == "classroom":
            data = _form(schemas.CourseMetaSchema())
            course = _attempt(
                lambda: catalogue.create_classroom_course(
                    data["title"], data["description"], data["category"], data["unit"]
                ),
                _("Classroom course created."),
            )
            if course is not None:
                return redirect(url_for("portal.author_course", course_id=course.id))
        else:
            data = _form(schemas.UploadSchema())
            report, result = _upload(
                lambda stream, name: catalogue.upload_course(
                    stream, name, data["title"], data["category"], data["unit"], data["publish"]
                )
            )
            if result is not None:
                return redirect(
                    url_for("portal.author_course", course_id=result.course.id, uploaded=1)
                )
    return _render(
        "author_courses.html",
        courses=catalogue.authored_courses(),
        units=service.list_units(active_only=True),
        report=report,
    )


def _upload(
    run: Callable[[Any, str], packages.ImportResult],
) -> tuple[Any, packages.ImportResult | None]:
    """Import the uploaded ``file``; on refusal return the validation report to show."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        g.form_status = 400
        flash(_("Choose a zip file to upload."), "error")
        return None, None
    try:
        result = run(upload.stream, upload.filename)
        db.session.commit()
    except PackageRefused as exc:
        db.session.rollback()
        g.form_status = 400
        flash(_("The package was refused; nothing was stored."), "error")
        return {"errors": exc.errors, "warnings": exc.warnings}, None
    except AppError as exc:
        db.session.rollback()
        g.form_status = exc.status_code
        flash(_(exc.message), "error")
        return None, None
    flash(_("Package imported as version %(n)s.", n=result.version.number), "success")
    return None, result


@bp.route("/author/courses/<int:course_id>", methods=["GET", "POST"])
@role_required("author")
def author_course(course_id: int) -> Page:
    """Edit metadata, publish or unpublish, upload a version, plan sessions, preview."""
    course = packages.get_course(course_id)
    kind = catalogue.course_kind(course.id)
    report = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "metadata":
            data = _form(schemas.CourseMetaSchema())
            _attempt(
                lambda: catalogue.update_metadata(
                    course, data["title"], data["description"], data["category"], data["unit"]
                ),
                _("Saved."),
            )
        elif action in ("publish", "unpublish"):
            _attempt(
                lambda: catalogue.set_published(course, action == "publish"),
                _("Published.") if action == "publish" else _("Unpublished."),
            )
        elif action == "version":
            report, _result = _upload(
                lambda stream, name: catalogue.upload_version(course, stream, name)
            )
        elif action == "session":
            data = _form(schemas.SessionSchema())
            _attempt(
                lambda: classroom.create_session(
                    course,
                    _to_utc(data["starts_at"]),
                    data["place"],
                    service.get_user(data["trainer_id"]),
                    data["seats"],
                ),
                _("Session planned."),
            )
        if g.get("form_status", 200) == 200 and report is None:
            return redirect(url_for("portal.author_course", course_id=course.id))
    versions = packages.list_versions(course)
    return _render(
        "author_course.html",
        course=course,
        kind=kind,
        versions=versions,
        report=report,
        units=service.list_units(active_only=True),
        launch_url=_launch_url(course.id),
        sessions=classroom.sessions_of(course.id) if kind == "classroom" else [],
        trainers=[u for u in service.list_users() if has_role("author", u) and u.active],
    )


def _to_utc(local: Any) -> Any:
    from flask_babel import to_utc

    return to_utc(local).replace(tzinfo=None)


# -- Classroom: the trainer's pages ----------------------------------------------------------


@bp.get("/trainer")
@role_required("author")
def trainer_sessions() -> str:
    """Sessions the trainer teaches."""
    return render_template(
        "trainer_sessions.html", sessions=classroom.sessions_for_trainer(_user())
    )


@bp.route("/trainer/sessions/<int:session_id>", methods=["GET", "POST"])
@role_required("author")
def trainer_session(session_id: int) -> Page:
    """The enrolled learners; record attendance, completion, pass/fail and score."""
    user = _user()
    session_ = classroom.get_session(session_id)
    classroom.check_trainer(session_, user)
    enrolled = classroom.enrolments(session_)
    if request.method == "POST":
        rows = {}
        for enrolment in enrolled:
            prefix = f"e{enrolment.id}-"
            raw = {
                k[len(prefix) :]: v
                for k, v in request.form.items()
                if k.startswith(prefix) and v != ""
            }
            rows[enrolment.id] = load(schemas.AttendanceRowSchema(), raw, "attendance")
        ids = _attempt(lambda: classroom.record_attendance(session_, user, rows))
        if ids is not None:
            flash(_("Attendance recorded (%(n)s statements in the LRS).", n=len(ids)), "success")
            return redirect(url_for("portal.trainer_session", session_id=session_id))
    course = packages.get_course(session_.course_id)
    return _render("trainer_session.html", session=session_, course=course, enrolled=enrolled)


# -- Assignments (managers) ----------------------------------------------------------------------


@bp.route("/manage/assignments", methods=["GET", "POST"])
@role_required("manager")
def assignments() -> Page:
    """Assign courses to people or to the manager's unit, with a due date."""
    user = _user()
    if request.method == "POST":
        if request.form.get("delete"):
            _attempt(
                lambda: learning.delete_assignment(user, int(request.form["delete"])),
                _("Withdrawn."),
            )
        else:
            data = _form(schemas.AssignmentSchema())
            _attempt(
                lambda: learning.create_assignment(
                    user,
                    data["course_id"],
                    data["user_id"],
                    data["unit_id"],
                    data["due_date"],
                    data["note"],
                ),
                _("Assigned."),
            )
        if g.get("form_status", 200) == 200:
            return redirect(url_for("portal.assignments"))
    unit_id = None if user.role == "admin" else (user.unit_id if user.unit_id is not None else -1)
    people = service.list_users(unit_id=unit_id)
    units = [
        u
        for u in service.list_units(active_only=True)
        if user.role == "admin" or u.id == user.unit_id
    ]
    courses = [e.course for e in catalogue.search_catalogue(user)]
    return _render(
        "assignments.html",
        assignments=learning.assignments_by(user),
        people=people,
        units=units,
        courses=courses,
    )


# -- Reports ---------------------------------------------------------------------------


def _report_args() -> tuple[reports.Scope, dict[str, Any]]:
    query = load(schemas.ReportQuerySchema(), request.args, "report filter")
    if "start" not in request.args:
        # The last twelve months unless asked otherwise (an empty "From" = all time).
        query["start"] = reports.months_ago(11)
    return reports.scope_for(_user(), query["unit_id"]), query


PAGE_ROWS = 200


def _table_page(template: str, table: reports.Table, name: str, **context: Any) -> Page:
    """The table as CSV (every row), or as an HTML page of PAGE_ROWS rows."""
    if request.args.get("format") == "csv":
        response = make_response(table.csv())
        response.mimetype = "text/csv"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    number = max(1, request.args.get("page", 1, type=int) or 1)
    pages = max(1, -(-len(table.rows) // PAGE_ROWS))
    shown = reports.Table(table.columns, table.rows[(number - 1) * PAGE_ROWS : number * PAGE_ROWS])

    def page_url(n: int) -> str:
        args = {**request.args.to_dict(), "page": n}
        return url_for(str(request.endpoint), **(request.view_args or {}), **args)

    return render_template(
        template,
        table=shown,
        total=len(table.rows),
        page=number,
        pages=pages,
        page_url=page_url,
        per_page=PAGE_ROWS,
        **context,
    )


@bp.get("/reports")
@role_required("manager")
def reports_overview() -> Page:
    """Completions per course, per unit and per month, with charts."""
    wanted = request.args.get("learner", "").strip()
    if wanted:
        learner = service.find_user(wanted)
        if learner is None:
            raise NotFound(f"No account {wanted}")
        return redirect(url_for("portal.report_transcript", user_id=learner.id))
    scope, query = _report_args()
    makers = {"course": reports.per_course, "unit": reports.per_unit, "month": reports.per_month}
    if request.args.get("format") == "csv":
        which = request.args.get("table", "course")
        if which not in makers:
            raise NotFound("No such table")
        table = makers[which](scope, query["start"], query["end"])
        return _table_page("", table, f"completions-per-{which}")
    tables = {name: make(scope, query["start"], query["end"]) for name, make in makers.items()}
    units = service.list_units()
    if _user().role != "admin":
        units = [u for u in units if u.id == _user().unit_id]
    return render_template(
        "reports.html",
        tables=tables,
        query=query,
        units=units,
        scope=scope,
        month_bars=reports.bars(tables["month"], "period"),
        unit_bars=reports.bars(tables["unit"], "unit"),
        learners=reports.learners_in_scope(scope),
    )


@bp.get("/reports/learners/<int:user_id>")
@role_required("manager")
def report_transcript(user_id: int) -> Page:
    """One learner's transcript."""
    scope, _query = _report_args()
    learner = service.get_user(user_id)
    table = reports.transcript(scope, learner)
    return _table_page(
        "report_table.html",
        table,
        f"transcript-{learner.id}",
        title=_("Transcript: %(name)s", name=learner.name),
    )


@bp.get("/reports/courses/<int:course_id>")
@role_required("manager")
def report_course(course_id: int) -> Page:
    """A course's learners with status and score."""
    scope, _query = _report_args()
    course = packages.get_course(course_id)
    table = reports.course_learners(scope, course.id)
    return _table_page(
        "report_table.html",
        table,
        f"course-{course.id}-learners",
        title=_("Learners: %(title)s", title=course.title),
    )


# -- Administration -------------------------------------------------------------------------------


@bp.route("/admin/units", methods=["GET", "POST"])
@role_required("admin")
def admin_units() -> Page:
    """Organisation units: list, create, rename, (de)activate."""
    if request.method == "POST":
        unit_id = request.form.get("unit_id")
        if unit_id:
            data = _form(schemas.UnitUpdateSchema())
            _attempt(
                lambda: service.update_unit(
                    service.get_unit(int(unit_id)), data["name"], data["kind"], data["active"]
                ),
                _("Saved."),
            )
        else:
            data = _form(schemas.UnitSchema())
            _attempt(
                lambda: service.create_unit(data["code"], data["name"], data["kind"]),
                _("Unit created."),
            )
        if g.get("form_status", 200) == 200:
            return redirect(url_for("portal.admin_units"))
    return _render("admin_units.html", units=service.list_units(), kinds=UNIT_KINDS)


@bp.route("/admin/users", methods=["GET", "POST"])
@role_required("admin")
def admin_users() -> Page:
    """Users: list and search, create."""
    if request.method == "POST":
        data = _form(schemas.UserCreateSchema())
        user = _attempt(
            lambda: service.create_user(
                data["email"], data["name"], data["password"], data["role"], data["unit_id"]
            ),
            _("Account created."),
        )
        if user is not None:
            return redirect(url_for("portal.admin_users"))
    q = request.args.get("q", "")
    return _render(
        "admin_users.html",
        users=service.list_users(query=q),
        q=q,
        units=service.list_units(),
        roles=ROLES,
    )


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def admin_user(user_id: int) -> Page:
    """One user: role, unit, active, and a password reset."""
    user = service.get_user(user_id)
    if request.method == "POST":
        if request.form.get("action") == "password":
            data = _form(schemas.PasswordSchema())
            _attempt(lambda: service.reset_password(user, data["password"]), _("Password changed."))
        else:
            data = _form(schemas.UserUpdateSchema())
            _attempt(lambda: service.update_user(user, **data), _("Saved."))
        if g.get("form_status", 200) == 200:
            return redirect(url_for("portal.admin_user", user_id=user.id))
    return _render("admin_user.html", user=user, units=service.list_units(), roles=ROLES)


@bp.route("/admin/credentials", methods=["GET", "POST"])
@role_required("admin")
def admin_credentials() -> Page:
    """LRS credentials: create with scopes (the secret is shown once), list, revoke."""
    created = None
    if request.method == "POST":
        if request.form.get("revoke"):
            _attempt(lambda: service.revoke_lrs_credential(request.form["revoke"]), _("Revoked."))
            if g.get("form_status", 200) == 200:
                return redirect(url_for("portal.admin_credentials"))
        else:
            data = _form(schemas.CredentialSchema())
            created = _attempt(lambda: service.create_lrs_credential(data["name"], data["scopes"]))
    response = make_response(
        _render(
            "admin_credentials.html",
            credentials=service.list_lrs_credentials(),
            scopes=SCOPES,
            created=created,
        )
    )
    response.headers["Cache-Control"] = "no-store"  # the page may hold a secret
    return response


_TITLES = {
    400: N_("The form could not be used"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Conflict"),
    413: N_("Too large"),
}


@bp.errorhandler(AppError)
def portal_error(exc: AppError) -> tuple[str, int]:
    """Portal errors on a page of the portal (with its navigation), translated."""
    title = _TITLES.get(exc.status_code, exc.title)
    page = render_template(
        "error.html",
        status=exc.status_code,
        title=_(title),
        message=_(exc.message),
        errors=exc.errors,
    )
    return page, exc.status_code
