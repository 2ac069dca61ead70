"""Server-side records of portal sign-ins.

Flask's session is a signed cookie: valid wherever it is copied, until it expires. So
the cookie carries only a random session id, and a ``LoginSession`` row decides whether
it still counts: sign-out deletes the row; a password change or reset and deactivation
delete all the user's rows. A session also ends after ``SESSION_IDLE_SECONDS`` without a
request and ``SESSION_LIFETIME_SECONDS`` after sign-in (OWASP Session Management Cheat
Sheet, "Session Expiration").

Functions ``flush()`` but never ``commit()``, except the ``last_seen_at`` update, which
is written in its own short transaction (as ``lrs.auth`` renews credentials): a page
view commits nothing, yet counts as use.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update

from accounts.models import LoginSession, User
from core.db import db

# ``last_seen_at`` is written at most this often per session (less for a short idle
# timeout), so page views do not each write a row.
TOUCH_STEP = timedelta(minutes=1)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _limits() -> tuple[timedelta, timedelta]:
    """The idle timeout and the absolute lifetime."""
    config = current_app.config
    return (
        timedelta(seconds=int(config["SESSION_IDLE_SECONDS"])),
        timedelta(seconds=int(config["SESSION_LIFETIME_SECONDS"])),
    )


def start(user_id: int) -> str:
    """Record a new session for the user; return its id for the cookie (stored hashed)."""
    idle, lifetime = _limits()
    now = _now()
    # The user's sessions that ended by time go now, so the table holds live sessions
    # and the few that expired since the user's last sign-in.
    db.session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user_id,
            or_(LoginSession.last_seen_at <= now - idle, LoginSession.created_at <= now - lifetime),
        )
    )
    session_id = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(id_hash=_hash(session_id), user_id=user_id, created_at=now, last_seen_at=now)
    )
    db.session.flush()
    return session_id


def user_of(session_id: str) -> User | None:
    """The active user of a live session, found in one query with the session row."""
    idle, lifetime = _limits()
    now = _now()
    id_hash = _hash(session_id)
    row = db.session.execute(
        select(User, LoginSession.last_seen_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            LoginSession.id_hash == id_hash,
            LoginSession.last_seen_at > now - idle,
            LoginSession.created_at > now - lifetime,
            User.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    user, last_seen = row
    if now - last_seen >= min(TOUCH_STEP, idle / 2) and not _holds_sqlite_write_lock():
        # Outside the request's transaction, guarded on the old value: reads count as
        # use, and overlapping requests write it once.
        with db.engine.begin() as connection:
            connection.execute(
                update(LoginSession)
                .where(LoginSession.id_hash == id_hash, LoginSession.last_seen_at < now)
                .values(last_seen_at=now)
            )
    return user


def _holds_sqlite_write_lock() -> bool:
    """True when this request has written to SQLite and not committed yet.

    A second connection's write would then wait for this one's lock until it timed
    out; the touch is skipped instead (the next request makes it). Python's sqlite3
    opens a transaction only before a write, so ``in_transaction`` means exactly that.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return False
    return bool(getattr(connection.connection.dbapi_connection, "in_transaction", False))


def end(session_id: str) -> None:
    """End one session (sign-out)."""
    db.session.execute(delete(LoginSession).where(LoginSession.id_hash == _hash(session_id)))
    db.session.flush()


def end_all(user_id: int) -> None:
    """End every session of the user (password changed or reset, account deactivated)."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    db.session.flush()
