"""A classroom test's answers and question analysis at a large course's scale, on PostgreSQL.

Builds one classroom course with a ``--questions`` question test (single and multiple
choice), ``--sessions`` sessions of ``--people`` participants each, opens each session's
test and has every participant answer it through ``classroom_test_sittings.take`` (one
``answered`` statement per question through the LRS's write path; timed per sitting).
Then times whole HTTP requests to the question analysis page (every session, one
session, one trainer, the CSV) and a question's responses (median and worst of
``--repeat``), and prints the load average before them (the machine may be shared).

    .venv/bin/python bench/classroom_test_bench.py                    # 40 x 20 x 10
    .venv/bin/python bench/classroom_test_bench.py --sessions 5       # quick

PG_URL names the server; the database ``kompetens_bench_classroom`` (BENCH_DB) is
dropped and created.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DB", "kompetens_bench_classroom")

from bench import reports_bench


def fill(app: Any, sessions: int, people: int, questions: int) -> dict[str, Any]:
    """The course, its test, the sessions and every participant's answers."""
    from accounts import service
    from core.db import db
    from packages import service as packages
    from portal import catalogue, classroom, classroom_test_sittings, classroom_tests
    from portal.models import Enrolment

    rng = random.Random(15)
    with app.test_request_context("/"):
        author = service.create_user("author@example.org", "Author", "bench password", "author")
        trainers = [
            service.create_user(f"t{n}@example.org", f"Trainer {n}", "bench password", "author")
            for n in range(2)
        ]
        course = catalogue.create_classroom_course("Brandskydd", "", None, None)
        for q in range(questions):
            multiple = q % 3 == 0
            options = [
                {"sv": f"Svar {o}", "en": None, "right": o in (0, 2) if multiple else o == 1}
                for o in range(4)
            ]
            classroom_tests.add_question(
                course,
                {
                    "text_sv": f"Fråga {q + 1}",
                    "text_en": None,
                    "multiple": multiple,
                    "options": options,
                },
            )
        db.session.commit()
        test = classroom_tests.newest(course.id)
        assert test is not None
        rows = classroom_tests.questions_of(test)
        start = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
        takes: list[float] = []
        ids: dict[str, int] = {"course": course.id, "author": author.id}
        for s in range(sessions):
            trainer = trainers[s % 2]
            session = classroom.create_session(
                packages.get_course(course.id), start + timedelta(days=s), "Room", trainer, people
            )
            ids.setdefault("session", session.id)
            ids.setdefault("trainer", trainer.id)
            learners = []
            for p in range(people):
                learner = service.create_user(
                    f"l{s}-{p}@example.org", f"Learner {s}-{p}", "bench password", "learner"
                )
                db.session.add(
                    Enrolment(
                        session_id=session.id,
                        user_id=learner.id,
                        enrolled_at=classroom.now(),
                        status="booked",
                    )
                )
                learners.append(learner)
            classroom_test_sittings.set_open(session, trainer, True)
            db.session.commit()
            for learner in learners:
                skill = rng.random()
                answers = {
                    q.id: (
                        [o["id"] for o in q.options if o["right"]]
                        if rng.random() < 0.3 + 0.6 * skill
                        else [q.options[rng.randrange(len(q.options))]["id"]]
                    )
                    for q in rows
                }
                started = time.perf_counter()
                classroom_test_sittings.take(session, learner, answers)
                db.session.commit()
                takes.append(time.perf_counter() - started)
        ids["question"] = rows[0].id
        ids["test"] = test.id
        return {"ids": ids, "take_ms": round(1000 * statistics.median(takes), 1)}


def pages(app: Any, ids: dict[str, int], repeat: int) -> list[tuple[str, float, float]]:
    """Whole HTTP requests as the author: median and worst milliseconds."""
    from accounts import login_sessions
    from core import vocabulary
    from core.db import db

    with app.app_context():
        sid = login_sessions.start(ids["author"])
        db.session.commit()
        question = vocabulary.classroom_question_iri(
            app.config["AGENT_HOMEPAGE"], ids["test"], ids["question"]
        )
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = sid
    base = f"/author/courses/{ids['course']}/questions"
    found = []
    for label, url in (
        ("analysis, every session", base),
        ("analysis, one session", f"{base}?session={ids['session']}"),
        ("analysis, one trainer", f"{base}?trainer={ids['trainer']}"),
        ("analysis CSV, every session", f"{base}?format=csv"),
        ("a question's responses", f"{base}/responses?question={quote(question, safe='')}"),
    ):
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url)
            times.append(1000 * (time.perf_counter() - started))
            assert response.status_code == 200, response.status_code
        found.append((label, round(statistics.median(times), 1), round(max(times), 1)))
    return found


def main() -> None:
    """Fill, then measure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    server = os.environ.get("PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/")
    from flask_migrate import upgrade

    from core import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": reports_bench.recreate(server),
            "INSTANCE_PATH": tempfile.mkdtemp(),
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        upgrade()
    filled = fill(app, args.sessions, args.people, args.questions)
    statements = args.sessions * args.people * args.questions
    print(f"{args.sessions} sessions x {args.people} people x {args.questions} questions")
    print(
        f"{statements} answered statements; median per sitting (take + commit): "
        f"{filled['take_ms']} ms"
    )
    print("load average:", os.getloadavg())
    for label, median, worst in pages(app, filled["ids"], args.repeat):
        print(f"{label:<32} median {median:>7} ms  max {worst:>7} ms")


if __name__ == "__main__":
    main()
