"""SCORM 2004 sequencing and navigation (and 1.2 navigation) on the corpus packages.

Pure tests: packages are parsed with ``packages.manifest`` straight from the shared
corpus; no Flask app, no database.  Scenarios follow the SN book (4th ed.) behaviour.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from packages.extract import open_package
from packages.manifest import read_package
from player.sequencing import EXCEPTIONS, ActivityTree, Sequencer, SequencingState, build_tree
from tests.conftest import SHARED

CORPUS = SHARED / "corpus" / "scorm"

FORCED = "golf_2004v3_seq_forced_sequential.zip"
REMEDIATION = "golf_2004v3_seq_simple_remediation.zip"
PRE_POST = "golf_2004v3_seq_pre_or_posttest_rollup.zip"
POSTTEST_4TH = "golf_2004v4_seq_posttest_rollup_4thed.zip"
RANDOM = "golf_2004v3_seq_random_test.zip"
SINGLE = "golf_2004v2_cp_single_sco.zip"
COMPLEX = "moodle_complexscorm.zip"

_PARSED: dict[str, tuple[str, dict[str, Any]]] = {}


def parsed(name: str) -> tuple[str, dict[str, Any]]:
    """(kind, structure) of a corpus package, parsed once per run."""
    if name not in _PARSED:
        with open_package(CORPUS / name) as package:
            result = read_package(package)
        _PARSED[name] = (result.kind, result.structure)
    return _PARSED[name]


def tree_of(name: str) -> ActivityTree:
    kind, structure = parsed(name)
    return build_tree(structure, kind=kind)


def rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - deterministic order in tests


def sequencer(name: str, seed: int = 7) -> Sequencer:
    return Sequencer(tree_of(name), SequencingState(), rng(seed))


PASSED = {"cmi.completion_status": "completed", "cmi.success_status": "passed"}
FAILED = {"cmi.completion_status": "completed", "cmi.success_status": "failed"}
COMPLETED = {"cmi.completion_status": "completed"}


def run(seq: Sequencer, steps: list[tuple[Any, ...]]) -> None:
    """Steps: (request, target, expected) where expected is an activity id, "ended",
    "none" or an SN exception code; or ("report", activity, cmi)."""
    for step in steps:
        if step[0] == "report":
            seq.report(step[1], step[2])
            continue
        request, target, expected = step
        result = seq.navigate(request, target)
        got = result.exception or result.activity or ("ended" if result.ended else "none")
        assert got == expected, (step, result)


# -- the definition model ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("package", "activity", "attribute", "expected"),
    [
        # SN defaults when the package says nothing (SN §3 tables).
        (SINGLE, "item_1", "choice", True),
        (SINGLE, "item_1", "flow", False),
        (SINGLE, "item_1", "choice_exit", True),
        (SINGLE, "item_1", "forward_only", False),
        (SINGLE, "item_1", "tracked", True),
        (SINGLE, "item_1", "completion_set_by_content", False),
        (SINGLE, "item_1", "attempt_limit", 0),
        (SINGLE, "item_1", "measure_weight", 1.0),
        (SINGLE, "golf_sample_default_org", "flow", False),
        # The organization's own sequencing.
        (FORCED, "golf_sample_default_org", "flow", True),
        # IDRef to the sequencingCollection merged with local elements.
        (FORCED, "playing_item", "completion_set_by_content", True),
        (FORCED, "playing_item", "measure_weight", 0.0),
        (FORCED, "etuqiette_item", "measure_weight", 0.0),
        (REMEDIATION, "content_wrapper", "choice", False),
        (REMEDIATION, "content_wrapper", "choice_exit", False),
        (REMEDIATION, "test_1", "required_for_completed", "ifNotSkipped"),
        (REMEDIATION, "test_1", "rollup_satisfied", True),
        (REMEDIATION, "playing_item", "rollup_satisfied", False),
        (RANDOM, "posttest_item", "attempt_limit", 2),
        (RANDOM, "posttest_item", "reorder_children", True),
        (RANDOM, "posttest_item", "randomization_timing", "onEachNewAttempt"),
        (RANDOM, "test_1", "hide_lms_ui", frozenset({"suspendAll"})),
        (RANDOM, "test_1", "visible", False),
        (POSTTEST_4TH, "playing_item", "progress_weight", 0.5),
        (POSTTEST_4TH, "assessment_item", "measure_weight", 1.0),
    ],
)
def test_player_sequencing_definition_defaults_and_idref(
    package: str, activity: str, attribute: str, expected: Any
) -> None:
    assert getattr(tree_of(package)[activity], attribute) == expected


def test_player_sequencing_definition_rules_and_maps() -> None:
    forced = tree_of(FORCED)["etuqiette_item"]
    assert [r.action for r in forced.pre_rules] == ["disabled"]
    assert forced.pre_rules[0].combination == "any"
    assert [c.negate for c in forced.pre_rules[0].conditions] == [True, True]
    previous = forced.objective("previous_sco_satisfied")
    assert previous is not None
    assert previous.maps[0].read_satisfied
    assert not previous.maps[0].write_satisfied
    fourth = tree_of(POSTTEST_4TH)["playing_item"]
    assert fourth.primary.maps[0].read_completion
    assert fourth.primary.maps[0].write_completion
    # An activity without objectives still has a primary one (SN §3.10).
    assert tree_of(SINGLE)["item_1"].primary.primary


def test_player_sequencing_build_tree_unknown_organization() -> None:
    _, structure = parsed(SINGLE)
    with pytest.raises(KeyError):
        build_tree(structure, "nope")


def test_player_sequencing_build_tree_guesses_kind() -> None:
    _, structure = parsed(FORCED)
    assert build_tree(structure).kind == "scorm2004"
    _, structure = parsed(COMPLEX)
    assert build_tree(structure).simple


# -- navigation requests refused (NB.2.1) -----------------------------------------------


@pytest.mark.parametrize(
    ("package", "started", "nav", "target", "code"),
    [
        (FORCED, False, "continue", None, "NB.2.1-2"),
        (FORCED, False, "previous", None, "NB.2.1-2"),
        (FORCED, False, "exit", None, "NB.2.1-2"),
        (FORCED, False, "exitAll", None, "NB.2.1-2"),
        (FORCED, False, "suspendAll", None, "NB.2.1-2"),
        (FORCED, False, "resumeAll", None, "NB.2.1-3"),
        (FORCED, True, "start", None, "NB.2.1-1"),
        (FORCED, True, "resumeAll", None, "NB.2.1-1"),
        (FORCED, True, "choice", "no_such_item", "NB.2.1-11"),
        (FORCED, True, "jump", "no_such_item", "NB.2.1-11"),
        (FORCED, True, "dance", None, "NB.2.1-13"),
        (FORCED, True, "previous", None, "SB.2.1-3"),
        (FORCED, True, "choice", "handicapping_item", "DB.1.1-3"),
        (REMEDIATION, True, "choice", "test_1", "NB.2.1-10"),
        (REMEDIATION, True, "previous", None, "SB.2.1-3"),
        (SINGLE, True, "continue", None, "NB.2.1-4"),
        (SINGLE, True, "previous", None, "NB.2.1-5"),
    ],
)
def test_player_sequencing_navigate_refused(
    package: str, started: bool, nav: str, target: str | None, code: str
) -> None:
    seq = sequencer(package)
    if started:
        assert seq.launch().ok
    before = seq.state.to_json()
    result = seq.navigate(nav, target)
    assert result.exception == code
    assert not result.ok
    assert result.message
    assert seq.state.to_json() == before  # a refused request changes nothing


# -- flow: forced sequential --------------------------------------------------------------


def test_player_sequencing_flow_forced_sequential() -> None:
    seq = sequencer(FORCED)
    run(
        seq,
        [
            ("start", None, "playing_item"),
            # Etiquette is disabled until the previous SCO's global objective is satisfied.
            ("continue", None, "SB.2.2-2"),
            ("choice", "etuqiette_item", "DB.1.1-3"),
            ("report", "playing_item", PASSED),
            ("continue", None, "etuqiette_item"),
            ("previous", None, "playing_item"),
            # A new attempt on playing: its attempt completion starts unknown again.
            ("report", "playing_item", PASSED),
            ("continue", None, "etuqiette_item"),
            ("report", "etuqiette_item", FAILED),
            ("continue", None, "SB.2.2-2"),
            ("report", "etuqiette_item", PASSED),
            ("continue", None, "handicapping_item"),
            ("report", "handicapping_item", PASSED),
            ("continue", None, "havingfun_item"),
            ("report", "havingfun_item", PASSED),
            ("continue", None, "assessment_item"),
            ("report", "assessment_item", {**PASSED, "cmi.score.scaled": 0.9}),
            ("continue", None, "ended"),
        ],
    )
    assert seq.course_status() == ("completed", "passed", None)
    assert seq.state.ended
    assert seq.state.current is None


def test_player_sequencing_valid_requests_forced_sequential() -> None:
    seq = sequencer(FORCED)
    seq.navigate("start")
    valid = seq.valid_requests()
    assert valid["continue"] is False  # the next SCO is disabled
    assert valid["previous"] is False  # nothing before the first SCO
    assert valid["choice"]["playing_item"] is True
    assert valid["choice"]["etuqiette_item"] is False
    assert valid["suspendAll"]
    assert valid["exitAll"]
    seq.report("playing_item", PASSED)
    valid = seq.valid_requests()
    assert valid["continue"] is True
    assert valid["choice"]["etuqiette_item"] is True
    assert valid["choice"]["handicapping_item"] is False
    toc = {entry["id"]: entry for entry in valid["toc"]}
    assert toc["playing_item"]["current"]
    assert toc["playing_item"]["success"] is True
    assert not toc["etuqiette_item"]["hidden"]
    assert seq.state.current == "playing_item"  # looking ahead changed nothing


# -- sequencing rules: simple remediation ---------------------------------------------------


def test_player_sequencing_remediation_retry_after_failed_posttest() -> None:
    seq = sequencer(REMEDIATION)
    run(
        seq,
        [
            ("start", None, "playing_item"),
            ("continue", None, "etuqiette_item"),
            ("continue", None, "handicapping_item"),
            ("continue", None, "havingfun_item"),
            ("continue", None, "test_1"),
            ("report", "test_1", PASSED),
            ("continue", None, "test_2"),
            ("report", "test_2", FAILED),
            ("continue", None, "test_3"),
            ("report", "test_3", PASSED),
            ("continue", None, "test_4"),
            ("report", "test_4", PASSED),
            # test_4 exitParent → the wrapper is not satisfied → retry: content whose
            # objective was passed by its test is skipped.
            ("continue", None, "etuqiette_item"),
        ],
    )
    assert seq.state.activities["content_wrapper"].attempts == 2
    assert seq.course_status()[1] == "failed"
    run(
        seq,
        [
            ("continue", None, "test_2"),  # handicapping, havingfun and test_1 skipped
            ("report", "test_2", PASSED),
            ("continue", None, "ended"),  # tests 3 and 4 are skipped: the course is done
        ],
    )
    assert seq.course_status()[:2] == ("completed", "passed")


def test_player_sequencing_remediation_all_passed_exits_all() -> None:
    seq = sequencer(REMEDIATION)
    run(seq, [("start", None, "playing_item")] + [("continue", None, x) for x in (
        "etuqiette_item", "handicapping_item", "havingfun_item", "test_1")])  # fmt: skip
    for test, following in (("test_1", "test_2"), ("test_2", "test_3"), ("test_3", "test_4")):
        run(seq, [("report", test, PASSED), ("continue", None, following)])
    run(seq, [("report", "test_4", PASSED), ("continue", None, "ended")])
    assert seq.state.activities["content_wrapper"].attempts == 1
    assert seq.course_status()[:2] == ("completed", "passed")
    assert seq.state.ended


def test_player_sequencing_remediation_measure_rollup() -> None:
    seq = sequencer(REMEDIATION)
    run(seq, [("start", None, "playing_item")] + [("continue", None, x) for x in (
        "etuqiette_item", "handicapping_item", "havingfun_item", "test_1")])  # fmt: skip
    seq.report("test_1", {**PASSED, "cmi.score.scaled": 0.8})
    seq.navigate("continue")
    seq.report("test_2", {**FAILED, "cmi.score.scaled": 0.4})
    # RB.1.1 a: content weighs 0, each test 1; tests 3 and 4 count with no measure yet.
    assert seq.course_status()[2] == pytest.approx((0.8 + 0.4) / 4)


# -- rollup: pre/post test ---------------------------------------------------------------


def test_player_sequencing_pretest_passed_satisfies_course() -> None:
    seq = sequencer(PRE_POST)
    run(seq, [("start", None, "pretest_item")])
    assert seq.course_status() == ("not attempted", "unknown", None) or seq.course_status()[0] in (
        "unknown",
        "not attempted",
    )
    seq.report("pretest_item", {**PASSED, "cmi.score.scaled": 0.9})
    # dummy_item reads assessment_satisfied; the root's rule: any satisfied → completed.
    assert seq.course_status() == ("completed", "passed", pytest.approx(0.9))
    valid = seq.valid_requests()
    assert valid["choice"]["posttest_item"] is False  # disabled: assessment satisfied


def test_player_sequencing_pretest_failed_then_posttest() -> None:
    seq = sequencer(PRE_POST)
    run(seq, [("start", None, "pretest_item"), ("report", "pretest_item", FAILED)])
    assert seq.course_status()[:2] == ("unknown", "failed")
    run(
        seq,
        [
            ("continue", None, "playing_item"),
            ("choice", "posttest_item", "DB.1.1-3"),  # content not completed yet
            ("choice", "pretest_item", "DB.1.1-3"),  # attemptLimit 1 is used up
            ("report", "playing_item", COMPLETED),
            ("continue", None, "etuqiette_item"),
            ("report", "etuqiette_item", COMPLETED),
            ("continue", None, "handicapping_item"),
            ("report", "handicapping_item", COMPLETED),
            ("continue", None, "havingfun_item"),
            ("report", "havingfun_item", COMPLETED),
            ("continue", None, "posttest_item"),
            ("report", "posttest_item", PASSED),
        ],
    )
    assert seq.course_status()[:2] == ("completed", "passed")


def test_player_sequencing_posttest_rollup_4th_edition() -> None:
    seq = sequencer(POSTTEST_4TH)
    run(
        seq,
        [
            ("start", None, "playing_item"),
            ("continue", None, "SB.2.2-2"),  # etiquette needs playing completed
            ("report", "playing_item", {"cmi.completion_status": "completed"}),
            ("continue", None, "etuqiette_item"),
        ],
    )
    valid = seq.valid_requests()
    assert valid["choice"]["assessment_item"] is False  # hiddenFromChoice
    toc = {entry["id"]: entry for entry in valid["toc"]}
    assert toc["assessment_item"]["hidden"]
    # jump (4th ed.) is not subject to choice rules.
    run(seq, [("jump", "assessment_item", "assessment_item")])
    seq.report(
        "assessment_item",
        {**PASSED, "cmi.score.scaled": 0.75, "cmi.progress_measure": 1},
    )
    completion, success, measure = seq.course_status()
    assert (completion, success) == ("completed", "passed")
    assert measure == pytest.approx(0.75)  # only the assessment has a measure weight
    root = seq.t.act(seq.tree.root)
    # Completion measure rollup with progressWeight: (0.5*0 + 0.1*1) / (0.5+0.3+0.4+0.3+0.1).
    assert root.progress == pytest.approx(0.1 / 1.6)


def test_player_sequencing_global_completion_written() -> None:
    seq = sequencer(POSTTEST_4TH)
    seq.navigate("start")
    seq.report("playing_item", {"cmi.completion_status": "completed"})
    target = "com.scorm.golfsamples.sequencing.forcedsequential.playing_completed"
    assert seq.state.globals[target].completion is True


# -- randomization, selection and attempt limits ----------------------------------------------


TESTS = {"test_1", "test_2", "test_3", "test_4"}


def _to_posttest(seq: Sequencer) -> str:
    run(seq, [("start", None, "playing_item")])
    for item, following in (
        ("playing_item", "etuqiette_item"),
        ("etuqiette_item", "handicapping_item"),
        ("handicapping_item", "havingfun_item"),
    ):
        run(seq, [("report", item, COMPLETED), ("continue", None, following)])
    seq.report("havingfun_item", COMPLETED)
    result = seq.navigate("continue")
    assert result.activity in TESTS, result
    return result.activity


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_player_sequencing_random_test_order_and_attempt_limit(seed: int) -> None:
    seq = sequencer(RANDOM, seed)
    first = _to_posttest(seq)
    order = seq.state.activities["posttest_item"].children
    assert order is not None
    assert set(order) == TESTS
    assert order[0] == first
    assert seq.valid_requests()["hide_lms_ui"] == ["suspendAll"]
    seq.report(first, {**FAILED, "cmi.score.scaled": 0.2})
    # exitParent → the posttest is not satisfied, attempt 1 of 2 → retry.
    second = seq.navigate("continue")
    assert second.activity in TESTS
    assert seq.state.activities["posttest_item"].attempts == 2
    seq.report(second.activity, {**FAILED, "cmi.score.scaled": 0.3})
    # The attempt limit is reached: exitAll ends the session.
    assert seq.navigate("continue").ended
    assert seq.course_status()[1] == "failed"


def test_player_sequencing_random_test_select_count() -> None:
    kind, structure = parsed(RANDOM)
    structure = copy.deepcopy(structure)
    posttest = structure["organizations"][0]["items"][1]
    posttest["sequencing"]["randomizationControls"].update(
        {"selectCount": 2, "selectionTiming": "onEachNewAttempt"}
    )
    tree = build_tree(structure, kind=kind)
    assert tree["posttest_item"].select_count == 2
    seq = Sequencer(tree, SequencingState(), rng(5))
    first = _to_posttest(seq)
    order = seq.state.activities["posttest_item"].children
    assert order is not None
    assert len(order) == 2
    assert first in order
    hidden = {e["id"] for e in seq.valid_requests()["toc"] if e["hidden"]}
    assert TESTS - set(order) <= hidden


# -- choice on simple packages ----------------------------------------------------------------


def test_player_sequencing_single_sco_choice_and_exit() -> None:
    seq = sequencer(SINGLE)
    assert seq.valid_requests()["choice"]["item_1"] is True
    result = seq.navigate("choice", "item_1")
    assert (result.activity, result.href) == ("item_1", "shared/launchpage.html")
    assert seq.navigate("exit").ok
    # completionSetByContent / objectiveSetByContent false: the LMS sets the status.
    assert seq.course_status()[:2] == ("completed", "passed")
    assert seq.navigate("choice", "item_1").activity == "item_1"
    assert seq.state.activities["item_1"].attempts == 2
    assert seq.navigate("exitAll").ended


COMPLEX_IDS = {n: f"mm-ITEM-SCORMDEbugger555f231e21b982c25s0{n}" for n in range(1, 9)}


def test_player_sequencing_scorm12_choice_and_flow() -> None:
    seq = sequencer(COMPLEX)
    ids = COMPLEX_IDS
    run(
        seq,
        [
            ("start", None, ids[1]),
            ("previous", None, "SB.2.1-3"),
            ("continue", None, ids[2]),
            ("continue", None, ids[3]),
            ("continue", None, ids[4]),  # a parent item with its own href
            ("continue", None, ids[5]),
            ("choice", ids[6], ids[6]),
            ("choice", ids[7], ids[7]),  # invisible but launchable
            # Prerequisites "s01 & s02": neither is completed yet.
            ("choice", ids[8], "DB.1.1-3"),
            ("continue", None, "ended"),
        ],
    )
    seq = sequencer(COMPLEX)
    run(
        seq,
        [
            ("start", None, ids[1]),
            ("report", ids[1], {"cmi.core.lesson_status": "completed"}),
            ("choice", ids[2], ids[2]),
            ("report", ids[2], {"cmi": {"core": {"lesson_status": "passed"}}}),
            ("choice", ids[8], ids[8]),
        ],
    )
    valid = seq.valid_requests()
    toc = {entry["id"]: entry for entry in valid["toc"]}
    assert toc[ids[7]]["hidden"]
    assert toc[ids[7]]["enabled"]
    assert valid["choice"][ids[8]]
    assert valid["previous"]


@pytest.mark.parametrize(
    ("reports", "expected"),
    [
        ({}, ("not attempted", "unknown", None)),
        ({1: {"cmi.core.lesson_status": "incomplete"}}, ("incomplete", "unknown", None)),
        (
            {1: {"cmi.core.lesson_status": "passed", "cmi.core.score.raw": "80"}},
            ("incomplete", "passed", 0.8),
        ),
        (
            {
                1: {
                    "cmi.core.lesson_status": "failed",
                    "cmi.core.score.raw": "5",
                    "cmi.core.score.max": "10",
                }
            },
            ("incomplete", "failed", 0.5),
        ),
    ],
)
def test_player_sequencing_scorm12_course_status(
    reports: dict[int, dict[str, str]], expected: tuple[str, str, float | None]
) -> None:
    seq = sequencer(COMPLEX)
    for n, cmi in reports.items():
        seq.report(COMPLEX_IDS[n], cmi)
    completion, success, measure = seq.course_status()
    assert (completion, success) == expected[:2]
    assert measure == (pytest.approx(expected[2]) if expected[2] is not None else None)


def test_player_sequencing_scorm12_all_completed() -> None:
    seq = sequencer("golf_scorm12_cp_single_sco.zip")
    only = next(a.id for a in seq.tree.preorder() if a.href)
    assert seq.navigate("start").activity == only
    seq.report(only, {"cmi.core.lesson_status": "completed"})
    assert seq.course_status() == ("completed", "unknown", None)


# -- exit, suspendAll and resumeAll through JSON ------------------------------------------------


@pytest.mark.parametrize("package", [FORCED, COMPLEX])
def test_player_sequencing_suspend_resume_round_trip(package: str) -> None:
    seq = sequencer(package)
    first = seq.navigate("start").activity
    assert first
    seq.report(first, {**PASSED, "cmi.core.lesson_status": "passed"})
    second = seq.navigate("continue").activity
    assert second
    assert second != first
    seq.report(second, {"cmi.completion_status": "incomplete", "cmi.exit": "suspend"})
    assert seq.navigate("suspendAll").ended
    stored = json.dumps(seq.state.to_json())

    again = Sequencer(tree_of(package), SequencingState.from_json(stored))
    assert again.state.suspended == second
    assert again.state.current is None
    assert again.valid_requests()["resumeAll"] is True
    result = again.navigate("resumeAll")
    assert (result.activity, result.resume) == (second, True)
    assert again.state.activities[second].attempts == 1
    assert again.navigate("exitAll").ended
    done = SequencingState.from_json(json.dumps(again.state.to_json()))
    assert done.ended
    assert done.suspended is None
    assert Sequencer(tree_of(package), done).navigate("resumeAll").exception == "NB.2.1-3"


def test_player_sequencing_abandon_keeps_status_unset() -> None:
    seq = sequencer(SINGLE)
    seq.launch()
    assert seq.navigate("abandon").ok
    # Abandon applies no End Attempt (UP.4): the LMS sets no status for the SCO, so the
    # default rollup rules (status known → not satisfied / incomplete) do not fire.
    assert seq.course_status()[:2] == ("unknown", "unknown")
    assert seq.navigate("abandonAll").ended


def test_player_sequencing_exit_then_no_delivery() -> None:
    seq = sequencer(FORCED)
    seq.navigate("start")
    result = seq.navigate("exit")
    assert result.ok
    assert result.activity is None
    assert not result.ended
    assert seq.navigate("exit").exception == "NB.2.1-12"
    assert seq.navigate("choice", "playing_item").activity == "playing_item"


# -- state and report formats -------------------------------------------------------------------


@pytest.mark.parametrize(
    "cmi",
    [
        {"cmi.completion_status": "completed", "cmi.success_status": "passed",
         "cmi.score.scaled": "0.5"},
        {"completion_status": "completed", "success_status": "passed", "score": {"scaled": 0.5}},
        {"cmi": {"completion_status": "completed", "success_status": "passed",
                 "score": {"scaled": 0.5}}},
    ],
)  # fmt: skip
def test_player_sequencing_report_formats(cmi: dict[str, Any]) -> None:
    seq = sequencer(SINGLE)
    seq.navigate("start")
    seq.report("item_1", cmi)
    assert seq.course_status() == ("completed", "passed", pytest.approx(0.5))


def test_player_sequencing_report_objectives() -> None:
    seq = sequencer(FORCED)
    seq.navigate("start")
    seq.navigate("exit")
    # cmi.objectives.n with the id of a (non-primary) objective of the activity.
    seq.report("playing_item", PASSED)
    seq.navigate("choice", "etuqiette_item")
    seq.report(
        "etuqiette_item",
        {"cmi.objectives": [{"id": "previous_sco_satisfied", "success_status": "failed"}]},
    )
    local = seq.state.activities["etuqiette_item"].objectives["previous_sco_satisfied"]
    assert local.satisfied is False
    # The objective reads its global (satisfied), which wins over the local value.
    objective = seq.tree["etuqiette_item"].objective("previous_sco_satisfied")
    assert seq.t.satisfied(seq.tree["etuqiette_item"], objective) is True


def test_player_sequencing_state_json_round_trip() -> None:
    seq = sequencer(RANDOM, 3)
    _to_posttest(seq)
    data = seq.state.to_json()
    text = json.dumps(data)
    assert SequencingState.from_json(text).to_json() == data
    assert SequencingState.from_json(data).to_json() == data
    assert SequencingState.from_json(None).to_json()["activities"] == {}
    with pytest.raises(ValueError, match="version"):
        SequencingState.from_json({"version": 99})


@pytest.mark.parametrize(
    ("package", "expected"),
    [
        (FORCED, ("start", "playing_item")),  # flow from the root
        (SINGLE, ("choice", "item_1")),  # root flow false: the LMS offers choice
        (COMPLEX, ("start", COMPLEX_IDS[1])),
    ],
)
def test_player_sequencing_launch(package: str, expected: tuple[str, str]) -> None:
    seq = sequencer(package)
    result = seq.launch()
    assert (result.request, result.activity) == expected
    assert seq.launch().exception == "NB.2.1-1"
    seq.navigate("suspendAll")
    resumed = seq.launch()
    assert (resumed.request, resumed.activity, resumed.resume) == ("resumeAll", expected[1], True)


def test_player_sequencing_course_status_names() -> None:
    seq = sequencer(SINGLE)
    seq.launch()
    seq.report("item_1", {"cmi.success_status": "passed", "cmi.score.scaled": 0.7})
    status = seq.course_status()
    assert status.success_status == "passed"
    assert status.score_scaled == pytest.approx(0.7)
    assert status.completion_status == status.completion == status[0]


# -- single rules on small trees written in the test --------------------------------------------


def item(ident: str, seq: dict[str, Any] | None = None, *kids: dict[str, Any]) -> dict[str, Any]:
    """An item as ``packages.manifest`` serialises it (leaves launch ``<id>.html``)."""
    return {
        "identifier": ident,
        "title": ident.upper(),
        "isvisible": True,
        "parameters": None,
        "href": None if kids else f"{ident}.html",
        "scorm_type": None if kids else "sco",
        "sequencing": seq or {},
        "items": list(kids),
    }


def course(seq: dict[str, Any] | None, *items: dict[str, Any]) -> Sequencer:
    structure = {
        "default_organization": "org",
        "organizations": [
            {"identifier": "org", "title": "Org", "items": list(items), "sequencing": seq or {}}
        ],
        "sequencing_collection": {},
    }
    return Sequencer(build_tree(structure, kind="scorm2004"), SequencingState(), rng(1))


FLOW = {"controlMode": {"choice": True, "flow": True}}


def rule(kind: str, action: str, *conditions: str, how: str = "all") -> dict[str, Any]:
    """sequencingRules with one rule; a condition "not x" negates x."""
    conds = [
        {"condition": c.split()[-1], **({"operator": "not"} if c.startswith("not ") else {})}
        for c in conditions
    ]
    return {
        "sequencingRules": {
            kind: [
                {
                    "ruleConditions": {"conditionCombination": how, "ruleCondition": conds},
                    "ruleAction": {"action": action},
                }
            ]
        }
    }


def test_player_sequencing_exit_action_rule_leaves_cluster() -> None:
    cluster = {
        **FLOW,
        **rule("exitConditionRule", "exit", "satisfied"),
        "rollupRules": {
            "rollupRule": [
                {
                    "childActivitySet": "any",
                    "rollupConditions": {"rollupCondition": [{"condition": "satisfied"}]},
                    "rollupAction": {"action": "satisfied"},
                }
            ]
        },
    }
    seq = course(FLOW, item("a", cluster, item("a1"), item("a2")), item("b"))
    # a1 satisfies A; TB.2.1 exits A, so continue flows on from A, past a2.
    run(seq, [("start", None, "a1"), ("report", "a1", PASSED), ("continue", None, "b")])
    assert seq.state.activities["a"].active is False


@pytest.mark.parametrize(
    ("action", "steps"),
    [
        # Post-condition actions turn an exit into another sequencing request (TB.2.2).
        ("continue", [("start", None, "x"), ("exit", None, "y")]),
        ("previous", [("start", None, "x"), ("continue", None, "y"), ("exit", None, "x")]),
        ("retry", [("start", None, "x"), ("exit", None, "x")]),
        ("retryAll", [("start", None, "x"), ("exit", None, "x")]),
        # x's parent is the root: exiting the root ends the session.
        ("exitParent", [("start", None, "x"), ("exit", None, "ended")]),
        ("exitAll", [("start", None, "x"), ("exit", None, "ended")]),
    ],
)
def test_player_sequencing_post_condition_actions(
    action: str, steps: list[tuple[Any, ...]]
) -> None:
    post = rule("postConditionRule", action, "always")
    seq = course(FLOW, item("x", post if action != "previous" else {}),
                 item("y", post if action == "previous" else {}))  # fmt: skip
    run(seq, steps)
    if action == "retryAll":
        assert seq.state.activities["org"].attempts == 2
    if action == "retry":
        assert seq.state.activities["x"].attempts == 2


@pytest.mark.parametrize(
    ("steps"),
    [
        # stopForwardTraversal on b: choice cannot pass b going forward (SB.2.4-1).
        [("start", None, "a"), ("choice", "c", "SB.2.4-1"), ("choice", "b", "b")],
        # From b itself the rule applies too: b is on the way to c.
        [("start", None, "a"), ("choice", "b", "b"), ("choice", "c", "SB.2.4-1")],
    ],
)
def test_player_sequencing_stop_forward_traversal(steps: list[tuple[Any, ...]]) -> None:
    stop = rule("preConditionRule", "stopForwardTraversal", "always")
    seq = course(FLOW, item("a"), item("b", stop), item("c"))
    run(seq, steps)


def test_player_sequencing_forward_only() -> None:
    mode = {"controlMode": {"choice": True, "flow": True, "forwardOnly": True}}
    seq = course(mode, item("a"), item("b"))
    run(
        seq,
        [
            ("start", None, "a"),
            ("continue", None, "b"),
            ("previous", None, "NB.2.1-5"),
            ("choice", "a", "SB.2.4-2"),
        ],
    )
    assert seq.valid_requests()["previous"] is False


def test_player_sequencing_choice_exit_false() -> None:
    locked = {"controlMode": {"choice": True, "flow": True, "choiceExit": False}}
    seq = course(FLOW, item("a", locked, item("a1"), item("a2")), item("b"))
    run(
        seq,
        [
            ("choice", "a1", "a1"),
            ("choice", "a2", "a2"),  # inside A: allowed
            ("choice", "b", "NB.2.1-8"),  # leaving A, which is active: refused
            ("continue", None, "b"),  # flow may leave it
        ],
    )


def test_player_sequencing_prevent_activation() -> None:
    guarded = {**FLOW, "adlseq:constrainedChoiceConsiderations": {"preventActivation": True}}
    seq = course(FLOW, item("a", guarded, item("a1"), item("a2")), item("b"))
    run(
        seq,
        [
            ("choice", "a2", "SB.2.9-6"),  # A is not active: choice may not activate it
            ("choice", "b", "b"),
            ("choice", "a1", "SB.2.9-6"),
            ("previous", None, "a2"),  # flow may
            ("choice", "a1", "a1"),  # A is active now
        ],
    )


def test_player_sequencing_hidden_from_choice_cluster() -> None:
    hidden = {**FLOW, **rule("preConditionRule", "hiddenFromChoice", "always")}
    seq = course(FLOW, item("a", hidden, item("a1")), item("b"))
    valid = seq.valid_requests()
    toc = {entry["id"]: entry for entry in valid["toc"]}
    assert toc["a"]["hidden"]
    assert toc["a1"]["hidden"]  # hidden with its cluster
    assert not toc["b"]["hidden"]
    assert seq.navigate("choice", "a1").exception == "SB.2.9-3"
    assert seq.navigate("start").activity == "a1"  # flow is not choice


@pytest.mark.parametrize(
    ("condition", "measure", "skipped"),
    [
        ("objectiveMeasureGreaterThan", 0.6, True),
        ("objectiveMeasureGreaterThan", 0.4, False),
        ("objectiveMeasureLessThan", 0.4, True),
        ("objectiveMeasureLessThan", None, False),  # unknown measure: the rule is unknown
        ("objectiveMeasureKnown", 0.1, True),
        ("objectiveMeasureKnown", None, False),
    ],
)
def test_player_sequencing_measure_conditions(
    condition: str, measure: float | None, skipped: bool
) -> None:
    skip = {
        "sequencingRules": {
            "preConditionRule": [
                {
                    "ruleConditions": {
                        "ruleCondition": [{"condition": condition, "measureThreshold": 0.5}]
                    },
                    "ruleAction": {"action": "skip"},
                }
            ]
        }
    }
    seq = course(FLOW, item("a", skip), item("b"))
    if measure is not None:
        seq.report("a", {"cmi.score.scaled": measure})
    assert seq.navigate("start").activity == ("b" if skipped else "a")


@pytest.mark.parametrize(
    ("cmi", "expected"),
    [
        ({"cmi.score.scaled": 0.7}, "passed"),
        ({"cmi.score.scaled": 0.6}, "passed"),
        ({"cmi.score.scaled": 0.5}, "failed"),
        # Satisfied by measure: without a measure the status is unknown (RB.1.2 a).
        ({"cmi.success_status": "passed"}, "unknown"),
    ],
)
def test_player_sequencing_satisfied_by_measure(cmi: dict[str, Any], expected: str) -> None:
    primary = {"satisfiedByMeasure": True, "minNormalizedMeasure": 0.6}
    seq = course(FLOW, item("a", {"objectives": {"primaryObjective": primary}}))
    seq.launch()
    seq.report("a", cmi)
    satisfied = seq.t.satisfied(seq.tree["a"])
    assert {True: "passed", False: "failed", None: "unknown"}[satisfied] == expected


@pytest.mark.parametrize(
    ("progress", "expected"),
    [(0.6, "completed"), (0.5, "completed"), (0.4, "incomplete")],
)
def test_player_sequencing_completed_by_measure(progress: float, expected: str) -> None:
    leaf = item("a")
    leaf["completion_threshold"] = {"completedByMeasure": True, "minProgressMeasure": 0.5}
    seq = course(FLOW, leaf)
    seq.launch()
    seq.report("a", {"cmi.progress_measure": progress, "cmi.completion_status": "incomplete"})
    assert seq.course_status().completion == expected


@pytest.mark.parametrize(
    ("child_set", "extra", "expected"),
    [
        ("all", {}, None),
        ("any", {}, True),
        ("none", {}, None),
        ("atLeastCount", {"minimumCount": 2}, True),
        ("atLeastCount", {"minimumCount": 3}, None),
        ("atLeastPercent", {"minimumPercent": 0.6}, True),
        ("atLeastPercent", {"minimumPercent": 0.7}, None),
    ],
)
def test_player_sequencing_rollup_child_activity_set(
    child_set: str, extra: dict[str, Any], expected: bool | None
) -> None:
    rules = {
        "rollupRules": {
            "rollupRule": [
                {
                    "childActivitySet": child_set,
                    **extra,
                    "rollupConditions": {"rollupCondition": [{"condition": "satisfied"}]},
                    "rollupAction": {"action": "satisfied"},
                }
            ]
        }
    }
    seq = course(rules, item("a"), item("b"), item("c"))
    for leaf, cmi in (("a", PASSED), ("b", PASSED), ("c", FAILED)):
        seq.report(leaf, cmi)
    assert seq.t.satisfied(seq.tree.root) is expected


@pytest.mark.parametrize(
    ("required", "expected"),
    [("always", "unknown"), ("ifAttempted", "passed")],
)
def test_player_sequencing_required_for_satisfied(required: str, expected: str) -> None:
    considerations = {
        "adlseq:rollupConsiderations": {
            "requiredForSatisfied": required,
            "requiredForNotSatisfied": required,
        }
    }
    seq = course(FLOW, item("a"), item("b", considerations))
    run(seq, [("start", None, "a"), ("report", "a", PASSED), ("exit", None, "none")])
    # b was never attempted: counted "always" it keeps the root unknown.
    assert seq.course_status().success == expected


def test_player_sequencing_untracked_child_does_not_roll_up() -> None:
    untracked = {"deliveryControls": {"tracked": False}}
    seq = course(FLOW, item("a"), item("b", untracked))
    run(
        seq,
        [
            ("start", None, "a"),
            ("report", "a", PASSED),
            ("continue", None, "b"),
            ("continue", None, "ended"),
        ],
    )
    assert seq.course_status()[:2] == ("completed", "passed")


def test_player_sequencing_delivery_controls_set_status_on_exit() -> None:
    by_content = {
        "deliveryControls": {"completionSetByContent": True, "objectiveSetByContent": True}
    }
    seq = course(FLOW, item("a"), item("b", by_content))
    run(seq, [("start", None, "a"), ("continue", None, "b"), ("continue", None, "ended")])
    # a (defaults false) is completed and satisfied by the LMS; b stays unknown.
    assert seq.t.completion(seq.tree["a"]) is True
    assert seq.t.satisfied(seq.tree["a"]) is True
    assert seq.t.completion(seq.tree["b"]) is None
    # Default rollup needs every child's status known: b's is not, so the root's is not.
    assert seq.course_status()[:2] == ("unknown", "unknown")
    seq.report("b", FAILED)
    assert seq.course_status()[:2] == ("completed", "failed")


def test_player_sequencing_suspended_sco_resumes_on_choice() -> None:
    seq = course(FLOW, item("a"), item("b"))
    run(seq, [("start", None, "a"), ("report", "a", {"cmi.exit": "suspend"})])
    run(seq, [("continue", None, "b")])
    result = seq.navigate("choice", "a")
    assert (result.activity, result.resume) == ("a", True)
    assert seq.state.activities["a"].attempts == 1


@pytest.mark.parametrize("package", [FORCED, REMEDIATION, PRE_POST, POSTTEST_4TH, RANDOM, SINGLE])
def test_player_sequencing_valid_requests_match_navigate(package: str) -> None:
    """The look-ahead gives the answer navigate would give, target by target."""
    seq = sequencer(package)
    states = []
    for step in ("launch", "report", "continue", "report", "exit"):
        if step == "launch":
            seq.launch()
        elif step == "report" and seq.state.current:
            seq.report(seq.state.current, PASSED)
        else:
            seq.navigate(step)
        states.append(seq.state.copy())
    for state in states:
        valid = Sequencer(seq.tree, state.copy(), rng(0)).valid_requests()
        for request in ("choice", "jump"):
            for target, ok in valid[request].items():
                result = Sequencer(seq.tree, state.copy(), rng(0)).navigate(request, target)
                assert result.ok == ok, (request, target, result)


def test_player_sequencing_runtime_objectives_read_globals() -> None:
    seq = sequencer(FORCED)
    run(seq, [("start", None, "playing_item"), ("report", "playing_item", PASSED)])
    objectives = {o["id"]: o for o in seq.runtime_objectives("etuqiette_item")}
    assert list(objectives) == ["etiquette_satisfied", "previous_sco_satisfied"]
    # previous_sco_satisfied reads playing's global objective.
    assert objectives["previous_sco_satisfied"]["success_status"] == "passed"
    assert objectives["etiquette_satisfied"]["success_status"] == "unknown"
    assert seq.runtime_objectives("playing_item")[0]["id"] == "playing_satisfied"
    assert sequencer(SINGLE).runtime_objectives("item_1") == []


def test_player_sequencing_report_primary_objective_through_cmi_objectives() -> None:
    seq = sequencer(FORCED)
    seq.launch()
    seq.report(
        "playing_item",
        {"cmi.objectives.0.id": "playing_satisfied", "cmi.objectives.0.success_status": "passed"},
    )
    assert seq.t.satisfied(seq.tree["playing_item"]) is True
    # cmi.success_status wins over the objectives entry for the primary objective.
    seq.report(
        "playing_item",
        {
            "cmi.success_status": "failed",
            "cmi.objectives.0.id": "playing_satisfied",
            "cmi.objectives.0.success_status": "passed",
        },
    )
    assert seq.t.satisfied(seq.tree["playing_item"]) is False


def test_player_sequencing_constrain_choice() -> None:
    constrained = {**FLOW, "adlseq:constrainedChoiceConsiderations": {"constrainChoice": True}}
    seq = course(
        FLOW,
        item("a", constrained, item("a1"), item("a2")),
        item("b", FLOW, item("b1")),
        item("c", FLOW, item("c1")),
    )
    run(
        seq,
        [
            ("choice", "a1", "a1"),
            ("choice", "a2", "a2"),  # inside A: free
            ("choice", "c1", "SB.2.9-8"),  # C is not next to A
            ("choice", "b1", "b1"),  # B is
            ("choice", "c1", "c1"),  # B does not constrain choice
        ],
    )


def test_player_sequencing_suspend_all_after_exit_resumes_cluster() -> None:
    seq = course(FLOW, item("a", FLOW, item("a1"), item("a2")), item("b"))
    run(seq, [("start", None, "a1"), ("exit", None, "none"), ("suspendAll", None, "ended")])
    assert seq.state.suspended == "a"  # the leaf had ended: its cluster is suspended
    result = seq.navigate("resumeAll")
    assert result.activity == "a1"
    assert seq.state.activities["a"].attempts == 1  # resumed, not restarted
    assert seq.state.activities["a1"].attempts == 2


CM01 = "bad_2004v4_adl_cm01_broken_default_org.zip"


@pytest.mark.parametrize(
    ("activity", "scaled", "expected"),
    [
        ("activity_2", 0.85, True),  # minNormalizedMeasure 0.8
        ("activity_2", 0.75, False),
        ("activity_3", 0.75, True),  # minNormalizedMeasure 0.7
        ("activity_1", 0.1, None),  # not satisfied by measure: the SCO reported no status
    ],
)
def test_player_sequencing_adl_cm01_satisfied_by_measure(
    activity: str, scaled: float, expected: bool | None
) -> None:
    seq = sequencer(CM01)  # its default organization is broken; the parser falls back
    seq.report(activity, {"cmi.score.scaled": scaled})
    assert seq.t.satisfied(seq.tree[activity]) is expected


def test_player_sequencing_adl_cm01_flow_only() -> None:
    seq = sequencer(CM01)
    run(
        seq,
        [
            ("start", None, "activity_1"),
            ("choice", "activity_3", "NB.2.1-10"),  # choice false on the organization
            ("continue", None, "activity_2"),
        ],
    )
    valid = seq.valid_requests()
    assert valid["hide_lms_ui"] == ["continue", "previous", "suspendAll"]
    assert valid["continue"]
    assert not any(valid["choice"][a] for a in ("activity_1", "activity_2", "activity_3"))


def test_player_sequencing_measure_satisfaction_if_active() -> None:
    primary = {"satisfiedByMeasure": True, "minNormalizedMeasure": 0.5}
    seq = course(
        FLOW,
        item(
            "a",
            {
                "objectives": {"primaryObjective": primary},
                "adlseq:rollupConsiderations": {"measureSatisfactionIfActive": False},
            },
        ),
        item("b"),
    )
    run(seq, [("start", None, "a"), ("report", "a", {"cmi.score.scaled": 0.9})])
    assert seq.t.satisfied(seq.tree["a"]) is None  # still active: the measure waits
    run(seq, [("continue", None, "b")])
    assert seq.t.satisfied(seq.tree["a"]) is True


def test_player_sequencing_scorm12_prerequisites_can_be_ignored() -> None:
    seq = Sequencer(tree_of(COMPLEX), SequencingState(), prerequisites=False)
    assert seq.valid_requests()["choice"][COMPLEX_IDS[8]]
    assert seq.navigate("choice", COMPLEX_IDS[8]).activity == COMPLEX_IDS[8]


def test_player_sequencing_4th_edition_assessment_shown_when_content_done() -> None:
    seq = sequencer(POSTTEST_4TH)
    seq.launch()
    for item_id, following in (
        ("playing_item", "etuqiette_item"),
        ("etuqiette_item", "handicapping_item"),
        ("handicapping_item", "havingfun_item"),
    ):
        run(seq, [("report", item_id, COMPLETED), ("continue", None, following)])
    assert seq.valid_requests()["choice"]["assessment_item"] is False
    seq.report("havingfun_item", COMPLETED)
    valid = seq.valid_requests()
    assert valid["choice"]["assessment_item"] is True
    assert not {e["id"]: e for e in valid["toc"]}["assessment_item"]["hidden"]


def test_player_sequencing_none_request() -> None:
    seq = sequencer(FORCED)
    seq.launch()
    result = seq.navigate("_none_")
    assert result.ok
    assert result.activity is None
    assert seq.state.current == "playing_item"


CMI_SAMPLES: list[dict[str, Any]] = [
    PASSED,
    FAILED,
    COMPLETED,
    {"cmi.completion_status": "incomplete", "cmi.exit": "suspend"},
    {"cmi.score.scaled": 0.95, "cmi.success_status": "passed"},
    {"cmi.core.lesson_status": "passed", "cmi.core.score.raw": "90"},
    {"cmi.completion_status": "unknown", "cmi.success_status": "unknown", "cmi.exit": ""},
]
REQUESTS = ["start", "resumeAll", "continue", "previous", "choice", "jump", "exit", "exitAll",
            "abandon", "abandonAll", "suspendAll", "report", "report", "report"]  # fmt: skip


@pytest.mark.parametrize(
    "package", [FORCED, REMEDIATION, PRE_POST, POSTTEST_4TH, RANDOM, SINGLE, COMPLEX, CM01]
)
def test_player_sequencing_random_walk_keeps_invariants(package: str) -> None:
    """Hundreds of random requests: only SN refusals, never a crash or a broken state."""
    tree = tree_of(package)
    ids = list(tree.activities)
    pick = rng(sum(map(ord, package)))
    seq = Sequencer(tree, SequencingState(), rng(3))
    for _ in range(300):
        request = pick.choice(REQUESTS)
        if request == "report":
            seq.report(pick.choice(ids), pick.choice(CMI_SAMPLES))
        else:
            target = pick.choice(ids) if request in ("choice", "jump") else None
            result = seq.navigate(request, target)
            assert result.ok or result.exception in EXCEPTIONS
            if result.activity:
                assert tree[result.activity].href
        active = [a for a in ids if seq.state.activity(a).active]
        if not tree.simple:
            # Only the current activity's path is active (SN §4.2 activity state).
            current = tree[seq.state.current] if seq.state.current else None
            on_path = {a.id for a in current.path_from_root()} if current else set()
            assert set(active) <= on_path
        data = json.loads(json.dumps(seq.state.to_json()))
        assert SequencingState.from_json(data).to_json() == data
        seq = Sequencer(tree, SequencingState.from_json(data), rng(3))
        assert seq.course_status().completion in (
            "completed", "incomplete", "not attempted", "unknown"
        )  # fmt: skip


def _cmi(completion: str | None, success: str | None) -> dict[str, Any]:
    return {
        "cmi.completion_status": completion or "unknown",
        "cmi.success_status": success or "unknown",
    }


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (("completed", "passed"), ("completed", "passed"), ("completed", "passed")),
        (("completed", "passed"), ("completed", "failed"), ("completed", "failed")),
        (("incomplete", "failed"), ("incomplete", "failed"), ("incomplete", "failed")),
        (("incomplete", None), ("completed", "passed"), ("incomplete", "unknown")),
        # One child unknown: neither default rule of a pair fires.
        (("completed", "passed"), (None, None), ("unknown", "unknown")),
    ],
)
def test_player_sequencing_default_rollup_rules(
    a: tuple[str | None, str | None],
    b: tuple[str | None, str | None],
    expected: tuple[str, str],
) -> None:
    seq = course(FLOW, item("a"), item("b"))
    seq.launch()
    seq.report("a", _cmi(*a))
    seq.report("b", _cmi(*b))
    assert seq.course_status()[:2] == expected


def test_player_sequencing_required_if_not_suspended() -> None:
    considerations = {
        "adlseq:rollupConsiderations": {
            "requiredForCompleted": "ifNotSuspended",
            "requiredForIncomplete": "ifNotSuspended",
        }
    }
    seq = course(FLOW, item("a"), item("b", considerations))
    run(
        seq,
        [
            ("start", None, "a"),
            ("report", "a", COMPLETED),
            ("continue", None, "b"),
            ("report", "b", {"cmi.completion_status": "incomplete", "cmi.exit": "suspend"}),
        ],
    )
    assert seq.course_status().completion == "incomplete"  # b still counts while active
    run(seq, [("suspendAll", None, "ended")])
    assert seq.course_status().completion == "completed"  # b is suspended: left out


@pytest.mark.parametrize(("package", "carried"), [(FORCED, False), (CM01, True)])
def test_player_sequencing_next_attempt_globals(package: str, carried: bool) -> None:
    seq = sequencer(package)
    seq.launch()
    seq.state.global_objective("shared").satisfied = True
    fresh = seq.state.next_attempt(seq.tree.objectives_global_to_system)
    assert fresh.activities == {}
    assert fresh.current is None
    assert ("shared" in fresh.globals) is carried
