"""Data for the course evaluation tests: questions, results that entitle, answers."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from tests.portal.conftest import CSRF, package_zip

VERB = "http://adlnet.gov/expapi/verbs/"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Evals:
    """Questions, completed courses and attended sessions, built as the product does."""

    def __init__(self, app: Flask, xapi: Any) -> None:
        self.app = app
        self.xapi = xapi  # a trusted LRS client: the results it stores count
        self.home = app.config["AGENT_HOMEPAGE"]

    def questions(self, *pairs: tuple[str, str]) -> list[int]:
        """Add questions (Swedish, English); the two of the issue by default."""
        from portal import evaluation_questions

        pairs = pairs or (
            ("Kursen var relevant för mitt arbete", "The course was relevant to my work"),
            ("Innehållet var lätt att förstå", "The content was easy to understand"),
        )
        with self.app.app_context():
            ids = [evaluation_questions.create_question(sv, en).id for sv, en in pairs]
            db.session.commit()
            return ids

    def new_version(self, course: int) -> int:
        """Upload the course's next package version; its number."""
        from packages import service as packages
        from portal import catalogue

        with self.app.app_context():
            result = catalogue.upload_version(
                packages.get_course(course), io.BytesIO(package_zip("Brandskydd 2")), "v.zip"
            )
            db.session.commit()
            return result.version.number

    def completed(
        self, user: int, course: int, verb: str = "passed", version: int | None = 1
    ) -> str:
        """An attempt of the learner on the version (its number), and the course's result."""
        from packages.models import PackageVersion
        from player.models import Attempt

        registration = str(uuid.uuid4())
        if version is not None:
            with self.app.app_context():
                found = db.session.scalar(
                    db.select(PackageVersion).filter_by(course_id=course, number=version)
                )
                assert found is not None
                number = db.session.scalar(
                    db.select(db.func.count()).select_from(Attempt).filter_by(user_id=user)
                )
                db.session.add(
                    Attempt(
                        user_id=user,
                        course_id=course,
                        version_id=found.id,
                        number=(number or 0) + 1,
                        registration=registration,
                        started_at=_now(),
                        updated_at=_now(),
                        ended_at=_now(),
                    )
                )
                db.session.commit()
        statement = {
            "id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "account": {"homePage": self.home, "name": str(user)}},
            "verb": {"id": VERB + verb},
            "object": {"objectType": "Activity", "id": f"{self.home}/courses/{course}"},
            "context": {"registration": registration},
        }
        assert self.xapi.post("statements", [statement]).status_code == 200
        return registration

    def attended(self, session: int, trainer: int, people: dict[int, bool]) -> None:
        """Book the people on the session; the trainer records who attended."""
        from accounts import service
        from portal import bookings, classroom

        with self.app.app_context():
            held = classroom.get_session(session)
            for person in people:
                bookings.enrol(held, service.get_user(person))
            rows = {
                e.id: {
                    "attended": people[e.user_id],
                    "completed": False,
                    "outcome": None,
                    "score": None,
                }
                for e in classroom.enrolments(held)
                if e.user_id in people
            }
            classroom.record_attendance(held, service.get_user(trainer), rows)
            db.session.commit()


def answers(questions: list[int], *values: int, comment: str = "") -> dict[str, Any]:
    """The answer form: the values in the questions' order, the comment, the CSRF token."""
    form: dict[str, Any] = {f"q{q}": str(v) for q, v in zip(questions, values, strict=True)}
    form["comment"] = comment
    form["csrf_token"] = CSRF
    return form


def evaluate(client: FlaskClient, url: str, questions: list[int], *values: int, **kw: Any) -> Any:
    """Send an evaluation as the signed-in learner."""
    return client.post(url, data=answers(questions, *values, **kw))


def text_of(page: str) -> str:
    """The page's text without tags, spaces collapsed (for phrases that span markup)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
