"""The end of a session: time, exit and entry (player/cmi/session.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from player.cmi import (
    SCORM12,
    SCORM2004,
    finish_session,
    format_iso_duration,
    initial_cmi,
    restore_readonly,
    status_of,
)
from player.cmi.times import format_scorm12_time

# -- time accumulation (SCORM_CHECKS §3.3) ----------------------------------------------


@pytest.mark.parametrize(
    ("version", "session_time", "wallclock", "session_seconds", "reported"),
    [
        (SCORM12, "0000:01:30", 200, 90, True),  # the SCO's value wins over the clock
        (SCORM12, "", 200, 200, False),  # never set: the LMS's own clock
        (SCORM12, "bogus", 200, 200, False),  # malformed (validate_cmi says 405): the clock
        (SCORM2004, "PT1M30S", 200, 90, True),
        (SCORM2004, "", 42.5, 42.5, False),
        (SCORM2004, "00:01:30", 200, 200, False),
    ],
)
def test_player_cmi_finish_session_time_source(
    version: str, session_time: str, wallclock: float, session_seconds: float, reported: bool
) -> None:
    tree: dict[str, Any] = (
        {"core": {"session_time": session_time, "total_time": "0000:10:00"}}
        if version == SCORM12
        else {"session_time": session_time, "total_time": "PT10M"}
    )
    outcome = finish_session(version, tree, wallclock_seconds=wallclock)
    assert outcome.session_seconds == session_seconds
    assert outcome.session_time_reported is reported
    assert outcome.wallclock_seconds == wallclock  # kept beside for audit
    assert outcome.total_seconds == 600 + session_seconds


@pytest.mark.parametrize("version", [SCORM12, SCORM2004])
def test_player_cmi_sessions_sum_then_new_attempt_restarts(version: str) -> None:
    def session(previous: dict[str, Any] | None, entry: str, seconds: float, exit_: str) -> Any:
        sent = initial_cmi(
            version, learner_id="u1", learner_name="J", item={}, entry=entry, previous=previous
        )
        tree = copy.deepcopy(sent)
        if version == SCORM12:
            tree["core"].update(session_time=format_scorm12_time(seconds), exit=exit_)
        else:
            tree.update(session_time=format_iso_duration(seconds), exit=exit_)
        return finish_session(version, restore_readonly(version, sent, tree), wallclock_seconds=999)

    first = session(None, "ab-initio", 60, "suspend")
    second = session(first.cmi, first.next_entry, 90.5, "suspend")
    third = session(second.cmi, second.next_entry, 30, "")
    assert [first.total_seconds, second.total_seconds, third.total_seconds] == [60, 150.5, 180.5]
    assert third.attempt_ended
    fresh = session(third.cmi, third.next_entry, 10, "")
    assert fresh.total_seconds == 10  # a new attempt starts a new total_time
    total = fresh.cmi["core"]["total_time"] if version == SCORM12 else fresh.cmi["total_time"]
    assert total == ("0000:00:10.00" if version == SCORM12 else "PT10S")


def test_player_cmi_finish_session_formats_total_per_version() -> None:
    one = finish_session(SCORM12, {"core": {"total_time": "0001:00:00"}}, wallclock_seconds=61.25)
    two = finish_session(SCORM2004, {"total_time": "PT1H"}, wallclock_seconds=61.25)
    assert one.cmi["core"]["total_time"] == "0001:01:01.25"
    assert two.cmi["total_time"] == "PT1H1M1.25S"


def test_player_cmi_finish_session_clears_session_values_and_keeps_input() -> None:
    tree = {"session_time": "PT5S", "exit": "suspend", "suspend_data": "abc", "entry": "ab-initio"}
    outcome = finish_session(SCORM2004, tree, wallclock_seconds=5)
    assert outcome.cmi["session_time"] == ""
    assert outcome.cmi["exit"] == ""
    assert outcome.cmi["entry"] == "resume"
    assert outcome.cmi["suspend_data"] == "abc"  # suspend keeps the data (pagehide path too)
    assert tree["exit"] == "suspend"


def test_player_cmi_status_of_leaves_time_alone() -> None:
    tree = {"session_time": "PT5S", "total_time": "PT10S"}
    status_of(SCORM2004, tree)
    assert tree == {"session_time": "PT5S", "total_time": "PT10S"}


def test_player_cmi_finish_session_rejects_negative_clock() -> None:
    with pytest.raises(ValueError, match="wallclock"):
        finish_session(SCORM2004, {}, wallclock_seconds=-1)


# -- exit and entry (2004 RTE §4.2.7/§4.2.8, 1.2 cmi.core.exit) ---------------------------


@pytest.mark.parametrize(
    ("version", "exit_", "suspended", "next_entry"),
    [
        (SCORM12, "suspend", True, "resume"),
        (SCORM12, "", False, "ab-initio"),
        (SCORM12, "logout", False, "ab-initio"),
        (SCORM12, "time-out", False, "ab-initio"),
        (SCORM2004, "suspend", True, "resume"),
        (SCORM2004, "", False, "ab-initio"),
        (SCORM2004, "normal", False, "ab-initio"),
        (SCORM2004, "logout", False, "ab-initio"),  # deprecated in 4th edition; ends the attempt
        (SCORM2004, "time-out", False, "ab-initio"),
    ],
)
def test_player_cmi_exit_decides_next_entry(
    version: str, exit_: str, suspended: bool, next_entry: str
) -> None:
    tree: dict[str, Any] = {"core": {"exit": exit_}} if version == SCORM12 else {"exit": exit_}
    outcome = finish_session(version, tree, wallclock_seconds=1)
    assert outcome.suspended is suspended
    assert outcome.attempt_ended is not suspended
    assert outcome.next_entry == next_entry
    assert outcome.exit == exit_


@pytest.mark.parametrize("version", [SCORM12, SCORM2004])
def test_player_cmi_new_attempt_drops_attempt_data(version: str) -> None:
    previous = (
        {
            "core": {
                "lesson_location": "5",
                "lesson_status": "completed",
                "total_time": "0000:05:00",
            },
            "suspend_data": "x",
        }
        if version == SCORM12
        else {
            "location": "5",
            "completion_status": "completed",
            "total_time": "PT5M",
            "suspend_data": "x",
        }
    )
    fresh = initial_cmi(
        version, learner_id="u1", learner_name="J", item={}, entry="ab-initio", previous=previous
    )
    assert "suspend_data" not in fresh
    if version == SCORM12:
        assert fresh["core"]["lesson_status"] == "not attempted"
        assert fresh["core"]["total_time"] == "0000:00:00.00"
        assert "lesson_location" not in fresh["core"]
    else:
        assert "completion_status" not in fresh  # the SCO starts from "unknown"
        assert fresh["total_time"] == "PT0S"
        assert "location" not in fresh


def test_player_cmi_preferences_survive_new_attempt() -> None:
    previous = {
        "learner_preference": {"audio_level": "0.5", "language": "sv", "delivery_speed": ""}
    }
    fresh = initial_cmi(
        SCORM2004, learner_id="u1", learner_name="J", item={}, entry="ab-initio", previous=previous
    )
    assert fresh["learner_preference"] == {"audio_level": "0.5", "language": "sv"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"entry": "again"}, "entry"),
        ({"mode": "preview"}, "mode"),
        ({"credit": "maybe"}, "credit"),
    ],
)
def test_player_cmi_initial_rejects_bad_arguments(kwargs: dict[str, str], match: str) -> None:
    args: dict[str, Any] = {
        "learner_id": "u1",
        "learner_name": "J",
        "item": {},
        "entry": "ab-initio",
        "previous": None,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        initial_cmi(SCORM2004, **args)
