"""Mandatory training: managing requirements, and compliance for leadership.

A manager manages the requirements of their subtree and reads compliance for it; an
admin for any unit. Scopes come from ``reports.scope_for`` (a unit outside a manager's
subtree is 403), so every page and file filters people by the same rule.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import g, make_response, redirect, request, url_for
from flask_babel import get_locale, pgettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from accounts import audit, service, units
from accounts.auth import role_required
from accounts.models import ROLES, OrganisationUnit
from core import jobs
from core.db import db
from core.errors import BadRequest, NotFound
from portal import (
    bp,
    catalogue,
    compliance,
    compliance_trend,
    exemptions,
    exports,
    learning,
    reports,
    requirements,
    schemas,
)
from portal.models import Requirement, RequirementMember
from portal.views.common import Page, attempt, form_data, render, this_user
from portal.views.exports import export_file

# -- Requirements ------------------------------------------------------------------------


def _draft(data: dict[str, Any]) -> requirements.Draft:
    audience = [("unit", str(u)) for u in data["audience_unit"]]
    audience += [("role", r) for r in data["audience_role"]]
    titles = [t.strip() for t in data["audience_title"].split(",") if t.strip()]
    audience += [("title", t) for t in titles]
    people = requirements.people_by_address(data["audience_person"])
    audience += [("person", str(p)) for p in people]
    by_date = data["due_kind"] == "date"
    user = this_user()
    owner = data["owner_unit_id"]
    if user.role != "admin" and owner is None:
        owner = user.unit_id  # a manager's requirement belongs to their unit by default
    return requirements.Draft(
        name=data["name"],
        course_ids=data["course_ids"],
        audience=audience,
        due_date=data["due_date"] if by_date else None,
        due_days=None if by_date else data["due_days"],
        validity_months=data["validity_months"],
        # Without a validity nothing expires: a window left in the form means nothing.
        renewal_days=(data["renewal_days"] or 0) if data["validity_months"] else 0,
        owner_unit_id=owner,
    )


def _form_context(requirement: Requirement | None) -> dict[str, Any]:
    user = this_user()
    own = None if user.role == "admin" else set(learning.managed_units(user))
    unit_choices = [(i, label) for i, label in units.choices() if own is None or i in own]
    courses = [
        e.course for e in catalogue.search_catalogue(user) if learning.assignable(user, e.course)
    ]
    draft = requirements.draft_of(requirement) if requirement else None
    chosen = (
        {k: [v for kind, v in draft.audience if kind == k] for k in requirements.AUDIENCE_KINDS}
        if draft
        else {}
    )
    return {
        "requirement": requirement,
        "draft": draft,
        "chosen": chosen,
        "people_text": requirements.addresses(int(p) for p in chosen.get("person", [])),
        "unit_choices": unit_choices,
        "courses": courses,
        "roles": ROLES,
        "admin": user.role == "admin",
    }


def _save(requirement: Requirement | None) -> Requirement | None:
    """Create or update from the form; None when refused (the page shows why)."""
    user = this_user()
    schema = schemas.RequirementSchema()
    data = form_data(schema)
    if data is None:
        return None

    def action() -> Requirement:
        draft = _draft(data)
        if requirement is None:
            return requirements.create(user, draft)
        return requirements.update(user, requirement, draft)

    return attempt(action, _("Saved."), schema)


@bp.route("/manage/requirements", methods=["GET", "POST"])
@role_required("manager")
def requirements_list() -> Page:
    """The requirements the user manages, and a form for a new one."""
    if request.method == "POST" and _save(None) is not None:
        # Committed: the trend's first snapshot with it is taken in the background.
        jobs.try_enqueue("compliance_snapshot")
        return redirect(url_for("portal.requirements_list"))
    return render(
        "requirements.html",
        listed=requirements.visible(this_user()),
        **_form_context(None),
    )


@bp.route("/manage/requirements/<int:requirement_id>", methods=["GET", "POST"])
@role_required("manager")
def requirement_edit(requirement_id: int) -> Page:
    """Change, deactivate or activate a requirement."""
    user = this_user()
    requirement = requirements.get_managed(user, requirement_id)
    if request.method == "POST":
        wanted = request.form.get("action")
        if wanted in ("deactivate", "activate"):
            attempt(
                lambda: requirements.set_active(user, requirement, wanted == "activate"),
                _("Saved."),
            )
        else:
            _save(requirement)
        if g.get("form_status", 200) == 200:
            return redirect(url_for("portal.requirement_edit", requirement_id=requirement.id))
    return render("requirement_edit.html", **_form_context(requirement))


# -- Compliance --------------------------------------------------------------------------


# The largest id a database's integer column holds: a larger one is no unit's.
_MAX_ID = 2**31 - 1


def _scope() -> reports.Scope:
    """The page's scope; a ``unit_id`` that is no unit's number is refused, not ignored."""
    raw = request.args.get("unit_id", "")
    if not raw:
        return reports.scope_for(this_user())
    if not (raw.isascii() and raw.isdigit()) or int(raw) > _MAX_ID:
        raise BadRequest(
            "Choose a unit from the list", errors=[{"path": "unit_id", "message": "invalid"}]
        )
    if db.session.get(OrganisationUnit, int(raw)) is None:
        raise NotFound("No such unit")
    return reports.scope_for(this_user(), int(raw))


def _trail(scope: reports.Scope) -> list[OrganisationUnit]:
    user = this_user()
    own = None if user.role == "admin" else set(learning.managed_units(user))
    here = db.session.get(OrganisationUnit, scope.unit_id) if scope.unit_id else None
    return [u for u in units.path(here) if own is None or u.id in own] if here else []


def _active() -> list[Requirement]:
    return requirements.active_all()


def _export(name: str, columns: list[str], rows: list[list[Any]]) -> BaseResponse | None:
    """The table as a file when ``format`` asks for one (audited), else None."""
    wanted = request.args.get("format")
    if wanted not in ("csv", "excel"):
        return None
    audit.record(
        "report.exported",
        "report",
        None,
        name,
        details={"unit_id": request.args.get("unit_id", type=int), "rows": len(rows)},
    )
    db.session.commit()
    excel = wanted == "excel"
    body = exports.table_file(columns, rows, excel, str(get_locale() or "en"))
    response = make_response(body)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    suffix = "-excel" if excel else ""
    response.headers["Content-Disposition"] = f'attachment; filename="{name}{suffix}.csv"'
    return response


@bp.get("/compliance")
@role_required("manager")
def compliance_overview() -> Page:
    """Each requirement's figures for a unit's subtree (a manager's own by default)."""
    scope = _scope()
    where = scope.where(RequirementMember.unit_id, RequirementMember.user_id)
    listed = _active()
    figures = compliance.counts(listed, where)
    shown = [(r, figures[r.id]) for r in listed if figures[r.id].covered]
    points = compliance_trend.trend([r.id for r, _f in shown], scope.unit_ids, figures)
    if request.args.get("table") == "trend":
        file = _trend_file("compliance-trend", [(r.id, r.name) for r, _f in shown], points)
    else:
        file = _export(
            "compliance",
            _figure_columns(_("Requirement")),
            [[r.name, *_figure_cells(f)] for r, f in shown],
        )
    if file is not None:
        return file
    return render(
        "compliance.html",
        scope=scope,
        shown=shown,
        points=points,
        trail=_trail(scope),
        branches=_branches(),
        bars=[(r.name, round(100 * (f.share("compliant") or 0))) for r, f in shown],
    )


def _trend_file(
    name: str, listed: list[tuple[int, str]], points: list[compliance_trend.Point]
) -> BaseResponse | None:
    """The trend as a file: a row per point and requirement (and all of them together)."""
    rows: list[list[Any]] = []
    for point in points:
        if point.day is None:
            continue
        if len(listed) > 1:
            rows.append([point.day, _("All requirements"), *_figure_cells(point.overall)])
        for rid, title in listed:
            found = point.figures.get(rid)
            if found is not None:
                rows.append([point.day, title, *_figure_cells(found)])
    return _export(name, [_("Date"), *_figure_columns(_("Requirement"))], rows)


def _figure_columns(first: str) -> list[str]:
    return [
        first,
        _("People covered"),
        pgettext("heading", "Exempt"),
        _("Must complete"),
        _("Compliant"),
        _("Share compliant"),
        _("Expiring soon"),
        pgettext("heading", "Overdue"),
        _("Share overdue"),
    ]


def _figure_cells(f: compliance.Figures) -> list[Any]:
    def pct(status: str) -> float | None:
        share = f.share(status)
        return None if share is None else round(100 * share, 1)

    return [
        f.covered,
        f.counts["exempt"],
        f.denominator,
        f.compliant,
        pct("compliant"),
        f.counts["expiring"],
        f.counts["overdue"],
        pct("overdue"),
    ]


def _branches() -> list[units.Branch]:
    user = this_user()
    own = None if user.role == "admin" else set(learning.managed_units(user))
    return [b for b in units.tree() if own is None or b.unit.id in own]


def _per_unit(
    scope: reports.Scope, by_unit: dict[int | None, Counter[str]]
) -> list[tuple[OrganisationUnit | None, compliance.Figures]]:
    """A requirement's figures (counted per home unit) one level down from the scope's unit."""
    below = units.children(scope.unit_id)
    tops = [u.id for u in below]
    rolled = units.roll_up_to(tops, [u for u in by_unit if u is not None])
    sums: dict[int | None, Counter[str]] = {}
    for unit_id, counted in by_unit.items():
        # People whose home is the scope's unit itself (or no unit) form a row of their own.
        key = rolled.get(unit_id) if unit_id is not None else None
        sums.setdefault(key, Counter()).update(counted)
    rows: list[tuple[OrganisationUnit | None, compliance.Figures]] = [
        (u, compliance.Figures(sums[u.id])) for u in below if u.id in sums
    ]
    if None in sums:
        here = db.session.get(OrganisationUnit, scope.unit_id) if scope.unit_id else None
        rows.insert(0, (here, compliance.Figures(sums[None])))
    return rows


@bp.get("/compliance/requirements/<int:requirement_id>")
@role_required("manager")
def compliance_requirement(requirement_id: int) -> Page:
    """One requirement in a scope: per unit one level down, and its people by status."""
    return _requirement_page(requirements.get(requirement_id))


def _requirement_page(requirement: Requirement) -> Page:
    scope = _scope()
    where = scope.where(RequirementMember.unit_id, RequirementMember.user_id)
    status = request.args.get("status") or "overdue"
    if status not in (*compliance.STATUSES, "all"):
        raise NotFound("No such status")
    wanted = None if status == "all" else status
    # The page's total is the sum of its units' rows: the members are counted once.
    by_unit = compliance.counts_by_unit(requirement, where)
    figures = compliance.Figures(sum(by_unit.values(), Counter()))
    points = compliance_trend.trend([requirement.id], scope.unit_ids, {requirement.id: figures})
    file_format = request.args.get("format")
    if file_format in ("csv", "excel"):
        if request.args.get("table") == "trend":
            trend = f"compliance-{requirement.id}-trend"
            file = _trend_file(trend, [(requirement.id, requirement.name)], points)
            if file is not None:
                return file
        params = {
            "requirement_id": requirement.id,
            "status": status,
            "unit_id": request.args.get("unit_id", type=int),
            "format": file_format,
        }
        return export_file("compliance_people", params)  # a large one in the background
    people = compliance.people(requirement, where, wanted, limit=PEOPLE_SHOWN)
    user = this_user()
    return render(
        "compliance_requirement.html",
        scope=scope,
        requirement=requirement,
        figures=figures,
        points=points,
        per_unit=_per_unit(scope, by_unit),
        people=people,
        total=figures.covered if wanted is None else figures.counts[wanted],
        status=status,
        statuses=compliance.STATUSES,
        status_names={key: _(name) for key, name in compliance.STATUSES.items()},
        trail=_trail(scope),
        may_exempt=exemptions.exemptable(user, [p.person for p in people]),
    )


PEOPLE_SHOWN = 500


@bp.post("/compliance/requirements/<int:requirement_id>/exemptions")
@role_required("manager")
def compliance_exempt(requirement_id: int) -> Page:
    """Exempt a person (or withdraw it); refused: the page again, with the problem."""
    scope = _scope()
    requirement = requirements.get(requirement_id)
    schema = schemas.ExemptionSchema()
    data = form_data(schema)
    if data is not None:
        person = service.get_user(data["user_id"])
        reports.check_learner(scope, person)
        if data["withdraw"]:
            attempt(
                lambda: exemptions.unexempt(this_user(), requirement, person.id),
                _("Exemption withdrawn."),
            )
        else:
            attempt(
                lambda: exemptions.exempt(this_user(), requirement, person.id, data["reason"]),
                _("Exempted."),
                schema,
            )
    if g.get("form_status", 200) != 200:
        return _requirement_page(requirement)
    return redirect(
        url_for(
            "portal.compliance_requirement",
            requirement_id=requirement.id,
            unit_id=request.args.get("unit_id", type=int),
            status=request.args.get("status") or None,
        )
    )
