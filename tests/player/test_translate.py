"""SCORM → xAPI translation: valid statements, the profile's verbs, idempotent ids."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core import vocabulary
from lrs.schemas import validate_statement
from player.cmi import (
    SCORM12,
    SCORM2004,
    finish_session,
    initial_cmi,
    normalise_commit,
    restore_readonly,
)
from player.translate import (
    TranslateContext,
    attempt_activity_id,
    statement_id,
    statements_for_commit,
    statements_for_end,
    statements_for_launch,
    xapi_response,
)

VERBS = "http://adlnet.gov/expapi/verbs/"
COURSE = "https://kompetens.example/courses/9f2c"
SCO = "https://kompetens.example/courses/9f2c/sco/item_1"
REGISTRATION = "6f1c2a8e-3b7d-4c55-9a10-2d3e4f5a6b7c"


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Override the suite's table cleaner: these modules are pure, no app, no database."""


def context(version: str, session: str = "1") -> TranslateContext:
    return TranslateContext(
        actor={
            "objectType": "Agent",
            "account": {"homePage": "https://kompetens.example", "name": "u1"},
        },
        registration=REGISTRATION,
        course_activity_id=COURSE,
        course_title="Brandskydd",
        sco_activity_id=SCO,
        sco_title="Lektion 1",
        version=version,
        platform="Kompetens",
        language="sv-SE",
        session=session,
    )


def verbs(statements: list[dict[str, Any]]) -> list[str]:
    return [s["verb"]["id"].removeprefix(VERBS) for s in statements]


def assert_valid(statements: list[dict[str, Any]]) -> None:
    for statement in statements:
        validate_statement(statement, "1.0.3")
        validate_statement(statement, "2.0.0")
    ids = [s["id"] for s in statements]
    assert len(ids) == len(set(ids))


def with_values(tree: dict[str, Any], **values: Any) -> dict[str, Any]:
    """Copy ``tree`` setting dotted paths (``core.score.raw``) to values."""
    out = copy.deepcopy(tree)
    for dotted, value in values.items():
        node = out
        parts = dotted.split("__")
        for part in parts[:-1]:
            key: Any = int(part) if part.isdigit() else part
            if isinstance(node, list):
                while len(node) <= key:
                    node.append({})
                node = node[key]
            else:
                node = node.setdefault(key, [] if parts[parts.index(part) + 1].isdigit() else {})
        node[parts[-1]] = value
    return out


# -- a realistic SCORM 2004 session -----------------------------------------------------

ITEM_2004 = {
    "identifier": "item_1",
    "completion_threshold": {"completedByMeasure": True, "minProgressMeasure": 0.8},
    "sequencing": {
        "objectives": {
            "primaryObjective": {
                "objectiveID": "prim",
                "satisfiedByMeasure": True,
                "minNormalizedMeasure": {"value": 0.6},
            }
        }
    },
}


