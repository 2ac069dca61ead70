"""Accounts and organisation units: the Python API the CLI and pages use.

Functions ``flush()`` but never ``commit()``; the view or CLI command commits once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import db
from core.errors import BadRequest, Conflict, NotFound
from lrs import auth as lrs_auth
from lrs.models import Credential
from portal.models import ROLES, UNIT_KINDS, OrganisationUnit, User

MIN_PASSWORD = 8


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadRequest(
            f"The password needs at least {MIN_PASSWORD} characters",
            errors=[{"path": "password", "message": "too short"}],
        )


def create_user(
    email: str,
    name: str,
    password: str,
    role: str = "learner",
    unit_id: int | None = None,
) -> User:
    """Create an account with a hashed password."""
    email = email.strip().lower()
    if "@" not in email:
        raise BadRequest("Not an e-mail address", errors=[{"path": "email", "message": "invalid"}])
    if role not in ROLES:
        raise BadRequest(f"Unknown role {role!r}", errors=[{"path": "role", "message": "invalid"}])
    _check_password(password)
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise Conflict(f"An account for {email} exists already")
    if unit_id is not None:
        get_unit(unit_id)
    user = User(
        email=email,
        name=name,
        password_hash=generate_password_hash(password),
        role=role,
        unit_id=unit_id,
        created_at=_now(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def count_admins() -> int:
    """How many active admin accounts exist."""
    return int(
        db.session.scalar(select(func.count()).where(User.role == "admin", User.active.is_(True)))
        or 0
    )


def authenticate_user(
    email: str, password: str, max_failures: int, lock_minutes: int
) -> User | None:
    """Check a sign-in; count failures and lock the account after ``max_failures`` in a row.

    Returns the user on success, None otherwise (the caller shows one message for a
    wrong e-mail, a wrong password and a locked account, so none of them leaks).
    """
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        return None
    now = _now()
    if user.locked_until is not None and user.locked_until > now:
        return None
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
        db.session.flush()
        return None
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    return user


# -- Users (admin pages) ---------------------------------------------------------------


def get_user(user_id: int) -> User:
    """Return a user by id, or raise NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}")
    return user


def find_user(key: str) -> User | None:
    """A user by id (digits) or e-mail address."""
    if key.isdigit():
        return db.session.get(User, int(key))
    return db.session.scalar(select(User).where(User.email == key.strip().lower()))


def list_trainers() -> list[User]:
    """Active users who may teach a session (author/trainer or above), by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_(("author", "manager", "admin")))
            .order_by(User.name, User.id)
        )
    )


def list_users(unit_id: int | None = None, query: str = "", limit: int | None = None) -> list[User]:
    """Users by name; optionally only one unit's, or those whose name or e-mail match."""
    stmt = select(User).order_by(User.name, User.id).limit(limit)
    if unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(func.lower(User.name).like(like) | User.email.like(like))
    return list(db.session.scalars(stmt))


def update_user(user: User, **changes: Any) -> User:
    """Change a user's name, role, unit, active flag or locale.

    The last active admin cannot lose the role or be deactivated (nobody could manage
    the service any more).
    """
    allowed = {"name", "role", "unit_id", "active", "locale"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not user fields: {sorted(unknown)}")
    if "role" in changes and changes["role"] not in ROLES:
        raise BadRequest("Unknown role", errors=[{"path": "role", "message": "invalid"}])
    if changes.get("unit_id") is not None:
        get_unit(int(changes["unit_id"]))
    demoted = (
        changes.get("role", user.role) != "admin" or changes.get("active", user.active) is False
    )
    if user.role == "admin" and user.active and demoted and count_admins() <= 1:
        raise Conflict("The last admin cannot lose the admin role or be deactivated")
    for name, value in changes.items():
        setattr(user, name, value)
    db.session.flush()
    return user


def reset_password(user: User, password: str) -> User:
    """Set a new password (by an admin) and lift any lockout."""
    _check_password(password)
    user.password_hash = generate_password_hash(password)
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    return user


# -- Organisation units ------------------------------------------------------------------

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


def get_unit(unit_id: int) -> OrganisationUnit:
    """Return a unit by id, or raise NotFound."""
    unit = db.session.get(OrganisationUnit, unit_id)
    if unit is None:
        raise NotFound(f"No organisation unit {unit_id}")
    return unit


def unit_by_code(code: str | None) -> OrganisationUnit | None:
    """Return the unit with this code, if any."""
    if not code:
        return None
    return db.session.scalar(select(OrganisationUnit).where(OrganisationUnit.code == code))


def list_units(active_only: bool = False) -> list[OrganisationUnit]:
    """All units by name."""
    stmt = select(OrganisationUnit).order_by(OrganisationUnit.name)
    if active_only:
        stmt = stmt.where(OrganisationUnit.active.is_(True))
    return list(db.session.scalars(stmt))


def create_unit(code: str, name: str, kind: str = "department") -> OrganisationUnit:
    """Create a department or municipal company; ``code`` is its short, stable key."""
    code = code.strip().lower()
    if not _CODE.match(code):
        raise BadRequest(
            "The code may hold lower-case letters, digits, - and _",
            errors=[{"path": "code", "message": "invalid"}],
        )
    if kind not in UNIT_KINDS:
        raise BadRequest("Unknown unit kind", errors=[{"path": "kind", "message": "invalid"}])
    if unit_by_code(code) is not None:
        raise Conflict(f"A unit with code {code} exists already")
    unit = OrganisationUnit(code=code, name=name.strip(), kind=kind, active=True)
    db.session.add(unit)
    db.session.flush()
    return unit


def update_unit(unit: OrganisationUnit, name: str, kind: str, active: bool) -> OrganisationUnit:
    """Rename a unit, change its kind, or (de)activate it; the code never changes."""
    if kind not in UNIT_KINDS:
        raise BadRequest("Unknown unit kind", errors=[{"path": "kind", "message": "invalid"}])
    unit.name, unit.kind, unit.active = name.strip(), kind, active
    db.session.flush()
    return unit


# -- LRS credentials (admin pages; lrs.auth does the work) ---------------------------------


def create_lrs_credential(name: str, scopes: list[str]) -> tuple[Credential, str]:
    """Create an LRS key/secret with ``scopes``; the secret is returned once, never stored."""
    return lrs_auth.create_credential(name.strip(), scopes)


def list_lrs_credentials() -> list[Credential]:
    """Credentials an admin manages: the named ones, not the player's per-launch ones."""
    return [c for c in lrs_auth.list_credentials() if c.agent is None]


def revoke_lrs_credential(key: str) -> Credential:
    """Revoke a credential; later requests with it are refused."""
    return lrs_auth.revoke_credential(key)
