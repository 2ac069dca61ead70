"""Helpers of the classroom test tests: a course with a test, a session, its participants."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.db import db
from tests.portal.conftest import Portal, post

EN = {"Accept-Language": "en"}


def question_form(
    text_sv: str, options: list[tuple[str, bool]], multiple: bool = False, text_en: str = ""
) -> dict[str, str]:
    """The author's question form: Swedish options, the right ones ticked."""
    form = {"action": "add", "text_sv": text_sv, "text_en": text_en}
    if multiple:
        form["multiple"] = "true"
    for n, (words, right) in enumerate(options, start=1):
        form[f"opt{n}_sv"] = words
        if right:
            form[f"opt{n}_right"] = "true"
    return form


#: Three questions: q1 single (b right), q2 multiple (a and c right), q3 single (a right).
QUESTIONS = [
    question_form(
        "Vad släcker en fettbrand?", [("Vatten", False), ("Lock", True), ("Luft", False)]
    ),
    question_form(
        "Vilka är utrymningsvägar?",
        [("Trapphus", True), ("Hiss", False), ("Nödutgång", True)],
        multiple=True,
        text_en="Which are escape routes?",
    ),
    question_form("Larmnumret?", [("112", True), ("911", False)]),
]


def add_questions(author: FlaskClient, course: int) -> None:
    for form in QUESTIONS:
        response = post(author, f"/author/courses/{course}/test", form)
        assert response.status_code == 302, response.get_data(as_text=True)


def question_ids(app: Flask, course: int) -> list[int]:
    """The ids of the newest version's questions, in order."""
    from portal import classroom_tests

    with app.app_context():
        test = classroom_tests.newest(course)
        assert test is not None
        return [q.id for q in classroom_tests.questions_of(test)]


def answers(ids: list[int], marks: str) -> dict[str, Any]:
    """The test form answered right (r) or wrong (w) per question (QUESTIONS' keys)."""
    right: list[Any] = ["b", ["a", "c"], "a"]
    wrong: list[Any] = ["a", ["a"], "b"]
    return {
        f"q{qid}": (right if mark == "r" else wrong)[n]
        for n, (qid, mark) in enumerate(zip(ids, marks, strict=True))
    }


def enrolment_ids(trainer: FlaskClient, session: int) -> dict[str, int]:
    """The session's enrolments by learner name, from the attendance form."""
    page = trainer.get(f"/trainer/sessions/{session}").get_data(as_text=True)
    found = re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td><input type="checkbox" id="e(\d+)-', page
    )
    return {name: int(ident) for name, ident in found}


def booked(
    portal: Portal, login: Callable[[int], FlaskClient], session: int, name: str
) -> tuple[int, FlaskClient]:
    """A learner booked on the session (through the portal)."""
    user = portal.user(f"{name.lower()}@example.org", name=name)
    client = login(user)
    assert post(client, f"/sessions/{session}/enrol").status_code == 302
    return user, client


def sittings(app: Flask) -> list[Any]:
    from portal.classroom_test_models import TestSitting

    with app.app_context():
        return [
            (s.user_id, s.right, s.total, s.recorded_by_id)
            for s in db.session.scalars(select(TestSitting))
        ]
