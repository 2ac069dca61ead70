"""The player's Python API: attempts, launch tokens, the course tree and navigation.

Service functions ``flush()`` but never ``commit()``; the view commits once.
The SCORM commit path is in ``player.runtime``, cmi5 and xAPI launch in ``player.cmi5``.

Attempts (SCORM 2004 RTE §4.2.7 entry / §4.2.8 exit; SCORM 1.2 RTE §3.4.4):
- a learner has at most one open attempt per course; launching resumes it, on the
  package version it started with;
- an attempt ends when the learner leaves it without suspending and it is over by the
  rules of its version: a SCORM 2004 course whose root activity attempt ended (its only
  SCO exited normally, or exitAll), a SCORM 1.2 course whose status is completed,
  passed or failed, any course when the learner chooses "exit all";
- the next launch after that starts a new attempt on the newest published version.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from flask import current_app, g
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import defer

from accounts.auth import agent_for
from accounts.models import User
from core.db import db, dialect_insert
from core.errors import BadRequest, Conflict, NotFound, Unauthorized
from lrs import service as lrs_service
from lrs.auth import Client
from packages.models import Course, PackageVersion
from packages.service import content_url, latest_published_version, latest_version
from player.models import Attempt, LaunchToken, ScoState, SharedData
from player.schemas import NAV_REQUESTS
from player.sequencing import ActivityTree, Sequencer, SequencingState, build_tree

# Launch tokens live long enough for a long sitting; each runtime call extends it.
DEFAULT_TOKEN_TTL = timedelta(hours=12)
# A token's expiry moves at most this often (see attempt_for_token).
TOKEN_RENEW_STEP = timedelta(minutes=1)
XAPI_VERSION = "1.0.3"
ENDED_STATUSES = ("completed", "passed", "failed")


def now() -> datetime:
    """Naive UTC now (the database columns are naive UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_ttl() -> timedelta:
    """How long a launch token is valid (``PLAYER_TOKEN_TTL`` seconds, default 12 hours)."""
    seconds = current_app.config.get("PLAYER_TOKEN_TTL")
    return timedelta(seconds=int(seconds)) if seconds else DEFAULT_TOKEN_TTL


# -- the LMS as an LRS client ---------------------------------------------------------


def lms_agent() -> dict[str, Any]:
    """The authority of every statement the LMS writes itself."""
    return {
        "objectType": "Agent",
        "name": "Kompetens player",
        "account": {"homePage": str(current_app.config["AGENT_HOMEPAGE"]), "name": "lms"},
    }


def lms_client() -> Client:
    """An all-scope client for the LMS's own writes through ``lrs.service``."""
    return Client(id=0, scopes=frozenset({"all"}), authority=lms_agent(), trusted=True)


def store_statements(statements: list[dict[str, Any]]) -> list[str]:
    """Validate and store statements the LMS writes (same rules as the HTTP API)."""
    if not statements:
        return []
    return lrs_service.store_statements(statements, lms_client(), XAPI_VERSION).ids


def learner(attempt: Attempt) -> User:
    """The attempt's learner."""
    user = db.session.get(User, attempt.user_id)
    if user is None:
        raise NotFound("The attempt's learner no longer exists")
    return user


def learner_agent(attempt: Attempt) -> dict[str, Any]:
    """The learner's xAPI Agent (accounts.auth.agent_for), once per request."""
    cache: dict[int, dict[str, Any]] = g.setdefault("player_agents", {})
    if attempt.user_id not in cache:
        cache[attempt.user_id] = agent_for(learner(attempt))
    return dict(cache[attempt.user_id])


def catalogue_activity_id(course_id: int) -> str:
    """The catalogue course's activity id, ``{AGENT_HOMEPAGE}/courses/<id>``.

    What the LMS records a course's result about (player/outcome.py), as the portal does
    for classroom courses (portal.classroom.course_iri); reports map it back.
    """
    home = str(current_app.config["AGENT_HOMEPAGE"]).rstrip("/")
    return f"{home}/courses/{course_id}"


def course_activity_id(version: PackageVersion) -> str:
    """The course's activity id: the cmi5 course id, else the catalogue course's."""
    if version.kind == "cmi5":
        ident = (version.manifest.get("course") or {}).get("id")
        if ident:
            return str(ident)
    return catalogue_activity_id(version.course_id)


_SEGMENT_SAFE = "-._~!$&'()*+,;=:@"


def sco_activity_id(version: PackageVersion, sco_id: str) -> str:
    """A SCO's (or AU's) activity id."""
    if version.kind in ("cmi5", "xapi"):
        return sco_id
    # Item identifiers are XML ids, not IRI segments: Captivate writes "chapter 1_Test".
    # Escape only what an IRI path segment cannot hold, so ordinary ids stay as they are.
    return f"{course_activity_id(version)}/sco/{quote(sco_id, safe=_SEGMENT_SAFE)}"


# -- the course tree -------------------------------------------------------------------


@dataclass
class Node:
    """One entry of the table of contents."""

    id: str
    title: str
    depth: int
    launchable: bool
    visible: bool = True
    data: dict[str, Any] = field(default_factory=dict)


def _scorm_nodes(items: list[dict[str, Any]], depth: int) -> Iterator[Node]:
    for item in items:
        yield Node(
            id=item["identifier"],
            title=item.get("title") or item["identifier"],
            depth=depth,
            launchable=bool(item.get("href")),
            visible=bool(item.get("isvisible", True)),
            data=item,
        )
        yield from _scorm_nodes(item.get("items") or [], depth + 1)


def _pick(strings: dict[str, str] | str | None) -> str:
    if isinstance(strings, str):
        return strings
    if not strings:
        return ""
    for lang in ("sv-SE", "sv", "en-US", "en", "und"):
        if lang in strings:
            return strings[lang]
    return next(iter(strings.values()))


def _cmi5_nodes(children: list[dict[str, Any]], depth: int) -> Iterator[Node]:
    for child in children:
        yield Node(
            id=child["id"],
            title=_pick(child.get("title")) or child["id"],
            depth=depth,
            launchable=child.get("type") == "au",
            data=child,
        )
        yield from _cmi5_nodes(child.get("children") or [], depth + 1)


def organization(version: PackageVersion) -> dict[str, Any] | None:
    """The default organization of a SCORM version."""
    manifest = version.manifest or {}
    wanted = manifest.get("default_organization")
    for org in manifest.get("organizations") or []:
        if org.get("identifier") == wanted:
            return dict(org)
    orgs = manifest.get("organizations") or []
    return dict(orgs[0]) if orgs else None


def nodes(version: PackageVersion) -> list[Node]:
    """The table of contents of a version, depth first (computed once per process)."""
    found = _NODES.get(version.content_hash)
    if found is None:
        found = _remember(_NODES, version.content_hash, _nodes(version))
    return found


def _nodes(version: PackageVersion) -> list[Node]:
    if version.kind in ("scorm12", "scorm2004"):
        org = organization(version)
        if org is not None:
            return list(_scorm_nodes(org.get("items") or [], 0))
    elif version.kind == "cmi5":
        return list(_cmi5_nodes((version.manifest or {}).get("children") or [], 0))
    return [
        Node(
            id=entry["id"],
            title=entry.get("title") or entry["id"],
            depth=0,
            launchable=True,
            data=entry,
        )
        for entry in version.launch
    ]


def launchables(version: PackageVersion) -> list[dict[str, Any]]:
    """The launch entries (packages.manifest), in order."""
    return [dict(entry) for entry in version.launch]


def launch_entry(version: PackageVersion, sco_id: str) -> dict[str, Any]:
    """One launch entry by item/AU/activity id, or BadRequest."""
    for entry in version.launch:
        if entry["id"] == sco_id:
            return dict(entry)
    raise BadRequest(
        f"No launchable item {sco_id!r} in this course",
        errors=[{"path": "sco", "message": "unknown item"}],
    )


def item_data(version: PackageVersion, sco_id: str) -> dict[str, Any]:
    """The manifest item (SCORM) or AU (cmi5) of a launch entry, with its extra data."""
    for node in nodes(version):
        if node.id == sco_id:
            return dict(node.data)
    return launch_entry(version, sco_id)


def has_api(entry: dict[str, Any]) -> bool:
    """True for SCOs (assets are launched without the API; SCORM CAM §3.4.1.12)."""
    return entry.get("type") == "sco"


# -- shared data (SCORM 2004 4th ed. adl.data) -------------------------------------------


def shared_data_scope(attempt: Attempt, version: PackageVersion) -> str:
    """Where the attempt's shared data buckets live (CAM §3.4.1.x, organization).

    ``adlcp:sharedDataGlobalToSystem`` true (the default): ``"system"``, one bucket per
    learner and targetID across every course; false: ``"attempt:<id>"``, buckets seen only
    by this attempt of this course.
    """
    org = organization(version) or {}
    if org.get("shared_data_global_to_system", True) is False:
        return f"attempt:{attempt.id}"
    return "system"


def _target_hash(target: str) -> str:
    return hashlib.sha256(target.encode()).hexdigest()


def shared_data(user_id: int, scope: str, targets: list[str]) -> dict[str, str]:
    """The written buckets among ``targets``: ``{targetID: store}``."""
    if not targets:
        return {}
    rows = db.session.scalars(
        select(SharedData)
        .where(
            SharedData.user_id == user_id,
            SharedData.scope == scope,
            SharedData.target_hash.in_([_target_hash(t) for t in targets]),
        )
        # Written by an upsert (write_shared_data), which the identity map does not see.
        .execution_options(populate_existing=True)
    )
    return {row.target_id: row.store for row in rows if row.target_id in targets}


def write_shared_data(
    user_id: int, scope: str, attempt_id: int | None, stores: dict[str, str]
) -> None:
    """Write buckets (insert or update in one statement, so two sessions cannot collide)."""
    if not stores:
        return
    moment = now()
    stmt = dialect_insert(SharedData)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "scope", "target_hash"],
        set_={"store": stmt.excluded.store, "updated_at": stmt.excluded.updated_at},
    )
    # In key order, so concurrent writers lock the same rows in the same order.
    db.session.execute(
        stmt,
        [
            {
                "user_id": user_id,
                "scope": scope,
                "attempt_id": attempt_id if scope != "system" else None,
                "target_hash": _target_hash(target),
                "target_id": target,
                "store": store,
                "updated_at": moment,
            }
            for target, store in sorted(stores.items(), key=lambda kv: _target_hash(kv[0]))
        ],
    )


