"""Launching one SCO, AU or activity of an attempt: one dispatch by the course's kind.

SCORM: a runtime session (player.runtime, the API in the runtime frame); cmi5: an AU
with its launch parameters and fetch URL (player.cmi5, cmi5 §8); xAPI: an activity
with a learner-bound credential (player.cmi5.launch_activity).
"""

from __future__ import annotations

from typing import Any

from core.db import db
from packages.models import PackageVersion
from packages.service import content_url
from player import attempts, cmi5, course_tree, rollup, runtime
from player.models import Attempt


def start(
    attempt: Attempt, version: PackageVersion, sco_id: str, unloaded: str | None = None
) -> dict[str, Any]:
    """Start a session of one SCO/AU/activity and describe it for the shell.

    ``unloaded``: a cmi5 session the player unloaded to come here (cmi5.launch_au).
    """
    entry = course_tree.launch_entry(version, sco_id)
    info: dict[str, Any] = {"sco": sco_id, "title": entry.get("title") or sco_id}
    if version.kind in ("scorm12", "scorm2004"):
        started = runtime.start_session(attempt, version, sco_id)
        info.update(
            session=started["session"],
            cmi=started["cmi"],
            adl_data=started.get("adl_data") or [],
            entry=started["entry"],
            api=course_tree.has_api(entry),
            url=content_url(version, entry["href"]),
            window="frame",
        )
    elif version.kind == "cmi5":
        info.update(cmi5.launch_au(attempt, version, sco_id, unloaded=unloaded))
        # The launch decided earlier sessions and may have satisfied AUs (NotApplicable).
        rollup.rollup(attempt, version)
    else:
        info.update(cmi5.launch_activity(attempt, version, sco_id))
    attempt.current_sco = sco_id
    attempt.updated_at = attempts.now()
    db.session.flush()
    return info


def review(attempt: Attempt, version: PackageVersion, sco_id: str) -> dict[str, Any]:
    """Describe a review launch of one SCO/AU (nothing about the attempt is changed)."""
    entry = course_tree.launch_entry(version, sco_id)
    info: dict[str, Any] = {"sco": sco_id, "title": entry.get("title") or sco_id, "review": True}
    if version.kind in ("scorm12", "scorm2004"):
        info.update(
            runtime.review_session(attempt, version, sco_id),
            api=course_tree.has_api(entry),
            url=content_url(version, entry["href"]),
            window="frame",
        )
    elif version.kind == "cmi5":
        info.update(cmi5.launch_au(attempt, version, sco_id, review=True))
    else:
        info.update(cmi5.launch_activity(attempt, version, sco_id, review=True))
    return info
