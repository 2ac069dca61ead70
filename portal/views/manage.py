"""Managers' pages: assignments and reports (a manager sees only their own unit)."""

from __future__ import annotations

from typing import Any

from flask import (
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from accounts import audit, line, service, units
from accounts.auth import role_required
from accounts.models import OrganisationUnit, User
from core import jobs
from core.db import db
from core.errors import NotFound
from packages import service as packages
from player import attempts as player_attempts
from player import cmi5 as player_cmi5
from player import rollup as player_rollup
from player.models import Attempt
from portal import (
    bp,
    catalogue,
    certificates,
    course_people,
    learning,
    line_reports,
    reports,
    schemas,
)
from portal.i18n import N_
from portal.views.common import (
    Page,
    attempt,
    form_data,
    problems,
    refuse,
    render,
    submit,
    this_user,
)
from portal.views.exports import export_file

# -- Assignments (managers) ----------------------------------------------------------------------


@bp.route("/manage/assignments", methods=["GET", "POST"])
@role_required("manager")
def assignments() -> Page:
    """Assign courses to people or to the manager's unit, with a due date."""
    user = this_user()
    if request.method == "POST":
        if request.form.get("delete"):
            attempt(
                lambda: learning.delete_assignment(user, int(request.form["delete"])),
                _("Withdrawn."),
            )
        else:
            made = submit(
                schemas.AssignmentSchema(),
                lambda data: learning.create_assignment(
                    user,
                    data["course_id"],
                    data["user_id"],
                    data["unit_id"],
                    data["due_date"],
                    data["note"],
                ),
                _("Assigned."),
            )
            if made is not None:  # committed: the people it reaches are told by a job
                jobs.try_enqueue("notify_assignment", made.id)
        if g.get("form_status", 200) == 200:
            return redirect(url_for("portal.assignments"))
    own = None if user.role == "admin" else learning.managed_units(user)
    people = service.list_users(unit_ids=own, limit=2000)
    choices = [u for u in service.list_units(active_only=True) if own is None or u.id in own]
    courses = [
        e.course for e in catalogue.search_catalogue(user) if learning.assignable(user, e.course)
    ]
    return render(
        "assignments.html",
        assignments=learning.assignments_by(user),
        people=people,
        units=choices,
        courses=courses,
    )


# -- Reports ---------------------------------------------------------------------------


def _report_args() -> tuple[reports.Scope, dict[str, Any]]:
    """The report filter; a refused one shows the reports with the defaults (and 400)."""
    schema = schemas.ReportQuerySchema()
    query = form_data(schema, request.args)
    if query is None:
        query = schema.load({})
    if "start" not in request.args or "start" in problems().messages:
        # The last twelve months unless asked otherwise (an empty "From" = all time).
        query["start"] = reports.months_ago(11)
    scope = reports.scope_for(this_user(), query["unit_id"], query["by"], query["manager_id"])
    return scope, query


def _line_args(scope: reports.Scope) -> dict[str, Any]:
    """The query arguments that keep a link on the same manager line (none by unit)."""
    return {"by": "line", "manager_id": scope.manager_id} if scope.by_line else {}


PAGE_ROWS = 200


def _table_page(template: str, table: reports.Table, name: str, **context: Any) -> Page:
    """The table as CSV (every row), or as an HTML page of PAGE_ROWS rows.

    With a refused filter it is the page (with the problem), never a CSV of other rows.
    """
    if request.args.get("format") == "csv" and not problems().messages:
        audit.record(
            "report.exported",
            "report",
            None,
            name,
            details={
                "unit_id": request.args.get("unit_id", type=int),
                "by": request.args.get("by", "unit"),
                "manager_id": request.args.get("manager_id", type=int),
                "rows": len(table.rows),
            },
        )
        db.session.commit()
        response = make_response(table.csv())
        response.mimetype = "text/csv"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    number = max(1, request.args.get("page", 1, type=int) or 1)
    pages = max(1, -(-len(table.rows) // PAGE_ROWS))
    shown = reports.Table(table.columns, table.rows[(number - 1) * PAGE_ROWS : number * PAGE_ROWS])

    def page_url(n: int) -> str:
        args: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict(), "page": n}
        return url_for(str(request.endpoint), **args)

    return render(
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
    """Completions per course, per unit (or direct report) and per month, with charts."""
    scope, query = _report_args()
    wanted = request.args.get("learner", "").strip()
    if wanted:
        learner = service.find_user(wanted)
        if learner is not None:
            args = _line_args(scope)
            return redirect(url_for("portal.report_transcript", user_id=learner.id, **args))
        refuse(
            None,
            [{"path": "learner", "message": _("There is no account with this e-mail address.")}],
            404,
            label=lambda _name: _("Learner's e-mail address"),
        )
    makers = {
        "course": _per_course,
        "unit": line_reports.per_report if scope.by_line else reports.per_unit,
        "month": line_reports.per_month if scope.by_line else reports.per_month,
    }
    if request.args.get("format") == "csv" and not problems().messages:
        which = request.args.get("table", "course")
        if which not in makers:
            raise NotFound("No such table")
        table = makers[which](scope, query["start"], query["end"])
        name = "per-report" if scope.by_line and which == "unit" else f"per-{which}"
        return _table_page("", table, f"completions-{name}")
    tables = {name: make(scope, query["start"], query["end"]) for name, make in makers.items()}
    return render(
        "reports.html",
        tables=tables,
        query=query,
        scope=scope,
        line_args=_line_args(scope),
        month_bars=reports.bars(tables["month"], "period"),
        unit_bars=reports.bars(tables["unit"], "person" if scope.by_line else "unit"),
        learners=reports.learners_in_scope(scope),
        **(_line_context(scope) if scope.by_line else _unit_context(scope)),
    )


def _per_course(scope: reports.Scope, start: str | None, end: str | None) -> reports.Table:
    """Completions per course, and how many of the people in the scope that is."""
    return course_people.with_people(reports.per_course(scope, start, end), scope, start, end)


def _unit_context(scope: reports.Scope) -> dict[str, Any]:
    """The unit picker and the trail from the top to the scope's unit."""
    own = None if this_user().role == "admin" else learning.managed_units(this_user())
    branches = [b for b in units.tree() if own is None or b.unit.id in own]
    here = db.session.get(OrganisationUnit, scope.unit_id) if scope.unit_id else None
    trail = [u for u in units.path(here) if own is None or u.id in own] if here else []
    return {"branches": branches, "trail": trail, "managers": [], "chain": []}


def _line_context(scope: reports.Scope) -> dict[str, Any]:
    """The managers an admin may follow, and the chain of managers shown as a trail.

    From the viewer (a manager) or the top (an admin) down to the manager whose line
    is shown.
    """
    user = this_user()
    admin = user.role == "admin"
    chain = line.chain(scope.manager_id or user.id, up_to=None if admin else user.id)
    managers = line.managers() if admin else []
    return {"branches": [], "trail": [], "managers": managers, "chain": chain}


@bp.get("/reports/learners/<int:user_id>")
@role_required("manager")
def report_transcript(user_id: int) -> Page:
    """One learner's transcript."""
    scope, _query = _report_args()
    learner = service.get_user(user_id)
    table = _with_certificates(reports.transcript(scope, learner), learner, scope)
    audit.record("transcript.opened", "user", learner.id, learner.email)
    db.session.commit()
    # The attempts (and waiving) stay with the unit scope: the line opens only reports.
    attempts = reports.scope_for(this_user()).covers(learner)
    return _table_page(
        "report_table.html",
        table,
        f"transcript-{learner.id}",
        title=_("Transcript: %(name)s", name=learner.name),
        links=[
            (
                url_for("portal.report_learner_attempts", user_id=learner.id),
                _("E-learning attempts"),
            )
        ]
        if attempts
        else [],
        back=url_for("portal.reports_overview", **_line_args(scope)),
    )


def _with_certificates(table: reports.Table, learner: User, scope: reports.Scope) -> reports.Table:
    """The transcript with a link to the certificate on each course's certified result."""
    certified = {
        found.statement_id
        for course_id in {row["course_id"] for row in table.rows if row["course_id"]}
        if (found := certificates.certified_result(learner.id, course_id)) is not None
    }
    for row in table.rows:
        row["certificate"] = (
            url_for(
                "portal.learner_certificate",
                user_id=learner.id,
                course_id=row["course_id"],
                _external=True,
                **_line_args(scope),
            )
            if row["statement_id"] in certified
            else None
        )
    return reports.Table([*table.columns, ("certificate", N_("Certificate"))], table.rows)


@bp.get("/reports/courses/<int:course_id>")
@role_required("manager")
def report_course(course_id: int) -> Page:
    """A course's learners with status and score."""
    scope, query = _report_args()
    course = packages.get_course(course_id)
    if request.args.get("format") == "csv" and not problems().messages:
        params = {
            "course_id": course.id,
            "unit_id": query["unit_id"],
            "by": query["by"],
            "manager_id": query["manager_id"],
        }
        return export_file("course_learners", params)  # a large one in the background
    table = course_people.with_assigned(reports.course_learners(scope, course.id), course.id)
    return _table_page(
        "report_table.html",
        table,
        f"course-{course.id}-learners",
        title=_("Learners: %(title)s", title=course.title),
        reach=course_people.reach(scope, course.id),
        by_line=scope.by_line,
        back=url_for("portal.reports_overview", **_line_args(scope)),
        links=[
            (
                url_for("portal.report_course_attempts", course_id=course.id),
                _("E-learning attempts"),
            )
        ],
    )


# -- Attempts and waiving cmi5 AUs (managers for their unit, admins) ---------------------


@bp.get("/reports/learners/<int:user_id>/attempts")
@role_required("manager")
def report_learner_attempts(user_id: int) -> Page:
    """A learner's e-learning attempts, each opening its AUs (waive one there)."""
    scope = reports.scope_for(this_user())
    learner = service.get_user(user_id)
    reports.check_learner(scope, learner)
    return render_template(
        "attempts.html",
        title=_("E-learning attempts: %(name)s", name=learner.name),
        attempts=reports.attempts_in_scope(scope, user_id=learner.id),
        show_learner=False,
    )


@bp.get("/reports/courses/<int:course_id>/attempts")
@role_required("manager")
def report_course_attempts(course_id: int) -> Page:
    """The attempts at a course by learners in the manager's unit (all for an admin)."""
    scope = reports.scope_for(this_user())
    course = packages.get_course(course_id)
    return render_template(
        "attempts.html",
        title=_("E-learning attempts: %(name)s", name=course.title),
        attempts=reports.attempts_in_scope(scope, course_id=course.id),
        show_learner=True,
    )


def _attempt_in_scope(attempt_id: int) -> tuple[Attempt, User]:
    """The attempt and its learner, if the signed-in manager may see them (else 403/404)."""
    found = player_attempts.get_attempt(attempt_id)
    learner = service.get_user(found.user_id)
    reports.check_learner(reports.scope_for(this_user()), learner)
    return found, learner


@bp.get("/reports/attempts/<int:attempt_id>")
@role_required("manager")
def report_attempt(attempt_id: int) -> Page:
    """One attempt: its status and, for cmi5, each AU with a form to waive it."""
    return _attempt_page(*_attempt_in_scope(attempt_id))


def _attempt_page(found: Attempt, learner: User) -> Page:
    return render(
        "attempt.html",
        attempt=found,
        learner=learner,
        course=packages.get_course(found.course_id),
        aus=player_cmi5.au_overview(found),
        reasons=WAIVE_REASONS,
    )


# cmi5 §9.5.4.1: the reason is sent as is; the page shows it in the user's language.
WAIVE_REASONS = {
    "Tested Out": N_("Tested out"),
    "Equivalent AU": N_("Equivalent AU"),
    "Equivalent Outside Activity": N_("Equivalent outside activity"),
    "Administrative": N_("Administrative"),
}


@bp.post("/reports/attempts/<int:attempt_id>/waive")
@role_required("manager")
def post_waive(attempt_id: int) -> Page:
    """Waive one AU of the attempt (cmi5 §9.3.8); moveOn is evaluated again."""
    found, learner = _attempt_in_scope(attempt_id)
    submit(
        schemas.WaiveSchema(),
        lambda data: player_rollup.waive_au(found, data["au_id"], data["reason"]),
        _("Waived."),
    )
    if g.get("form_status", 200) != 200:
        return _attempt_page(found, learner)  # refused: the page again, with the problem
    return redirect(url_for("portal.report_attempt", attempt_id=attempt_id))
