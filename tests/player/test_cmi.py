"""Server-side SCORM data model: SCORM_CHECKS.md §3.1-3.4, the parts the server owns."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from player.cmi import (
    SCORM12,
    SCORM2004,
    check_readonly,
    finish_session,
    format_iso_duration,
    format_scorm12_time,
    initial_cmi,
    normalise_commit,
    parse_iso_duration,
    parse_scorm12_time,
    restore_readonly,
    status_of,
    validate_cmi,
)


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Override the suite's table cleaner: these modules are pure, no app, no database."""


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


# -- the captured scorm-again round trip ------------------------------------------------


@pytest.mark.parametrize("version", [SCORM12, SCORM2004])
def test_player_cmi_scorm_again_commit_is_valid(version: str) -> None:
    tree = commit(version)
    sent = sent_12() if version == SCORM12 else sent_2004()
    assert validate_cmi(version, tree) == []
    assert check_readonly(version, sent, tree) == []


def test_player_cmi_initial_12_from_manifest() -> None:
    assert sent_12() == {
        "core": {
            "student_id": "u1",
            "student_name": "Doe, Jane",
            "credit": "credit",
            "entry": "ab-initio",
            "lesson_mode": "normal",
            "lesson_status": "not attempted",
            "total_time": "0000:00:00.00",
        },
        "launch_data": "abc",
        "student_data": {
            "mastery_score": "70",
            "max_time_allowed": "0000:30:00.00",
            "time_limit_action": "exit,message",
        },
    }


def test_player_cmi_initial_2004_from_manifest() -> None:
    assert sent_2004() == {
        "learner_id": "u1",
        "learner_name": "Jane Doe",
        "credit": "credit",
        "mode": "normal",
        "entry": "ab-initio",
        "launch_data": "rise=1",
        "total_time": "PT0S",
        "completion_threshold": "0.8",
        "scaled_passing_score": "0.7",
        "max_time_allowed": "PT1H",
        "time_limit_action": "exit,no message",
        "objectives": [{"id": "prim"}, {"id": "obj2"}],
    }


@pytest.mark.parametrize("version", [SCORM12, SCORM2004])
def test_player_cmi_suspend_then_resume(version: str) -> None:
    sent = sent_12() if version == SCORM12 else sent_2004()
    stored = restore_readonly(version, sent, commit(version))
    outcome = finish_session(version, stored, wallclock_seconds=300)
    assert outcome.suspended
    assert not outcome.attempt_ended
    assert outcome.next_entry == "resume"
    again = initial_cmi(
        version,
        learner_id="u1",
        learner_name="J",
        item=ITEM_12 if version == SCORM12 else ITEM_2004,
        entry=outcome.next_entry,
        previous=outcome.cmi,
    )
    if version == SCORM12:
        assert again["core"]["entry"] == "resume"
        assert again["core"]["lesson_location"] == "p3"
        assert again["core"]["total_time"] == "0000:01:00.00"
        assert again["suspend_data"] == "x" * 5000
        assert again["interactions"][0]["id"] == "q1"
    else:
        assert again["entry"] == "resume"
        assert again["location"] == "p3"
        assert again["total_time"] == "PT1M30.5S"
        assert [o["id"] for o in again["objectives"]] == ["prim", "obj2"]
        assert again["objectives"][0]["success_status"] == "passed"
        assert len(again["interactions"]) == 2


# -- time -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0001:02:03.5", 3723.5),
        ("00:00:00", 0.0),
        ("0000:00:00.00", 0.0),
        ("99:59:59.99", 359999.99),
        ("9999:00:00", 35996400.0),
        ("12:30:00.05", 45000.05),
    ],
)
def test_player_cmi_parse_scorm12_time_ok(text: str, seconds: float) -> None:
    assert parse_scorm12_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1:02:03",
        "00:60:00",
        "00:00:60",
        "00:00:00.123",
        "-01:00:00",
        "00000:00:00",
        "PT1S",
        "ab",
    ],
)
def test_player_cmi_parse_scorm12_time_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="CMITimespan"):
        parse_scorm12_time(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0000:00:00.00"),
        (3723.5, "0001:02:03.50"),
        (0.004, "0000:00:00.00"),
        (59.999, "0000:01:00.00"),
        (10**9, "9999:59:59.99"),
    ],
)
def test_player_cmi_format_scorm12_time(seconds: float, text: str) -> None:
    assert format_scorm12_time(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT1H2M3.5S", 3723.5),
        ("PT1.5S", 1.5),
        ("P1DT2H", 93600.0),
        ("PT0H0M1S", 1.0),
        ("PT0S", 0.0),
        ("P1Y", 365 * 86400.0),
        ("P1M", 30 * 86400.0),
        ("PT10M", 600.0),
        ("P0D", 0.0),
        ("PT0.25S", 0.25),
        ("PT1.234S", 1.234),
    ],
)
def test_player_cmi_parse_iso_duration_ok(text: str, seconds: float) -> None:
    assert parse_iso_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P",
        "PT",
        "PT1H30",
        "P1W",
        "-PT1S",
        "PT1.S",
        "PT.5S",
        "1H",
        "PT1S2M",
        "P1DT",
        "pt1s",
        "PT1,5S",
    ],
)
def test_player_cmi_parse_iso_duration_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_iso_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "PT0S"),
        (3723.5, "PT1H2M3.5S"),
        (0.5, "PT0.5S"),
        (60, "PT1M"),
        (3600, "PT1H"),
        (90061.25, "PT25H1M1.25S"),
        (1.004, "PT1S"),
        (59.999, "PT1M"),
    ],
)
def test_player_cmi_format_iso_duration(seconds: float, text: str) -> None:
    assert format_iso_duration(seconds) == text


@pytest.mark.parametrize("fmt", [format_iso_duration, format_scorm12_time])
def test_player_cmi_format_time_negative(fmt: Any) -> None:
    with pytest.raises(ValueError, match="negative"):
        fmt(-1)


@pytest.mark.parametrize("seconds", [0, 0.01, 1.5, 59.99, 3599.99, 86400, 123456.78])
def test_player_cmi_time_round_trip(seconds: float) -> None:
    assert parse_iso_duration(format_iso_duration(seconds)) == pytest.approx(seconds)
    assert parse_scorm12_time(format_scorm12_time(seconds)) == pytest.approx(seconds)


# -- status -----------------------------------------------------------------------------


def test_player_cmi_status_of_does_not_end_session() -> None:
    status = status_of(SCORM2004, commit(SCORM2004))
    assert (status.completion, status.success) == ("incomplete", "passed")
