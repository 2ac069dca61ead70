"""Accounts: people, the organisation's units, sign-in sessions and sign-in throttling.

Table names keep their ``portal_`` prefix (they were the portal's first). The portal,
the player and the LRS's learner identity (``accounts.auth.agent_for``) build on these.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, object_session, relationship

from core.db import Model

ROLES = ("learner", "author", "manager", "admin")
UNIT_KINDS = ("department", "company", "section", "unit")


class OrganisationUnit(Model):
    """A unit of the organisation tree, to any depth (accounts/units.py).

    Departments (förvaltningar) and municipal companies, their sections and units.
    Courses and people belong to one (or none); a manager sees their unit's subtree.
    """

    __tablename__ = "portal_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None: a top unit. Moving a unit changes only this; its id, people and history stay.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_unit.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # The key organisations use (HR files, SSO claims, the API); it may change, since
    # people, courses and assignments link to the id.
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="department")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


def _email_as_user_name(context: Any) -> str | None:
    """An account made without a userName (in the portal) signs in by its e-mail address."""
    return context.get_current_parameters().get("email")  # type: ignore[no-any-return]


class User(Model):
    """A person who signs in to the portal, also provisioned by SCIM (accounts/scim/)."""

    __tablename__ = "portal_user"
    __table_args__ = (
        # userName is unique and compared case-insensitively (RFC 7643 §4.1.1, "caseExact"
        # false); a deleted (SCIM DELETE) person's name may be given to someone new.
        Index(
            "uq_portal_user_user_name",
            func.lower(text("user_name")),
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # Lists of people by name (a requirement's people, 500 at a time, among 20,000)
        # walk this index in order rather than sorting everyone.
        Index("ix_portal_user_name", "name", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The primary e-mail address, where sign-in looks people up. None: a provisioned
    # person without one (they sign in by SSO), or a deleted one (the address is freed).
    email: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    # SCIM's emails[].type of that address ("work", ...), as the client sent it.
    email_type: Mapped[str | None] = mapped_column(String(50), nullable=True)
    email_primary: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # The unique sign-in name of the identity provider (SCIM userName); the e-mail
    # address for accounts made in the portal.
    user_name: Mapped[str] = mapped_column(String(255), default=_email_as_user_name)
    # The provisioning client's own id of the person (SCIM externalId; Entra ID's objectId).
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    # Shown everywhere; SCIM displayName.
    name: Mapped[str] = mapped_column(String(200))
    given_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    family_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # HR's number of the person; people imports match on it.
    employee_number: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id", ondelete="SET NULL"), nullable=True, index=True
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="learner")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Grows with every change of the row: the SCIM ETag (meta.version) and lastModified.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Deleted by the provisioning client: inactive, out of SCIM's answers; records stay.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_unit.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # "sv" or "en"; None follows the browser's Accept-Language.
    locale: Mapped[str | None] = mapped_column(String(10), nullable=True)

    unit: Mapped[OrganisationUnit | None] = relationship()
    manager: Mapped[User | None] = relationship(remote_side=[id])


class LineMember(Model):
    """A person in a manager's line: ``person_id``'s chain of managers leads to ``manager_id``.

    Directly or through others: the transitive closure of ``User.manager_id``, kept by
    accounts/line.py whenever a manager changes, in the same transaction. Reports that
    follow the manager line join it on an index instead of walking the chain in every
    query, and the planner knows from its statistics how many people a line holds.
    Nobody is in their own line, even where the data loops (A manages B, B manages A).
    """

    __tablename__ = "accounts_manager_line"

    manager_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Group(Model):
    """A group of people, as the identity provider keeps it (SCIM Groups)."""

    __tablename__ = "accounts_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class GroupMember(Model):
    """One person in one group."""

    __tablename__ = "accounts_group_member"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("accounts_group.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class LoginSession(Model):
    """One signed-in browser: the session cookie holds a random id, this row says it counts.

    Deleting the row ends the session at once, whatever copies of the cookie exist
    (sign-out, a password change or reset, deactivation; accounts/login_sessions.py).
    """

    __tablename__ = "portal_login_session"

    # SHA-256 (hex) of the id in the cookie: the table alone lets nobody in.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)


class SsoLink(Model):
    """An account's identity at an OpenID provider (accounts/sso.py).

    The provider's issuer and subject (``iss``, ``sub``) name one person for good, while
    an e-mail address can change hands; a signed-in provider finds its account by this.
    """

    __tablename__ = "accounts_sso_link"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SignInThrottle(Model):
    """Failed sign-ins of one client address in its current window (accounts/ratelimit.py).

    Other limits count here too, under keys of their own ("report 192.0.2.1").

    In the database, not in a worker's memory, so the limit holds across gunicorn
    workers and nodes.
    """

    __tablename__ = "portal_signin_throttle"

    # An IP address, or an IPv6 /64 network ("2001:db8:1:2::/64"), maybe after a prefix.
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    # When the window began: the first failure after the previous window ended.
    window_start: Mapped[datetime] = mapped_column(DateTime, index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class ScimToken(Model):
    """A provisioning client's bearer token (``flask scim token create``); stored hashed."""

    __tablename__ = "accounts_scim_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # SHA-256 (hex) of the token: the table alone lets nobody in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@event.listens_for(User, "before_update")
@event.listens_for(Group, "before_update")
def _next_version(_mapper: Mapper[Any], _connection: Connection, target: User | Group) -> None:
    """Every change of a person or group gives it a new SCIM version (RFC 7644 §3.14)."""
    session = object_session(target)
    if session is not None and session.is_modified(target, include_collections=False):
        target.version = (target.version or 0) + 1
        target.updated_at = _now()


class AuditEvent(Model):
    """Who did what to whom (accounts/audit.py). The application only ever adds rows."""

    __tablename__ = "accounts_audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # Who acted: a signed-in person (kept by name too, should the account go), or a
    # system such as the command line or a SCIM client (actor_id None).
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id", ondelete="SET NULL"), nullable=True, index=True
    )
    actor_name: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(50), index=True)
    # What it was done to: "user", "unit", "credential", "report"... and which one.
    target_type: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    target_name: Mapped[str] = mapped_column(String(255), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client: Mapped[str | None] = mapped_column(String(64), nullable=True)
