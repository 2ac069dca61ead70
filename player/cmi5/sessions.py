"""cmi5 sessions: open, abandoned (§9.3.6) or terminated (§9.3.8), and their end."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core import vocabulary
from core.db import db
from packages.models import PackageVersion
from player import attempts
from player import lms as player_lms
from player.cmi5.moveon import evaluate
from player.cmi5.statements import (
    au_activity,
    au_entry,
    iso_seconds,
    make_statement,
    session_rows,
    session_statements,
)
from player.models import Attempt, Cmi5Session, ScoState


def close_open_sessions(
    attempt: Attempt,
    version: PackageVersion,
    unloaded: str | None = None,
    *,
    abandon: bool = True,
) -> None:
    """Sessions without ``terminated`` are abandoned (cmi5 §9.3.6), checked at a new launch.

    A session that did terminate is never abandoned (§9.3.8), and its AU is evaluated
    again: its last statements may have come after the learner left it. ``unloaded``:
    the session the player unloaded for this very launch (the learner's Next, Previous
    or a choice in the contents). Its AU sends ``terminated`` while it unloads, which may
    reach the LRS after this request; it is decided at the next launch instead.
    ``abandon`` False: only end (and evaluate) the sessions that terminated.
    """
    open_sessions = db.session.scalars(
        select(Cmi5Session).where(
            Cmi5Session.attempt_id == attempt.id, Cmi5Session.ended_at.is_(None)
        )
    )
    for session in list(open_sessions):
        if session_statements(attempt, session.au_id, session.session_id, {vocabulary.TERMINATED}):
            session.ended_at = attempts.now()
            if session.launch_mode == "Normal":
                evaluate(attempt, version, session.au_id)
            continue
        if session.session_id == unloaded or not abandon:
            continue
        player_lms.store_statements(
            [
                make_statement(
                    attempt,
                    version,
                    "abandoned",
                    au_activity(au_entry(version, session.au_id)),
                    session.session_id,
                    result={"duration": iso_seconds(_session_seconds(attempt, session))},
                )
            ]
        )
        session.ended_at = attempts.now()
        session.abandoned = True
    db.session.flush()


def open_session(attempt: Attempt, au_id: str | None) -> str | None:
    """The id of the AU's session that has not ended (the one the learner is in), if any."""
    if not au_id:
        return None
    return db.session.scalar(
        select(Cmi5Session.session_id)
        .where(
            Cmi5Session.attempt_id == attempt.id,
            Cmi5Session.au_id == au_id,
            Cmi5Session.ended_at.is_(None),
            Cmi5Session.launch_mode == "Normal",
        )
        .order_by(Cmi5Session.launched_at.desc(), Cmi5Session.id.desc())
        .limit(1)
    )


def _session_seconds(attempt: Attempt, session: Cmi5Session) -> float:
    """An abandoned session's length: from ``launched`` to the AU's last statement in it.

    cmi5 §9.5.4.2 (the duration of "abandoned" without a better measure of the LMS's).
    The session is decided at a later launch, so the time until then is not its length.
    """
    rows = session_rows(attempt, session.au_id, session.session_id, None)
    last = max((row.stored for row in rows), default=session.launched_at)
    return max(0.0, (last - session.launched_at).total_seconds())


def begin_session(state: ScoState, moment: datetime) -> None:
    """Count a new launch of a cmi5 AU or xAPI activity on its runtime state."""
    state.launches += 1
    state.session_no += 1
    state.session_started_at = moment
    state.session_finished = False
    state.updated_at = moment
    if state.completion_status == "not attempted":
        state.completion_status = "incomplete"


def end_session(
    attempt: Attempt, version: PackageVersion, au_id: str, *, closing: bool = False
) -> None:
    """The learner left an AU (or an xAPI activity): record what its statements say.

    AUs left earlier whose sessions have terminated since are evaluated too: what an AU
    sends as the player unloads it may come after the request that left it.
    """
    state = attempts.sco_state(attempt, au_id, create=False)
    if state is None:
        return
    evaluate(attempt, version, au_id)
    if version.kind == "cmi5" and not attempts.in_review(attempt):
        close_open_sessions(attempt, version, abandon=False)
    if not state.session_finished and state.session_started_at is not None:
        state.total_seconds += max(0.0, (attempts.now() - state.session_started_at).total_seconds())
        state.wall_seconds = state.total_seconds
    state.session_finished = True
    state.updated_at = attempts.now()
    db.session.flush()
