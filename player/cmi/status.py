"""Evaluated status: what the LMS reports about a SCO, not just what the SCO set."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from player.cmi.tree import unwrap
from player.cmi.values import (
    COMPLETION,
    LESSON_STATUS,
    SCORM12,
    SUCCESS,
    as_number,
    as_object,
    require_version,
)


@dataclass(frozen=True)
class Status:
    """Evaluated status of a SCO attempt (what the LMS reports, not just what the SCO set).

    ``completion``: completed / incomplete / not attempted / unknown.
    ``success``: passed / failed / unknown. ``lesson_status`` is the 1.2 value the LMS
    stores (``None`` for 2004).
    """

    completion: str
    success: str
    score_scaled: float | None = None
    score_raw: float | None = None
    score_min: float | None = None
    score_max: float | None = None
    progress_measure: float | None = None
    lesson_status: str | None = None


def _score(tree: Mapping[str, Any], version: str) -> dict[str, float | None]:
    score = as_object(
        as_object(tree.get("core")).get("score") if version == SCORM12 else tree.get("score")
    )
    return {k: as_number(score.get(k)) for k in ("scaled", "raw", "min", "max")}


def _completion_2004(tree: Mapping[str, Any]) -> str:
    """RTE §4.2.4.1: the completion threshold overrides when a progress measure exists."""
    threshold = as_number(tree.get("completion_threshold"))
    progress = as_number(tree.get("progress_measure"))
    if threshold is not None:
        if progress is not None:
            return "completed" if progress >= threshold else "incomplete"
        return "unknown"
    status = tree.get("completion_status")
    return status if status in COMPLETION else "unknown"


def _success_2004(tree: Mapping[str, Any]) -> str:
    """RTE §4.2.22: scaled_passing_score overrides when a scaled score exists."""
    passing = as_number(tree.get("scaled_passing_score"))
    scaled = as_number(as_object(tree.get("score")).get("scaled"))
    if passing is not None:
        if scaled is not None:
            return "passed" if scaled >= passing else "failed"
        return "unknown"
    status = tree.get("success_status")
    return status if status in SUCCESS else "unknown"


def _lesson_status_12(tree: Mapping[str, Any], *, finishing: bool) -> str:
    """Evaluate the 1.2 lesson_status the LMS stores (1.2 RTE p. 3-24).

    1. ``lesson_mode`` "browse" and no status set by the SCO → "browsed".
    2. ``credit`` "credit", a mastery score and a raw score → passed if raw ≥ mastery,
       else failed (the LMS may override; it must not without a mastery score).
    3. Otherwise the SCO's value. **LMSFinish without a status** (still "not attempted"):
       "incomplete" — the learner was in the SCO but nothing says it was finished. This is
       scorm-again's default (``autoCompleteLessonStatus: false``, so the browser and the
       server agree); auto-completing would mark SCOs complete that merely failed to
       report. During the session (``finishing=False``) "not attempted" is reported as is.
    """
    core = as_object(tree.get("core"))
    status = core.get("lesson_status") or "not attempted"
    if status not in LESSON_STATUS:
        status = "not attempted"
    mode = core.get("lesson_mode") or "normal"
    if mode == "browse" and status == "not attempted":
        return "browsed"
    mastery = as_number(as_object(tree.get("student_data")).get("mastery_score"))
    raw = as_number(as_object(core.get("score")).get("raw"))
    credit = (core.get("credit") or "credit") == "credit"
    if credit and mode == "normal" and mastery is not None and raw is not None:
        return "passed" if raw >= mastery else "failed"
    if finishing and status == "not attempted":
        return "incomplete"
    return status


def _status_12(tree: Mapping[str, Any], *, finishing: bool) -> tuple[str, str, str]:
    lesson = _lesson_status_12(tree, finishing=finishing)
    completion = {
        "passed": "completed",
        "completed": "completed",
        "failed": "completed",  # failed means the SCO was finished, with a failing score
        "incomplete": "incomplete",
        "browsed": "incomplete",
        "not attempted": "not attempted",
    }[lesson]
    success = lesson if lesson in ("passed", "failed") else "unknown"
    return lesson, completion, success


def status_of(version: str, cmi: Mapping[str, Any]) -> Status:
    """Evaluate the status of a committed tree without ending the session (for commits)."""
    require_version(version)
    tree = unwrap(cmi)
    return evaluate(version, tree, finishing=False)


def evaluate(version: str, tree: Mapping[str, Any], *, finishing: bool) -> Status:
    """The status of a tree; ``finishing`` at the session's end (see ``_lesson_status_12``)."""
    score = _score(tree, version)
    if version == SCORM12:
        lesson, completion, success = _status_12(tree, finishing=finishing)
        raw, high = score["raw"], score["max"]
        low = score["min"] if score["min"] is not None else 0.0
        scaled = None
        if raw is not None:
            top = high if high is not None else 100.0
            if top > low and low <= raw <= top:
                scaled = (raw - low) / (top - low)
        return Status(
            completion=completion,
            success=success,
            score_scaled=scaled,
            score_raw=raw,
            score_min=score["min"],
            score_max=score["max"],
            lesson_status=lesson,
        )
    return Status(
        completion=_completion_2004(tree),
        success=_success_2004(tree),
        score_scaled=score["scaled"],
        score_raw=score["raw"],
        score_min=score["min"],
        score_max=score["max"],
        progress_measure=as_number(tree.get("progress_measure")),
    )