# -- attempts and tokens ---------------------------------------------------------------


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


def list_attempts(user: User, course: Course) -> list[Attempt]:
    """A learner's attempts at a course, newest first."""
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.user_id == user.id, Attempt.course_id == course.id)
            .order_by(Attempt.number.desc())
        )
    )


def start_attempt(user: User, course: Course, preview: bool = False) -> Attempt:
    """Start a new attempt on the newest published version (Conflict if there is none).

    A ``preview`` starts on the newest version, published or not.
    """
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
    return attempt


def issue_token(attempt: Attempt, mode: str = "normal") -> str:
    """A new launch token for an attempt (``mode`` "review": see launch_review)."""
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


def launch_preview(user: User, course: Course) -> tuple[Attempt, str]:
    """An author's preview of the newest version: resumed while that version is newest.

    A newer upload ends the open preview, so a preview always shows what was uploaded
    last.
    """
    attempt = open_attempt(user, course, preview=True)
    newest = latest_version(course)
    if attempt is not None and newest is not None and attempt.version_id != newest.id:
        end_attempt(attempt)
        attempt = None
    attempt = attempt or start_attempt(user, course, preview=True)
    return attempt, issue_token(attempt)


def attempt_for_token(token: str, *, lock: bool = True) -> Attempt:
    """The attempt a launch token stands for, locked for this request; 401 when unknown.

    Runtime calls of one attempt can overlap (a late beacon from a closed page and the
    next page's launch, two tabs): each takes the attempt's row lock first, with a no-op
    UPDATE that PostgreSQL holds as a row lock and SQLite as its write lock until the
    request commits, so they run one after the other and no update is lost. The attempt
    is loaded after the lock, so it is current.

    The token's expiry slides: a token in use stays valid PLAYER_TOKEN_TTL after its
    last runtime call, so a learner who is still working is never cut off.

    ``lock=False``: a read that changes nothing of the attempt (player.ownership's check).
    """
    if not token or len(token) > 100:
        raise Unauthorized("A valid launch token is required")
    moment = now()
    row = db.session.execute(
        select(
            LaunchToken.id, LaunchToken.attempt_id, LaunchToken.expires_at, LaunchToken.mode
        ).where(LaunchToken.token_hash == _hash(token), LaunchToken.expires_at > moment)
    ).first()
    if row is None:
        raise Unauthorized("This launch token is unknown or has expired; launch the course again")
    if lock:
        db.session.execute(
            update(Attempt)
            .where(Attempt.id == row.attempt_id)
            .values(updated_at=Attempt.updated_at)
            .execution_options(synchronize_session=False)
        )
    attempt = db.session.get(Attempt, row.attempt_id, populate_existing=True)
    if attempt is None:
        raise Unauthorized("This launch token's attempt no longer exists")
    ttl = token_ttl()
    renewed = moment + ttl
    # A SCO commits every few seconds (PLAYER_AUTOCOMMIT_SECONDS and every SetValue
    # burst): moving the expiry on each call would add a row write to each of them. The
    # expiry only has to stay ahead of the learner, so it moves once the old value is
    # more than a step (a minute, less for a very short TTL) behind now + TTL.
    if renewed - row.expires_at >= min(TOKEN_RENEW_STEP, ttl / 2):
        db.session.execute(
            update(LaunchToken)
            .where(LaunchToken.id == row.id)
            .values(expires_at=renewed)
            .execution_options(synchronize_session=False)
        )
    if row.mode == "review":
        g.setdefault("player_review", {})[attempt.id] = row.id
    g.setdefault("player_tokens", {})[attempt.id] = row.id  # player.ownership
    return attempt


