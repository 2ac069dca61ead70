"""The end of a session (Terminate / LMSFinish / unload): time, exit and entry, status."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from player.cmi.status import evaluate
from player.cmi.times import format_time, time_seconds
from player.cmi.tree import unwrap
from player.cmi.values import SCORM12, is_blank, require_version


@dataclass(frozen=True)
class SessionOutcome:
    """What :func:`finish_session` decided for one ended session.

    ``cmi`` is the tree to store for the attempt: ``total_time`` accumulated,
    ``session_time`` and ``exit`` cleared, the evaluated statuses written back and
    ``entry`` set to ``next_entry``.
    """

    total_seconds: float
    session_seconds: float
    wallclock_seconds: float
    session_time_reported: bool
    completion: str
    success: str
    score_scaled: float | None
    score_raw: float | None
    score_min: float | None
    score_max: float | None
    attempt_ended: bool
    next_entry: str
    suspended: bool
    exit: str
    lesson_status: str | None = None
    cmi: dict[str, Any] = field(default_factory=dict)


# -- time -------------------------------------------------------------------------------


def finish_session(
    version: str, cmi: Mapping[str, Any], *, wallclock_seconds: float
) -> SessionOutcome:
    """End one session (Terminate / LMSFinish / unload): time, exit/entry and status.

    - Time (2004 RTE §4.2.21, 1.2 ``cmi.core.session_time``): the last ``session_time``
      the SCO set is added to ``total_time``; when it never set one (or set a malformed
      one), the server's ``wallclock_seconds`` since launch is used instead. Call once
      per session, never per commit.
    - Exit (2004 RTE §4.2.8, 1.2 ``cmi.core.exit``): "suspend" → the attempt continues,
      next entry "resume". Anything else ends the attempt → next entry "ab-initio" and a
      new ``total_time``. ("logout", deprecated in 2004 4th edition, ends it too.)
    - Status: :func:`status_of` rules with ``finishing=True`` (1.2 LMSFinish without a
      status → "incomplete"; see ``_lesson_status_12``).

    ``cmi.total_time`` must be the LMS's stored total, not the one in scorm-again's
    terminate commit (which already includes the session): pass the committed tree
    through :func:`restore_readonly` first. The SCO's reported time wins even when it
    disagrees with the clock (RTE §4.2.21); ``wallclock_seconds`` is kept in the outcome
    for audit.
    """
    require_version(version)
    if wallclock_seconds < 0 or math.isnan(wallclock_seconds):
        raise ValueError("wallclock_seconds must be a non-negative number")
    tree = copy.deepcopy(unwrap(cmi))
    core = tree.setdefault("core", {}) if version == SCORM12 else tree
    if not isinstance(core, dict):
        core = tree["core"] = {}
    session = _seconds_or_none(version, core.get("session_time"))
    session_reported = session is not None
    if session is None:
        session = float(wallclock_seconds)
    total = (_seconds_or_none(version, core.get("total_time")) or 0.0) + session
    exit_value = core.get("exit") or ""
    suspended = exit_value == "suspend"
    status = evaluate(version, tree, finishing=True)
    next_entry = "resume" if suspended else "ab-initio"
    core["total_time"] = format_time(version, total)
    core["session_time"] = ""
    core["exit"] = ""
    core["entry"] = next_entry
    if version == SCORM12:
        core["lesson_status"] = status.lesson_status
    else:
        tree["completion_status"] = status.completion
        tree["success_status"] = status.success
    return SessionOutcome(
        total_seconds=total,
        session_seconds=session,
        wallclock_seconds=float(wallclock_seconds),
        session_time_reported=session_reported,
        completion=status.completion,
        success=status.success,
        score_scaled=status.score_scaled,
        score_raw=status.score_raw,
        score_min=status.score_min,
        score_max=status.score_max,
        attempt_ended=not suspended,
        next_entry=next_entry,
        suspended=suspended,
        exit=exit_value,
        lesson_status=status.lesson_status,
        cmi=tree,
    )


def _seconds_or_none(version: str, value: Any) -> float | None:
    """Seconds in a duration the SCO (or the LMS) set; None when blank or malformed."""
    if is_blank(value):
        return None
    try:
        return time_seconds(version, str(value))
    except ValueError:
        return None
