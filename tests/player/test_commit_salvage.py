"""A refused value never throws away the rest of a commit (issue 11): the Storyline 360
2nd-edition commit is stored whole; in 4th edition only the refused elements are left out,
everything else (suspend_data, location, status, score, session time, exit, the terminate)
is stored, and the refusals are kept for the course's authors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from core.db import db
from player.cmi import SCORM2004, CmiProblem, validate_cmi
from player.cmi_salvage import salvage
from tests.browser.packages import STORYLINE_ANSWER, import_course, scorm_zip


def tree_of(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """SetValue calls as the CMI tree scorm-again commits (arrays as lists)."""
    root: dict[str, Any] = {}
    for path, value in pairs:
        parts = path.split(".")[1:]
        node: Any = root
        for i, part in enumerate(parts[:-1]):
            nxt: Any = [] if parts[i + 1].isdigit() else {}
            if isinstance(node, list):
                while len(node) <= int(part):
                    node.append(nxt)
                node = node[int(part)]
            else:
                node = node.setdefault(part, nxt)
        if isinstance(node, list):
            node.append(value)
        else:
            node[parts[-1]] = value
    return root


@pytest.fixture
def learner(app: Flask) -> int:
    from accounts.models import User

    with app.app_context():
        user = User(
            email="sam@example.org",
            name="Sam Salo",
            password_hash=generate_password_hash("correct horse battery", "pbkdf2:sha256:1000"),
            role="learner",
            active=True,
            created_at=datetime(2026, 1, 1),
        )
        db.session.add(user)
        db.session.commit()
        return user.id


@pytest.fixture
def open_course(app: Flask, client: FlaskClient, learner: int) -> Callable[[str], Any]:
    """Build a one-SCO 2004 course of an edition, launch it; return a commit function."""

    def run(edition: str) -> Any:
        course = import_course(app, scorm_zip(edition=edition, title=f"Quiz {edition}"))
        return Session(app, client, learner, course)

    return run


class Session:
    """The runtime frame's side: launch the SCO, commit, relaunch."""

    def __init__(self, app: Flask, client: FlaskClient, learner: int, course: int) -> None:
        self.app, self.client, self.learner, self.course = app, client, learner, course
        self.relaunch()

    def relaunch(self) -> dict[str, Any]:
        from accounts.models import User
        from packages.service import get_course
        from player import attempts

        with self.app.test_request_context("/"):
            user = db.session.get(User, self.learner)
            assert user is not None
            _attempt, self.token = attempts.launch(user, get_course(self.course))
            db.session.commit()
        body = self.client.post(f"/player/api/{self.token}/navigate", json={"request": "start"})
        assert body.status_code == 200, body.get_data(as_text=True)
        self.launch: dict[str, Any] = body.get_json()["launch"]
        self.seq = 0
        return self.launch

    def commit(self, cmi: dict[str, Any], **extra: Any) -> Any:
        self.seq += 1
        body = {"sco": self.launch["sco"], "session": self.launch["session"], "seq": self.seq}
        return self.client.post(
            f"/player/api/{self.token}/commit", json={**body, "cmi": cmi, **extra}
        )

    def attempt(self) -> dict[str, Any]:
        return self.client.get(f"/player/api/{self.token}/attempt").get_json()  # type: ignore[no-any-return]


def refused_rows(app: Flask) -> list[tuple[str, str, int, int, str]]:
    from player.models import RefusedValue

    with app.app_context():
        rows = db.session.query(RefusedValue).order_by(RefusedValue.element).all()
        return [(r.element, r.value, r.code, r.count, r.source) for r in rows]


