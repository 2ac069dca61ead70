"""Captured scorm-again commits and the trees the LMS sent, shared by the CMI tests."""

from __future__ import annotations

import copy
from typing import Any

from player.cmi import (
    SCORM12,
    SCORM2004,
    initial_cmi,
    normalise_commit,
    validate_cmi,
)

# Commit bodies captured from scorm-again 3.4.3 (dataCommitFormat "json", terminate
# commit) after loading initial_cmi() output and making the SetValue calls noted.
ITEM_12: dict[str, Any] = {
    "identifier": "item_1",
    "masteryscore": 70.0,
    "datafromlms": "abc",
    "timelimitaction": "exit,message",
    "maxtimeallowed": "00:30:00",
}
ITEM_2004: dict[str, Any] = {
    "identifier": "item_1",
    "datafromlms": "rise=1",
    "timelimitaction": "exit,no message",
    "completion_threshold": {"completedByMeasure": True, "minProgressMeasure": 0.8},
    "sequencing": {
        "limitConditions": {"attemptAbsoluteDurationLimit": "PT1H"},
        "objectives": {
            "primaryObjective": {
                "objectiveID": "prim",
                "satisfiedByMeasure": True,
                "minNormalizedMeasure": {"value": 0.7},
            },
            "objective": [{"objectiveID": "obj2"}],
        },
    },
}
COMMIT_12: dict[str, Any] = {
    "cmi": {
        "suspend_data": "x" * 5000,  # over the 4096 SPM: scorm-again accepts it, so do we
        "launch_data": "abc",
        "comments": "",
        "comments_from_lms": "",
        "core": {
            "student_id": "u1",
            "student_name": "Doe, Jane",
            "lesson_location": "p3",
            "credit": "credit",
            "lesson_status": "not attempted",
            "entry": "ab-initio",
            "lesson_mode": "normal",
            "exit": "suspend",
            "session_time": "00:01:00",
            "score": {"raw": "80", "min": "", "max": "100"},
            "total_time": "00:01:00",  # scorm-again's own running total
        },
        "objectives": {
            "0": {"id": "o1", "status": "", "score": {"raw": "", "min": "", "max": "100"}}
        },
        "student_data": {
            "mastery_score": "70",
            "max_time_allowed": "00:30:00",
            "time_limit_action": "exit,message",
        },
        "student_preference": {"audio": "", "language": "", "speed": "", "text": ""},
        "interactions": {
            "0": {
                "id": "q1",
                "time": "10:11:12",
                "type": "choice",
                "weighting": "",
                "student_response": "a,b",
                "result": "wrong",
                "latency": "00:00:05.5",
                "objectives": {},
                "correct_responses": {"0": {"pattern": "a"}},
            }
        },
    }
}
COMMIT_2004: dict[str, Any] = {
    "cmi": {
        "comments_from_learner": {
            "0": {"comment": "{lang=sv}Bra", "location": "", "timestamp": ""}
        },
        "comments_from_lms": {},
        "completion_status": "incomplete",
        "completion_threshold": "0.8",
        "credit": "credit",
        "entry": "ab-initio",
        "exit": "suspend",
        "interactions": {
            "0": {
                "id": "q1",
                "type": "choice",
                "objectives": {},
                "timestamp": "",
                "weighting": "",
                "learner_response": "a[,]b",
                "result": "incorrect",
                "latency": "PT5S",
                "description": "Pick one",
                "correct_responses": {"0": {"pattern": "a"}},
            },
            "1": {
                "id": "urn:x:q2",
                "type": "fill-in",
                "objectives": {},
                "timestamp": "",
                "weighting": "",
                "learner_response": "Stockholm",
                "result": "correct",
                "latency": "",
                "description": "",
                "correct_responses": {"0": {"pattern": "{case_matters=false}stockholm"}},
            },
        },
        "launch_data": "rise=1",
        "learner_id": "u1",
        "learner_name": "Jane Doe",
        "learner_preference": {
            "audio_level": "1",
            "language": "",
            "delivery_speed": "1",
            "audio_captioning": "0",
        },
        "location": "p3",
        "max_time_allowed": "PT1H",
        "mode": "normal",
        "objectives": {
            "0": {
                "id": "prim",
                "success_status": "passed",
                "completion_status": "unknown",
                "progress_measure": "",
                "description": "",
                "score": {"scaled": "0.9", "raw": "", "min": "", "max": ""},
            },
            "1": {
                "id": "obj2",
                "success_status": "unknown",
                "completion_status": "unknown",
                "progress_measure": "",
                "description": "",
                "score": {"scaled": "", "raw": "", "min": "", "max": ""},
            },
        },
        "progress_measure": "0.5",
        "scaled_passing_score": "0.7",
        "score": {"scaled": "0.9", "raw": "90", "min": "", "max": ""},
        "session_time": "PT1M30.5S",
        "success_status": "passed",
        "suspend_data": "",
        "time_limit_action": "exit,no message",
        "total_time": "PT1M30.5S",
    }
}


def sent_12() -> dict[str, Any]:
    return initial_cmi(
        SCORM12,
        learner_id="u1",
        learner_name="Doe, Jane",
        item=ITEM_12,
        entry="ab-initio",
        previous=None,
    )


def sent_2004() -> dict[str, Any]:
    return initial_cmi(
        SCORM2004,
        learner_id="u1",
        learner_name="Jane Doe",
        item=ITEM_2004,
        entry="ab-initio",
        previous=None,
    )


def commit(version: str) -> dict[str, Any]:
    return normalise_commit(copy.deepcopy(COMMIT_12 if version == SCORM12 else COMMIT_2004))


def codes(version: str, tree: dict[str, Any], **kwargs: Any) -> list[tuple[str, int]]:
    return [(p.path, p.code) for p in validate_cmi(version, tree, **kwargs)]
