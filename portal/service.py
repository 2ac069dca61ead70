"""Accounts: the Python API the CLI and pages use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import db
from core.errors import BadRequest, Conflict
from portal.models import ROLES, User


def create_user(email: str, name: str, password: str, role: str = "learner") -> User:
    """Create an account with a hashed password."""
    email = email.strip().lower()
    if "@" not in email:
        raise BadRequest("Not an e-mail address", errors=[{"path": "email", "message": "invalid"}])
    if role not in ROLES:
        raise BadRequest(f"Unknown role {role!r}", errors=[{"path": "role", "message": "invalid"}])
    if len(password) < 8:
        raise BadRequest(
            "The password needs at least 8 characters",
            errors=[{"path": "password", "message": "too short"}],
        )
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise Conflict(f"An account for {email} exists already")
    user = User(
        email=email,
        name=name,
        password_hash=generate_password_hash(password),
        role=role,
        created_at=datetime.now(UTC).replace(tzinfo=None),
    )
    db.session.add(user)
    db.session.flush()
    return user


def count_admins() -> int:
    """How many admin accounts exist."""
    return int(db.session.scalar(select(func.count()).where(User.role == "admin")) or 0)


def authenticate_user(email: str, password: str, max_failures: int, lock_minutes: int) -> User | None:
    """Check a sign-in; count failures and lock the account after ``max_failures`` in a row.

    Returns the user on success, None otherwise (the caller shows one message for a
    wrong e-mail, a wrong password and a locked account, so none of them leaks).
    """
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        return None
    now = datetime.now(UTC).replace(tzinfo=None)
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