# -- review mode -------------------------------------------------------------------------
#
# A learner may open an attempt again to look at it (SCORM 2004 RTE §4.2.13 cmi.mode
# "review", cmi.credit "no-credit"; SCORM 1.2 RTE §3.4.4 cmi.core.lesson_mode; cmi5
# §10 launchMode "Review"). In review the LMS changes none of the attempt's tracking
# data: commits are acknowledged and dropped, navigation keeps its place on the review
# token, the attempt's status, score, time, current SCO and sequencing stay as they were,
# and no statement but cmi5's own "launched" is written.

_REVIEWABLE_COMPLETION = ("completed", "passed")
_REVIEWABLE_SUCCESS = ("passed", "failed")


def in_review(attempt: Attempt) -> bool:
    """True when this request came with a review token for ``attempt``."""
    return attempt.id in g.get("player_review", {})


def _reviewable() -> Any:
    """The condition on Attempt: the course or any of its SCOs/AUs has an outcome."""
    finished_scos = select(ScoState.attempt_id).where(
        or_(
            ScoState.completion_status.in_(_REVIEWABLE_COMPLETION),
            ScoState.success_status.in_(_REVIEWABLE_SUCCESS),
        )
    )
    return or_(
        Attempt.completion_status.in_(_REVIEWABLE_COMPLETION),
        Attempt.success_status.in_(_REVIEWABLE_SUCCESS),
        Attempt.id.in_(finished_scos),
    )


