"""Attempts and their launch tokens.

These functions ``flush()`` but never ``commit()``, like every player module; the view
commits once.

Attempts (SCORM 2004 RTE §4.2.7 entry / §4.2.8 exit; SCORM 1.2 RTE §3.4.4):
- a learner has at most one open attempt per course; launching resumes it, on the
  package version it started with;
- an attempt ends when the learner leaves it without suspending and it is over by the
  rules of its version: a SCORM 2004 course whose root activity attempt ended (its only
  SCO exited normally, or exitAll), a SCORM 1.2 course whose status is completed,
  passed or failed, any course when the learner chooses "exit all";
- the next launch after that starts a new attempt on the newest published version.

A launch token names the attempt; a review token (player.review) opens it to be looked
at only. Other modules read the clock as ``attempts.now()``, so tests move it in one
place.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, g
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import contains_eager, defer

from accounts.models import User
from core import row_locks
from core.db import db
from core.errors import Conflict, NotFound, Unauthorized
from packages.models import Course, PackageVersion
from packages.service import latest_published_version, latest_version
from player import signals
from player.models import Attempt, LaunchToken, ScoState

# Launch tokens live long enough for a long sitting; each runtime call extends it.
DEFAULT_TOKEN_TTL = timedelta(hours=12)
# A token's expiry moves at most this often (see attempt_for_token).
TOKEN_RENEW_STEP = timedelta(minutes=1)


def now() -> datetime:
    """Naive UTC now (the database columns are naive UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_ttl() -> timedelta:
    """How long a launch token is valid (``PLAYER_TOKEN_TTL`` seconds, default 12 hours)."""
    seconds = current_app.config.get("PLAYER_TOKEN_TTL")
    return timedelta(seconds=int(seconds)) if seconds else DEFAULT_TOKEN_TTL


# -- attempts ---------------------------------------------------------------------------


def open_attempt(user: User, course: Course, preview: bool = False) -> Attempt | None:
    """The learner's open attempt at a course (or the author's open preview), if any."""
    return db.session.scalar(
        select(Attempt)
        .where(
            Attempt.user_id == user.id,
            Attempt.course_id == course.id,
            Attempt.ended_at.is_(None),
            Attempt.preview.is_(preview),
        )
        .order_by(Attempt.number.desc())
        .limit(1)
    )


def get_attempt(attempt_id: int) -> Attempt:
    """An attempt by id, or NotFound."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound(f"No attempt {attempt_id}")
    return attempt


def start_attempt(
    user: User, course: Course, preview: bool = False, version: PackageVersion | None = None
) -> Attempt:
    """Start a new attempt on the newest published version (Conflict if there is none).

    A ``preview`` starts on ``version``, else on the newest version, published or not.
    """
    if version is None:
        version = latest_version(course) if preview else latest_published_version(course)
    if version is None:
        raise Conflict("This course has no published version to launch")
    number = (
        db.session.scalar(
            select(func.max(Attempt.number)).where(
                Attempt.user_id == user.id, Attempt.course_id == course.id
            )
        )
        or 0
    ) + 1
    moment = now()
    attempt = Attempt(
        user_id=user.id,
        course_id=course.id,
        version_id=version.id,
        number=number,
        registration=str(uuid.uuid4()),
        completion_status="not attempted",
        success_status="unknown",
        total_seconds=0.0,
        wall_seconds=0.0,
        suspended=False,
        started_at=moment,
        updated_at=moment,
        preview=preview,
    )
    db.session.add(attempt)
    db.session.flush()
    if not preview:
        signals.attempt_started.send(attempt)
    return attempt


# The parsed manifest is loaded only when needed (course_tree's cache misses): it can be
# large, and every runtime call needs the version.
_NO_MANIFEST = defer(PackageVersion.manifest)


def version_of(attempt: Attempt) -> PackageVersion:
    """The package version an attempt runs on (loaded with it by attempt_for_token)."""
    version = db.session.get(PackageVersion, attempt.version_id, options=[_NO_MANIFEST])
    if version is None:
        raise NotFound("The attempt's package version no longer exists")
    return version


def sco_state(attempt: Attempt, sco_id: str, create: bool = True) -> ScoState | None:
    """The runtime state of one SCO/AU of an attempt (created empty on first use)."""
    for state in attempt.scos:
        if state.sco_id == sco_id:
            return state
    if not create:
        return None
    state = ScoState(
        attempt_id=attempt.id,
        sco_id=sco_id,
        cmi={},
        entry="ab-initio",
        session_no=0,
        commit_seq=0,
        session_finished=True,
        base_seconds=0.0,
        total_seconds=0.0,
        wall_seconds=0.0,
        sent_interactions=0,
        completion_status="not attempted",
        success_status="unknown",
        exit="",
        launches=0,
        updated_at=now(),
    )
    attempt.scos.append(state)
    db.session.flush()
    return state


def end_attempt(attempt: Attempt) -> None:
    """Close an attempt: it is never resumed; the next launch starts a new one."""
    if attempt.ended_at is None:
        attempt.ended_at = now()
        attempt.suspended = False
        attempt.updated_at = attempt.ended_at
    db.session.flush()


def attempt_summary(attempt: Attempt) -> dict[str, Any]:
    """The stored state of an attempt (for the shell, tests and reports)."""
    return {
        "id": attempt.id,
        "number": attempt.number,
        "registration": attempt.registration,
        "completion_status": attempt.completion_status,
        "success_status": attempt.success_status,
        "score_scaled": attempt.score_scaled,
        "total_seconds": round(attempt.total_seconds, 2),
        "suspended": attempt.suspended,
        "ended": attempt.ended_at is not None,
        "current": attempt.current_sco,
        "scos": {
            s.sco_id: {
                "completion_status": s.completion_status,
                "success_status": s.success_status,
                "score_scaled": s.score_scaled,
                "total_seconds": round(s.total_seconds, 2),
                "entry": s.entry,
                "exit": s.exit,
                "launches": s.launches,
            }
            for s in attempt.scos
        },
    }


# -- launch tokens ----------------------------------------------------------------------


def issue_token(attempt: Attempt, mode: str = "normal") -> str:
    """A new launch token for an attempt (``mode`` "review": player.review.launch_review)."""
    token = secrets.token_urlsafe(32)
    moment = now()
    db.session.add(
        LaunchToken(
            token_hash=_hash(token),
            attempt_id=attempt.id,
            created_at=moment,
            expires_at=moment + token_ttl(),
            mode=mode,
        )
    )
    db.session.flush()
    return token


def launch(user: User, course: Course) -> tuple[Attempt, str]:
    """Resume the learner's open attempt or start a new one; return it with a launch token.

    The caller has checked that the learner may take the course (portal, catalogue).
    """
    attempt = open_attempt(user, course) or start_attempt(user, course)
    return attempt, issue_token(attempt)


def launch_preview(
    user: User, course: Course, version: PackageVersion | None = None
) -> tuple[Attempt, str]:
    """A preview of ``version`` (an author's: the newest), resumed while it is the one shown.

    A newer upload ends an author's open preview, so a preview always shows what was
    uploaded last; a reviewer previews the version under review.
    """
    attempt = open_attempt(user, course, preview=True)
    shown = version or latest_version(course)
    if attempt is not None and shown is not None and attempt.version_id != shown.id:
        end_attempt(attempt)
        attempt = None
    attempt = attempt or start_attempt(user, course, preview=True, version=shown)
    return attempt, issue_token(attempt)


# The statements of attempt_for_token, built once: every runtime call runs them.
_TOKEN_COLUMNS = (LaunchToken.id, LaunchToken.attempt_id, LaunchToken.expires_at, LaunchToken.mode)
_VALID = (LaunchToken.token_hash == bindparam("hash"), LaunchToken.expires_at > bindparam("now"))
_TOKEN = select(*_TOKEN_COLUMNS).where(*_VALID)
# Every runtime call needs the attempt, its package version and its learner: loaded
# together. The attempt row cascades from both, so the inner joins lose no attempt.
_WITH_VERSION_AND_USER = (
    contains_eager(Attempt.version).defer(PackageVersion.manifest),
    contains_eager(Attempt.user),
)
# PostgreSQL: the token and its attempt in one round trip, the attempt's row locked as
# it is loaded (FOR NO KEY UPDATE, the lock an UPDATE of its columns takes: rows that
# reference the attempt can still be inserted beside it).
_TOKEN_ATTEMPT = (
    select(Attempt, *_TOKEN_COLUMNS)
    .select_from(LaunchToken)
    .join(Attempt, Attempt.id == LaunchToken.attempt_id)
    .join(Attempt.version)
    .join(Attempt.user)
    .where(*_VALID)
    .options(*_WITH_VERSION_AND_USER)
    .execution_options(populate_existing=True)
)
_TOKEN_ATTEMPT_LOCKED = _TOKEN_ATTEMPT.with_for_update(of=Attempt, key_share=True)
# SQLite: the attempt read under the write lock, with its SCO states (every runtime
# call reads them).
_ATTEMPT_WITH_SCOS = (
    select(Attempt)
    .join(Attempt.version)
    .join(Attempt.user)
    .outerjoin(Attempt.scos)
    .where(Attempt.id == bindparam("loaded"))
    .options(*_WITH_VERSION_AND_USER, contains_eager(Attempt.scos))
    .order_by(ScoState.id)
    .execution_options(populate_existing=True)
)
_RENEW = (
    update(LaunchToken)
    .where(LaunchToken.id == bindparam("renewed_id"))
    .values(expires_at=bindparam("renewed_to"))
    .execution_options(synchronize_session=False)
)


def attempt_for_token(token: str, *, lock: bool = True) -> Attempt:
    """The attempt a launch token stands for, locked for this request; 401 when unknown.

    Runtime calls of one attempt can overlap (a late beacon from a closed page and the
    next page's launch, two tabs): each takes the attempt's lock first, held until the
    request commits, so they run one after the other and no update is lost. PostgreSQL
    locks the row as it loads it (SELECT ... FOR NO KEY UPDATE); on SQLite the lock is
    core.row_locks', taken before the load. Either way the attempt is loaded under the
    lock, so it is current; its version and learner with it (the session's identity map
    then answers version_of and player.lms.learner).

    The token's expiry slides: a token in use stays valid PLAYER_TOKEN_TTL after its
    last runtime call, so a learner who is still working is never cut off.

    ``lock=False``: a read that changes nothing of the attempt (player.ownership's check).
    """
    if not token or len(token) > 100:
        raise Unauthorized("A valid launch token is required")
    moment = now()
    loaded = _load(_hash(token), moment, lock)
    if loaded is None:
        raise Unauthorized("This launch token is unknown or has expired; launch the course again")
    attempt, row = loaded
    ttl = token_ttl()
    renewed = moment + ttl
    # A SCO commits every few seconds (PLAYER_AUTOCOMMIT_SECONDS and every SetValue
    # burst): moving the expiry on each call would add a row write to each of them. The
    # expiry only has to stay ahead of the learner, so it moves once the old value is
    # more than a step (a minute, less for a very short TTL) behind now + TTL.
    if renewed - row.expires_at >= min(TOKEN_RENEW_STEP, ttl / 2):
        db.session.execute(_RENEW, {"renewed_id": row.id, "renewed_to": renewed})
    if row.mode == "review":
        g.setdefault("player_review", {})[attempt.id] = row.id
    g.setdefault("player_tokens", {})[attempt.id] = row.id  # player.ownership
    return attempt


def _load(token_hash: str, moment: datetime, lock: bool) -> tuple[Attempt, Any] | None:
    """The token's attempt (locked unless ``lock`` is false) and the token's row.

    PostgreSQL: one statement, locking as it loads. The SCO states are read after it
    (``attempt.scos``, lazily), never in it: a statement that waited for the lock sees
    the new version of the locked row only, and SCO states read with it would be the
    ones from before the call that held the lock committed.
    SQLite: the token, the attempt's lock (core.row_locks: SQLite has no row locks),
    then the attempt with its SCO states, as the call before committed them. The
    database's write lock is left to the call's first write, so the other attempts'
    calls write meanwhile.
    """
    params = {"hash": token_hash, "now": moment}
    if db.session.get_bind().dialect.name == "postgresql":
        query = _TOKEN_ATTEMPT_LOCKED if lock else _TOKEN_ATTEMPT
        joined = db.session.execute(query, params).first()
        return None if joined is None else (joined[0], joined)
    token = db.session.execute(_TOKEN, params).first()
    if token is None:
        return None
    if lock:
        row_locks.hold("attempts", token.attempt_id)
    found = db.session.scalars(_ATTEMPT_WITH_SCOS, {"loaded": token.attempt_id})
    attempt = found.unique().one_or_none()
    return None if attempt is None else (attempt, token)


def in_review(attempt: Attempt) -> bool:
    """True when this request came with a review token for ``attempt``."""
    return attempt.id in g.get("player_review", {})
