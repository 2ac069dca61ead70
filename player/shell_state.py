"""What the player page shows beside the content: the contents' state and the buttons.

Every answer of the runtime API that changes what the learner may do carries both: the
table of contents (completed, disabled) and which navigation requests are valid.
"""

from __future__ import annotations

import json
import random
from typing import Any

from flask import g

from packages.models import PackageVersion
from player import course_tree, rollup
from player.models import Attempt
from player.sequencing import Sequencer, SequencingState


def toc_state(attempt: Attempt, version: PackageVersion) -> dict[str, dict[str, Any]]:
    """Per TOC entry: completed / disabled flags for the shell."""
    sequencer = rollup.sequencer_for(attempt, version)
    if sequencer is not None:
        return {
            row["id"]: {
                "completed": bool(row["completion"]) or row["success"] is True,
                "disabled": not row["enabled"],
            }
            for row in _valid(sequencer)["toc"]
        }
    by_id = {s.sco_id: s for s in attempt.scos}
    result: dict[str, dict[str, Any]] = {}
    for node in course_tree.nodes(version):
        state = by_id.get(node.id)
        result[node.id] = {
            "completed": bool(state and state.completion_status in ("completed", "passed")),
            "disabled": False,
        }
    return result


def valid_requests(attempt: Attempt, version: PackageVersion) -> dict[str, Any]:
    """What the learner's navigation may do now.

    ``continue``/``previous``: the requests' validity for ``adl.nav.request_valid``
    (RTE §4.4.3), as the SN defines it; ``offer``: whether the player's Next/Previous
    buttons lead to a SCO/AU, the course's own navigation and no more: none in a
    one-SCO course, no Next from the last; ``hide``: adlnav:hideLMSUI of the current
    activity (CAM §5.1.x, "presentation").
    """
    if attempt.ended_at is not None:
        return {"continue": False, "previous": False, "offer": offer(False, False)}
    sequencer = rollup.sequencer_for(attempt, version)
    if sequencer is not None:
        valid = _valid(sequencer)
        return {
            "continue": bool(valid["continue"]),
            "previous": bool(valid["previous"]),
            "offer": offer(valid["delivers"]["continue"], valid["delivers"]["previous"]),
            "hide": list(valid.get("hide_lms_ui") or []),
        }
    order = course_tree.order(version)
    current = attempt.current_sco
    if current not in order:
        first = bool(order) and len(order) > 1
        return {"continue": bool(order), "previous": False, "offer": offer(first, False)}
    index = order.index(current)
    later, earlier = index < len(order) - 1, index > 0
    return {"continue": later, "previous": earlier, "offer": offer(later, earlier)}


def offer(continue_: bool, previous: bool) -> dict[str, bool]:
    """Whether the player offers its Next and Previous buttons."""
    return {"continue": continue_, "previous": previous}


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