def test_commit_storyline_2nd_edition_is_stored_whole(open_course: Callable[[str], Any]) -> None:
    """The reported course: every commit answered 400 and dropped; now all of it is kept."""
    course = open_course("2nd")
    response = course.commit(tree_of(STORYLINE_ANSWER), terminate=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "refused" not in response.get_json()
    state = course.attempt()
    assert state["success_status"] == "passed"
    assert state["suspended"] is True
    cmi = course.relaunch()["cmi"]
    assert course.launch["entry"] == "resume"
    assert cmi["suspend_data"] == "2g4q7b0" * 6000
    assert cmi["location"] == "slide 5 of 7"
    assert cmi["interactions"][0]["objectives"][0]["id"] == "SL360 LMS SCORM 2004"
    assert cmi["objectives"][0]["id"] == "chapter 1_Test"


def test_commit_one_bad_element_keeps_the_rest(
    app: Flask, open_course: Callable[[str], Any], xapi: Any
) -> None:
    """4th edition refuses identifiers with spaces: those two are left out, nothing else."""
    course = open_course("4th")
    response = course.commit(tree_of(STORYLINE_ANSWER), terminate=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["stored"] is True
    assert [(r["path"], r["code"]) for r in body["refused"]] == [
        ("cmi.objectives.0.id", 406),
        ("cmi.interactions.0.objectives.0.id", 406),
    ]
    state = course.attempt()
    assert state["success_status"] == "passed"
    assert state["score_scaled"] == 1.0
    assert state["suspended"] is True
    sco = next(iter(state["scos"].values()))
    assert sco["total_seconds"] == pytest.approx(72.53)  # the SCO's session_time
    verbs = {
        s["verb"]["id"].rsplit("/", 1)[-1]
        for s in xapi.get("statements", query={"registration": state["registration"]}).get_json()[
            "statements"
        ]
    }
    assert {"answered", "scored", "passed", "suspended"} <= verbs
    cmi = course.relaunch()["cmi"]
    assert course.launch["entry"] == "resume"
    assert cmi["suspend_data"] == "2g4q7b0" * 6000
    assert cmi["location"] == "slide 5 of 7"
    # The interaction is kept without its refused objective reference; the new objective
    # whose id was refused is left out whole (its values have no identity without it).
    interaction = cmi["interactions"][0]
    assert interaction["id"] == "Scene1_QuestionDraw01_Slide5_MultiChoice_0_0"
    assert interaction["learner_response"] == "Stockholm"
    assert not interaction.get("objectives")
    assert not cmi.get("objectives")
    assert refused_rows(app) == [
        ("cmi.interactions.n.objectives.n.id", "SL360 LMS SCORM 2004", 406, 1, "server"),
        ("cmi.objectives.n.id", "chapter 1_Test", 406, 1, "server"),
    ]


def test_commit_refusals_count_once_per_session(
    app: Flask, open_course: Callable[[str], Any]
) -> None:
    course = open_course("4th")
    bad = {"objectives": [{"id": "o 1"}], "location": "a"}
    for _ in range(3):  # scorm-again sends the whole tree on every commit
        assert course.commit(bad).status_code == 200
    assert [row[3] for row in refused_rows(app)] == [1]
    course.commit({**bad, "exit": "suspend"}, terminate=True)
    course.relaunch()
    course.commit(bad)
    assert [row[3] for row in refused_rows(app)] == [2]


def test_commit_values_refused_in_the_browser_are_recorded(
    app: Flask, open_course: Callable[[str], Any]
) -> None:
    course = open_course("4th")
    reported = [
        {
            "element": "cmi.interactions.3.objectives.0.id",
            "value": "A B",
            "code": 406,
            "message": "not a valid value",
        },
    ]
    response = course.commit({"location": "p1"}, refused=reported)
    assert response.status_code == 200
    assert "refused" not in response.get_json()  # the server itself refused nothing
    assert refused_rows(app) == [("cmi.interactions.n.objectives.n.id", "A B", 406, 1, "browser")]
    too_many = reported * 21
    assert course.commit({"location": "p1"}, refused=too_many).status_code == 400


def test_commit_malformed_body_is_still_400_and_a_bad_array_is_left_out(
    open_course: Callable[[str], Any],
) -> None:
    course = open_course("4th")
    assert course.commit("not a tree").status_code == 400  # type: ignore[arg-type]
    response = course.commit({"interactions": {"0": {"id": "q1"}, "x": {}}, "location": "p9"})
    assert response.status_code == 200
    assert response.get_json()["refused"] == [
        {"path": "cmi.interactions", "code": 406, "message": "must be an array"}
    ]


# -- the salvage itself (pure) ----------------------------------------------------------


def check_4th(tree: dict[str, Any]) -> list[CmiProblem]:
    return validate_cmi(SCORM2004, tree, edition="4th")


@pytest.mark.parametrize(
    ("previous", "sent", "kept"),
    [
        # A bad value of a stored element: put back as it was.
        (
            {"location": "p1"},
            {"location": "p2", "score": {"scaled": "2"}},
            {"location": "p2", "score": {}},
        ),
        (
            {"score": {"scaled": "0.5"}},
            {"score": {"scaled": "2"}, "exit": "suspend"},
            {"score": {"scaled": "0.5"}, "exit": "suspend"},
        ),
        # A new interaction with a refused id goes whole; the next one stays.
        (
            {},
            {"interactions": [{"id": "a b", "result": "correct"}, {"id": "q2"}]},
            {"interactions": [{"id": "q2"}]},
        ),
        # A stored interaction keeps its stored id.
        (
            {"interactions": [{"id": "q1"}]},
            {"interactions": [{"id": "q 1", "result": "correct"}]},
            {"interactions": [{"id": "q1", "result": "correct"}]},
        ),
        # A learner_response that breaks its type's format is left out, the rest kept.
        (
            {},
            {
                "interactions": [
                    {
                        "id": "q1",
                        "type": "true-false",
                        "learner_response": "yes",
                        "result": "incorrect",
                    }
                ]
            },
            {"interactions": [{"id": "q1", "type": "true-false", "result": "incorrect"}]},
        ),
        # An array with a gap: the gap is closed.
        (
            {},
            {"interactions": [{"id": "q1"}, None, {"id": "q3"}]},
            {"interactions": [{"id": "q1"}, {"id": "q3"}]},
        ),
    ],
)
def test_commit_salvage_puts_back_only_what_is_refused(
    previous: dict[str, Any], sent: dict[str, Any], kept: dict[str, Any]
) -> None:
    result, refused = salvage(check_4th, sent, previous)
    assert refused
    assert check_4th(result) == []
    assert result == kept


def test_commit_salvage_leaves_a_valid_tree_alone() -> None:
    sent = tree_of(STORYLINE_ANSWER)
    result, refused = salvage(lambda t: validate_cmi(SCORM2004, t, edition="2nd"), sent, {})
    assert (result, refused) == (sent, [])
