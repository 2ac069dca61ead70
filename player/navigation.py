"""Navigation: what a request of the player page (start, continue, choice, exit...) does.

SCORM courses navigate through their sequencer (player.sequencing, SN book §3, the
Overall Sequencing Process); cmi5 and xAPI courses go through their AUs/activities in
order, and any can be chosen. Review tokens navigate in player.review. Every answer
says what the shell shows next: a launch (player.launch) or an end, with the contents'
state and the valid requests (player.shell_state).
"""

from __future__ import annotations

from typing import Any

from core.db import db
from core.errors import BadRequest
from packages.models import PackageVersion
from player import (
    attempts,
    cmi5,
    course_tree,
    launch,
    ownership,
    review,
    rollup,
    runtime,
    shell_state,
)
from player.models import Attempt, ScoState
from player.schemas import NAV_REQUESTS, TARGETED
from player.sequencing import Sequencer


def navigate(attempt: Attempt, request: str, target: str | None = None) -> dict[str, Any]:
    """Carry out a navigation request and say what the shell shows next."""
    version = attempts.version_of(attempt)
    kind, target = parse_nav_request(request, target)
    if attempts.in_review(attempt):
        return review.navigate(attempt, version, kind, target)
    # "start" (a player page opening) takes the attempt over; any other request of a
    # launch that was taken over is refused (player.ownership).
    if kind == "start":
        ownership.claim(attempt)
    else:
        ownership.check(attempt)
    if attempt.ended_at is not None:
        return _end(attempt, version, "This attempt is over. Launch the course again.")
    sequencer = rollup.sequencer_for(attempt, version)
    if sequencer is not None:
        return _navigate_scorm(attempt, version, sequencer, kind, target)
    return _navigate_simple(attempt, version, kind, target)


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
    if value in TARGETED and not target:
        raise BadRequest(
            f"A {value} request needs a target",
            errors=[{"path": "target", "message": "required"}],
        )
    return value, target


def _navigate_scorm(
    attempt: Attempt, version: PackageVersion, sequencer: Sequencer, kind: str, target: str | None
) -> dict[str, Any]:
    """SCORM navigation through player.sequencing (SN book §3, the Overall Sequencing Process)."""
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
                rollup.save_sequencer(attempt, sequencer)
                return _launch(attempt, version, attempt.current_sco)
    else:
        result = sequencer.navigate(kind, target)
    rollup.save_sequencer(attempt, sequencer)
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
        return _launch(attempt, version, result.activity)
    rollup.rollup(attempt, version)
    if kind in ("exitAll", "abandonAll") or (
        result.ended and attempt.completion_status == "completed"
    ):
        attempts.end_attempt(attempt)
        return _end(attempt, version, "You have left the course.")
    if result.ended:
        return _end(attempt, version, "You have reached the end of the course.")
    return _none(attempt, version)


def _navigate_simple(
    attempt: Attempt, version: PackageVersion, kind: str, target: str | None
) -> dict[str, Any]:
    """cmi5 and xAPI courses: AUs/activities in order, any can be chosen."""
    order = course_tree.order(version)
    current = attempt.current_sco
    if kind == "close":
        _leave_current(attempt, version, closing=True)
        rollup.rollup(attempt, version)
        return _end(attempt, version, "Closed.")
    if kind == "returned":
        _leave_current(attempt, version)
        rollup.rollup(attempt, version)
        return _end(attempt, version, "Welcome back. Choose what to do next.")
    if kind == "start":
        running = current if current and _unfinished(attempt) is not None else None
        if current:
            # A launch that never came back (closed window): the LMS ends that session.
            _leave_current(attempt, version, closing=True)
            rollup.rollup(attempt, version)
        chosen = target if target in order else (running if running in order else None)
        return _launch(attempt, version, chosen or _first_unfinished(attempt, order))
    # The AU the player unloaded for this request may still be sending its last
    # statements ("terminated" among them): its session is decided at the next launch.
    unloaded = _cmi5_open_session(attempt, version, current)
    _leave_current(attempt, version)
    rollup.rollup(attempt, version)
    if kind in ("continue", "previous"):
        index = (order.index(current) if current in order else -1) + (
            1 if kind == "continue" else -1
        )
        if 0 <= index < len(order):
            return _launch(attempt, version, order[index], unloaded)
        return _end(attempt, version, "You have reached the end of the course.")
    if kind in TARGETED:
        if target not in order:
            raise BadRequest(
                f"No launchable item {target!r} in this course",
                errors=[{"path": "target", "message": "unknown item"}],
            )
        return _launch(attempt, version, str(target), unloaded)
    if kind == "suspendAll":
        return _suspend(attempt, version)
    if kind in ("exitAll", "abandonAll") or attempt.completion_status == "completed":
        attempts.end_attempt(attempt)
        return _end(attempt, version, "You have left the course.")
    return _end(attempt, version, "Choose what to do next.")


def _unfinished(attempt: Attempt) -> ScoState | None:
    current = attempt.current_sco
    state = attempts.sco_state(attempt, current, create=False) if current else None
    return state if state is not None and not state.session_finished else None


def _leave_current(attempt: Attempt, version: PackageVersion, closing: bool = False) -> None:
    """End the running cmi5/xAPI session when the learner moves on (SCORM ends itself)."""
    if version.kind in ("cmi5", "xapi") and attempt.current_sco:
        cmi5.end_session(attempt, version, attempt.current_sco, closing=closing)


def _cmi5_open_session(attempt: Attempt, version: PackageVersion, au_id: str | None) -> str | None:
    """The running session of a cmi5 AU (None for other kinds, or when none runs)."""
    if version.kind != "cmi5":
        return None
    return cmi5.open_session(attempt, au_id)


def _suspend(attempt: Attempt, version: PackageVersion) -> dict[str, Any]:
    """Suspend the attempt: the next launch resumes it where the learner left."""
    attempt.suspended = True
    attempt.updated_at = attempts.now()
    rollup.rollup(attempt, version)
    db.session.flush()
    return _end(attempt, version, "Your place is saved. You can close this window.")


def _none(attempt: Attempt, version: PackageVersion) -> dict[str, Any]:
    """The SCO ended without a request: end a one-SCO course's attempt, else wait."""
    if len(version.launch) == 1 and _single_ended(attempt, version):
        attempts.end_attempt(attempt)
        return _end(attempt, version, "You have finished the course.")
    return _end(attempt, version, "Choose what to do next.")


def _single_ended(attempt: Attempt, version: PackageVersion) -> bool:
    """A one-SCO course's attempt is over when its SCO attempt ended (exit not suspend)."""
    state = attempts.sco_state(attempt, version.launch[0]["id"], create=False)
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


def _launch(
    attempt: Attempt, version: PackageVersion, sco_id: str, unloaded: str | None = None
) -> dict[str, Any]:
    """Launch one SCO/AU/activity (player.launch) and say so to the shell."""
    info = launch.start(attempt, version, sco_id, unloaded)
    return {
        "action": "launch",
        "launch": info,
        "toc": shell_state.toc_state(attempt, version),
        "valid": shell_state.valid_requests(attempt, version),
    }


def _end(attempt: Attempt, version: PackageVersion, message: str) -> dict[str, Any]:
    return {
        "action": "end",
        "message": message,
        "closed": attempt.ended_at is not None,
        "attempt": attempts.attempt_summary(attempt),
        "toc": shell_state.toc_state(attempt, version),
        "valid": shell_state.valid_requests(attempt, version),
    }
