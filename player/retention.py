"""Removing the player's attempts for retention (gallring); portal/retention.py decides which.

An attempt goes with what is only its: the SCOs' runtime data, its shared data
buckets, launch tokens, cmi5 sessions (their credentials are revoked, so a launch still
open cannot write again) and the LRS State documents of its registration. The
statements of its registration are the LRS's records and follow the statements rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, select, update

from core.db import db
from lrs.models import Credential
from lrs.retention import delete_registration_state
from player.models import Attempt, Cmi5Session, LaunchToken, ScoState, SharedData

_CHUNK = 500


def delete_attempts(attempt_ids: Iterable[int]) -> tuple[int, int]:
    """Remove these attempts and what hangs on them; (attempts, State documents) removed.

    Flushes, never commits.
    """
    wanted = sorted(set(attempt_ids))
    attempts = states = 0
    now = datetime.now(UTC).replace(tzinfo=None)
    for start in range(0, len(wanted), _CHUNK):
        part = wanted[start : start + _CHUNK]
        registrations = list(
            db.session.scalars(select(Attempt.registration).where(Attempt.id.in_(part)))
        )
        credentials = select(Cmi5Session.credential_id).where(
            Cmi5Session.attempt_id.in_(part), Cmi5Session.credential_id.is_not(None)
        )
        db.session.execute(
            update(Credential)
            .where(Credential.id.in_(credentials), Credential.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        # Children first: SQLite enforces the foreign keys only with its pragma on.
        for model in (ScoState, SharedData, LaunchToken, Cmi5Session):
            db.session.execute(
                delete(model)
                .where(model.attempt_id.in_(part))  # type: ignore[attr-defined]
                .execution_options(synchronize_session=False)
            )
        result = db.session.execute(
            delete(Attempt).where(Attempt.id.in_(part)).execution_options(synchronize_session=False)
        )
        attempts += int(result.rowcount or 0)  # type: ignore[attr-defined]
        states += delete_registration_state(registrations)
    return attempts, states
