"""The audit log: who did what to whom, for admins to read and export.

Services call ``record`` in the same transaction as the change they log, so a change
and its entry are committed (or rolled back) together. The application never updates
an entry, and deletes one only when a retention rule of the organisation's decision
culls it (portal/retention.py, itself recorded here); nothing else writes the table.
Secrets (passwords, keys' secrets, tokens) never go into ``details``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import g, has_app_context, has_request_context, request
from sqlalchemy import Select, func, or_, select

from accounts.models import AuditEvent, User
from core.db import db
from core.i18n import N_

# Every action the log knows, with its name for people (translated where shown).
ACTIONS = {
    "signin.password": N_("Signed in with a password"),
    "signin.sso": N_("Signed in through the organisation's sign-in"),
    "signin.failed": N_("Sign-in with a password failed"),
    "signin.refused": N_("Sign-in through the organisation's sign-in refused"),
    "user.created": N_("Account created"),
    "user.changed": N_("Role, unit or name changed"),
    "user.deactivated": N_("Account deactivated"),
    "user.activated": N_("Account activated again"),
    "user.password_reset": N_("Password reset by an admin"),
    "user.unlocked": N_("Account unlocked"),
    "user.sso_unlinked": N_("Sign-in link removed"),
    "unit.created": N_("Unit created"),
    "unit.changed": N_("Unit renamed, moved or (de)activated"),
    "credential.created": N_("LRS credential created"),
    "credential.revoked": N_("LRS credential revoked"),
    "report.exported": N_("Report exported"),
    "people.imported": N_("People imported from a file"),
    "transcript.opened": N_("Transcript opened"),
    "certificate.downloaded": N_("Certificate downloaded by a manager"),
    "requirement.created": N_("Mandatory training created"),
    "requirement.changed": N_("Mandatory training changed"),
    "requirement.deactivated": N_("Mandatory training deactivated"),
    "requirement.exempted": N_("Exempted from mandatory training"),
    "requirement.unexempted": N_("Exemption from mandatory training withdrawn"),
    "job.retried": N_("Background job tried again"),
    "review.submitted": N_("Course version submitted for review"),
    "review.withdrawn": N_("Course version withdrawn from review"),
    "review.approved": N_("Course version approved"),
    "review.returned": N_("Course version returned with comments"),
    "version.published": N_("Course version published"),
    "reviewer.added": N_("Reviewer of courses added"),
    "reviewer.removed": N_("Reviewer of courses removed"),
    "checklist.changed": N_("Review checklist changed"),
    "retention.rule_saved": N_("Retention rule saved"),
    "retention.hold_placed": N_("Legal hold placed"),
    "retention.hold_released": N_("Legal hold released"),
    "retention.run": N_("Retention run: records removed"),
    "gdpr.exported": N_("A person's data exported (access request)"),
    "forwarding.created": N_("Forwarding to another LRS added"),
    "forwarding.changed": N_("Forwarding to another LRS changed"),
    "forwarding.paused": N_("Forwarding to another LRS paused"),
    "forwarding.resumed": N_("Forwarding to another LRS resumed"),
    "forwarding.replayed": N_("Statements forwarded again from a point"),
    "forwarding.skipped": N_("A statement another LRS refused was skipped"),
    "forwarding.removed": N_("Forwarding to another LRS removed"),
    "lrs.exported": N_("LRS exported to an archive"),
    "lrs.downloaded": N_("LRS archive downloaded"),
    "lrs.imported": N_("LRS imported from an archive"),
}

# The names of the details entries record, for people (other keys are shown as they are).
DETAILS = {
    "role": N_("Role"),
    "unit_id": N_("Unit"),
    "name": N_("Name"),
    "code": N_("Code"),
    "kind": N_("Kind"),
    "active": N_("Active"),
    "parent_id": N_("Part of"),
    "reason": N_("Reason"),
    "locked": N_("Locked"),
    "protocol": N_("Protocol"),
    "provider": N_("Identity provider"),
    "rows": N_("Rows"),
    "by": N_("View"),
    "manager_id": N_("Manager"),
    "args": N_("Arguments"),
    "course_id": N_("Course"),
    "certificate": N_("Certificate number"),
    "requirement_id": N_("Requirement"),
    "signature": N_("Rules"),
    "scopes": N_("Scopes"),
    "trusted": N_("Its results count in reports"),
    "created": N_("New people"),
    "updated": N_("Changed people"),
    "decision": N_("Decision"),
    "removed": N_("Removed"),
    "holds": N_("Legal holds"),
    "until": N_("Until"),
    "kept": N_("Kept for"),
    "archive": N_("Archive"),
    "statements": N_("Statements"),
    "statement_filters": N_("Index rows"),
    "attachments": N_("Attachments"),
    "activities": N_("Activities"),
    "documents": N_("Documents"),
}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def acting_as(name: str) -> Iterator[None]:
    """Entries recorded inside name ``name`` as their actor when nobody is signed in.

    For changes made on someone's behalf by a machine: the organisation's sign-in
    updating an account from its claims, a provisioning client.
    """
    previous = g.get("audit_actor")
    g.audit_actor = name
    try:
        yield
    finally:
        g.audit_actor = previous


def record(
    action: str,
    target_type: str,
    target_id: object = None,
    target_name: str | None = "",
    *,
    actor: User | None = None,
    actor_name: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an entry; the caller's commit keeps it with the change it describes.

    ``actor`` defaults to the signed-in person of the request; without one (the command
    line, a provisioning client) ``actor_name`` says who acted.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if actor is None and has_request_context():
        actor = g.get("current_user")  # the signed-in person (accounts.auth.current_user)
    if actor is None and actor_name is None and has_app_context():
        actor_name = g.get("audit_actor")
    event = AuditEvent(
        at=_now(),
        actor_id=actor.id if actor is not None else None,
        actor_name=((actor.email or actor.user_name) if actor else actor_name or "system")[:255],
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id)[:64],
        target_name=(target_name or "")[:255],
        details=details or {},
        client=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


@dataclass(frozen=True)
class Filter:
    """What an admin asked the log for; every part optional."""

    action: str | None = None
    who: str | None = None  # the actor's or the target's e-mail or name, in part
    since: date | None = None
    until: date | None = None


def _query(wanted: Filter) -> Select[Any]:
    stmt = select(AuditEvent)
    if wanted.action:
        stmt = stmt.where(AuditEvent.action == wanted.action)
    if wanted.who:
        like = f"%{wanted.who.strip().lower()}%"
        stmt = stmt.where(
            or_(AuditEvent.actor_name.ilike(like), AuditEvent.target_name.ilike(like))
        )
    if wanted.since:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(wanted.since, time()))
    if wanted.until:
        stmt = stmt.where(AuditEvent.at < datetime.combine(wanted.until, time()) + timedelta(1))
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def count(wanted: Filter) -> int:
    """How many entries match ``wanted``."""
    stmt = select(func.count()).select_from(_query(wanted).order_by(None).subquery())
    return int(db.session.scalar(stmt) or 0)


def events(wanted: Filter, limit: int | None = None, offset: int = 0) -> list[AuditEvent]:
    """Entries matching ``wanted``, newest first."""
    return list(db.session.scalars(_query(wanted).limit(limit).offset(offset)))
