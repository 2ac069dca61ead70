"""SCORM 2004 validation (player/cmi/scorm2004.py, validation.py)."""

from __future__ import annotations

from typing import Any

import pytest

from player.cmi import (
    SCORM2004,
    validate_cmi,
)
from tests.player.cmi.data import (
    codes,
)

# -- validation: SCORM 2004 -------------------------------------------------------------

V2004_OK: list[dict[str, Any]] = [
    {"completion_status": s} for s in ("completed", "incomplete", "not attempted", "unknown")
]
V2004_OK += [{"success_status": s} for s in ("passed", "failed", "unknown")]
V2004_OK += [{"exit": s} for s in ("time-out", "suspend", "logout", "normal", "")]
V2004_OK += [
    {"score": {"scaled": "-1", "raw": "-500", "min": "-1000", "max": "1000"}},
    {"score": {"scaled": "1"}},
    {"progress_measure": "0"},
    {"progress_measure": "1"},
    {"location": "x" * 1000},
    {"location": "x" * 5000},  # over the SPM, under the cap: stored
    {"suspend_data": "x" * 64000},
    {"session_time": "PT1H2M3.45S"},
    {"session_time": "P1DT2H"},
    {
        "learner_preference": {
            "audio_level": "0",
            "delivery_speed": "2.5",
            "audio_captioning": "-1",
            "language": "sv-SE",
        }
    },
    {
        "comments_from_learner": [
            {
                "comment": "{lang=sv}Bra",
                "location": "p1",
                "timestamp": "2026-11-26T10:00:00.5+01:00",
            }
        ]
    },
    {"comments_from_learner": [{"comment": "x", "timestamp": "2026"}]},
    {"comments_from_learner": [{"comment": "x", "timestamp": "2026-11-26T10"}]},
    {
        "objectives": [
            {"id": "urn:ADL:objective:1", "success_status": "passed", "score": {"scaled": "0.5"}}
        ]
    },
    {
        "objectives": [
            {
                "id": "",
                "success_status": "unknown",
                "completion_status": "unknown",
                "score": {"scaled": ""},
            }
        ]
    },
    {"interactions": [{"id": "q1", "type": "choice", "description": "x" * 400}]},  # Rise: over 250
    {
        "interactions": [{"id": "q1", "result": "0.5"}, {"id": "q1", "result": "-1"}]
    },  # ids may repeat
    {
        "interactions": [
            {"id": "q1", "timestamp": "2026-11-26T10:00:00Z", "latency": "PT5S", "weighting": "1"}
        ]
    },
    {"interactions": [{"id": "q1", "objectives": [{"id": "o1"}, {"id": "o2"}]}]},
]


@pytest.mark.parametrize("tree", V2004_OK)
def test_player_cmi_validate_2004_accepts(tree: dict[str, Any]) -> None:
    assert codes(SCORM2004, tree) == []


