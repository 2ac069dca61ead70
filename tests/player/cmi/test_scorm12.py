"""SCORM 1.2 validation (player/cmi/scorm12.py, validation.py)."""

from __future__ import annotations

from typing import Any

import pytest

from player.cmi import (
    SCORM12,
    SCORM2004,
    normalise_commit,
)
from tests.player.cmi.data import (
    codes,
)

# -- validation: SCORM 1.2 (SCORM_CHECKS §3.1 codes, §3.2 types and ranges) ----------------


V12_OK: list[dict[str, Any]] = [
    {"core": {"lesson_location": "x" * 255}},
    {"core": {"score": {"raw": "0", "min": "0", "max": "100"}}},
    {"core": {"score": {"raw": "100"}}},
    {"core": {"score": {"raw": "55.5"}}},
    {"core": {"score": {"raw": ""}}},
    {"core": {"session_time": "0000:00:00"}},
    {"core": {"session_time": "12:34:56.78"}},
    {"suspend_data": "x" * 4096},
    {"suspend_data": "x" * 64 * 1024},  # Storyline beyond the 4096 SPM: stored
    {"comments": "x" * 5000},
    {"student_preference": {"audio": "-1", "speed": "-100", "text": "-1"}},
    {"student_preference": {"audio": "100", "speed": "100", "text": "1"}},
    {
        "interactions": [
            {"id": "q 1", "time": "23:59:59.5", "latency": "0000:00:05.25", "weighting": "2"}
        ]
    },
    {"objectives": [{"id": "o1", "status": "passed", "score": {"raw": "10"}}]},
]
V12_OK += [
    {"core": {"lesson_status": status}}
    for status in ("passed", "completed", "failed", "incomplete", "browsed", "not attempted")
]
V12_OK += [{"core": {"exit": value}} for value in ("time-out", "suspend", "logout", "")]
V12_OK += [
    {"interactions": [{"id": "q1", "result": result}]}
    for result in ("correct", "wrong", "unanticipated", "neutral", "0.5", "-3")
]
V12_OK += [
    {"interactions": [{"id": "q1", "type": kind}]}
    for kind in (
        "true-false",
        "choice",
        "fill-in",
        "matching",
        "performance",
        "sequencing",
        "likert",
        "numeric",
    )
]


@pytest.mark.parametrize("tree", V12_OK)
def test_player_cmi_validate_12_accepts(tree: dict[str, Any]) -> None:
    assert codes(SCORM12, tree) == []


