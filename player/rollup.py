"""An attempt's tracking: its sequencer, and the rollup of SCO/AU status into the attempt.

The sequencer (player.sequencing) holds a SCORM attempt's tracking model; its state is
stored with the attempt (``Attempt.sequencing``). Rollup gives the attempt the course's
status and records the course's result (player.outcome).
"""

from __future__ import annotations

from typing import Any

from flask import g

from core.db import db
from packages.models import PackageVersion
from player import attempts, cmi5, course_tree, outcome
from player.models import Attempt
from player.sequencing import Sequencer, SequencingState


def sequencer_for(attempt: Attempt, version: PackageVersion) -> Sequencer | None:
    """The sequencer of a SCORM attempt (2004 sequencing; 1.2 LMS navigation), per request.

    None for cmi5 and xAPI courses. Its state lives in ``Attempt.sequencing``;
    ``save_sequencer`` writes it back.
    """
    if version.kind not in ("scorm12", "scorm2004"):
        return None
    cache: dict[int, Sequencer] = g.setdefault("player_sequencers", {})
    if attempt.id not in cache:
        cache[attempt.id] = Sequencer(
            course_tree.activity_tree(version), SequencingState.from_json(attempt.sequencing)
        )
    return cache[attempt.id]


def save_sequencer(attempt: Attempt, sequencer: Sequencer) -> None:
    """Store the sequencing state with the attempt."""
    attempt.sequencing = sequencer.state.to_json()


def report_to_sequencer(
    attempt: Attempt, version: PackageVersion, sco_id: str, tree: dict[str, Any]
) -> None:
    """Fold a SCO's committed data into the tracking model and roll up (SN §4.2, §4.6)."""
    sequencer = sequencer_for(attempt, version)
    if sequencer is None or sco_id not in sequencer.tree:
        return
    sequencer.report(sco_id, {"cmi": tree})
    save_sequencer(attempt, sequencer)


def rollup(attempt: Attempt, version: PackageVersion) -> None:
    """Roll SCO/AU status up into the attempt, and record the course's result.

    SCORM 2004 sequencing rollup where it applies, the course's ``satisfied`` for cmi5
    (cmi5 §9.3.9), else every SCO/activity (simple_rollup). A SCORM or xAPI course that
    becomes completed, passed or failed gets its result written (player/outcome.py;
    cmi5 writes it with the course's ``satisfied``).
    """
    if attempts.in_review(attempt):
        return
    before = (attempt.completion_status, attempt.success_status)
    simple_rollup(attempt, version)
    if version.kind == "cmi5":
        cmi5.course_rollup(attempt, version)
        return
    sequencer = sequencer_for(attempt, version)
    if sequencer is not None and version.kind == "scorm2004" and not sequencer.tree.simple:
        # Rollup rules decide the course status (SN §4.6); the simple mean stays for score.
        completion, success, measure = sequencer.course_status()
        attempt.completion_status = completion
        attempt.success_status = success
        if measure is not None:
            attempt.score_scaled = measure
    outcome.record_rollup(attempt, version, before)


def simple_rollup(attempt: Attempt, version: PackageVersion) -> None:
    """Course status from the SCOs when no sequencing applies.

    Completed when every SCO (or AU) is completed or passed; failed when any failed,
    passed when every one with a success status passed; the score is the mean scaled
    score of the scored SCOs (the SCORM 2004 default rollup, SN Book §4.6, reduced to
    "all children count").
    """
    entries = [
        e for e in version.launch if course_tree.has_api(e) or version.kind in ("cmi5", "xapi")
    ]
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
    attempt.updated_at = attempts.now()


def waive_au(attempt: Attempt, au_id: str, reason: str) -> None:
    """Waive one AU of a cmi5 attempt for the learner (player.cmi5.waive_au), then roll up."""
    cmi5.waive_au(attempt, au_id, reason)
    rollup(attempt, attempts.version_of(attempt))
    db.session.flush()