def review_attempt(user: User, course: Course) -> Attempt | None:
    """The learner's latest attempt at a course with something to review."""
    return db.session.scalar(
        select(Attempt)
        .where(
            Attempt.user_id == user.id,
            Attempt.course_id == course.id,
            Attempt.preview.is_(False),
            _reviewable(),
        )
        .order_by(Attempt.number.desc())
        .limit(1)
    )


def reviewable_courses(user: User) -> set[int]:
    """The courses in which the learner has an attempt to review (portal, My learning)."""
    return set(
        db.session.scalars(
            select(Attempt.course_id)
            .where(Attempt.user_id == user.id, Attempt.preview.is_(False), _reviewable())
            .distinct()
        )
    )


def launch_review(user: User, course: Course) -> tuple[Attempt, str]:
    """A review token for the learner's latest completed attempt (Conflict if none)."""
    attempt = review_attempt(user, course)
    if attempt is None:
        raise Conflict("There is nothing to review in this course yet")
    return attempt, issue_token(attempt, mode="review")


def _review_token(attempt: Attempt) -> LaunchToken:
    token = db.session.get(LaunchToken, g.player_review[attempt.id])
    if token is None:
        raise Unauthorized("This launch token no longer exists")
    return token


def _navigate_review(
    attempt: Attempt, version: PackageVersion, kind: str, target: str | None
) -> dict[str, Any]:
    """Navigation in review: any item, in any order; only the review token's place moves."""
    token = _review_token(attempt)
    order = _order(version)
    current = token.review_sco if token.review_sco in order else None
    chosen: str | None = None
    if kind == "start":
        chosen = target if target in order else current or (order[0] if order else None)
    elif kind in ("continue", "previous"):
        index = (order.index(current) if current else -1) + (1 if kind == "continue" else -1)
        chosen = order[index] if 0 <= index < len(order) else None
    elif kind in _TARGETED:
        if target not in order:
            raise BadRequest(
                f"No launchable item {target!r} in this course",
                errors=[{"path": "target", "message": "unknown item"}],
            )
        chosen = target
    if chosen is None:
        message = {
            "close": "Closed.",
            "continue": "You have reached the end of the course.",
            "returned": "Welcome back. Choose what to do next.",
            "_none_": "Choose what to do next.",
        }.get(kind, "You have left the review.")
        if kind in ("exit", "exitAll", "abandon", "abandonAll", "suspendAll"):
            token.review_sco = None
        db.session.flush()
        return _review_end(attempt, version, token, message)
    token.review_sco = chosen
    db.session.flush()
    return {
        "action": "launch",
        "launch": _review_launch(attempt, version, chosen),
        "toc": _review_toc(attempt, version),
        "valid": _review_valid(version, chosen),
        "review": True,
    }


def _review_launch(attempt: Attempt, version: PackageVersion, sco_id: str) -> dict[str, Any]:
    """Describe a review launch of one SCO/AU (nothing about the attempt is changed)."""
    from player import cmi5, runtime

    entry = launch_entry(version, sco_id)
    info: dict[str, Any] = {"sco": sco_id, "title": entry.get("title") or sco_id, "review": True}
    if version.kind in ("scorm12", "scorm2004"):
        info.update(
            runtime.review_session(attempt, version, sco_id),
            api=has_api(entry),
            url=content_url(version, entry["href"]),
            window="frame",
        )
    elif version.kind == "cmi5":
        info.update(cmi5.launch_au(attempt, version, sco_id, review=True))
    else:
        info.update(cmi5.launch_activity(attempt, version, sco_id, review=True))
    return info


def _review_toc(attempt: Attempt, version: PackageVersion) -> dict[str, dict[str, Any]]:
    """The stored completion of each entry; nothing is disabled in review."""
    by_id = {s.sco_id: s for s in attempt.scos}
    return {
        node.id: {
            "completed": node.id in by_id
            and by_id[node.id].completion_status in _REVIEWABLE_COMPLETION,
            "disabled": False,
        }
        for node in nodes(version)
    }


