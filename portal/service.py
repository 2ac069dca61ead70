"""Accounts: the Python API the CLI and pages use."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

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