@pytest.mark.parametrize(
    ("tree", "path", "code"),
    [
        ({"completion_status": "done"}, "cmi.completion_status", 406),
        ({"success_status": "completed"}, "cmi.success_status", 406),
        ({"exit": "quit"}, "cmi.exit", 406),
        ({"score": {"scaled": "1.01"}}, "cmi.score.scaled", 407),
        ({"score": {"scaled": "-1.5"}}, "cmi.score.scaled", 407),
        ({"score": {"scaled": "high"}}, "cmi.score.scaled", 406),
        ({"score": {"raw": "1,5"}}, "cmi.score.raw", 406),
        ({"progress_measure": "1.1"}, "cmi.progress_measure", 407),
        ({"progress_measure": "-0.1"}, "cmi.progress_measure", 407),
        ({"session_time": "00:01:00"}, "cmi.session_time", 406),  # 1.2 notation in 2004
        ({"session_time": "PT"}, "cmi.session_time", 406),
        ({"session_time": "P1W"}, "cmi.session_time", 406),
        ({"learner_preference": {"audio_level": "-1"}}, "cmi.learner_preference.audio_level", 407),
        (
            {"learner_preference": {"delivery_speed": "fast"}},
            "cmi.learner_preference.delivery_speed",
            406,
        ),
        (
            {"learner_preference": {"audio_captioning": "2"}},
            "cmi.learner_preference.audio_captioning",
            406,
        ),
        ({"learner_preference": {"language": "sv_SE"}}, "cmi.learner_preference.language", 406),
        ({"suspend_data": "x" * (64 * 1024 + 1)}, "cmi.suspend_data", 406),
        (
            {"comments_from_learner": [{"comment": "{lang=s v}x"}]},
            "cmi.comments_from_learner.0.comment",
            406,
        ),
        (
            {"comments_from_learner": [{"timestamp": "2040-01-01"}]},
            "cmi.comments_from_learner.0.timestamp",
            406,
        ),
        (
            {"comments_from_learner": [{"timestamp": "2026-13-01"}]},
            "cmi.comments_from_learner.0.timestamp",
            406,
        ),
        (
            {"comments_from_learner": [{"timestamp": "26-11-2026"}]},
            "cmi.comments_from_learner.0.timestamp",
            406,
        ),
        (
            {"objectives": [{"id": "o1", "score": {"scaled": "2"}}]},
            "cmi.objectives.0.score.scaled",
            407,
        ),
        (
            {"objectives": [{"id": "o1", "success_status": "done"}]},
            "cmi.objectives.0.success_status",
            406,
        ),
        (
            {"objectives": [{"id": "o1", "progress_measure": "5"}]},
            "cmi.objectives.0.progress_measure",
            407,
        ),
        ({"objectives": [{"id": "o 1"}]}, "cmi.objectives.0.id", 406),  # long_identifier: no spaces
        ({"objectives": [{"id": "urn:"}]}, "cmi.objectives.0.id", 406),
        ({"objectives": [{"id": "urn:x"}]}, "cmi.objectives.0.id", 406),
        (
            {"objectives": [{"id": "o1"}, {"id": "o1"}]},
            "cmi.objectives.1.id",
            351,
        ),  # ids are unique
        (
            {"objectives": [{"id": "", "success_status": "passed"}]},
            "cmi.objectives.0.success_status",
            408,
        ),
        ({"objectives": [{"score": {"raw": "5"}}]}, "cmi.objectives.0.score", 408),
        ({"objectives": [{"id": "o1"}, None]}, "cmi.objectives.1", 351),  # created out of order
        ({"interactions": [{"type": "choice"}]}, "cmi.interactions.0.type", 408),  # type before id
        (
            {"interactions": [{"id": "q1", "learner_response": "a"}]},
            "cmi.interactions.0.learner_response",
            408,
        ),
        (
            {"interactions": [{"id": "q1", "correct_responses": [{"pattern": "a"}]}]},
            "cmi.interactions.0.correct_responses",
            408,
        ),
        (
            {"interactions": [{"id": "q1", "result": "wrong"}]},
            "cmi.interactions.0.result",
            406,
        ),  # 1.2 word
        ({"interactions": [{"id": "q1", "type": "essay"}]}, "cmi.interactions.0.type", 406),
        (
            {"interactions": [{"id": "q1", "latency": "0000:00:05"}]},
            "cmi.interactions.0.latency",
            406,
        ),
        (
            {"interactions": [{"id": "q1", "timestamp": "10:00:00"}]},
            "cmi.interactions.0.timestamp",
            406,
        ),
        ({"interactions": [{"id": "q1", "weighting": "x"}]}, "cmi.interactions.0.weighting", 406),
        ({"interactions": [{"id": "q 1"}]}, "cmi.interactions.0.id", 406),
        (
            {"interactions": [{"id": "q1", "objectives": [{"id": "o1"}, {"id": "o1"}]}]},
            "cmi.interactions.0.objectives.1.id",
            351,
        ),
        ({"interactions": [{"id": "q1"}, None]}, "cmi.interactions.1", 351),
        (
            {"interactions": [{"id": "q1", "description": "{lang=}x"}]},
            "cmi.interactions.0.description",
            406,
        ),
        ({"learner_id": "u1", "student_id": "u1"}, "cmi.student_id", 401),
        ({"learner_preference": "loud"}, "cmi.learner_preference", 406),
        ({"score": ["0.5"]}, "cmi.score", 406),
        ({"objectives": {"id": "o1"}}, "cmi.objectives", 406),
        ({"core": {"exit": "suspend"}}, "cmi.core", 401),  # a 1.2 tree in a 2004 attempt
        (
            {"interactions": [{"id": "q1", "student_response": "a"}]},
            "cmi.interactions.0.student_response",
            401,
        ),
    ],
)
def test_player_cmi_validate_2004_rejects(tree: dict[str, Any], path: str, code: int) -> None:
    assert (path, code) in codes(SCORM2004, tree)