def _review_valid(version: PackageVersion, current: str | None) -> dict[str, Any]:
    order = _order(version)
    if current not in order:
        return {"continue": bool(order), "previous": False, "offer": _offer(bool(order), False)}
    index = order.index(current)
    later, earlier = index < len(order) - 1, index > 0
    return {"continue": later, "previous": earlier, "offer": _offer(later, earlier)}


def _review_end(
    attempt: Attempt, version: PackageVersion, token: LaunchToken, message: str
) -> dict[str, Any]:
    return {
        "action": "end",
        "message": message,
        "closed": False,
        "attempt": attempt_summary(attempt),
        "toc": _review_toc(attempt, version),
        "valid": _review_valid(version, token.review_sco),
        "review": True,
    }


def version_of(attempt: Attempt) -> PackageVersion:
    """The package version an attempt runs on."""
    # The parsed manifest is loaded only when needed (cache misses below): it can be large,
    # and every runtime call needs the version.
    version = db.session.get(
        PackageVersion, attempt.version_id, options=[defer(PackageVersion.manifest)]
    )
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


# -- rollup ----------------------------------------------------------------------------


def simple_rollup(attempt: Attempt, version: PackageVersion) -> None:
    """Course status from the SCOs when no sequencing applies.

    Completed when every SCO (or AU) is completed or passed; failed when any failed,
    passed when every one with a success status passed; the score is the mean scaled
    score of the scored SCOs (the SCORM 2004 default rollup, SN Book §4.6, reduced to
    "all children count").
    """
    entries = [e for e in version.launch if has_api(e) or version.kind in ("cmi5", "xapi")]
    if not entries:
        entries = list(version.launch)
    by_id = {s.sco_id: s for s in attempt.scos}
    states = [by_id.get(e["id"]) for e in entries]
    completions = [s.completion_status if s else "not attempted" for s in states]
    successes = [s.success_status if s else "unknown" for s in states]
    if all(c in ("completed", "passed") for c in completions):
        attempt.completion_status = "completed"
    elif any(c not in ("not attempted", "unknown") for c in completions) or any(
        s is not None and s.launches for s in states
    ):
        attempt.completion_status = "incomplete"
    if "failed" in successes:
        attempt.success_status = "failed"
    elif successes and all(s == "passed" for s in successes):
        attempt.success_status = "passed"
    scores = [s.score_scaled for s in states if s is not None and s.score_scaled is not None]
    attempt.score_scaled = sum(scores) / len(scores) if scores else attempt.score_scaled
    attempt.total_seconds = sum(s.total_seconds for s in attempt.scos)
    attempt.wall_seconds = sum(s.wall_seconds for s in attempt.scos)
    attempt.updated_at = now()


# -- navigation ------------------------------------------------------------------------

_TARGETED = ("choice", "jump")


def parse_nav_request(request: str, target: str | None) -> tuple[str, str | None]:
    """Split ``{target=ID}choice`` / ``{target=ID}jump`` (2004 RTE §4.4.2) into parts."""
    value = request.strip()
    if value.startswith("{target="):
        close = value.find("}")
        if close > 0:
            target = value[len("{target=") : close]
            value = value[close + 1 :]
    if value not in NAV_REQUESTS:
        raise BadRequest(
            f"Unknown navigation request {request!r}",
            errors=[{"path": "request", "message": f"one of {', '.join(NAV_REQUESTS)}"}],
        )
    if value in _TARGETED and not target:
        raise BadRequest(
            f"A {value} request needs a target",
            errors=[{"path": "target", "message": "required"}],
        )
    return value, target


def _order(version: PackageVersion) -> list[str]:
    return [e["id"] for e in version.launch]


def toc_state(attempt: Attempt, version: PackageVersion) -> dict[str, dict[str, Any]]:
    """Per TOC entry: completed / disabled flags for the shell."""
    sequencer = _sequencer(attempt, version)
    if sequencer is not None:
        return {
            row["id"]: {
                "completed": bool(row["completion"]) or row["success"] is True,
                "disabled": not row["enabled"],
            }
            for row in _valid(sequencer)["toc"]
        }
    by_id = {s.sco_id: s for s in attempt.scos}
    disabled: set[str] = set()
    result: dict[str, dict[str, Any]] = {}
    for node in nodes(version):
        state = by_id.get(node.id)
        result[node.id] = {
            "completed": bool(state and state.completion_status in ("completed", "passed")),
            "disabled": node.id in disabled,
        }
    return result


def _valid(sequencer: Sequencer) -> dict[str, Any]:
    """``Sequencer.valid_requests()`` and what Next/Previous deliver, once per state."""
    key = json.dumps(sequencer.state.to_json(), sort_keys=True, default=str)
    cache: dict[str, dict[str, Any]] = g.setdefault("player_valid", {})
    if key not in cache:
        valid = sequencer.valid_requests()
        valid["delivers"] = {
            request: bool(valid[request]) and _delivers(sequencer, request)
            for request in ("continue", "previous")
        }
        cache[key] = valid
    return cache[key]


