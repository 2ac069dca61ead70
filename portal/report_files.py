"""Report files that can be large, by kind: their scope, their size and the file itself.

A page makes a small file while the person waits; a larger one (more rows than
EXPORT_BACKGROUND_ROWS) is made by a background job (portal/report_exports.py) from the
same ``build`` here, in the locale the person asked in, so both give the same bytes.
Each kind reads its arguments from a plain dict (what the page's query held) and
checks the person's scope itself (``reports.scope_for``): the job runs with no request,
and the person's role or unit may have changed since they asked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import distinct, func, select

from accounts import audit
from accounts.models import AuditEvent, User
from core.db import db
from core.errors import Forbidden
from core.i18n import N_
from packages import service as packages
from portal import compliance, course_people, exports, reports, requirements
from portal.models import Completion, RequirementMember

Params = dict[str, Any]


@dataclass(frozen=True)
class File:
    """A report file: its name and bytes, its rows, and how the export is audited."""

    filename: str
    body: bytes
    rows: int
    audit_name: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Exporter:
    """One kind of report file.

    ``scope``: a digest of what the person may read for it (Forbidden when nothing);
    ``size``: how many rows the file would have, read cheaply; ``build``: the file, in
    the current locale; ``filename``: its name, known before it is built.
    """

    scope: Callable[[User, Params], str]
    size: Callable[[User, Params], int]
    build: Callable[[User, Params, str], File]
    filename: Callable[[Params], str]


EXPORTERS: dict[str, Exporter] = {}


def digest(*parts: Any) -> str:
    """A short fingerprint of a scope's parts (compared, never shown)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:64]


def _report_scope(user: User, params: Params) -> reports.Scope:
    return reports.scope_for(
        user, params.get("unit_id"), params.get("by") or "unit", params.get("manager_id")
    )


def _scope_digest(user: User, params: Params) -> str:
    scope = _report_scope(user, params)
    unit_ids = sorted(scope.unit_ids) if scope.unit_ids is not None else None
    return digest(user.id, user.role, scope.unit_id, unit_ids, scope.manager_id)


# -- Compliance: one requirement's people -------------------------------------------------


def _member_scope(user: User, params: Params) -> list[Any]:
    """The scope as conditions on requirement members (compliance.counts needs no join)."""
    return _report_scope(user, params).where(RequirementMember.unit_id, RequirementMember.user_id)


def _wanted(params: Params) -> str | None:
    status = str(params.get("status") or "overdue")
    return None if status == "all" else status


def _compliance_size(user: User, params: Params) -> int:
    requirement = requirements.get(int(params["requirement_id"]))
    where = _member_scope(user, params)
    figures = compliance.counts([requirement], where)[requirement.id]
    wanted = _wanted(params)
    return figures.covered if wanted is None else figures.counts[wanted]


def _compliance_name(params: Params) -> str:
    return f"compliance-{int(params['requirement_id'])}-{params.get('status') or 'overdue'}"


def _compliance_filename(params: Params) -> str:
    suffix = "-excel" if params.get("format") == "excel" else ""
    return f"{_compliance_name(params)}{suffix}.csv"


def _compliance_build(user: User, params: Params, locale: str) -> File:
    requirement = requirements.get(int(params["requirement_id"]))
    where = _member_scope(user, params)
    people = compliance.people(requirement, where, _wanted(params))
    columns = [
        _("Name"),
        _("E-mail address"),
        _("Unit"),
        _("Manager"),
        _("Status"),
        _("Due date"),
        _("Overdue since"),
        _("Valid until"),
        _("Reason for exemption"),
    ]
    rows = [
        [
            p.person.name,
            p.person.email or p.person.user_name,
            p.person.unit.name if p.person.unit else "",
            p.manager.name if p.manager else "",
            _(compliance.STATUSES[p.status]),
            p.due,
            p.since,
            p.valid_until,
            p.exemption.reason if p.exemption else "",
        ]
        for p in people
    ]
    body = exports.table_file(columns, rows, params.get("format") == "excel", locale)
    details = {"unit_id": params.get("unit_id"), "rows": len(rows)}
    return File(_compliance_filename(params), body, len(rows), _compliance_name(params), details)


EXPORTERS["compliance_people"] = Exporter(
    _scope_digest, _compliance_size, _compliance_build, _compliance_filename
)


# -- Reports: a course's learners ---------------------------------------------------------


def _learners_size(user: User, params: Params) -> int:
    where = _report_scope(user, params).where()
    stmt = select(func.count(distinct(Completion.user_id))).where(
        Completion.course_id == int(params["course_id"]), *where
    )
    return int(db.session.scalar(stmt) or 0)


def _learners_filename(params: Params) -> str:
    return f"course-{int(params['course_id'])}-learners.csv"


def _learners_build(user: User, params: Params, _locale: str) -> File:
    course = packages.get_course(int(params["course_id"]))
    scope = _report_scope(user, params)
    table = course_people.with_assigned(reports.course_learners(scope, course.id), course.id)
    details = {
        "unit_id": params.get("unit_id"),
        "by": params.get("by") or "unit",
        "manager_id": params.get("manager_id"),
        "rows": len(table.rows),
    }
    name = f"course-{course.id}-learners"
    return File(f"{name}.csv", table.csv().encode(), len(table.rows), name, details)


EXPORTERS["course_learners"] = Exporter(
    _scope_digest, _learners_size, _learners_build, _learners_filename
)


# -- The audit log (admins) ---------------------------------------------------------------


def _admin_only(user: User, _params: Params) -> str:
    if user.role != "admin":
        raise Forbidden("Only admins read the audit log")
    return digest(user.id, user.role)


def audit_filter(params: Params) -> audit.Filter:
    """The audit log's filter from an export's arguments (days as ISO text)."""

    def day(name: str) -> date | None:
        value = params.get(name)
        return date.fromisoformat(str(value)) if value else None

    return audit.Filter(params.get("action"), params.get("who"), day("since"), day("until"))


def audit_table(events: list[AuditEvent]) -> reports.Table:
    """The entries as a table for CSV: one row each, details as JSON."""
    rows = [
        {
            "at": e.at,
            "actor": e.actor_name,
            "action": e.action,
            "target": f"{e.target_type} {e.target_id or ''} {e.target_name}".strip(),
            "details": json.dumps(e.details, ensure_ascii=False, sort_keys=True, default=str),
            "client": e.client,
        }
        for e in events
    ]
    columns = [
        ("at", N_("Time (UTC)")),
        ("actor", N_("Who")),
        ("action", N_("Event")),
        ("target", N_("Whom or what")),
        ("details", N_("Details")),
        ("client", N_("Address")),
    ]
    return reports.Table(columns, rows)


def _audit_size(_user: User, params: Params) -> int:
    return audit.count(audit_filter(params))


def _audit_build(_user: User, params: Params, _locale: str) -> File:
    table = audit_table(audit.events(audit_filter(params)))
    details = {"rows": len(table.rows)}
    return File("audit-log.csv", table.csv().encode(), len(table.rows), "audit-log", details)


EXPORTERS["audit_log"] = Exporter(
    _admin_only, _audit_size, _audit_build, lambda _params: "audit-log.csv"
)
