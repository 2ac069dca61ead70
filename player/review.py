"""Review mode: a learner opens a finished attempt again to look at it.

SCORM 2004 RTE §4.2.13 cmi.mode "review", cmi.credit "no-credit"; SCORM 1.2 RTE §3.4.4
cmi.core.lesson_mode; cmi5 §10 launchMode "Review". In review the LMS changes none of
the attempt's tracking data: commits are acknowledged and dropped (player.runtime),
navigation keeps its place on the review token, the attempt's status, score, time,
current SCO and sequencing stay as they were, and no statement but cmi5's own
"launched" is written.
"""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import or_, select

from accounts.models import User
from core.db import db
from core.errors import BadRequest, Conflict, Unauthorized
from packages.models import Course, PackageVersion
from player import attempts, course_tree, launch, shell_state
from player.models import Attempt, LaunchToken, ScoState
from player.schemas import TARGETED

_REVIEWABLE_COMPLETION = ("completed", "passed")
_REVIEWABLE_SUCCESS = ("passed", "failed")


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
    return attempt, attempts.issue_token(attempt, mode="review")


def _review_token(attempt: Attempt) -> LaunchToken:
    token = db.session.get(LaunchToken, g.player_review[attempt.id])
    if token is None:
        raise Unauthorized("This launch token no longer exists")
    return token


def navigate(
    attempt: Attempt, version: PackageVersion, kind: str, target: str | None
) -> dict[str, Any]:
    """Navigation in review: any item, in any order; only the review token's place moves."""
    token = _review_token(attempt)
    order = course_tree.order(version)
    current = token.review_sco if token.review_sco in order else None
    chosen: str | None = None
    if kind == "start":
        chosen = target if target in order else current or (order[0] if order else None)
    elif kind in ("continue", "previous"):
        index = (order.index(current) if current else -1) + (1 if kind == "continue" else -1)
        chosen = order[index] if 0 <= index < len(order) else None
    elif kind in TARGETED:
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
        return _end(attempt, version, token, message)
    token.review_sco = chosen
    db.session.flush()
    return {
        "action": "launch",
        "launch": launch.review(attempt, version, chosen),
        "toc": _toc(attempt, version),
        "valid": _valid(version, chosen),
        "review": True,
    }


def _toc(attempt: Attempt, version: PackageVersion) -> dict[str, dict[str, Any]]:
    """The stored completion of each entry; nothing is disabled in review."""
    by_id = {s.sco_id: s for s in attempt.scos}
    return {
        node.id: {
            "completed": node.id in by_id
            and by_id[node.id].completion_status in _REVIEWABLE_COMPLETION,
            "disabled": False,
        }
        for node in course_tree.nodes(version)
    }


def _valid(version: PackageVersion, current: str | None) -> dict[str, Any]:
    """Next/Previous in the order of the entries, from the review token's place."""
    order = course_tree.order(version)
    if current not in order:
        return {
            "continue": bool(order),
            "previous": False,
            "offer": shell_state.offer(bool(order), False),
        }
    index = order.index(current)
    later, earlier = index < len(order) - 1, index > 0
    return {"continue": later, "previous": earlier, "offer": shell_state.offer(later, earlier)}


def _end(
    attempt: Attempt, version: PackageVersion, token: LaunchToken, message: str
) -> dict[str, Any]:
    return {
        "action": "end",
        "message": message,
        "closed": False,
        "attempt": attempts.attempt_summary(attempt),
        "toc": _toc(attempt, version),
        "valid": _valid(version, token.review_sco),
        "review": True,
    }