def _delivers(sequencer: Sequencer, request: str) -> bool:
    """Whether ``request`` would deliver an activity (tried on a copy of the state).

    A continue from the last activity is valid in SCORM 2004 (SN §4.7, SB.2.7: the
    sequencing session ends), but a button that says "Next" must lead somewhere.
    """
    probe = Sequencer(
        sequencer.tree,
        SequencingState.from_json(sequencer.state.to_json()),
        random.Random(0),  # noqa: S311 - a look-ahead, not security
    )
    return probe.navigate(request).activity is not None


def valid_requests(attempt: Attempt, version: PackageVersion) -> dict[str, Any]:
    """What the learner's navigation may do now.

    ``continue``/``previous``: the requests' validity for ``adl.nav.request_valid``
    (RTE §4.4.3), as the SN defines it; ``offer``: whether the player's Next/Previous
    buttons lead to a SCO/AU, the course's own navigation and no more: none in a
    one-SCO course, no Next from the last; ``hide``: adlnav:hideLMSUI of the current
    activity (CAM §5.1.x, "presentation").
    """
    if attempt.ended_at is not None:
        return {"continue": False, "previous": False, "offer": _offer(False, False)}
    sequencer = _sequencer(attempt, version)
    if sequencer is not None:
        valid = _valid(sequencer)
        return {
            "continue": bool(valid["continue"]),
            "previous": bool(valid["previous"]),
            "offer": _offer(valid["delivers"]["continue"], valid["delivers"]["previous"]),
            "hide": list(valid.get("hide_lms_ui") or []),
        }
    order = _order(version)
    current = attempt.current_sco
    if current not in order:
        first = bool(order) and len(order) > 1
        return {"continue": bool(order), "previous": False, "offer": _offer(first, False)}
    index = order.index(current)
    later, earlier = index < len(order) - 1, index > 0
    return {"continue": later, "previous": earlier, "offer": _offer(later, earlier)}


def _offer(continue_: bool, previous: bool) -> dict[str, bool]:
    return {"continue": continue_, "previous": previous}


def _sequencer(attempt: Attempt, version: PackageVersion) -> Sequencer | None:
    """The sequencer of a SCORM attempt (2004 sequencing; 1.2 LMS navigation), per request.

    Its state lives in ``Attempt.sequencing``; ``save_sequencer`` writes it back.
    """
    if version.kind not in ("scorm12", "scorm2004"):
        return None
    cache: dict[int, Sequencer] = g.setdefault("player_sequencers", {})
    if attempt.id not in cache:
        cache[attempt.id] = Sequencer(
            activity_tree(version), SequencingState.from_json(attempt.sequencing)
        )
    return cache[attempt.id]


# Versions never change after import, so what is derived from their manifest is kept per
# process (bounded), keyed by the content hash (same files, same manifest): the activity
# tree and the table of contents.
_TREES: dict[str, ActivityTree] = {}
_NODES: dict[str, list[Node]] = {}
_CACHE_SIZE = 256


def _remember(cache: dict[str, Any], key: str, value: Any) -> Any:
    if len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = value
    return value


def activity_tree(version: PackageVersion) -> ActivityTree:
    """The version's activity tree (player.sequencing.build_tree), built once per process."""
    tree = _TREES.get(version.content_hash)
    if tree is None:
        tree = build_tree(version.manifest, kind=version.kind)
        _remember(_TREES, version.content_hash, tree)
    return tree


def sequencer_for(attempt: Attempt, version: PackageVersion) -> Sequencer | None:
    """The attempt's sequencer (None for cmi5 and xAPI courses)."""
    return _sequencer(attempt, version)


def save_sequencer(attempt: Attempt, sequencer: Sequencer) -> None:
    """Store the sequencing state with the attempt."""
    attempt.sequencing = sequencer.state.to_json()


def report_to_sequencer(
    attempt: Attempt, version: PackageVersion, sco_id: str, tree: dict[str, Any]
) -> None:
    """Fold a SCO's committed data into the tracking model and roll up (SN §4.2, §4.6)."""
    sequencer = _sequencer(attempt, version)
    if sequencer is None or sco_id not in sequencer.tree:
        return
    sequencer.report(sco_id, {"cmi": tree})
    save_sequencer(attempt, sequencer)


def _end(attempt: Attempt, version: PackageVersion, message: str) -> dict[str, Any]:
    return {
        "action": "end",
        "message": message,
        "closed": attempt.ended_at is not None,
        "attempt": attempt_summary(attempt),
        "toc": toc_state(attempt, version),
        "valid": valid_requests(attempt, version),
    }


