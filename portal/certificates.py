"""Certificates of completed courses: issued once per result, checked by their code.

A learner (My learning) or a manager whose report scope covers the learner asks for the
certificate of a course; the newest successful result of that course is certified (a
registration that passed, or completed without failing). Asking again gives the same
certificate. Anyone holding its code (the QR code on the PDF) can check it at
``/certificates/<code>`` without signing in: it is genuine, and it is valid, expired or
withdrawn (the result behind it was voided in the LRS).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from accounts import units
from accounts.models import User
from core.db import db
from core.errors import NotFound
from core.i18n import N_
from packages.models import Course
from portal.certificate_models import Certificate
from portal.compliance import add_months
from portal.models import Completion, Requirement, RequirementCourse, RequirementMember

VALID, EXPIRED, WITHDRAWN = "valid", "expired", "withdrawn"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def certified_result(user_id: int, course_id: int) -> Completion | None:
    """The newest successful result of the course: the row a certificate stands on.

    Results are grouped by registration (one attempt or session: its completed and
    passed/failed statements); the newest group that passed, or completed with no
    failure, counts, by its ``passed`` row when it has one.
    """
    rows = db.session.scalars(
        select(Completion)
        .where(Completion.user_id == user_id, Completion.course_id == course_id)
        .order_by(Completion.stored.desc(), Completion.id.desc())
    )
    groups: dict[str, list[Completion]] = {}
    for row in rows:
        groups.setdefault(row.registration or row.statement_id, []).append(row)
    for found in groups.values():  # newest group first (dicts keep insertion order)
        verbs = {row.verb: row for row in found}
        if "passed" in verbs:
            return verbs["passed"]
        if "completed" in verbs and "failed" not in verbs:
            return verbs["completed"]
    return None


def issue(learner: User, course: Course) -> Certificate:
    """The certificate of the learner's newest successful result of the course.

    Issued the first time it is asked for (flushed, not committed); the same one after.
    """
    result = certified_result(learner.id, course.id)
    if result is None:
        raise NotFound(N_("There is no completed result of this course to certify"))
    found = db.session.scalar(
        select(Certificate).where(Certificate.statement_id == result.statement_id)
    )
    if found is not None:
        return found
    done = result.stored.date()
    certificate = Certificate(
        code=secrets.token_urlsafe(16),
        statement_id=result.statement_id,
        user_id=learner.id,
        course_id=course.id,
        learner_name=learner.name,
        course_title=course.title,
        issuer=issuer_of(course),
        completed_on=done,
        valid_until=_valid_until(learner.id, course.id, done),
        issued_at=_now(),
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


def _valid_until(user_id: int, course_id: int, done: date) -> date | None:
    """How long the result counts (None: no requirement of the person's limits it).

    The shortest validity of the person's requirements that the course meets.
    """
    months: list[int] = [
        m
        for m in db.session.scalars(
            select(Requirement.validity_months)
            .join(RequirementCourse, RequirementCourse.requirement_id == Requirement.id)
            .join(RequirementMember, RequirementMember.requirement_id == Requirement.id)
            .where(
                RequirementCourse.course_id == course_id,
                RequirementMember.user_id == user_id,
                Requirement.active.is_(True),
                Requirement.validity_months.is_not(None),
            )
        )
        if m is not None
    ]
    return add_months(done, min(months)) if months else None


def issuer_of(course: Course) -> str:
    """Who issues it: the unit that owns the course and the organisation above it.

    A course no unit owns is issued by the organisation (the top of the unit tree when
    there is one top unit).
    """
    if course.owner is not None:
        trail = units.path(course.owner)
        if len(trail) > 1:
            return f"{course.owner.name}, {trail[0].name}"
        return course.owner.name
    tops = units.children(None)
    return tops[0].name if len(tops) == 1 else "Kompetens"


@dataclass(frozen=True)
class Verification:
    """What the verification page says about a certificate."""

    certificate: Certificate
    status: str  # VALID, EXPIRED or WITHDRAWN


def verify(code: str, today: date | None = None) -> Verification:
    """The certificate with this code and whether it still holds (unknown: NotFound)."""
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None:
        raise NotFound(N_("No certificate has this code"))
    still_there = db.session.scalar(
        select(Completion.id).where(Completion.statement_id == certificate.statement_id)
    )
    today = today or _now().date()
    if still_there is None:
        status = WITHDRAWN
    elif certificate.valid_until is not None and certificate.valid_until < today:
        status = EXPIRED
    else:
        status = VALID
    return Verification(certificate, status)
