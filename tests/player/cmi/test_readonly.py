"""Read-only values (player/cmi/readonly.py)."""

from __future__ import annotations

import pytest

from player.cmi import (
    SCORM12,
    SCORM2004,
    check_readonly,
    finish_session,
    initial_cmi,
    restore_readonly,
)
from tests.player.cmi.data import (
    commit,
    sent_12,
    sent_2004,
)

# -- read-only values -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dotted", "value"),
    [
        ("core.student_id", "someone-else"),
        ("core.student_name", "Mallory"),
        ("core.credit", "no-credit"),
        ("core.entry", "resume"),
        ("core.lesson_mode", "review"),
        ("launch_data", "forged"),
        ("student_data.mastery_score", "10"),
        ("student_data.max_time_allowed", "99:00:00"),
        ("student_data.time_limit_action", "continue,no message"),
        ("comments_from_lms", "forged"),
    ],
)
def test_player_cmi_readonly_12_changed(dotted: str, value: str) -> None:
    tree = commit(SCORM12)
    node = tree
    *parents, leaf = dotted.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = value
    assert [(p.path, p.code) for p in check_readonly(SCORM12, sent_12(), tree)] == [
        (f"cmi.{dotted}", 403)
    ]


@pytest.mark.parametrize(
    ("dotted", "value"),
    [
        ("learner_id", "someone-else"),
        ("learner_name", "Mallory"),
        ("credit", "no-credit"),
        ("entry", "resume"),
        ("mode", "browse"),
        ("launch_data", "forged"),
        ("completion_threshold", "0.1"),
        ("scaled_passing_score", "-1"),
        ("max_time_allowed", "PT99H"),
        ("time_limit_action", "continue,no message"),
    ],
)
def test_player_cmi_readonly_2004_changed(dotted: str, value: str) -> None:
    tree = commit(SCORM2004)
    tree[dotted] = value
    assert [(p.path, p.code) for p in check_readonly(SCORM2004, sent_2004(), tree)] == [
        (f"cmi.{dotted}", 404)
    ]


def test_player_cmi_readonly_2004_ids_immutable() -> None:
    tree = commit(SCORM2004)
    tree["objectives"][0]["id"] = "renamed"
    assert [(p.path, p.code) for p in check_readonly(SCORM2004, sent_2004(), tree)] == [
        ("cmi.objectives.0.id", 351)
    ]


def test_player_cmi_readonly_2004_comments_from_lms() -> None:
    tree = commit(SCORM2004)
    tree["comments_from_lms"] = [{"comment": "forged"}]
    assert [(p.path, p.code) for p in check_readonly(SCORM2004, sent_2004(), tree)] == [
        ("cmi.comments_from_lms", 404)
    ]


def test_player_cmi_readonly_12_not_attempted_cannot_be_set() -> None:
    sent = sent_12()
    sent["core"]["lesson_status"] = "incomplete"
    tree = commit(SCORM12)  # still "not attempted"
    assert [(p.path, p.code) for p in check_readonly(SCORM12, sent, tree)] == [
        ("cmi.core.lesson_status", 405)
    ]


def test_player_cmi_readonly_defaults_scorm_again_fills_in() -> None:
    sent = initial_cmi(
        SCORM2004, learner_id="u1", learner_name="J", item={}, entry="ab-initio", previous=None
    )
    tree = {
        **sent,
        "time_limit_action": "continue,no message",
        "credit": "credit",
        "mode": "normal",
    }
    assert check_readonly(SCORM2004, sent, tree) == []


def test_player_cmi_readonly_total_time_ignored_then_restored() -> None:
    """scorm-again's terminate commit carries its own total; the LMS's value is put back."""
    sent = sent_12()
    sent["core"]["total_time"] = "0000:10:00.00"
    tree = commit(SCORM12)
    tree["core"]["total_time"] = "00:11:00"
    tree["core"]["student_name"] = "Mallory"
    assert [p.path for p in check_readonly(SCORM12, sent, tree)] == ["cmi.core.student_name"]
    restored = restore_readonly(SCORM12, sent, tree)
    assert restored["core"]["total_time"] == "0000:10:00.00"
    assert restored["core"]["student_name"] == "Doe, Jane"
    assert tree["core"]["student_name"] == "Mallory"  # the input is not changed
    assert finish_session(SCORM12, restored, wallclock_seconds=0).total_seconds == 660