def launch_payload(
    attempt: Attempt, version: PackageVersion, sco_id: str, unloaded: str | None = None
) -> dict[str, Any]:
    """Start a session of one SCO/AU/activity and describe it for the shell.

    ``unloaded``: a cmi5 session the player unloaded to come here (cmi5.launch_au).
    """
    from player import cmi5, runtime

    entry = launch_entry(version, sco_id)
    info: dict[str, Any] = {"sco": sco_id, "title": entry.get("title") or sco_id}
    if version.kind in ("scorm12", "scorm2004"):
        started = runtime.start_session(attempt, version, sco_id)

        info.update(
            session=started["session"],
            cmi=started["cmi"],
            adl_data=started.get("adl_data") or [],
            entry=started["entry"],
            api=has_api(entry),
            url=content_url(version, entry["href"]),
            window="frame",
        )
    elif version.kind == "cmi5":
        info.update(cmi5.launch_au(attempt, version, sco_id, unloaded=unloaded))
        # The launch decided earlier sessions and may have satisfied AUs (NotApplicable).
        rollup(attempt, version)
    else:
        info.update(cmi5.launch_activity(attempt, version, sco_id))
    attempt.current_sco = sco_id
    attempt.updated_at = now()
    db.session.flush()
    return {
        "action": "launch",
        "launch": info,
        "toc": toc_state(attempt, version),
        "valid": valid_requests(attempt, version),
    }


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


def rollup(attempt: Attempt, version: PackageVersion) -> None:
    """Roll SCO/AU status up into the attempt, and record the course's result.

    SCORM 2004 sequencing rollup where it applies, the course's ``satisfied`` for cmi5
    (cmi5 §9.3.9), else every SCO/activity (simple_rollup). A SCORM or xAPI course that
    becomes completed, passed or failed gets its result written (player/outcome.py;
    cmi5 writes it with the course's ``satisfied``).
    """
    if in_review(attempt):
        return
    from player import cmi5, outcome

    before = (attempt.completion_status, attempt.success_status)
    simple_rollup(attempt, version)
    if version.kind == "cmi5":
        cmi5.course_rollup(attempt, version)
        return
    sequencer = _sequencer(attempt, version)
    if sequencer is not None and version.kind == "scorm2004" and not sequencer.tree.simple:
        # Rollup rules decide the course status (SN §4.6); the simple mean stays for score.
        completion, success, measure = sequencer.course_status()
        attempt.completion_status = completion
        attempt.success_status = success
        if measure is not None:
            attempt.score_scaled = measure
    outcome.record_rollup(attempt, version, before)


def _leave_current(attempt: Attempt, version: PackageVersion, closing: bool = False) -> None:
    """End the running cmi5/xAPI session when the learner moves on (SCORM ends itself)."""
    if version.kind in ("cmi5", "xapi") and attempt.current_sco:
        from player import cmi5

        cmi5.end_session(attempt, version, attempt.current_sco, closing=closing)


def navigate(attempt: Attempt, request: str, target: str | None = None) -> dict[str, Any]:
    """Carry out a navigation request and say what the shell shows next."""
    from player import ownership

    version = version_of(attempt)
    kind, target = parse_nav_request(request, target)
    if in_review(attempt):
        return _navigate_review(attempt, version, kind, target)
    # "start" (a player page opening) takes the attempt over; any other request of a
    # launch that was taken over is refused (player.ownership).
    if kind == "start":
        ownership.claim(attempt)
    else:
        ownership.check(attempt)
    if attempt.ended_at is not None:
        return _end(attempt, version, "This attempt is over. Launch the course again.")
    sequencer = _sequencer(attempt, version)
    if sequencer is not None:
        return _navigate_scorm(attempt, version, sequencer, kind, target)
    return _navigate_simple(attempt, version, kind, target)


def _unfinished(attempt: Attempt) -> ScoState | None:
    current = attempt.current_sco
    state = sco_state(attempt, current, create=False) if current else None
    return state if state is not None and not state.session_finished else None


def _navigate_scorm(
    attempt: Attempt, version: PackageVersion, sequencer: Sequencer, kind: str, target: str | None
) -> dict[str, Any]:
    """SCORM navigation through player.sequencing (SN book §3, the Overall Sequencing Process)."""
    from player import runtime

    running = _unfinished(attempt)
    if running is not None and kind != "_none_":
        # The SCO's session never ended: the window was closed (start, close) and
        # everything is kept as with suspendAll, or the learner moved on without the SCO
        # terminating (the LMS ends it, keeping its data for a resume).
        runtime.finish(
            attempt,
            version,
            running,
            running.cmi,
            closing=True,
            suspend_all=kind in ("start", "close", "returned"),
        )
    if kind == "close":
        return _end(attempt, version, "Closed.")
    if kind in ("start", "returned"):
        if target:
            result = sequencer.navigate("choice", target)
        else:
            result = sequencer.launch()
            if not result.ok and result.exception == "NB.2.1-1" and attempt.current_sco:
                # The session is under way (the SCO ended without a request): deliver the
                # current activity again.
                save_sequencer(attempt, sequencer)
                return launch_payload(attempt, version, attempt.current_sco)
    else:
        result = sequencer.navigate(kind, target)
    save_sequencer(attempt, sequencer)
    if not result.ok:
        if kind == "_none_":
            return _none(attempt, version)
        if kind == "suspendAll":
            # "Save and exit" always saves: the SCO's session has ended with its data
            # kept (above), and the attempt is suspended even where the sequencer has
            # nothing to suspend (no current activity, its session over).
            return _suspend(attempt, version)
        return {
            **_end(attempt, version, result.message or "That is not possible now."),
            "refused": result.exception,
        }
    if kind == "suspendAll":
        return _suspend(attempt, version)
    if result.activity:
        return launch_payload(attempt, version, result.activity)
    rollup(attempt, version)
    if kind in ("exitAll", "abandonAll") or (
        result.ended and attempt.completion_status == "completed"
    ):
        end_attempt(attempt)
        return _end(attempt, version, "You have left the course.")
    if result.ended:
        return _end(attempt, version, "You have reached the end of the course.")
    return _none(attempt, version)


