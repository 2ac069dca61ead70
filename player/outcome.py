"""A course's result, as the LMS records it: one statement about the whole course.

My learning and the reports count a course by what the LMS says about the catalogue
course (``{AGENT_HOMEPAGE}/courses/<id>``, type course, in the attempt's registration;
portal/projection.py), never by the statements of its SCOs or AUs, which are its parts:
a multi-SCO course is not completed by its first SCO, nor a cmi5 course by its first AU.

- SCORM 1.2 and 2004 (one SCO or many) and xAPI packages: when the attempt's rolled-up
  status (``player.rollup.rollup``: the sequencer's rollup under SCORM 2004 sequencing,
  SN §4.6; otherwise every SCO or activity) becomes completed, passed or failed, the
  LMS writes ``completed``, ``passed`` or ``failed`` with the attempt's score.
- cmi5: when the course is satisfied (cmi5 §9.3.9: the moveOn criteria of every AU are
  met, through its blocks), the LMS writes ``completed``, and also ``passed`` when an
  AU of the course had to be passed (moveOn Passed or CompletedAndPassed). A cmi5
  course is never failed: its AUs may be tried again in the registration (§9.3).
  cmi5's own ``satisfied`` cannot carry the result (§9.5: no score, success or
  completion in it), so this statement is a cmi5 "allowed" one beside it (§7.1.3: the
  cmi5 context without the cmi5 category).

The score of a course (``result.score.scaled``, what My learning shows):

- SCORM and xAPI: the attempt's score, the root activity's measure under SCORM 2004
  sequencing rollup, otherwise the mean scaled score of the SCOs (activities) that
  reported one;
- cmi5 (``cmi5_score``): the mean of the latest scaled score of each assessed AU that
  reported one (an AU is assessed when its moveOn is Passed or CompletedAndPassed or it
  has a masteryScore; scores come with passed and failed only, §9.5.1); in a course
  with no assessed AU, the mean over every AU that reported a score; none otherwise.
"""

from __future__ import annotations

import uuid
from typing import Any

from core import vocabulary
from lrs import clock
from packages.models import PackageVersion
from player import course_tree, lms
from player.models import Attempt

FINAL_SUCCESS = ("passed", "failed")
# cmi5 §13.1.4 moveOn values that need a pass.
MUST_PASS = ("Passed", "CompletedAndPassed")


def _statement(
    attempt: Attempt,
    version: PackageVersion,
    verb: str,
    result: dict[str, Any],
    context: dict[str, Any],
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": lms.learner_agent(attempt),
        "verb": vocabulary.verb(verb),
        "object": {
            "objectType": "Activity",
            "id": course_tree.catalogue_activity_id(version.course_id),
            "definition": vocabulary.course_definition(course_tree.course_title(version)),
        },
        "result": result,
        "context": context,
        "timestamp": clock.format_timestamp(clock.utc_now()),
    }


def _result(completed: bool, success: str, score: float | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if completed:
        result["completion"] = True
    if success in FINAL_SUCCESS:
        result["success"] = success == "passed"
    if score is not None and -1 <= score <= 1:
        result["score"] = {"scaled": score}
    return result


def record_rollup(attempt: Attempt, version: PackageVersion, before: tuple[str, str]) -> None:
    """Write the course's result when the rollup made it completed, passed or failed.

    ``before``: the attempt's (completion, success) before this rollup. Each change to
    a final status is written once; reports keep one row per registration and verb.
    """
    completion, success = attempt.completion_status, attempt.success_status
    verbs = []
    if completion == "completed" and before[0] != "completed":
        verbs.append("completed")
    if success in FINAL_SUCCESS and success != before[1]:
        verbs.append(success)
    if not verbs:
        return
    context = {"registration": attempt.registration}
    result = _result(completion == "completed", success, attempt.score_scaled)
    lms.store_statements([_statement(attempt, version, verb, result, context) for verb in verbs])


def _aus(version: PackageVersion) -> list[dict[str, Any]]:
    return [node.data for node in course_tree.nodes(version) if node.launchable]


def must_pass(version: PackageVersion) -> bool:
    """Whether the cmi5 course has an AU that has to be passed (moveOn, cmi5 §13.1.4)."""
    return any(str(au.get("moveOn")) in MUST_PASS for au in _aus(version))


def cmi5_score(attempt: Attempt, version: PackageVersion) -> float | None:
    """The score of a cmi5 course (the module docstring says which AUs count)."""
    scores = {s.sco_id: s.score_scaled for s in attempt.scos if s.score_scaled is not None}
    aus = _aus(version)
    assessed = [
        au["id"]
        for au in aus
        if str(au.get("moveOn")) in MUST_PASS or au.get("masteryScore") is not None
    ]
    counted = [scores[a] for a in (assessed or [au["id"] for au in aus]) if a in scores]
    return sum(counted) / len(counted) if counted else None


def cmi5_course_statements(
    attempt: Attempt, version: PackageVersion, context: dict[str, Any]
) -> list[dict[str, Any]]:
    """The course's result when a cmi5 course has just been satisfied (see above).

    ``context``: the cmi5 context of the ``satisfied`` statement it goes with (its
    session, registration and grouping), written without the cmi5 category.
    """
    allowed = {
        **context,
        "contextActivities": {
            k: v for k, v in (context.get("contextActivities") or {}).items() if k != "category"
        },
    }
    success = "passed" if must_pass(version) else "unknown"
    result = _result(True, success, cmi5_score(attempt, version))
    verbs = ["completed"] + (["passed"] if success == "passed" else [])
    return [_statement(attempt, version, verb, result, allowed) for verb in verbs]
