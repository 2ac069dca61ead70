"""People and organisation units: the Python API the CLI, the portal and SCIM use.

Functions ``flush()`` but never ``commit()``; the view or CLI command commits once.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from accounts import audit, login_sessions, ratelimit, signals, units
from accounts.models import ROLES, UNIT_KINDS, OrganisationUnit, User
from core.db import db
from core.errors import BadRequest, Conflict, NotFound
from core.i18n import N_

log = logging.getLogger(__name__)

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
    *,
    password_hash: str | None = None,
) -> User:
    """Create an account with a hashed password.

    ``password_hash``: a hash made once for many accounts (bulk loads), used instead of
    hashing ``password`` again.
    """
    email = email.strip().lower()
    if "@" not in email:
        raise BadRequest("Not an e-mail address", errors=[{"path": "email", "message": "invalid"}])
    if role not in ROLES:
        raise BadRequest(f"Unknown role {role!r}", errors=[{"path": "role", "message": "invalid"}])
    if password_hash is None:
        _check_password(password)
    if db.session.scalar(select(User).where(User.email == email)) is not None or user_named(email):
        # No value in the text: the form shows it translated (portal.i18n.SERVICE_MESSAGES).
        raise Conflict("An account with this e-mail address exists already")
    if unit_id is not None:
        get_unit(unit_id)
    user = User(
        email=email,
        user_name=email,
        name=name,
        password_hash=password_hash or generate_password_hash(password),
        role=role,
        unit_id=unit_id,
        created_at=_now(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", "user", user.id, email, details={"role": role, "unit_id": unit_id})
    signals.people_changed.send(None, user_ids=[user.id])
    return user


def count_admins() -> int:
    """How many active admin accounts exist."""
    return int(
        db.session.scalar(select(func.count()).where(User.role == "admin", User.active.is_(True)))
        or 0
    )


def authenticate_user(
    email: str,
    password: str,
    max_failures: int,
    lock_minutes: int,
    client: str | None = None,
) -> User | None:
    """Check a sign-in; count failures and lock the account after ``max_failures`` in a row.

    Returns the user on success, None otherwise (the caller shows one message for a
    wrong e-mail, a wrong password and a locked account, so none of them leaks). Every
    path checks exactly one password hash of the same cost: an unknown, inactive or
    locked account is checked against a dummy hash, so the time taken does not tell
    whether an account exists. With ``client`` (ratelimit.client_key), that client's
    failed sign-ins are limited too: TooManyRequests before any check once it is over.
    """
    if client is not None:
        ratelimit.check(client)
    email = email.strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    now = _now()
    usable = (
        user
        if user is not None
        and user.active
        and (user.locked_until is None or user.locked_until <= now)
        else None
    )
    matched = check_password_hash(usable.password_hash if usable else _dummy_hash(), password)
    if usable is not None and matched and _clear_failures(usable, now):
        return usable
    locked = _count_failure(email, user, now, max_failures, lock_minutes)
    if user is not None:
        # Only for an existing account: what was typed for an unknown one can be
        # anything, a password in the wrong field included, and is never logged.
        audit.record(
            "signin.failed",
            "user",
            user.id,
            user.email,
            actor_name="anonymous",
            details={"reason": _failure_reason(usable, matched), "locked": locked},
        )
    if client is not None:
        ratelimit.record_failure(client)
    return None


def _failure_reason(usable: User | None, matched: bool) -> str:
    """Why a known account's sign-in failed, for the audit log (never shown to the caller)."""
    if usable is None:
        return "locked_or_inactive"
    return "locked_meanwhile" if matched else "wrong_password"


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password, by the method and cost of new passwords' hashes."""
    return generate_password_hash(secrets.token_urlsafe(16))


def _usable_account(now: datetime) -> ColumnElement[bool]:
    """Active and not locked, in SQL: the condition sign-in writes are guarded on."""
    return and_(User.active.is_(True), or_(User.locked_until.is_(None), User.locked_until <= now))


def _count_failure(
    email: str, user: User | None, now: datetime, max_failures: int, lock_minutes: int
) -> bool:
    """Count a failed sign-in in one statement, locking the account at ``max_failures``.

    True when this failure locked the account.

    ``failed_logins + 1`` is evaluated by the database on the row it updates, so
    concurrent failures count one each (a read-modify-write in Python lost them). For
    an unknown, inactive or locked account it updates nothing, at the same cost.
    """
    reached = User.failed_logins + 1 >= max_failures
    locked = db.session.execute(
        update(User)
        .where(User.email == email, _usable_account(now))
        .values(
            failed_logins=case((reached, 0), else_=User.failed_logins + 1),
            locked_until=case(
                (reached, now + timedelta(minutes=lock_minutes)), else_=User.locked_until
            ),
        )
        .returning(User.id, User.locked_until)
        .execution_options(synchronize_session=False)
    ).first()
    # An expired lock stays in the column, so "locked now" is a lock in the future.
    now_locked = bool(locked and locked.locked_until is not None and locked.locked_until > now)
    if now_locked and locked is not None:
        log.warning("portal account %s locked after %s failed sign-ins", locked.id, max_failures)
    if user is not None:
        db.session.expire(user, ["failed_logins", "locked_until"])
    return now_locked


