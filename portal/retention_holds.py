"""What legal holds cover, and which results are still in use: what a retention run keeps.

A hold on a person covers their data: statements naming them (actor, object, context
agents), their attempts, evaluations and the audit entries by or about them. A hold on
a course covers statements about it (its activity id, in the object or the context)
and in its attempts' and classroom sessions' registrations, its attempts and its
evaluations. A hold on an activity (any IRI) covers the statements about it (object
or context activities, a SubStatement's too). A hold on a unit covers the data of
everyone whose home unit is in its subtree now, and the audit entries about those
units. A hold lasts until its ``until`` day has passed or it is released.

Besides holds, a result still in use is kept back: the completion that currently meets
a person's active mandatory training (culling it would make them non-compliant for
want of a record, not of training; it becomes cullable once a newer one replaces it),
and the result behind a certificate that has not expired (its verification page would
otherwise answer "withdrawn").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from accounts import units
from accounts.models import AuditEvent, User
from core import vocabulary
from core.db import db
from lrs.filters import (
    ACTIVITY,
    ACTIVITY_RELATED,
    AGENT,
    AGENT_RELATED,
    REGISTRATION,
    filter_keys,
)
from lrs.keys import agent_key, key_hash
from player.models import Attempt
from portal.certificate_models import Certificate
from portal.models import (
    ClassroomSession,
    Completion,
    Requirement,
    RequirementCourse,
    RequirementMember,
)
from portal.requirements import DONE_VERBS
from portal.retention_models import RetentionHold


def active_holds(today: date) -> list[RetentionHold]:
    """Holds in force today: not released, and their ``until`` not passed."""
    stmt = (
        select(RetentionHold)
        .where(
            RetentionHold.released_at.is_(None),
            or_(RetentionHold.until.is_(None), RetentionHold.until >= today),
        )
        .order_by(RetentionHold.id)
    )
    return list(db.session.scalars(stmt))


def person_agent_key(user_id: int) -> str:
    """The IFI key of a person's xAPI agent (accounts.auth.agent_for)."""
    home = current_app.config["AGENT_HOMEPAGE"]
    key = agent_key({"account": {"homePage": home, "name": str(user_id)}})
    assert key is not None  # noqa: S101  (an account always has one)
    return key


@dataclass
class Coverage:
    """Everything today's holds cover, in the forms each kind of record is checked by."""

    user_ids: set[int] = field(default_factory=set)
    course_ids: set[int] = field(default_factory=set)
    unit_ids: set[int] = field(default_factory=set)
    # (filter kind, key hash) rows that make a statement held (lrs.filters).
    statement_keys: set[tuple[int, int]] = field(default_factory=set)

    def statement_held(self, data: dict[str, Any]) -> bool:
        """Whether a statement names a held person or belongs to a held course."""
        return bool(self.statement_keys) and not self.statement_keys.isdisjoint(filter_keys(data))

    def person_held(self, user_id: int | None, course_id: int | None = None) -> bool:
        """Whether a person's record (of a course) is held."""
        return user_id in self.user_ids or (course_id is not None and course_id in self.course_ids)

    def audit_held(self, event: AuditEvent) -> bool:
        """Whether an audit entry is by or about someone or something held."""
        if event.actor_id in self.user_ids:
            return True
        target = event.target_id or ""
        if not target.isdigit():
            return False
        held_of = {"user": self.user_ids, "unit": self.unit_ids, "course": self.course_ids}
        return int(target) in held_of.get(event.target_type, set())


def coverage(holds: list[RetentionHold]) -> Coverage:
    """What these holds cover together."""
    cover = Coverage()
    unit_roots = [h.unit_id for h in holds if h.kind == "unit" and h.unit_id is not None]
    cover.unit_ids = set(units.subtree_ids(unit_roots)) if unit_roots else set()
    cover.user_ids = {h.user_id for h in holds if h.kind == "person" and h.user_id is not None}
    if cover.unit_ids:
        cover.user_ids |= set(
            db.session.scalars(select(User.id).where(User.unit_id.in_(cover.unit_ids)))
        )
    cover.course_ids = {h.course_id for h in holds if h.kind == "course" and h.course_id}
    keys: set[tuple[int, int]] = set()
    for user_id in cover.user_ids:
        hashed = key_hash(person_agent_key(user_id))
        keys |= {(AGENT, hashed), (AGENT_RELATED, hashed)}
    if cover.course_ids:
        home = current_app.config["AGENT_HOMEPAGE"]
        for course_id in cover.course_ids:
            hashed = key_hash(vocabulary.course_iri(home, course_id))
            keys |= {(ACTIVITY, hashed), (ACTIVITY_RELATED, hashed)}
        ids = list(cover.course_ids)
        registrations = set(
            db.session.scalars(select(Attempt.registration).where(Attempt.course_id.in_(ids)))
        ) | set(
            db.session.scalars(
                select(ClassroomSession.registration).where(ClassroomSession.course_id.in_(ids))
            )
        )
        keys |= {(REGISTRATION, key_hash(r)) for r in registrations if r}
    for hold in holds:
        if hold.kind == "activity" and hold.activity_id:
            hashed = key_hash(hold.activity_id)
            keys |= {(ACTIVITY, hashed), (ACTIVITY_RELATED, hashed)}
    cover.statement_keys = keys
    return cover


def in_use(today: date) -> set[str]:
    """Statement ids of results still in use: meeting mandatory training, or certified."""
    c, m, rc, r = Completion, RequirementMember, RequirementCourse, Requirement
    meeting = (
        select(c.statement_id)
        .join(m, (m.user_id == c.user_id) & (m.last_done == c.stored))
        .join(rc, (rc.requirement_id == m.requirement_id) & (rc.course_id == c.course_id))
        .join(r, (r.id == m.requirement_id) & r.active.is_(True))
        .where(c.verb.in_(DONE_VERBS))
    )
    certified = select(Certificate.statement_id).where(
        or_(Certificate.valid_until.is_(None), Certificate.valid_until >= today)
    )
    return set(db.session.scalars(meeting)) | set(db.session.scalars(certified))