@pytest.mark.parametrize(
    ("tree", "path", "code"),
    [
        (
            {"core": {"score": {"raw": "101"}}},
            "cmi.core.score.raw",
            405,
        ),  # out of range is 405 in 1.2
        ({"core": {"score": {"raw": "-1"}}}, "cmi.core.score.raw", 405),
        ({"core": {"score": {"min": "abc"}}}, "cmi.core.score.min", 405),
        ({"core": {"score": {"max": "1e3"}}}, "cmi.core.score.max", 405),
        ({"core": {"lesson_status": "done"}}, "cmi.core.lesson_status", 405),
        ({"core": {"lesson_status": "unknown"}}, "cmi.core.lesson_status", 405),
        ({"core": {"exit": "normal"}}, "cmi.core.exit", 405),  # 2004 only
        ({"core": {"session_time": "PT1M"}}, "cmi.core.session_time", 405),
        ({"core": {"session_time": "1:00:00"}}, "cmi.core.session_time", 405),
        ({"core": {"session_time": "00:00:00.123"}}, "cmi.core.session_time", 405),
        ({"core": {"lesson_mode": "preview"}}, "cmi.core.lesson_mode", 405),
        ({"core": {"credit": "yes"}}, "cmi.core.credit", 405),
        ({"core": {"entry": "again"}}, "cmi.core.entry", 405),
        ({"core": {"lesson_location": "x" * 70000}}, "cmi.core.lesson_location", 405),
        ({"suspend_data": "x" * (64 * 1024 + 1)}, "cmi.suspend_data", 405),  # over the hard cap
        ({"suspend_data": 12.5j}, "cmi.suspend_data", 405),
        ({"student_preference": {"audio": "101"}}, "cmi.student_preference.audio", 405),
        ({"student_preference": {"audio": "-2"}}, "cmi.student_preference.audio", 405),
        ({"student_preference": {"speed": "-101"}}, "cmi.student_preference.speed", 405),
        ({"student_preference": {"text": "2"}}, "cmi.student_preference.text", 405),
        ({"student_preference": {"text": "0.5"}}, "cmi.student_preference.text", 405),
        ({"student_data": {"mastery_score": "150"}}, "cmi.student_data.mastery_score", 405),
        ({"interactions": [{"id": "q1", "result": "incorrect"}]}, "cmi.interactions.0.result", 405),
        ({"interactions": [{"id": "q1", "type": "long-fill-in"}]}, "cmi.interactions.0.type", 405),
        ({"interactions": [{"id": "q1", "time": "25:00:00"}]}, "cmi.interactions.0.time", 405),
        ({"interactions": [{"id": "q1", "latency": "PT5S"}]}, "cmi.interactions.0.latency", 405),
        (
            {"interactions": [{"id": "q1", "weighting": "heavy"}]},
            "cmi.interactions.0.weighting",
            405,
        ),
        ({"interactions": [{"id": "", "result": "correct"}]}, "cmi.interactions.0.id", 405),
        ({"interactions": [{"id": "q\x01"}]}, "cmi.interactions.0.id", 405),
        ({"interactions": [{"id": "q1"}, None, {"id": "q3"}]}, "cmi.interactions.1", 201),
        ({"interactions": {"0": {"id": "q1"}, "2": {"id": "q3"}}}, "cmi.interactions.1", 201),
        ({"objectives": [{"id": "o1", "status": "unknown"}]}, "cmi.objectives.0.status", 405),
        ({"core": {"student_grade": "A"}}, "cmi.core.student_grade", 401),
        ({"core": "suspend"}, "cmi.core", 405),
        ({"student_preference": ["x"]}, "cmi.student_preference", 405),
        ({"core": {"score": "80"}}, "cmi.core.score", 405),
        ({"interactions": "q1"}, "cmi.interactions", 405),
        ({"interactions": [{"id": "q1"}, "q2"]}, "cmi.interactions.1", 405),
        ({"learner_id": "u1"}, "cmi.learner_id", 401),  # a 2004 element in a 1.2 tree
        (
            {"interactions": [{"id": "q1", "learner_response": "a"}]},
            "cmi.interactions.0.learner_response",
            401,
        ),
    ],
)
def test_player_cmi_validate_12_rejects(tree: dict[str, Any], path: str, code: int) -> None:
    assert (path, code) in codes(SCORM12, tree)


def test_player_cmi_validate_12_array_cap() -> None:
    tree = {"interactions": [{"id": f"q{i}"} for i in range(11)]}
    assert codes(SCORM12, tree, array_cap=10) == [("cmi.interactions", 201)]


def test_player_cmi_validate_text_cap_configurable() -> None:
    assert codes(SCORM12, {"suspend_data": "x" * 5000}, text_cap=4096) == [
        ("cmi.suspend_data", 405)
    ]
    assert codes(SCORM12, {"suspend_data": "x" * 200_000}, text_cap=256 * 1024) == []
    # The cap never goes below the SPM: 2004 suspend_data keeps its 64000.
    assert codes(SCORM2004, {"suspend_data": "x" * 64000}, text_cap=4096) == []


@pytest.mark.parametrize(
    ("version", "tree"),
    [
        (SCORM12, {"core": {"student_id": "åsa.öberg@kommun.se", "student_name": "Öberg, Åsa"}}),
        (SCORM2004, {"learner_id": "åsa öberg", "learner_name": "Åsa Öberg"}),
    ],
)
def test_player_cmi_validate_learner_values_from_lms_any_string(
    version: str, tree: dict[str, Any]
) -> None:
    assert codes(version, tree) == []


def test_player_cmi_validate_keywords_ignored() -> None:
    tree = {"_version": "3.4", "interactions": {"_count": "0"}, "core": {"_children": "x"}}
    assert codes(SCORM12, normalise_commit(tree)) == []
