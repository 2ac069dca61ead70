"""SCORM 2004 sequencing and navigation (and SCORM 1.2 navigation) as a pure module.

No Flask here (STYLE.md habit 24): the player's service stores ``SequencingState.to_json()``
with the attempt and rebuilds a ``Sequencer`` for each request.

    tree = build_tree(parsed.structure, kind=parsed.kind)
    seq = Sequencer(tree, SequencingState.from_json(stored))
    result = seq.launch()                   # resumeAll / start / first choice (SN §2.2)
    result = seq.navigate("continue")       # NavResult: activity/href, ended, or exception
    seq.report(result.activity, cmi)        # after each commit of the SCO
    seq.valid_requests()                    # adl.nav.request_valid.* and the TOC
    seq.course_status()                     # CourseStatus("completed", "passed", 0.85)
    seq.runtime_objectives(sco_id)          # initial cmi.objectives (RTE §4.2.17)
    stored = seq.state.to_json()
    fresh = seq.state.next_attempt(tree.objectives_global_to_system)

A request that is refused (``NavResult.exception``) leaves the state unchanged.

Not implemented: time-based limit conditions (attemptAbsoluteDurationLimit,
activityAbsoluteDurationLimit, begin/end time limits; ``timeLimitExceeded`` and
``outsideAvailableTimeRange`` are false; the SCO enforces ``cmi.max_time_allowed``),
raw/min/max score mapInfo of 4th-ed. ``adlseq:mapInfo``, shared data (``adl.data``), and
sharing global objectives across courses (``state.globals`` is per attempt; carry it with
``next_attempt``).

Reference: SCORM 2004 4th Edition Sequencing and Navigation (SN) book v1.1 (ADL, 2009),
https://adlnet.gov/projects/scorm/ ; section and pseudo-code process ids are cited in
each module.
"""

from player.sequencing.build import build_tree
from player.sequencing.model import Activity, ActivityTree
from player.sequencing.sequencer import (
    EXCEPTIONS,
    NAV_REQUESTS,
    CourseStatus,
    NavResult,
    Sequencer,
    SequencingError,
)
from player.sequencing.state import ActivityState, ObjectiveState, SequencingState

__all__ = [
    "EXCEPTIONS",
    "NAV_REQUESTS",
    "Activity",
    "ActivityState",
    "ActivityTree",
    "CourseStatus",
    "NavResult",
    "ObjectiveState",
    "Sequencer",
    "SequencingError",
    "SequencingState",
    "build_tree",
]