def _suspend(attempt: Attempt, version: PackageVersion) -> dict[str, Any]:
    """Suspend the attempt: the next launch resumes it where the learner left."""
    attempt.suspended = True
    attempt.updated_at = now()
    rollup(attempt, version)
    db.session.flush()
    return _end(attempt, version, "Your place is saved. You can close this window.")


def _none(attempt: Attempt, version: PackageVersion) -> dict[str, Any]:
    """The SCO ended without a request: end a one-SCO course's attempt, else wait."""
    if len(version.launch) == 1 and _single_ended(attempt, version):
        end_attempt(attempt)
        return _end(attempt, version, "You have finished the course.")
    return _end(attempt, version, "Choose what to do next.")


def _navigate_simple(
    attempt: Attempt, version: PackageVersion, kind: str, target: str | None
) -> dict[str, Any]:
    """cmi5 and xAPI courses: AUs/activities in order, any can be chosen."""
    order = _order(version)
    current = attempt.current_sco
    if kind == "close":
        _leave_current(attempt, version, closing=True)
        rollup(attempt, version)
        return _end(attempt, version, "Closed.")
    if kind == "returned":
        _leave_current(attempt, version)
        rollup(attempt, version)
        return _end(attempt, version, "Welcome back. Choose what to do next.")
    if kind == "start":
        running = current if current and _unfinished(attempt) is not None else None
        if current:
            # A launch that never came back (closed window): the LMS ends that session.
            _leave_current(attempt, version, closing=True)
            rollup(attempt, version)
        chosen = target if target in order else (running if running in order else None)
        return launch_payload(attempt, version, chosen or _first_unfinished(attempt, order))
    # The AU the player unloaded for this request may still be sending its last
    # statements ("terminated" among them): its session is decided at the next launch.
    unloaded = cmi5_open_session(attempt, version, current)
    _leave_current(attempt, version)
    rollup(attempt, version)
    if kind in ("continue", "previous"):
        index = (order.index(current) if current in order else -1) + (
            1 if kind == "continue" else -1
        )
        if 0 <= index < len(order):
            return launch_payload(attempt, version, order[index], unloaded)
        return _end(attempt, version, "You have reached the end of the course.")
    if kind in _TARGETED:
        if target not in order:
            raise BadRequest(
                f"No launchable item {target!r} in this course",
                errors=[{"path": "target", "message": "unknown item"}],
            )
        return launch_payload(attempt, version, str(target), unloaded)
    if kind == "suspendAll":
        return _suspend(attempt, version)
    if kind in ("exitAll", "abandonAll") or attempt.completion_status == "completed":
        end_attempt(attempt)
        return _end(attempt, version, "You have left the course.")
    return _end(attempt, version, "Choose what to do next.")


def cmi5_open_session(attempt: Attempt, version: PackageVersion, au_id: str | None) -> str | None:
    """The running session of a cmi5 AU (None for other kinds, or when none runs)."""
    if version.kind != "cmi5":
        return None
    from player import cmi5

    return cmi5.open_session(attempt, au_id)


def _single_ended(attempt: Attempt, version: PackageVersion) -> bool:
    """A one-SCO course's attempt is over when its SCO attempt ended (exit not suspend)."""
    state = sco_state(attempt, version.launch[0]["id"], create=False)
    if state is None:
        return False
    if not state.session_finished or state.launches == 0 or attempt.suspended:
        return False
    if version.kind == "scorm2004":
        return state.exit != "suspend"
    if version.kind == "scorm12":
        # 1.2 has no attempt rules of its own: like Moodle, a new attempt only once the
        # SCO reported a final status (completed, passed, failed) and did not suspend.
        return (state.exit != "suspend" and state.completion_status in ("completed", "passed")) or (
            state.exit != "suspend" and state.success_status in ("passed", "failed")
        )
    return state.completion_status in ("completed", "passed")


def _first_unfinished(attempt: Attempt, order: list[str]) -> str:
    by_id = {s.sco_id: s for s in attempt.scos}
    for ident in order:
        state = by_id.get(ident)
        if state is None or state.completion_status not in ("completed", "passed"):
            return ident
    return order[0]
