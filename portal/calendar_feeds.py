"""A person's secret calendar feed address: made or replaced on the settings page.

The token is shown once; only its SHA-256 is stored, so the table alone cannot be used
to read anyone's calendar. Looking a token up is one indexed equality on the hash.
"""

from __future__ import annotations

import hashlib
import secrets

from accounts.models import User
from core.db import db
from core.errors import NotFound
from portal.classroom import now
from portal.models import CalendarFeed


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reset(user: User) -> str:
    """Make the person's feed token (replacing any old one, which stops working)."""
    token = secrets.token_urlsafe(32)
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        db.session.add(CalendarFeed(user_id=user.id, token_hash=_hash(token), created_at=now()))
    else:
        feed.token_hash = _hash(token)
        feed.created_at = now()
    db.session.flush()
    return token


def has_feed(user: User) -> bool:
    """Whether the person has made a feed address."""
    return db.session.get(CalendarFeed, user.id) is not None


def owner(token: str) -> User:
    """The active person whose feed the token opens; anything else is 404."""
    feed = db.session.scalar(db.select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    user = db.session.get(User, feed.user_id) if feed is not None else None
    if user is None or not user.active:
        raise NotFound("No such calendar")
    return user