# 2004 RTE §4.2.9.2 learner_response formats and §4.2.9.1 correct_responses patterns.
RESPONSES_OK = [
    ("true-false", "true"),
    ("true-false", "false"),
    ("choice", "a"),
    ("choice", "a[,]b[,]c"),
    ("choice", ""),
    ("choice", "urn:x:a[,]b"),
    ("fill-in", "Stockholm"),
    ("fill-in", "{lang=sv}hej[,]{lang=en}hi"),
    ("fill-in", "two words"),
    ("long-fill-in", "{lang=sv-SE}En lång text, med komma."),
    ("matching", "a[.]1[,]b[.]2"),
    ("performance", "s1[.]answer one[,]s2[.]5"),
    ("performance", "[.]anonymous step"),
    ("sequencing", "c[,]a[,]b"),
    ("likert", "agree"),
    ("numeric", "3.14"),
    ("numeric", "-2"),
    ("other", "anything at all [,] [.]"),
]
RESPONSES_BAD = [
    ("true-false", "t"),
    ("true-false", "1"),
    ("choice", "a[,]a"),
    ("choice", "a b"),
    ("choice", "[,]".join(str(i) for i in range(37))),
    ("fill-in", "{lang=x y}hej"),
    ("matching", "a1[,]b2"),
    ("matching", "a[.]1[,]b"),
    ("matching", "a [.]1"),
    ("performance", "no step separator"),
    ("sequencing", "a[,]b c"),
    ("likert", "strongly agree"),
    ("numeric", "three"),
    ("numeric", "1[:]5"),  # a range is a correct pattern, not a response
]


@pytest.mark.parametrize(("kind", "response"), RESPONSES_OK)
def test_player_cmi_validate_2004_learner_response_ok(kind: str, response: str) -> None:
    tree = {"interactions": [{"id": "q1", "type": kind, "learner_response": response}]}
    assert codes(SCORM2004, tree) == []


@pytest.mark.parametrize(("kind", "response"), RESPONSES_BAD)
def test_player_cmi_validate_2004_learner_response_bad(kind: str, response: str) -> None:
    tree = {"interactions": [{"id": "q1", "type": kind, "learner_response": response}]}
    assert codes(SCORM2004, tree) == [("cmi.interactions.0.learner_response", 406)]


@pytest.mark.parametrize(
    ("kind", "patterns", "problems"),
    [
        ("numeric", ["1[:]5"], []),
        ("numeric", ["[:]5"], []),
        ("numeric", ["1[:]"], []),
        ("numeric", ["7"], []),
        ("numeric", ["5[:]1"], [("cmi.interactions.0.correct_responses.0.pattern", 406)]),
        ("numeric", ["[:]"], [("cmi.interactions.0.correct_responses.0.pattern", 406)]),
        ("fill-in", ["{case_matters=true}{order_matters=false}a[,]b"], []),
        ("sequencing", ["{order_matters=false}a[,]b"], []),
        ("choice", ["a[,]b", "c"], []),
        ("choice", ["a", "a"], [("cmi.interactions.0.correct_responses.1.pattern", 351)]),
        ("true-false", ["true", "false"], [("cmi.interactions.0.correct_responses", 351)]),
        ("likert", ["a", "b"], [("cmi.interactions.0.correct_responses", 351)]),
        ("true-false", ["yes"], [("cmi.interactions.0.correct_responses.0.pattern", 406)]),
    ],
)
def test_player_cmi_validate_2004_correct_responses(
    kind: str, patterns: list[str], problems: list[tuple[str, int]]
) -> None:
    tree = {
        "interactions": [
            {"id": "q1", "type": kind, "correct_responses": [{"pattern": p} for p in patterns]}
        ]
    }
    assert codes(SCORM2004, tree) == problems


def test_player_cmi_validate_unknown_version() -> None:
    with pytest.raises(ValueError, match="unknown SCORM version"):
        validate_cmi("1.3", {})


def test_player_cmi_problem_carries_message() -> None:
    (problem,) = validate_cmi(SCORM2004, {"interactions": [{"id": "q1", "result": "wrong"}]})
    assert "incorrect" in problem.message