def session_2004() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(before, after) pairs of three commits of one 2004 session."""
    sent = initial_cmi(
        SCORM2004,
        learner_id="u1",
        learner_name="Jane",
        item=ITEM_2004,
        entry="ab-initio",
        previous=None,
    )
    c1 = normalise_commit(
        {
            "cmi": {
                **sent,
                "location": "page2",
                "progress_measure": "0.4",
                "interactions": {
                    "0": {
                        "id": "urn:kompetens:q1",
                        "type": "choice",
                        "description": "{lang=sv}Vilken släckare?",
                        "learner_response": "co2[,]powder",
                        "result": "incorrect",
                        "latency": "PT12.5S",
                        "timestamp": "2026-11-26T10:00:00Z",
                        "correct_responses": {"0": {"pattern": "co2"}},
                    }
                },
            }
        }
    )
    c2 = copy.deepcopy(c1)
    c2["interactions"].append(
        {
            "id": "q2",
            "type": "fill-in",
            "learner_response": "{lang=sv}112",
            "result": "correct",
            "correct_responses": [{"pattern": "{case_matters=false}112"}],
        }
    )
    c2["interactions"].append(
        {
            "id": "q3",
            "type": "matching",
            "learner_response": "a[.]1[,]b[.]2",
            "result": "correct",
            "correct_responses": [{"pattern": "a[.]1[,]b[.]2"}],
        }
    )
    c2["score"] = {"scaled": "0.75", "raw": "75", "min": "0", "max": "100"}
    c3 = copy.deepcopy(c2)
    c3["progress_measure"] = "1"
    c3["objectives"][0].update({"success_status": "passed", "score": {"scaled": "0.75"}})
    c3["session_time"] = "PT4M"
    c3["exit"] = "normal"
    return [(sent, c1), (c1, c2), (c2, c3)]


def test_player_translate_session_2004_verbs() -> None:
    ctx = context(SCORM2004)
    commits = session_2004()
    launch = statements_for_launch(ctx, "ab-initio")
    per_commit = [statements_for_commit(ctx, before, after) for before, after in commits]
    outcome = finish_session(SCORM2004, commits[-1][1], wallclock_seconds=300)
    end = statements_for_end(ctx, outcome, commits[-1][1])
    assert verbs(launch) == ["initialized"]
    assert verbs(per_commit[0]) == ["answered"]
    assert verbs(per_commit[1]) == ["answered", "answered", "scored", "passed"]
    assert verbs(per_commit[2]) == ["passed", "completed"]
    assert verbs(end) == ["terminated"]
    everything = launch + [s for batch in per_commit for s in batch] + end
    assert_valid(everything)


def test_player_translate_session_2004_statement_shape() -> None:
    ctx = context(SCORM2004)
    (before, after) = session_2004()[0]
    (answered,) = statements_for_commit(ctx, before, after)
    assert answered["actor"] == ctx.actor
    assert answered["object"] == {
        "objectType": "Activity",
        "id": f"{SCO}/interactions/urn%3Akompetens%3Aq1",
        "definition": {
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "name": {"sv-SE": "urn:kompetens:q1"},
            "interactionType": "choice",
            "correctResponsesPattern": ["co2"],
            "description": {"sv-SE": "Vilken släckare?"},
        },
    }
    assert answered["result"] == {
        "response": "co2[,]powder",
        "success": False,
        "duration": "PT12.5S",
    }
    assert answered["timestamp"] == "2026-11-26T10:00:00Z"
    context_ = answered["context"]
    assert context_["registration"] == REGISTRATION
    assert context_["platform"] == "Kompetens"
    assert context_["language"] == "sv-SE"
    activities = context_["contextActivities"]
    assert [a["id"] for a in activities["parent"]] == [SCO]
    assert [a["id"] for a in activities["grouping"]] == [COURSE, f"{SCO}?attemptId={REGISTRATION}"]
    assert (
        activities["grouping"][1]["definition"]["type"]
        == "http://adlnet.gov/expapi/activities/attempt"
    )
    assert [a["id"] for a in activities["category"]] == [vocabulary.SCORM_PROFILE]


def test_player_translate_sco_statements_have_course_parent() -> None:
    ctx = context(SCORM2004)
    (launch,) = statements_for_launch(ctx, "ab-initio")
    assert launch["object"]["id"] == SCO
    assert launch["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/lesson"
    assert launch["object"]["definition"]["name"] == {"sv-SE": "Lektion 1"}
    parent = launch["context"]["contextActivities"]["parent"]
    assert parent[0]["id"] == COURSE
    assert parent[0]["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"
    assert "timestamp" not in launch


def test_player_translate_commit_resent_gives_same_statements() -> None:
    ctx = context(SCORM2004)
    for before, after in session_2004():
        first = statements_for_commit(ctx, before, after)
        again = statements_for_commit(ctx, copy.deepcopy(before), copy.deepcopy(after))
        assert first == again
        # Once stored, the same commit arriving again changes nothing: no statements.
        assert statements_for_commit(ctx, after, after) == []


def test_player_translate_ids_differ_per_session_and_registration() -> None:
    one = statements_for_launch(context(SCORM2004, session="1"), "resume")[0]["id"]
    two = statements_for_launch(context(SCORM2004, session="2"), "resume")[0]["id"]
    other = context(SCORM2004, session="1")
    other.registration = "0b7d8a8e-0000-4c55-9a10-2d3e4f5a6b7c"
    three = statements_for_launch(other, "resume")[0]["id"]
    assert len({one, two, three}) == 3
    assert statement_id(context(SCORM2004, "1"), "x") == statement_id(context(SCORM2004, "1"), "x")


def test_player_translate_attempt_activity_keeps_query() -> None:
    ctx = context(SCORM12)
    ctx.sco_activity_id = "https://kompetens.example/sco?x=1"
    assert attempt_activity_id(ctx) == f"https://kompetens.example/sco?x=1&attemptId={REGISTRATION}"


@pytest.mark.parametrize(
    ("entry", "verb"), [("ab-initio", "initialized"), ("resume", "resumed"), ("", "initialized")]
)
def test_player_translate_launch_verb(entry: str, verb: str) -> None:
    statements = statements_for_launch(context(SCORM12), entry)
    assert verbs(statements) == [verb]
    assert_valid(statements)


def test_player_translate_launch_timestamp_passed_through() -> None:
    (statement,) = statements_for_launch(
        context(SCORM12), "resume", timestamp="2026-11-26T10:00:00Z"
    )
    assert statement["timestamp"] == "2026-11-26T10:00:00Z"
    assert_valid([statement])


# -- a realistic SCORM 1.2 session (mastery score 70, like the Adapt corpus course) ----------

ITEM_12 = {"identifier": "item_1", "masteryscore": 70.0}


def sent_12(entry: str = "ab-initio", previous: dict[str, Any] | None = None) -> dict[str, Any]:
    return initial_cmi(
        SCORM12,
        learner_id="u1",
        learner_name="Doe, Jane",
        item=ITEM_12,
        entry=entry,
        previous=previous,
    )


def test_player_translate_session_12_suspend_resume_pass() -> None:
    ctx = context(SCORM12, session="1")
    sent = sent_12()
    c1 = with_values(
        sent,
        core__lesson_location="3",
        core__lesson_status="incomplete",
        suspend_data="x" * 6000,
        interactions__0__id="q1",
        interactions__0__type="true-false",
        interactions__0__student_response="t",
        interactions__0__result="wrong",
        interactions__0__latency="0000:00:07.25",
        interactions__0__correct_responses__0__pattern="f",
        core__exit="suspend",
        core__session_time="0000:02:00",
    )
    first = statements_for_commit(ctx, sent, c1)
    assert verbs(first) == ["answered"]
    assert first[0]["result"] == {"response": "true", "success": False, "duration": "PT7.25S"}
    assert first[0]["object"]["definition"]["correctResponsesPattern"] == ["false"]
    outcome = finish_session(SCORM12, restore_readonly(SCORM12, sent, c1), wallclock_seconds=130)
    end = statements_for_end(ctx, outcome, c1)
    assert verbs(end) == ["suspended"]
    assert end[0]["result"] == {"completion": False, "duration": "PT2M"}

    ctx2 = context(SCORM12, session="2")
    sent2 = sent_12("resume", outcome.cmi)
    launch = statements_for_launch(ctx2, outcome.next_entry)
    c2 = with_values(
        sent2,
        interactions__1__id="q2",
        interactions__1__type="choice",
        interactions__1__student_response="{a,c}",
        interactions__1__result="correct",
        core__score__raw="80",
        core__session_time="0000:01:00",
    )
    second = statements_for_commit(ctx2, sent2, c2)
    assert verbs(launch) == ["resumed"]
    assert verbs(second) == ["answered", "scored", "completed", "passed"]
    assert second[0]["result"]["response"] == "a[,]c"
    assert second[1]["result"] == {"score": {"scaled": 0.8, "raw": 80.0}}
    outcome2 = finish_session(SCORM12, restore_readonly(SCORM12, sent2, c2), wallclock_seconds=61)
    assert outcome2.total_seconds == 180
    end2 = statements_for_end(ctx2, outcome2, c2)
    assert verbs(end2) == ["terminated"]
    assert end2[0]["result"]["success"] is True
    assert end2[0]["result"]["duration"] == "PT1M"
    assert_valid(first + end + launch + second + end2)


def test_player_translate_end_emits_final_evaluation() -> None:
    """A 2004 SCO that only reports progress: the threshold completes it at Terminate."""
    ctx = context(SCORM2004)
    cmi = {
        "completion_threshold": "0.5",
        "progress_measure": "0.6",
        "exit": "",
        "completion_status": "incomplete",
    }
    outcome = finish_session(SCORM2004, cmi, wallclock_seconds=42)
    # status_of already applies the threshold, so the commit would have said "completed";
    # a tree whose stored status was never evaluated still gets it at the end:
    end = statements_for_end(ctx, outcome, {"completion_status": "incomplete"})
    assert verbs(end) == ["completed", "terminated"]
    assert end[-1]["result"]["duration"] == "PT42S"
    assert_valid(end)


def test_player_translate_failed_then_passed() -> None:
    ctx = context(SCORM2004)
    base = {"success_status": "failed", "score": {"scaled": "0.2"}}
    better = {"success_status": "passed", "score": {"scaled": "0.9"}}
    assert verbs(statements_for_commit(ctx, {}, base)) == ["scored", "failed"]
    assert verbs(statements_for_commit(ctx, base, better)) == ["scored", "passed"]


def test_player_translate_unchanged_interaction_not_repeated() -> None:
    ctx = context(SCORM2004)
    tree = {
        "interactions": [{"id": "q1", "type": "numeric", "learner_response": "3", "result": "0.5"}]
    }
    (statement,) = statements_for_commit(ctx, {}, tree)
    assert statement["result"] == {"response": "3", "score": {"raw": 0.5}}
    assert statements_for_commit(ctx, tree, copy.deepcopy(tree)) == []
    changed = {
        "interactions": [
            {"id": "q1", "type": "numeric", "learner_response": "4", "result": "correct"}
        ]
    }
    (again,) = statements_for_commit(ctx, tree, changed)
    assert again["id"] != statement["id"]
    assert_valid([statement, again])


def test_player_translate_interaction_without_response_is_skipped() -> None:
    ctx = context(SCORM2004)
    tree = {
        "interactions": [{"id": "q1", "type": "choice", "correct_responses": [{"pattern": "a"}]}]
    }
    assert statements_for_commit(ctx, {}, tree) == []


def test_player_translate_objective_statements() -> None:
    ctx = context(SCORM2004)
    before = {"objectives": [{"id": "obj 1", "success_status": "unknown"}]}
    after = {
        "objectives": [
            {"id": "obj 1", "success_status": "passed", "completion_status": "completed"}
        ]
    }
    statements = statements_for_commit(ctx, before, after)
    assert verbs(statements) == ["completed", "passed"]
    assert statements[0]["object"]["id"] == f"{SCO}/objectives/obj%201"
    assert statements[0]["context"]["contextActivities"]["parent"][0]["id"] == SCO
    assert_valid(statements)


# -- interaction types and responses ----------------------------------------------------


@pytest.mark.parametrize(
    ("version", "kind", "value", "expected"),
    [
        (SCORM12, "true-false", "t", "true"),
        (SCORM12, "true-false", "1", "true"),
        (SCORM12, "true-false", "f", "false"),
        (SCORM12, "true-false", "0", "false"),
        (SCORM12, "choice", "a,b,c", "a[,]b[,]c"),
        (SCORM12, "choice", "{a,b}", "a[,]b"),
        (SCORM12, "choice", "a", "a"),
        (SCORM12, "sequencing", "c,a,b", "c[,]a[,]b"),
        (SCORM12, "matching", "a.1,b.2", "a[.]1[,]b[.]2"),
        (SCORM12, "matching", "{a.1,b.2}", "a[.]1[,]b[.]2"),
        (SCORM12, "fill-in", "Stockholm, Sweden", "Stockholm, Sweden"),
        (SCORM12, "numeric", "3.5", "3.5"),
        (SCORM12, "likert", "4", "4"),
        (SCORM12, "performance", "step one done", "step one done"),
        (SCORM2004, "true-false", "true", "true"),
        (SCORM2004, "choice", "a[,]b", "a[,]b"),
        (SCORM2004, "fill-in", "{lang=sv}hej[,]{lang=en}hi", "hej[,]hi"),
        (SCORM2004, "long-fill-in", "{lang=sv}En lång text", "En lång text"),
        (SCORM2004, "matching", "a[.]1[,]b[.]2", "a[.]1[,]b[.]2"),
        (SCORM2004, "performance", "s1[.]5[,]s2[.]x", "s1[.]5[,]s2[.]x"),
        (SCORM2004, "sequencing", "c[,]a[,]b", "c[,]a[,]b"),
        (SCORM2004, "likert", "agree", "agree"),
        (SCORM2004, "numeric", "42", "42"),
        (SCORM2004, "other", "anything [,] goes", "anything [,] goes"),
    ],
)
def test_player_translate_response_format(
    version: str, kind: str, value: str, expected: str
) -> None:
    assert xapi_response(version, kind, value) == expected


@pytest.mark.parametrize(
    ("version", "kind", "pattern", "expected"),
    [
        (
            SCORM2004,
            "fill-in",
            "{case_matters=true}{lang=sv}Hej",
            "{case_matters=true}{lang=sv}Hej",
        ),
        (SCORM2004, "numeric", "1[:]5", "1[:]5"),
        (SCORM2004, "sequencing", "{order_matters=false}a[,]b", "{order_matters=false}a[,]b"),
        (SCORM12, "choice", "a,b", "a[,]b"),
        (SCORM12, "true-false", "t", "true"),
    ],
)
def test_player_translate_pattern_format(
    version: str, kind: str, pattern: str, expected: str
) -> None:
    assert xapi_response(version, kind, pattern, pattern=True) == expected


@pytest.mark.parametrize(
    ("version", "kind", "response", "xapi_kind"),
    [
        (SCORM12, "true-false", "t", "true-false"),
        (SCORM12, "choice", "a,b", "choice"),
        (SCORM12, "fill-in", "x", "fill-in"),
        (SCORM12, "matching", "a.1", "matching"),
        (SCORM12, "performance", "free text", "other"),
        (SCORM12, "sequencing", "a,b", "sequencing"),
        (SCORM12, "likert", "3", "likert"),
        (SCORM12, "numeric", "3", "numeric"),
        (SCORM12, "", "x", "other"),
        (SCORM2004, "true-false", "false", "true-false"),
        (SCORM2004, "choice", "a[,]b", "choice"),
        (SCORM2004, "fill-in", "x", "fill-in"),
        (SCORM2004, "long-fill-in", "long text", "long-fill-in"),
        (SCORM2004, "matching", "a[.]1", "matching"),
        (SCORM2004, "performance", "s1[.]x", "performance"),
        (SCORM2004, "sequencing", "a[,]b", "sequencing"),
        (SCORM2004, "likert", "3", "likert"),
        (SCORM2004, "numeric", "3", "numeric"),
        (SCORM2004, "other", "x", "other"),
    ],
)
def test_player_translate_interaction_type(
    version: str, kind: str, response: str, xapi_kind: str
) -> None:
    key = "student_response" if version == SCORM12 else "learner_response"
    result = "wrong" if version == SCORM12 else "incorrect"
    tree = {"interactions": [{"id": "q1", "type": kind, key: response, "result": result}]}
    (statement,) = statements_for_commit(context(version), {}, tree)
    assert statement["object"]["definition"]["interactionType"] == xapi_kind
    assert statement["result"]["success"] is False
    assert_valid([statement])


@pytest.mark.parametrize(
    ("version", "result", "expected"),
    [
        (SCORM12, "correct", {"success": True}),
        (SCORM12, "wrong", {"success": False}),
        (SCORM12, "unanticipated", {}),
        (SCORM12, "neutral", {}),
        (SCORM12, "0.75", {"score": {"raw": 0.75}}),
        (SCORM2004, "correct", {"success": True}),
        (SCORM2004, "incorrect", {"success": False}),
        (SCORM2004, "unanticipated", {}),
        (SCORM2004, "neutral", {}),
        (SCORM2004, "-2.5", {"score": {"raw": -2.5}}),
    ],
)
def test_player_translate_interaction_result(
    version: str, result: str, expected: dict[str, Any]
) -> None:
    key = "student_response" if version == SCORM12 else "learner_response"
    tree = {"interactions": [{"id": "q1", "type": "likert", key: "3", "result": result}]}
    (statement,) = statements_for_commit(context(version), {}, tree)
    assert statement["result"] == {"response": "3", **expected}
    assert_valid([statement])


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (
            {"raw": "80", "min": "0", "max": "100"},
            {"scaled": 0.8, "raw": 80.0, "min": 0.0, "max": 100.0},
        ),
        ({"raw": "80", "min": "", "max": ""}, {"scaled": 0.8, "raw": 80.0}),
        ({"raw": "5", "min": "10", "max": "100"}, {"raw": 5.0}),  # raw < min: drop the bounds
        ({"raw": "50", "min": "50", "max": "50"}, {"raw": 50.0}),  # min == max is invalid xAPI
    ],
)
def test_player_translate_score_12(score: dict[str, str], expected: dict[str, float]) -> None:
    tree = {"core": {"score": score, "lesson_status": "incomplete"}}
    statements = statements_for_commit(context(SCORM12), {}, tree)
    scored = [s for s in statements if s["verb"]["id"].endswith("scored")]
    assert scored[0]["result"]["score"] == expected
    assert_valid(statements)


@pytest.mark.parametrize(
    "tree",
    [
        {"objectives": {"_count": "1", "0": {"id": "o1", "success_status": "passed"}}},
        {"objectives": "nonsense", "interactions": 5, "score": "x"},
        {"interactions": [None, {"id": "q1"}, "x"]},
        {"cmi": {"objectives": [{"id": "o1", "success_status": "passed"}]}},
    ],
)
def test_player_translate_tolerates_odd_trees(tree: dict[str, Any]) -> None:
    statements = statements_for_commit(context(SCORM2004), {}, tree)
    assert_valid(statements)


@pytest.mark.parametrize(
    ("version", "tree"),
    [
        # Rise and Captivate (SCORM 1.2) write the bounds first, before any score.
        (SCORM12, {"core": {"score": {"raw": "", "min": "0", "max": "100"}}}),
        (SCORM12, {"core": {"score": {"max": "100"}, "lesson_status": "completed"}}),
        (SCORM2004, {"score": {"min": "0", "max": "100"}, "completion_status": "completed"}),
    ],
)
def test_player_translate_bounds_without_a_score_send_no_score(
    version: str, tree: dict[str, Any]
) -> None:
    """Only a raw or scaled score the SCO reported is a score; bounds alone are not."""
    statements = statements_for_commit(context(version), {}, tree)
    assert "scored" not in verbs(statements)
    assert all("score" not in (s.get("result") or {}) for s in statements)
    assert_valid(statements)
