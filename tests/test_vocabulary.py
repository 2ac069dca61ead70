"""The IRIs of core/vocabulary.py: what is built is parsed back, by pure functions."""

from __future__ import annotations

import pytest

from core import vocabulary

HOME = "https://lms.example.se/"


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Override conftest's: these tests call pure functions, with no app and no rows."""


def test_vocabulary_course_iri_round_trip() -> None:
    iri = vocabulary.course_iri(HOME, 42)
    assert iri == "https://lms.example.se/courses/42"
    assert vocabulary.course_id_of(HOME, iri) == 42


@pytest.mark.parametrize(
    "iri",
    [
        "https://lms.example.se/sessions/42",
        "https://lms.example.se/courses/42/sco",
        "https://lms.example.se/courses/",
        "https://other.example.se/courses/42",
        "urn:x:courses/42",
    ],
)
def test_vocabulary_course_id_of_other_iris(iri: str) -> None:
    assert vocabulary.course_id_of(HOME, iri) is None


def test_vocabulary_session_and_category_iris() -> None:
    assert vocabulary.session_iri(HOME, 7) == "https://lms.example.se/sessions/7"
    assert vocabulary.classroom_category(HOME) == "https://lms.example.se/kinds/classroom"


def test_vocabulary_verbs_and_types() -> None:
    assert vocabulary.verb("passed") == {
        "id": "http://adlnet.gov/expapi/verbs/passed",
        "display": {"en-US": "passed"},
    }
    assert vocabulary.SATISFIED == "https://w3id.org/xapi/adl/verbs/satisfied"
    assert set(vocabulary.OUTCOME_VERBS.values()) == {"completed", "passed", "failed"}
    assert vocabulary.activity_type("lesson") == "http://adlnet.gov/expapi/activities/lesson"
    with pytest.raises(KeyError):
        vocabulary.verb("liked")


@pytest.mark.parametrize(
    ("activity", "part"),
    [
        ({"id": vocabulary.objective_iri("https://x/sco", "o 1")}, True),
        ({"id": vocabulary.interaction_iri("https://x/sco", "q/1")}, True),
        ({"id": "https://x/q", "definition": {"type": vocabulary.TYPE_INTERACTION}}, True),
        ({"id": "https://x/sco", "definition": {"type": vocabulary.TYPE_COURSE}}, False),
    ],
)
def test_vocabulary_parts_of_a_lesson(activity: dict[str, object], part: bool) -> None:
    assert vocabulary.is_part(activity) is part


def test_vocabulary_part_ids_are_escaped() -> None:
    assert vocabulary.objective_iri("https://x/sco", "o 1") == "https://x/sco/objectives/o%201"
    assert vocabulary.interaction_iri("https://x/sco", "q/1") == "https://x/sco/interactions/q%2F1"


def test_vocabulary_classroom_test_iris() -> None:
    assert vocabulary.classroom_test_iri(HOME, 3) == "https://lms.example.se/classroom-tests/3"
    question = vocabulary.classroom_question_iri(HOME, 3, 9)
    assert question == "https://lms.example.se/classroom-tests/3/questions/9"
    assert vocabulary.course_id_of(HOME, question) is None
    assert vocabulary.TYPE_ASSESSMENT == "http://adlnet.gov/expapi/activities/assessment"
