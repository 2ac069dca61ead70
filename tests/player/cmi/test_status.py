"""Evaluated status (player/cmi/status.py): SCORM_CHECKS §3.4."""

from __future__ import annotations

import pytest

from player.cmi import (
    SCORM12,
    SCORM2004,
    finish_session,
    status_of,
)
from tests.player.cmi.data import (
    commit,
)

# -- status -----------------------------------------------------------------------------


def test_player_cmi_status_of_does_not_end_session() -> None:
    status = status_of(SCORM2004, commit(SCORM2004))
    assert (status.completion, status.success) == ("incomplete", "passed")


def test_player_cmi_status_of_12_mastery_during_session() -> None:
    status = status_of(SCORM12, commit(SCORM12))
    assert status.lesson_status == "passed"  # raw 80 >= mastery 70, credit, normal
    assert (status.completion, status.success) == ("completed", "passed")
    assert status.score_scaled == pytest.approx(0.8)


# -- status rules (SCORM_CHECKS §3.4) ---------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "progress", "sco_value", "expected"),
    [
        # RTE §4.2.4.1: threshold and progress measure → the LMS decides.
        ("0.8", "0.8", "incomplete", "completed"),
        ("0.8", "0.9", "", "completed"),
        ("0.8", "0.79", "completed", "incomplete"),  # overrides the SCO
        ("0", "0", "", "completed"),
        # Threshold but no progress measure → unknown, whatever the SCO said.
        ("0.8", "", "completed", "unknown"),
        ("0.8", "", "", "unknown"),
        # No threshold: the SCO's value, or unknown (never "incomplete" just for launching).
        ("", "0.1", "completed", "completed"),
        ("", "", "incomplete", "incomplete"),
        ("", "", "not attempted", "not attempted"),
        ("", "", "", "unknown"),
        ("", "1", "", "unknown"),
    ],
)
def test_player_cmi_completion_status_2004(
    threshold: str, progress: str, sco_value: str, expected: str
) -> None:
    tree = {
        "completion_threshold": threshold,
        "progress_measure": progress,
        "completion_status": sco_value,
    }
    assert status_of(SCORM2004, tree).completion == expected
    assert finish_session(SCORM2004, tree, wallclock_seconds=1).completion == expected


@pytest.mark.parametrize(
    ("passing", "scaled", "sco_value", "expected"),
    [
        # RTE §4.2.22: scaled_passing_score and score.scaled → the LMS decides.
        ("0.7", "0.7", "failed", "passed"),
        ("0.7", "0.69", "passed", "failed"),
        ("-1", "-1", "", "passed"),
        ("1", "0.99", "", "failed"),
        # Passing score but no scaled score → unknown.
        ("0.7", "", "passed", "unknown"),
        # No passing score: the SCO's value.
        ("", "0.1", "passed", "passed"),
        ("", "", "failed", "failed"),
        ("", "", "", "unknown"),
    ],
)
def test_player_cmi_success_status_2004(
    passing: str, scaled: str, sco_value: str, expected: str
) -> None:
    tree = {
        "scaled_passing_score": passing,
        "score": {"scaled": scaled},
        "success_status": sco_value,
    }
    assert status_of(SCORM2004, tree).success == expected
    assert finish_session(SCORM2004, tree, wallclock_seconds=1).success == expected


@pytest.mark.parametrize(
    ("credit", "mode", "mastery", "raw", "sco_value", "during", "at_finish"),
    [
        # 1.2 RTE p. 3-24: credit + mastery score + raw score → LMS sets passed/failed.
        ("credit", "normal", "70", "70", "completed", "passed", "passed"),
        ("credit", "normal", "70", "69.5", "passed", "failed", "failed"),
        ("credit", "normal", "70", "", "completed", "completed", "completed"),
        # No mastery score: the LMS must not override the SCO.
        ("credit", "normal", "", "10", "passed", "passed", "passed"),
        ("credit", "normal", "", "90", "failed", "failed", "failed"),
        # no-credit: no override either.
        ("no-credit", "normal", "70", "10", "passed", "passed", "passed"),
        # Browse mode, nothing set → browsed.
        ("credit", "browse", "70", "", "not attempted", "browsed", "browsed"),
        ("credit", "browse", "", "", "", "browsed", "browsed"),
        ("credit", "browse", "", "", "completed", "completed", "completed"),
        # LMSFinish with no status set: "incomplete" (our rule; scorm-again's default).
        ("credit", "normal", "", "", "not attempted", "not attempted", "incomplete"),
        ("credit", "normal", "", "", "", "not attempted", "incomplete"),
        ("credit", "review", "70", "90", "", "not attempted", "incomplete"),
        # The SCO's own values otherwise.
        ("credit", "normal", "", "", "incomplete", "incomplete", "incomplete"),
        ("credit", "normal", "", "", "browsed", "browsed", "browsed"),
    ],
)
def test_player_cmi_lesson_status_12(
    credit: str, mode: str, mastery: str, raw: str, sco_value: str, during: str, at_finish: str
) -> None:
    tree = {
        "core": {
            "credit": credit,
            "lesson_mode": mode,
            "lesson_status": sco_value,
            "score": {"raw": raw},
        },
        "student_data": {"mastery_score": mastery},
    }
    assert status_of(SCORM12, tree).lesson_status == during
    outcome = finish_session(SCORM12, tree, wallclock_seconds=1)
    assert outcome.lesson_status == at_finish
    assert outcome.cmi["core"]["lesson_status"] == at_finish


@pytest.mark.parametrize(
    ("lesson_status", "completion", "success"),
    [
        ("passed", "completed", "passed"),
        ("failed", "completed", "failed"),
        ("completed", "completed", "unknown"),
        ("incomplete", "incomplete", "unknown"),
        ("browsed", "incomplete", "unknown"),
        ("not attempted", "not attempted", "unknown"),
    ],
)
def test_player_cmi_lesson_status_12_maps_to_completion_and_success(
    lesson_status: str, completion: str, success: str
) -> None:
    status = status_of(SCORM12, {"core": {"lesson_status": lesson_status}})
    assert (status.completion, status.success) == (completion, success)


@pytest.mark.parametrize(
    ("score", "scaled"),
    [
        ({"raw": "80"}, 0.8),
        ({"raw": "80", "min": "0", "max": "100"}, 0.8),
        ({"raw": "15", "min": "10", "max": "20"}, 0.5),
        ({"raw": "5", "min": "10", "max": "20"}, None),
        ({"raw": ""}, None),
    ],
)
def test_player_cmi_score_scaled_12(score: dict[str, str], scaled: float | None) -> None:
    assert status_of(SCORM12, {"core": {"score": score}}).score_scaled == scaled


def test_player_cmi_finish_writes_evaluated_status_2004() -> None:
    tree = {
        "completion_threshold": "0.5",
        "progress_measure": "0.6",
        "completion_status": "incomplete",
    }
    outcome = finish_session(SCORM2004, tree, wallclock_seconds=1)
    assert outcome.cmi["completion_status"] == "completed"
    assert outcome.cmi["success_status"] == "unknown"