def _clear_failures(user: User, now: datetime) -> bool:
    """Reset the failure count on success; False if the account was locked meanwhile."""
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, _usable_account(now))
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["failed_logins", "locked_until"])
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def change_password(user: User, current: str, new: str, again: str) -> User:
    """The user's own change: the current password, then the new one twice.

    Every check comes before any change. Ends all the user's sessions; the caller
    starts a new one for the browser that made the change.
    """
    if not check_password_hash(user.password_hash, current):
        raise BadRequest(
            N_("The current password is wrong"),
            errors=[{"path": "current_password", "message": "wrong"}],
        )
    if new != again:
        raise BadRequest(
            N_("The two new passwords differ"),
            errors=[{"path": "password_again", "message": "differs"}],
        )
    return reset_password(user, new)


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


def list_users(
    unit_id: int | None = None,
    query: str = "",
    limit: int | None = None,
    unit_ids: list[int] | None = None,
) -> list[User]:
    """Users by name; optionally only some units', or those whose name or e-mail match."""
    stmt = select(User).order_by(User.name, User.id).limit(limit)
    if unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id)
    if unit_ids is not None:
        stmt = stmt.where(User.unit_id.in_(unit_ids))
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
    changed = {k: [getattr(user, k), v] for k, v in changes.items() if getattr(user, k) != v}
    was_active = user.active
    for name, value in changes.items():
        setattr(user, name, value)
    if changes.get("active") is False:
        # Ended now, not just refused while inactive: reactivating revives no cookie.
        login_sessions.end_all(user.id)
    db.session.flush()
    _audit_changes(user, changed)
    if was_active and not user.active:
        signals.deactivated.send(user)
    signals.people_changed.send(None, user_ids=[user.id])
    return user


def _audit_changes(user: User, changed: dict[str, list[Any]]) -> None:
    """Log role, unit and name changes and (de)activation; a language choice is not."""
    shown = {k: v for k, v in changed.items() if k in ("name", "role", "unit_id")}
    if shown:
        audit.record("user.changed", "user", user.id, user.email or user.user_name, details=shown)
    if "active" in changed:
        action = "user.activated" if user.active else "user.deactivated"
        audit.record(action, "user", user.id, user.email or user.user_name)


def user_named(user_name: str) -> User | None:
    """The (not deleted) user with this userName, compared case-insensitively."""
    return db.session.scalar(
        select(User).where(
            func.lower(User.user_name) == user_name.strip().lower(), User.deleted_at.is_(None)
        )
    )


def reset_password(user: User, password: str) -> User:
    """Set a new password, lift any lockout and end every session of the user."""
    _check_password(password)
    user.password_hash = generate_password_hash(password)
    user.failed_logins = 0
    user.locked_until = None
    login_sessions.end_all(user.id)
    db.session.flush()
    audit.record("user.password_reset", "user", user.id, user.email)
    return user


def unlock(user: User) -> User:
    """Lift a lockout after failed sign-ins; the password stays as it is."""
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    audit.record("user.unlocked", "user", user.id, user.email)
    return user


# -- Organisation units ------------------------------------------------------------------

# What organisations' own codes look like ("SOC-IFO", "KS1234", "utb_2.1"): letters,
# digits, "-", "_" and "."; kept as typed, but "SOC" and "soc" cannot both exist.
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$")


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


def _check_code(code: str, unit_id: int | None = None) -> None:
    """Refuse a code organisations could not type, or one another unit has (any case)."""
    if not _CODE.match(code):
        raise BadRequest(
            "The code may hold letters A-Z, digits, - _ and . and begins with a letter or digit",
            errors=[{"path": "code", "message": "invalid"}],
        )
    same = select(OrganisationUnit.id).where(func.lower(OrganisationUnit.code) == code.lower())
    if any(found != unit_id for found in db.session.scalars(same)):
        raise Conflict("Another unit has this code already")


def create_unit(
    code: str, name: str, kind: str = "department", parent_id: int | None = None
) -> OrganisationUnit:
    """Create a unit (below ``parent_id``, or at the top); ``code`` is its key for people."""
    code = code.strip()
    _check_code(code)
    if kind not in UNIT_KINDS:
        raise BadRequest("Unknown unit kind", errors=[{"path": "kind", "message": "invalid"}])
    unit = OrganisationUnit(code=code, name=name.strip(), kind=kind, active=True)
    db.session.add(unit)
    db.session.flush()
    if parent_id is not None:
        units.move(unit, parent_id)
    audit.record(
        "unit.created", "unit", unit.id, f"{unit.name} ({code})", details={"parent_id": parent_id}
    )
    return unit


def update_unit(
    unit: OrganisationUnit, name: str, kind: str, active: bool, code: str | None = None
) -> OrganisationUnit:
    """Rename a unit, give it a new code, change its kind, or (de)activate it.

    Everything links to the unit's id (people, courses, assignments, reports), so a new
    code keeps them all; only files and claims that name the old code need changing.
    """
    if kind not in UNIT_KINDS:
        raise BadRequest("Unknown unit kind", errors=[{"path": "kind", "message": "invalid"}])
    code = unit.code if code is None else code.strip()
    if code != unit.code:
        _check_code(code, unit.id)
    name = name.strip()
    new: dict[str, object] = {"code": code, "name": name, "kind": kind, "active": active}
    changed = {k: [getattr(unit, k), v] for k, v in new.items() if getattr(unit, k) != v}
    unit.code, unit.name, unit.kind, unit.active = code, name, kind, active
    db.session.flush()
    if changed:
        audit.record("unit.changed", "unit", unit.id, f"{unit.name} ({unit.code})", details=changed)
    return unit
