"""The tree handed to a SCO at launch (player/cmi/launch.py)."""

from __future__ import annotations

from typing import Any

import pytest

from player.cmi import (
    SCORM12,
    SCORM2004,
    initial_cmi,
)

# -- initial values from the manifest (SCORM_CHECKS §3.4 "Initial values") --------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"completedByMeasure": True, "minProgressMeasure": 0.75}, "0.75"),
        ({"completedByMeasure": True}, "1"),  # 4th ed default minProgressMeasure
        ({"completedByMeasure": False, "minProgressMeasure": 0.75}, None),
        ({"progressWeight": 0.5}, None),  # golf 4th ed: weight only
        ({"value": "0.6"}, "0.6"),  # 3rd edition: the element's text
    ],
)
def test_player_cmi_initial_completion_threshold(
    data: dict[str, Any], expected: str | None
) -> None:
    tree = initial_cmi(
        SCORM2004,
        learner_id="u",
        learner_name="n",
        item={"completion_threshold": data},
        entry="ab-initio",
        previous=None,
    )
    assert tree.get("completion_threshold") == expected


@pytest.mark.parametrize(
    ("primary", "expected"),
    [
        (
            {
                "objectiveID": "p",
                "satisfiedByMeasure": True,
                "minNormalizedMeasure": {"value": 0.6},
            },
            "0.6",
        ),
        (
            {
                "objectiveID": "p",
                "satisfiedByMeasure": True,
                "minNormalizedMeasure": {"value": -0.5},
            },
            "-0.5",
        ),
        ({"objectiveID": "p", "satisfiedByMeasure": True}, "1"),  # no value: 1.0
        ({"objectiveID": "p", "minNormalizedMeasure": {"value": 0.6}}, None),  # not by measure
        ({}, None),
    ],
)
def test_player_cmi_initial_scaled_passing_score(
    primary: dict[str, Any], expected: str | None
) -> None:
    item = {"sequencing": {"objectives": {"primaryObjective": primary}}}
    tree = initial_cmi(
        SCORM2004, learner_id="u", learner_name="n", item=item, entry="ab-initio", previous=None
    )
    assert tree.get("scaled_passing_score") == expected


def test_player_cmi_initial_objectives_from_sequencing_collection() -> None:
    collection = {
        "rules": {
            "ID": "rules",
            "objectives": {
                "primaryObjective": {"objectiveID": "shared"},
                "objective": [{"objectiveID": "o2"}],
            },
            "limitConditions": {"attemptAbsoluteDurationLimit": "PT30M"},
        }
    }
    item = {
        "sequencing": {"IDRef": "rules", "objectives": {"primaryObjective": {"objectiveID": "own"}}}
    }
    tree = initial_cmi(
        SCORM2004,
        learner_id="u",
        learner_name="n",
        item=item,
        entry="ab-initio",
        previous=None,
        sequencing_collection=collection,
    )
    assert tree["objectives"] == [{"id": "own"}]  # the item's own objectives win
    assert tree["max_time_allowed"] == "PT30M"


def test_player_cmi_initial_resume_merges_objectives() -> None:
    item = {
        "sequencing": {
            "objectives": {
                "primaryObjective": {"objectiveID": "p"},
                "objective": [{"objectiveID": "o2"}],
            }
        }
    }
    previous = {
        "objectives": [
            {"id": "p", "success_status": "passed", "score": {"scaled": "0.9", "raw": ""}}
        ]
    }
    tree = initial_cmi(
        SCORM2004, learner_id="u", learner_name="n", item=item, entry="resume", previous=previous
    )
    assert tree["objectives"] == [
        {"id": "p", "success_status": "passed", "score": {"scaled": "0.9"}},
        {"id": "o2"},
    ]


@pytest.mark.parametrize(
    ("version", "item", "path", "expected"),
    [
        (SCORM12, {"datafromlms": "a=1"}, ("launch_data",), "a=1"),
        (SCORM2004, {"datafromlms": "rise"}, ("launch_data",), "rise"),
        (
            SCORM12,
            {"maxtimeallowed": "1:30:00"},
            ("student_data", "max_time_allowed"),
            None,
        ),  # malformed
        (
            SCORM12,
            {"maxtimeallowed": "01:30:00"},
            ("student_data", "max_time_allowed"),
            "0001:30:00.00",
        ),
        (
            SCORM12,
            {"timelimitaction": "continue,message"},
            ("student_data", "time_limit_action"),
            "continue,message",
        ),
        (SCORM12, {"timelimitaction": "explode"}, ("student_data", "time_limit_action"), None),
        (SCORM12, {"masteryscore": 80}, ("student_data", "mastery_score"), "80"),
        (SCORM12, {"masteryscore": 72.5}, ("student_data", "mastery_score"), "72.5"),
        (SCORM2004, {"timelimitaction": "exit,message"}, ("time_limit_action",), "exit,message"),
        (
            SCORM2004,
            {"sequencing": {"limitConditions": {"attemptAbsoluteDurationLimit": "PT0H45M"}}},
            ("max_time_allowed",),
            "PT45M",
        ),
    ],
)
def test_player_cmi_initial_from_item(
    version: str, item: dict[str, Any], path: tuple[str, ...], expected: str | None
) -> None:
    node: Any = initial_cmi(
        version, learner_id="u", learner_name="n", item=item, entry="ab-initio", previous=None
    )
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    assert node == expected


@pytest.mark.parametrize("mode", ["normal", "browse", "review"])
def test_player_cmi_initial_mode_and_credit(mode: str) -> None:
    one = initial_cmi(
        SCORM12,
        learner_id="u",
        learner_name="n",
        item={},
        entry="",
        previous=None,
        mode=mode,
        credit="no-credit",
    )
    two = initial_cmi(
        SCORM2004,
        learner_id="u",
        learner_name="n",
        item={},
        entry="",
        previous=None,
        mode=mode,
        credit="no-credit",
    )
    assert (one["core"]["lesson_mode"], one["core"]["credit"]) == (mode, "no-credit")
    assert (two["mode"], two["credit"]) == (mode, "no-credit")
    assert "entry" not in two  # "" is omitted: scorm-again's default is ""


def test_player_cmi_initial_values_are_strings() -> None:
    previous = {
        "core": {"score": {"raw": 80}, "lesson_status": "incomplete"},
        "interactions": [{"id": "q", "weighting": 1.0}],
    }
    tree = initial_cmi(
        SCORM12,
        learner_id="u",
        learner_name="n",
        item={"masteryscore": 70.0},
        entry="resume",
        previous=previous,
    )

    def leaves(node: Any) -> list[Any]:
        if isinstance(node, dict):
            return [x for v in node.values() for x in leaves(v)]
        if isinstance(node, list):
            return [x for v in node for x in leaves(v)]
        return [node]

    assert all(isinstance(v, str) and v for v in leaves(tree))  # loadFromJSON skips falsy values
    assert tree["core"]["score"] == {"raw": "80"}
    assert tree["interactions"] == [{"id": "q", "weighting": "1"}]
