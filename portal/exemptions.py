"""Exemptions from mandatory training: who may let whom off, with a reason, audited.

An admin, or the person's manager (their unit's subtree, or the manager line), exempts
a person from one requirement (portal/requirements.py); compliance counts them apart
(portal/compliance.py) and the audit log keeps who did it, when and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from accounts import audit, line, units
from accounts.models import LineMember, User
from accounts.service import get_user
from core.db import db
from core.errors import BadRequest, Forbidden
from portal.models import Requirement, RequirementExemption


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def may_exempt(actor: User, person: User) -> bool:
    """An admin, or the person's manager (the manager line or the unit subtree)."""
    if actor.role == "admin":
        return True
    if actor.role != "manager" or person.id == actor.id:
        return False
    if actor.unit_id is not None and person.unit_id in units.subtree_ids([actor.unit_id]):
        return True
    return line.reports_to(person.id, actor.id)


def exemptable(actor: User, people: Iterable[User]) -> set[int]:
    """Which of ``people`` ``actor`` may exempt (``may_exempt`` for a page of people)."""
    listed = list(people)
    if actor.role == "admin":
        return {p.id for p in listed}
    if actor.role != "manager":
        return set()
    own = set(units.subtree_ids([actor.unit_id])) if actor.unit_id is not None else set()
    found = {p.id for p in listed if p.unit_id in own and p.id != actor.id}
    rest = [p.id for p in listed if p.id not in found and p.id != actor.id]
    if rest:
        below = line.ids(actor.id).where(LineMember.person_id.in_(rest))
        found.update(db.session.scalars(below))
    return found


def exempt(actor: User, requirement: Requirement, person_id: int, reason: str) -> None:
    """Let a person off a requirement, with a reason (audited)."""
    person = get_user(person_id)
    if not may_exempt(actor, person):
        raise Forbidden("Only an admin or the person's manager may exempt them")
    if not reason.strip():
        raise BadRequest("Give a reason", errors=[{"path": "reason", "message": "required"}])
    found = db.session.get(RequirementExemption, (requirement.id, person.id))
    if found is None:
        found = RequirementExemption(requirement_id=requirement.id, user_id=person.id)
        db.session.add(found)
    found.reason = reason.strip()
    found.by_id = actor.id
    found.by_name = actor.name
    found.at = _now()
    db.session.flush()
    audit.record(
        "requirement.exempted",
        "user",
        person.id,
        person.email or person.name,
        details={"requirement_id": requirement.id, "reason": found.reason},
    )


def unexempt(actor: User, requirement: Requirement, person_id: int) -> None:
    """Withdraw an exemption (audited)."""
    person = get_user(person_id)
    if not may_exempt(actor, person):
        raise Forbidden("Only an admin or the person's manager may exempt them")
    found = db.session.get(RequirementExemption, (requirement.id, person.id))
    if found is not None:
        db.session.delete(found)
        db.session.flush()
        audit.record(
            "requirement.unexempted",
            "user",
            person.id,
            person.email or person.name,
            details={"requirement_id": requirement.id},
        )
