"""Mandatory training: requirements, who is in their audiences, and exemptions.

A requirement names one course or several equivalent ones (any of them counts,
e-learning or classroom), an audience (units with their subtrees, roles, titles, people;
anyone matching one rule), a due rule (a fixed date, or N days after the person joined
the audience), how long a completion is valid and when the renewal window opens.

Who is in an audience is materialised in ``portal_requirement_member`` with the moment
each person joined it, so that someone who joins later gets a due date of their own and
compliance (portal/compliance.py) is one join for a whole audience. It is refreshed:
when a requirement is saved (that requirement), when people are created or change
(``accounts.signals.people_changed``, sent by the account service, SCIM, the people
import and unit moves), and by ``flask requirements refresh`` (a nightly safety net for
changes made outside the application). Someone who leaves an audience leaves the table;
coming back is joining again, with a new due date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, exists, func, insert, literal, or_, select
from sqlalchemy import update as sql_update

from accounts import audit, units
from accounts.models import ROLES, OrganisationUnit, User
from core.db import db
from core.errors import BadRequest, Conflict, Forbidden, NotFound
from packages.models import Course
from player.models import Attempt
from portal.models import (
    ClassroomSession,
    Completion,
    Enrolment,
    Requirement,
    RequirementAudience,
    RequirementCourse,
    RequirementMember,
)

AUDIENCE_KINDS = ("unit", "role", "title", "person")
# The results that complete a course (a failed one only shows the person has begun).
DONE_VERBS = ("completed", "passed")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Draft:
    """What a requirement form says (checked by ``_check``)."""

    name: str
    course_ids: list[int]
    audience: list[tuple[str, str]] = field(default_factory=list)
    due_date: date | None = None
    due_days: int | None = None
    validity_months: int | None = None
    renewal_days: int = 0
    owner_unit_id: int | None = None


def _bad(path: str, message: str, detail: str) -> BadRequest:
    return BadRequest(detail, errors=[{"path": path, "message": message}])


def signature(draft: Draft) -> str:
    """Courses, audience, due rule and owner in one canonical string (duplicates)."""
    courses = ",".join(str(c) for c in sorted(set(draft.course_ids)))
    rules = sorted({f"{k}:{v.casefold() if k == 'title' else v}" for k, v in draft.audience})
    due = f"d{draft.due_date.isoformat()}" if draft.due_date else f"n{draft.due_days}"
    return f"c={courses}|a={';'.join(rules)}|due={due}|o={draft.owner_unit_id or ''}"


# -- Who may do what ---------------------------------------------------------------------


def may_manage(actor: User, requirement: Requirement) -> bool:
    """Admins manage every requirement; a manager those owned by their subtree."""
    if actor.role == "admin":
        return True
    if actor.role != "manager" or actor.unit_id is None:
        return False
    own = units.subtree_ids([actor.unit_id])
    return requirement.owner_unit_id is not None and requirement.owner_unit_id in own


def visible(actor: User, include_inactive: bool = True) -> list[Requirement]:
    """The requirements ``actor`` manages, by name."""
    stmt = select(Requirement).order_by(Requirement.name, Requirement.id)
    if not include_inactive:
        stmt = stmt.where(Requirement.active.is_(True))
    if actor.role != "admin":
        own = units.subtree_ids([actor.unit_id]) if actor.unit_id is not None else []
        stmt = stmt.where(Requirement.owner_unit_id.in_(own))
    return list(db.session.scalars(stmt))


def active_all() -> list[Requirement]:
    """Every active requirement, by name (compliance counts them in a viewer's scope)."""
    stmt = select(Requirement).where(Requirement.active.is_(True))
    return list(db.session.scalars(stmt.order_by(Requirement.name, Requirement.id)))


def get(requirement_id: int) -> Requirement:
    """The requirement, or 404."""
    found = db.session.get(Requirement, requirement_id)
    if found is None:
        raise NotFound("No such requirement")
    return found


def get_managed(actor: User, requirement_id: int) -> Requirement:
    """The requirement if ``actor`` manages it (404 when it does not exist, else 403)."""
    found = get(requirement_id)
    if not may_manage(actor, found):
        raise Forbidden("This requirement belongs to another unit")
    return found


# -- Saving ------------------------------------------------------------------------------


def _check(actor: User, draft: Draft) -> None:
    """Refuse a draft that is incomplete, or reaches beyond a manager's subtree."""
    if not draft.name.strip():
        raise _bad("name", "required", "A requirement needs a name")
    if not draft.course_ids:
        raise _bad("course_ids", "required", "Choose at least one course")
    found = set(db.session.scalars(select(Course.id).where(Course.id.in_(draft.course_ids))))
    if found != set(draft.course_ids):
        raise _bad("course_ids", "unknown", "No such course")
    if not draft.audience:
        raise _bad("audience", "required", "Choose who must complete it")
    if (draft.due_date is None) == (draft.due_days is None):
        raise _bad("due_rule", "one of", "Give either a due date or a number of days")
    if draft.validity_months is not None and draft.validity_months < 1:
        raise _bad("validity_months", "too small", "Validity is at least one month")
    if draft.renewal_days < 0 or (draft.renewal_days and draft.validity_months is None):
        raise _bad("renewal_days", "invalid", "A renewal window needs a validity")
    own = None
    if actor.role != "admin":
        if actor.role != "manager" or actor.unit_id is None:
            raise Forbidden("Requirements are made by managers and admins")
        own = set(units.subtree_ids([actor.unit_id]))
        if draft.owner_unit_id not in own:
            raise Forbidden("A manager's requirement belongs to their own unit")
    elif (
        draft.owner_unit_id is not None
        and db.session.get(OrganisationUnit, draft.owner_unit_id) is None
    ):
        raise _bad("owner_unit_id", "unknown", "No such unit")
    _check_audience(draft.audience, own)


def _check_audience(audience: list[tuple[str, str]], own: set[int] | None) -> None:
    for kind, value in audience:
        if kind not in AUDIENCE_KINDS:
            raise _bad("audience", "invalid", "Unknown kind of audience")
        if kind in ("unit", "person") and not value.isdigit():
            raise _bad(f"audience_{kind}", "invalid", "Not a unit or person")
        if kind == "role" and value not in ROLES:
            raise _bad("audience_role", "invalid", "Unknown role")
        if kind == "unit":
            if db.session.get(OrganisationUnit, int(value)) is None:
                raise _bad("audience_unit", "unknown", "No such unit")
            if own is not None and int(value) not in own:
                raise Forbidden("A manager's requirement reaches only their own units")
        if kind == "person":
            person = db.session.get(User, int(value))
            if person is None:
                raise _bad("audience_person", "unknown", "No such person")
            if own is not None and person.unit_id not in own:
                raise Forbidden("A manager's requirement reaches only their own people")


def _refuse_duplicate(sig: str, but: int | None = None) -> None:
    stmt = select(Requirement.id).where(Requirement.signature == sig, Requirement.active.is_(True))
    if but is not None:
        stmt = stmt.where(Requirement.id != but)
    if db.session.scalar(stmt.limit(1)) is not None:
        raise Conflict(
            "The same courses, audience and due rule are already a requirement",
            errors=[{"path": "course_ids", "message": "already required"}],
        )


def _store(requirement: Requirement, draft: Draft) -> None:
    requirement.name = draft.name.strip()
    requirement.owner_unit_id = draft.owner_unit_id
    requirement.due_date = draft.due_date
    requirement.due_days = draft.due_days
    requirement.validity_months = draft.validity_months
    requirement.renewal_days = draft.renewal_days
    requirement.signature = signature(draft)
    db.session.flush()
    db.session.execute(
        delete(RequirementCourse).where(RequirementCourse.requirement_id == requirement.id)
    )
    db.session.execute(
        delete(RequirementAudience).where(RequirementAudience.requirement_id == requirement.id)
    )
    for course_id in sorted(set(draft.course_ids)):
        db.session.add(RequirementCourse(requirement_id=requirement.id, course_id=course_id))
    for kind, value in sorted(set(draft.audience)):
        db.session.add(RequirementAudience(requirement_id=requirement.id, kind=kind, value=value))
    db.session.flush()
    refresh([requirement.id])
    sync([requirement.id])


def create(actor: User, draft: Draft) -> Requirement:
    """A new requirement; everyone in its audience joins it now."""
    _check(actor, draft)
    _refuse_duplicate(signature(draft))
    requirement = Requirement(
        name=draft.name, signature="", created_by_id=actor.id, created_at=_now(), active=True
    )
    db.session.add(requirement)
    _store(requirement, draft)
    audit.record("requirement.created", "requirement", requirement.id, requirement.name)
    return requirement


def update(actor: User, requirement: Requirement, draft: Draft) -> Requirement:
    """Change a requirement; people still in the audience keep their joining date."""
    if not may_manage(actor, requirement):
        raise Forbidden("This requirement belongs to another unit")
    _check(actor, draft)
    _refuse_duplicate(signature(draft), but=requirement.id)
    before = requirement.signature
    requirement.updated_at = _now()
    _store(requirement, draft)
    details = {"signature": [before, requirement.signature]}
    audit.record(
        "requirement.changed", "requirement", requirement.id, requirement.name, details=details
    )
    return requirement


def set_active(actor: User, requirement: Requirement, active: bool) -> Requirement:
    """Deactivate (nobody has it any more; history stays) or activate again."""
    if not may_manage(actor, requirement):
        raise Forbidden("This requirement belongs to another unit")
    if active and not requirement.active:
        _refuse_duplicate(requirement.signature, but=requirement.id)
    requirement.active = active
    requirement.updated_at = _now()
    db.session.flush()
    if active:
        refresh([requirement.id])
        audit.record("requirement.changed", "requirement", requirement.id, requirement.name)
    else:
        audit.record("requirement.deactivated", "requirement", requirement.id, requirement.name)
    return requirement


def draft_of(requirement: Requirement) -> Draft:
    """The requirement as a form shows it."""
    courses = db.session.scalars(
        select(RequirementCourse.course_id).where(
            RequirementCourse.requirement_id == requirement.id
        )
    )
    rules = db.session.execute(
        select(RequirementAudience.kind, RequirementAudience.value).where(
            RequirementAudience.requirement_id == requirement.id
        )
    )
    return Draft(
        requirement.name,
        list(courses),
        [(k, v) for k, v in rules],
        requirement.due_date,
        requirement.due_days,
        requirement.validity_months,
        requirement.renewal_days,
        requirement.owner_unit_id,
    )


# -- Audiences ---------------------------------------------------------------------------


def audience_query(requirement: Requirement, draft: Draft | None = None) -> Select[Any]:
    """The ids of the active people in the requirement's audience."""
    draft = draft or draft_of(requirement)
    by_kind: dict[str, list[str]] = {}
    for kind, value in draft.audience:
        by_kind.setdefault(kind, []).append(value)
    conditions: list[Any] = []
    if by_kind.get("unit"):
        below = units.subtree_ids(int(v) for v in by_kind["unit"])
        conditions.append(User.unit_id.in_(below))
    if by_kind.get("role"):
        conditions.append(User.role.in_(by_kind["role"]))
    if by_kind.get("title"):
        titles = [v.casefold() for v in by_kind["title"]]
        conditions.append(func.lower(User.title).in_(titles))
    if by_kind.get("person"):
        conditions.append(User.id.in_([int(v) for v in by_kind["person"]]))
    stmt = select(User.id).where(User.active.is_(True), User.deleted_at.is_(None))
    stmt = stmt.where(or_(*conditions)) if conditions else stmt.where(literal(False))
    if requirement.owner_unit_id is not None:
        stmt = stmt.where(User.unit_id.in_(units.subtree_ids([requirement.owner_unit_id])))
    return stmt


def refresh(requirement_ids: Iterable[int] | None = None, user_ids: list[int] | None = None) -> int:
    """Bring the members of active requirements up to date; how many rows changed.

    ``user_ids`` limits the work to those people (a person created or changed). The
    members' home units follow their accounts' (compliance counts a unit by them).
    """
    chosen = list(requirement_ids) if requirement_ids is not None else None
    stmt = select(Requirement).where(Requirement.active.is_(True))
    if chosen is not None:
        stmt = stmt.where(Requirement.id.in_(chosen))
    changed = 0
    now = _now()
    m = RequirementMember
    for requirement in db.session.scalars(stmt).all():
        wanted = audience_query(requirement)
        if user_ids is not None:
            wanted = wanted.where(User.id.in_(user_ids))
        already = select(m.user_id).where(m.requirement_id == requirement.id)
        joining = select(literal(requirement.id), User.id, literal(now), User.unit_id).where(
            User.id.in_(wanted), User.id.not_in(already)
        )
        # Counted first: an INSERT ... SELECT's rowcount is not reported by every driver.
        joined = db.session.scalar(select(func.count()).select_from(joining.subquery())) or 0
        if joined:
            db.session.execute(
                insert(m).from_select(
                    ["requirement_id", "user_id", "joined_at", "unit_id"], joining
                )
            )
        leaving = delete(m).where(m.requirement_id == requirement.id, m.user_id.not_in(wanted))
        if user_ids is not None:
            leaving = leaving.where(m.user_id.in_(user_ids))
        removed = db.session.execute(leaving)
        changed += joined + max(0, int(removed.rowcount or 0))  # type: ignore[attr-defined]
        if joined:
            sync([requirement.id], user_ids)
    _follow_units(chosen, user_ids)
    db.session.flush()
    return changed


def _follow_units(requirement_ids: list[int] | None, user_ids: list[int] | None) -> None:
    """Members who moved to another unit: their rows' unit too (None: all of them).

    Inactive requirements' members included: their pages still count them by unit.
    """
    if requirement_ids == [] or user_ids == []:
        return
    m = RequirementMember
    home = select(User.unit_id).where(User.id == m.user_id).correlate(m).scalar_subquery()
    stmt = sql_update(m).where(m.unit_id.is_distinct_from(home)).values(unit_id=home)
    if requirement_ids is not None:
        stmt = stmt.where(m.requirement_id.in_(requirement_ids))
    if user_ids is not None:
        stmt = stmt.where(m.user_id.in_(user_ids))
    db.session.execute(stmt.execution_options(synchronize_session=False))


def sync(
    requirement_ids: Iterable[int] | None = None, user_ids: Iterable[int] | None = None
) -> None:
    """Bring members' latest completion and "has begun" up to date (one UPDATE).

    Called for a requirement when it is saved, and for people when results of theirs are
    stored or voided (portal/projection.py) or they book a session (portal/bookings.py).
    """
    params: dict[str, Any] = {}
    if requirement_ids is not None:
        params["requirement_ids"] = list(requirement_ids)
    if user_ids is not None:
        params["user_ids"] = list(user_ids)
        if not params["user_ids"]:
            return
    # Rows added through the ORM (a booking, an attempt) must be in the database for the
    # UPDATE's subqueries to see them; a Core statement does not flush them itself.
    db.session.flush()
    db.session.execute(_sync_statement(tuple(sorted(params))), params)


@cache
def _sync_statement(filters: tuple[str, ...]) -> Any:
    """The UPDATE of ``sync`` with its filters as parameters, built once per kind.

    A Core statement on the table: it runs with every batch of a learner's statements
    (the projection), in the transaction that holds the LRS clock, where building and
    compiling it through the ORM's bulk-update path cost more than the database's work.
    """
    m: Any = RequirementMember.__table__
    rc, c = RequirementCourse, Completion
    # Correlated to the member row being updated, two levels up.
    courses = select(rc.course_id).where(rc.requirement_id == m.c.requirement_id).correlate(m)
    latest = (
        select(func.max(c.stored))
        .where(c.user_id == m.c.user_id, c.course_id.in_(courses), c.verb.in_(DONE_VERBS))
        .scalar_subquery()
    )
    attempted = exists().where(
        Attempt.user_id == m.c.user_id,
        Attempt.course_id.in_(courses),
        Attempt.preview.is_(False),
    )
    booked = exists().where(
        Enrolment.user_id == m.c.user_id,
        Enrolment.status != "refused",
        Enrolment.session_id.in_(
            select(ClassroomSession.id)
            .where(ClassroomSession.course_id.in_(courses), ClassroomSession.cancelled_at.is_(None))
            .correlate(m)
        ),
    )
    failed = exists().where(c.user_id == m.c.user_id, c.course_id.in_(courses), c.verb == "failed")
    stmt = sql_update(m).values(last_done=latest, started=or_(attempted, booked, failed))
    if "requirement_ids" in filters:
        stmt = stmt.where(m.c.requirement_id.in_(bindparam("requirement_ids", expanding=True)))
    if "user_ids" in filters:
        stmt = stmt.where(m.c.user_id.in_(bindparam("user_ids", expanding=True)))
    return stmt


def on_people_changed(_sender: Any, user_ids: list[int] | None = None, **_: Any) -> None:
    """accounts.signals.people_changed: the changed people join or leave audiences."""
    refresh(user_ids=user_ids)


def on_attempt_started(attempt: Attempt, **_: Any) -> None:
    """player.signals.attempt_started: its person has begun the course's requirements."""
    sync(user_ids=[attempt.user_id])


def people_by_address(text: str) -> list[int]:
    """The ids of the people whose e-mail addresses (or user names) ``text`` lists.

    One per line or separated by commas; an unknown one is refused by name.
    """
    wanted = [w.strip().lower() for w in text.replace(",", "\n").splitlines() if w.strip()]
    if not wanted:
        return []
    found: dict[str, int] = dict(
        db.session.execute(
            select(func.lower(User.email), User.id).where(func.lower(User.email).in_(wanted))
        ).all()
    )
    found.update(
        db.session.execute(
            select(func.lower(User.user_name), User.id).where(
                func.lower(User.user_name).in_(wanted), User.deleted_at.is_(None)
            )
        ).all()
    )
    unknown = [w for w in wanted if w not in found]
    if unknown:
        raise _bad("audience_person", "unknown", f"No account for {', '.join(unknown[:5])}")
    return sorted({int(found[w]) for w in wanted})


def addresses(person_ids: Iterable[int]) -> str:
    """The e-mail addresses (else user names) of people, one per line, for the form."""
    ids = list(person_ids)
    if not ids:
        return ""
    rows = db.session.execute(select(User.email, User.user_name).where(User.id.in_(ids)))
    return "\n".join(sorted((email or name) for email, name in rows))
