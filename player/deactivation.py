"""A deactivated person's launches end at once: their launch tokens and cmi5 fetch URLs.

Connected to ``accounts.signals.deactivated`` in ``player.init_app``; attempts and
their tracking data stay.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from accounts.models import User
from core.db import db
from player.models import Attempt, Cmi5Session, LaunchToken


def end_launches(user: User, **_extra: Any) -> None:
    """Expire the person's launch tokens and use up their unfetched cmi5 fetch URLs."""
    now = datetime.now(UTC).replace(tzinfo=None)
    attempts = select(Attempt.id).where(Attempt.user_id == user.id)
    db.session.execute(
        update(LaunchToken)
        .where(LaunchToken.attempt_id.in_(attempts), LaunchToken.expires_at > now)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    # A fetch URL answers once (cmi5 §8.2.3): marked used, it hands out no credential.
    db.session.execute(
        update(Cmi5Session)
        .where(Cmi5Session.attempt_id.in_(attempts), Cmi5Session.fetched_at.is_(None))
        .values(fetched_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
