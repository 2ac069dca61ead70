"""How far a learner is into an attempt: a share of the course's launchable items.

An item counts whole when it is completed or passed (an asset once it has been opened:
SCORM CAM §3.4.1.12, assets have no API to say more); a SCORM 2004 SCO still in
progress counts by its ``cmi.progress_measure`` when it reports one (RTE §4.2.18).
A course whose attempt is completed is all the way.
"""

from __future__ import annotations

from packages.models import PackageVersion
from player import course_tree
from player.models import Attempt


def progress(attempt: Attempt, version: PackageVersion) -> float:
    """The share (0..1) of the version's launchable items the attempt has done."""
    if attempt.completion_status == "completed":
        return 1.0
    entries = version.launch
    if not entries:
        return 0.0
    states = {s.sco_id: s for s in attempt.scos}
    done = 0.0
    for entry in entries:
        state = states.get(entry["id"])
        if state is None:
            continue
        if state.completion_status == "completed" or state.success_status == "passed":
            done += 1
        elif not course_tree.has_api(entry) and version.kind in ("scorm12", "scorm2004"):
            done += 1  # an asset that has been opened
        else:
            done += _measure((state.cmi or {}).get("progress_measure"))
    return done / len(entries)


def _measure(value: object) -> float:
    """A SCO's reported progress measure, kept within 0..1 (0 when none or not a number)."""
    try:
        return min(max(float(str(value)), 0.0), 1.0)
    except ValueError:
        return 0.0
