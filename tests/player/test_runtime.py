"""Runtime endpoints over HTTP: tokens, commits (validation, idempotency, beacons), finish,
resume, new attempts and the statements mirrored into the LRS (SCORM_CHECKS.md §3.3-3.6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from core.db import db
from tests.conftest import SHARED, require_corpus

CORPUS = SHARED / "corpus" / "scorm"
GOLF_12 = "golf_scorm12_runtime_basic_calls.zip"
GOLF_2004 = "golf_2004v3_runtime_basic_calls.zip"
VERB = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def make_learner(app: Flask) -> Callable[..., int]:
    """Create a portal account; return its id."""
    from accounts.models import User

    def make(email: str = "learner@example.org", name: str = "Ada Lovelace") -> int:
        with app.app_context():
            user = User(
                email=email,
                name=name,
                password_hash=generate_password_hash("correct horse battery", "pbkdf2:sha256:1000"),
                role="learner",
                active=True,
                created_at=datetime(2026, 1, 1),
            )
            db.session.add(user)
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def make_course(app: Flask) -> Callable[[str], int]:
    """Import a corpus package as a published course; return the course id."""
    from packages import service as packages

    require_corpus()

    def make(name: str) -> int:
        with app.app_context():
            result = packages.import_package(CORPUS / name, published=True, label=name)
            packages.set_published(result.course, True)
            db.session.commit()
            return result.course.id

    return make


@pytest.fixture
def launch(app: Flask) -> Callable[[int, int], str]:
    """Launch (or resume) a course for a learner through the service; return the token."""
    from accounts.models import User
    from packages.service import get_course
    from player import attempts

    def run(user_id: int, course_id: int) -> str:
        with app.test_request_context("/"):
            user = db.session.get(User, user_id)
            assert user is not None
            _attempt, token = attempts.launch(user, get_course(course_id))
            db.session.commit()
            return token

    return run


class Player:
    """The shell's side of the runtime API, as player.js speaks it."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.token = token
        self.launch: dict[str, Any] = {}
        self.seq = 0

    @property
    def base(self) -> str:
        return f"/player/api/{self.token}"

    def navigate(self, request: str = "start", target: str | None = None, **kw: Any) -> Any:
        response = self.client.post(
            self.base + "/navigate", json={"request": request, "target": target}, **kw
        )
        body = response.get_json()
        if response.status_code == 200 and body.get("action") == "launch":
            self.launch = body["launch"]
            self.seq = 0
        return response

    def commit(
        self, cmi: dict[str, Any], *, terminate: bool = False, seq: int | None = None, **extra: Any
    ) -> Any:
        if seq is None:
            self.seq += 1
            seq = self.seq
        body = {
            "sco": self.launch["sco"],
            "session": self.launch["session"],
            "seq": seq,
            "terminate": terminate,
            "cmi": cmi,
            **extra,
        }
        return self.client.post(self.base + "/commit", json=body)

    def attempt(self) -> dict[str, Any]:
        return self.client.get(self.base + "/attempt").get_json()


@pytest.fixture
def player(
    client: FlaskClient,
    make_learner: Callable[..., int],
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
) -> Callable[[str], Player]:
    """Launch a corpus course for a new learner; return the shell-side helper."""
    learners: dict[str, int] = {}

    def make(name: str) -> Player:
        if "id" not in learners:
            learners["id"] = make_learner()
        learners.setdefault(name + ":course", make_course(name))
        return Player(client, launch(learners["id"], learners[name + ":course"]))

    return make


def statements(xapi: Any, registration: str) -> list[dict[str, Any]]:
    response = xapi.get("statements", query={"registration": registration, "limit": 200})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["statements"]


def verbs(xapi: Any, registration: str) -> list[str]:
    return sorted(s["verb"]["id"].rsplit("/", 1)[-1] for s in statements(xapi, registration))


# -- tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/player/{t}"),
        ("POST", "/player/api/{t}/commit"),
        ("POST", "/player/api/{t}/navigate"),
        ("GET", "/player/api/{t}/attempt"),
    ],
)
def test_runtime_token_unknown_is_refused(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path.format(t="not-a-token"), method=method, json={})
    assert response.status_code == 401


def test_runtime_token_expired_is_refused(app: Flask, player: Callable[[str], Player]) -> None:
    from player.models import LaunchToken

    p = player(GOLF_12)
    with app.app_context():
        for row in db.session.query(LaunchToken).all():
            row.expires_at = datetime(2020, 1, 1)
        db.session.commit()
    assert p.navigate().status_code == 401


def test_runtime_session_cookie_is_not_needed_nor_set(player: Callable[[str], Player]) -> None:
    p = player(GOLF_12)
    p.client.delete_cookie("session")
    response = p.navigate()
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


# -- the shell page and the library ---------------------------------------------------


def test_runtime_shell_page_has_frame_and_runtime(player: Callable[[str], Player]) -> None:
    p = player(GOLF_12)
    page = p.client.get(f"/player/{p.token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # The player page holds the runtime frame, not the SCORM API (player/views.py).
    assert 'id="runtime"' in html
    assert "scorm12.min.js" not in html
    assert f"/player/api/{p.token}" not in html
    assert page.headers["Cache-Control"] == "no-store"
    response = p.client.get(f"/player/{p.token}/runtime?ui=http://localhost")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="content"' in html
    assert "scorm12.min.js" in html
    assert f"/player/api/{p.token}" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert p.client.get(f"/player/{p.token}/runtime").status_code == 400


def test_runtime_shell_moves_to_content_origin(app: Flask, player: Callable[[str], Player]) -> None:
    p = player(GOLF_12)
    app.config.update(CONTENT_ORIGIN="http://content.example", PORTAL_URL="http://localhost")
    try:
        page = p.client.get(f"/player/{p.token}")
        response = p.client.get(f"/player/{p.token}/runtime?ui=http://localhost")
        framed = p.client.get(
            f"/player/{p.token}/runtime?ui=http://localhost", base_url="http://content.example"
        )
        # A page other than the portal's may not frame the runtime.
        foreign = p.client.get(
            f"/player/{p.token}/runtime?ui=http://evil.example", base_url="http://content.example"
        )
    finally:
        app.config.update(CONTENT_ORIGIN="", PORTAL_URL="")
    assert foreign.status_code == 400
    # The page stays on the portal's origin and frames the runtime on the content origin.
    assert page.status_code == 200
    assert f"http://content.example/player/{p.token}/runtime?ui=" in page.get_data(as_text=True)
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"http://content.example/player/{p.token}/runtime?ui=http://localhost"
    )
    assert framed.status_code == 200
    assert framed.headers["Content-Security-Policy"] == "frame-ancestors http://localhost"


def test_runtime_scorm_again_is_served_with_caching(client: FlaskClient) -> None:
    from player.views import SCORM_AGAIN_DIST, scorm_again_version

    if not (SCORM_AGAIN_DIST / "scorm12.min.js").is_file():
        pytest.skip("scorm-again is not installed (make setup runs npm ci)")
    response = client.get(f"/player/lib/{scorm_again_version()}/scorm12.min.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert "immutable" in response.headers["Cache-Control"]
    assert b"Scorm12API" in response.get_data()
    response.close()
    assert client.get("/player/lib/1/other.js").status_code == 404


# -- launch and commits ---------------------------------------------------------------


def test_runtime_start_gives_initial_cmi(player: Callable[[str], Player]) -> None:
    p = player(GOLF_12)
    body = p.navigate().get_json()
    assert body["action"] == "launch"
    launch = body["launch"]
    assert launch["api"] is True
    assert launch["entry"] == "ab-initio"
    assert launch["cmi"]["core"]["entry"] == "ab-initio"
    assert launch["cmi"]["core"]["student_name"] == "Lovelace, Ada"
    assert "/content/" in launch["url"]


def test_runtime_commit_bad_value_is_left_out_naming_the_element(
    player: Callable[[str], Player],
) -> None:
    p = player(GOLF_12)
    p.navigate()
    response = p.commit({"core": {"lesson_status": "done", "lesson_location": "p2"}})
    assert response.status_code == 200
    body = response.get_json()
    assert body["stored"] is True
    assert body["refused"] == [
        {
            "path": "cmi.core.lesson_status",
            "code": 405,
            "message": "'done' is not one of 'passed', 'completed', 'failed', 'incomplete', "
            "'browsed', 'not attempted'",
        }
    ]


def test_runtime_commit_read_only_change_is_refused(player: Callable[[str], Player]) -> None:
    p = player(GOLF_2004)
    p.navigate()
    response = p.commit(
        {"learner_id": "somebody-else", "location": "p2", "exit": "suspend"}, terminate=True
    )
    assert response.status_code == 200
    assert response.get_json()["refused"][0]["path"] == "cmi.learner_id"
    again = Player(p.client, p.token)
    again.navigate()
    assert again.launch["cmi"]["learner_id"] != "somebody-else"
    assert again.launch["cmi"]["location"] == "p2"


@pytest.mark.parametrize(
    "body",
    [
        {"sco": "x", "session": 1},  # no seq
        {"sco": "x", "session": 1, "seq": "1"},  # not an integer
        {"sco": "x", "session": 1, "seq": 1, "extra": True},  # unknown field
    ],
)
def test_runtime_commit_malformed_body_is_400(
    player: Callable[[str], Player], body: dict[str, Any]
) -> None:
    p = player(GOLF_12)
    p.navigate()
    assert p.client.post(p.base + "/commit", json=body).status_code == 400


def test_runtime_commit_duplicates_and_old_sequence_numbers_are_ignored(
    app: Flask, player: Callable[[str], Player]
) -> None:
    p = player(GOLF_12)
    p.navigate()
    assert p.commit({"core": {"lesson_location": "page-2"}}, seq=2).get_json()["stored"] is True
    late = p.commit({"core": {"lesson_location": "page-1"}}, seq=1).get_json()
    again = p.commit({"core": {"lesson_location": "page-1"}}, seq=2).get_json()
    assert late["stored"] is False
    assert again["stored"] is False
    from player.models import ScoState

    with app.app_context():
        assert db.session.query(ScoState).one().cmi["core"]["lesson_location"] == "page-2"
    p.commit({"core": {"exit": "suspend", "lesson_location": "page-2"}}, seq=3, terminate=True)
    resumed = Player(p.client, p.token)
    resumed.navigate()
    assert resumed.launch["cmi"]["core"]["lesson_location"] == "page-2"
    # A commit of the old session is now stale.
    assert p.commit({"core": {"lesson_location": "x"}}, seq=9).get_json()["stored"] is False


def test_runtime_commits_are_counted_in_the_metrics(player: Callable[[str], Player]) -> None:
    """kompetens_player_commits_total (core/ops/metrics.py): stored, and ignored (resent)."""
    from prometheus_client import REGISTRY

    def count(outcome: str) -> float:
        return (
            REGISTRY.get_sample_value("kompetens_player_commits_total", {"outcome": outcome}) or 0
        )

    stored, ignored = count("stored"), count("ignored")
    p = player(GOLF_12)
    p.navigate()
    assert p.commit({"core": {"lesson_location": "page-2"}}, seq=1).get_json()["stored"] is True
    assert p.commit({"core": {"lesson_location": "page-2"}}, seq=1).get_json()["stored"] is False
    assert p.commit({"core": {"lesson_location": "page-3"}}, seq=2).get_json()["stored"] is True
    assert (count("stored"), count("ignored")) == (stored + 2, ignored + 1)


def test_runtime_beacon_text_plain_body_is_accepted(player: Callable[[str], Player]) -> None:
    p = player(GOLF_12)
    p.navigate()
    body = {
        "sco": p.launch["sco"],
        "session": p.launch["session"],
        "seq": 0,
        "terminate": True,
        "closing": True,
        "cmi": {"core": {"lesson_location": "page-7"}, "suspend_data": "S" * 6000},
    }
    response = p.client.post(
        p.base + "/commit", data=json.dumps(body), content_type="text/plain;charset=UTF-8"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["stored"] is True
    again = Player(p.client, p.token)
    again.navigate()
    # Closed without Terminate: kept as a suspend, Storyline-sized suspend_data kept whole.
    assert again.launch["entry"] == "resume"
    assert again.launch["cmi"]["suspend_data"] == "S" * 6000
    assert again.launch["cmi"]["core"]["lesson_location"] == "page-7"


# -- finish, resume, new attempts -----------------------------------------------------


def test_runtime_scorm12_suspend_resume_and_pass(
    player: Callable[[str], Player], xapi: Any
) -> None:
    p = player(GOLF_12)
    p.navigate()
    p.commit({"core": {"lesson_location": "3", "lesson_status": "incomplete"}})
    # scorm-again sends the whole tree on every commit (sendFullCommit).
    p.commit(
        {
            "core": {
                "lesson_location": "3",
                "lesson_status": "incomplete",
                "exit": "suspend",
                "session_time": "00:01:30",
            },
            "suspend_data": "abc",
        },
        terminate=True,
    )
    end = p.navigate("_none_").get_json()
    assert end["action"] == "end"
    assert end["closed"] is False
    state = p.attempt()
    assert state["suspended"] is True
    assert state["total_seconds"] == 90
    p.navigate()
    cmi = p.launch["cmi"]
    assert cmi["core"]["entry"] == "resume"
    assert cmi["core"]["lesson_location"] == "3"
    assert cmi["suspend_data"] == "abc"
    assert cmi["core"]["total_time"] == "0000:01:30.00"
    final = {
        "core": {
            "lesson_location": "9",
            "lesson_status": "passed",
            "score": {"raw": "85", "min": "0", "max": "100"},
            "session_time": "00:00:30",
            "exit": "",
        }
    }
    p.commit(final, terminate=True)
    # A repeated terminate of the same session (a retry) adds no time.
    p.commit(final, terminate=True)
    end = p.navigate("_none_").get_json()
    assert end["closed"] is True
    state = end["attempt"]
    assert state["completion_status"] == "completed"
    assert state["success_status"] == "passed"
    assert state["score_scaled"] == pytest.approx(0.85)
    assert state["total_seconds"] == 120
    found = verbs(xapi, state["registration"])
    for verb in ("initialized", "suspended", "resumed", "passed", "completed", "terminated"):
        assert verb in found, found


def test_runtime_scorm2004_normal_exit_ends_the_attempt(
    app: Flask,
    player: Callable[[str], Player],
    launch: Callable[[int, int], str],
    xapi: Any,
) -> None:
    p = player(GOLF_2004)
    p.navigate()
    p.commit(
        {
            "completion_status": "completed",
            "success_status": "failed",
            "score": {"scaled": "0.4", "raw": "40"},
            "exit": "normal",
            "session_time": "PT2M",
        },
        terminate=True,
    )
    end = p.navigate("_none_").get_json()
    assert end["closed"] is True
    assert end["attempt"]["success_status"] == "failed"
    assert end["attempt"]["total_seconds"] == 120
    registration = end["attempt"]["registration"]
    found = verbs(xapi, registration)
    assert {"initialized", "completed", "failed", "terminated", "scored"} <= set(found)
    for statement in statements(xapi, registration):
        assert statement["context"]["registration"] == registration
        assert statement["actor"]["account"]["name"]
    # Relaunch: a new attempt, ab-initio.
    from player.models import Attempt

    with app.app_context():
        user_id = db.session.query(Attempt).one().user_id
        course_id = db.session.query(Attempt).one().course_id
    second = Player(p.client, launch(user_id, course_id))
    second.navigate()
    assert second.launch["entry"] == "ab-initio"
    assert second.attempt()["number"] == 2
    assert second.attempt()["registration"] != registration


def test_runtime_session_time_missing_uses_wall_clock(
    app: Flask, player: Callable[[str], Player]
) -> None:
    from player.models import ScoState

    p = player(GOLF_2004)
    p.navigate()
    with app.app_context():
        state = db.session.query(ScoState).one()
        started = state.session_started_at
        assert started is not None
        state.session_started_at = started - timedelta(seconds=42)
        db.session.commit()
    p.commit({"exit": "suspend"}, terminate=True)
    assert p.attempt()["total_seconds"] == pytest.approx(42, abs=2)


def test_runtime_unfinished_session_is_closed_at_next_launch(
    player: Callable[[str], Player],
) -> None:
    p = player(GOLF_12)
    p.navigate()
    p.commit({"core": {"lesson_location": "5"}, "suspend_data": "kept"})
    # The browser died: no terminate, no beacon. The next launch resumes.
    p.navigate("start")
    assert p.launch["entry"] == "resume"
    assert p.launch["cmi"]["suspend_data"] == "kept"


def test_runtime_suspend_all_keeps_the_attempt_open(player: Callable[[str], Player]) -> None:
    p = player(GOLF_2004)
    p.navigate()
    p.commit({"location": "p4", "exit": "suspend"}, terminate=True)
    end = p.navigate("suspendAll").get_json()
    assert end["action"] == "end"
    assert end["closed"] is False
    assert end["attempt"]["suspended"] is True


def test_runtime_exit_all_closes_the_attempt(player: Callable[[str], Player]) -> None:
    p = player(GOLF_12)
    p.navigate()
    assert p.navigate("exitAll").get_json()["closed"] is True
    assert p.navigate("start").get_json()["action"] == "end"
    # A late commit (a beacon after the attempt closed) changes nothing.
    late = p.commit({"core": {"lesson_status": "passed"}}, seq=5).get_json()
    assert late["stored"] is False
    assert p.attempt()["success_status"] == "unknown"


@pytest.mark.parametrize(
    ("request_", "status", "refused"),
    [
        ("{target=nothing}choice", 200, "NB.2.1-11"),  # SN: the target does not exist
        ("jump", 400, None),  # a jump needs a target
        ("dance", 400, None),
        ("continue", 200, None),
    ],
)
def test_runtime_navigation_requests_are_checked(
    player: Callable[[str], Player], request_: str, status: int, refused: str | None
) -> None:
    p = player(GOLF_12)
    p.navigate()
    response = p.navigate(request_)
    assert response.status_code == status
    if status == 200:
        assert response.get_json().get("refused") == refused


def test_runtime_interactions_become_answered_statements(
    player: Callable[[str], Player], xapi: Any
) -> None:
    p = player(GOLF_2004)
    p.navigate()
    interaction = {
        "id": "q1",
        "type": "choice",
        "learner_response": "b",
        "correct_responses": [{"pattern": "b"}],
        "result": "correct",
    }
    assert p.commit({"interactions": [interaction]}).status_code == 200
    # The same commit again (a retry) stores nothing twice.
    assert p.commit({"interactions": [interaction]}, seq=p.seq).get_json()["stored"] is False
    registration = p.attempt()["registration"]
    answered = [s for s in statements(xapi, registration) if s["verb"]["id"].endswith("/answered")]
    assert len(answered) == 1
    assert answered[0]["result"]["response"] == "b"
    assert answered[0]["result"]["success"] is True
    assert answered[0]["context"]["registration"] == registration


def test_runtime_assets_are_launched_without_the_api_and_flow_in_order(
    player: Callable[[str], Player],
) -> None:
    p = player("golf_scorm12_cp_one_file_per_sco.zip")
    first = p.navigate().get_json()
    assert first["launch"]["api"] is False
    assert first["valid"] == {
        "continue": True,
        "previous": False,
        "offer": {"continue": True, "previous": False},
        "hide": [],
    }
    first_id = first["launch"]["sco"]
    second = p.navigate("continue").get_json()
    assert second["action"] == "launch"
    assert second["launch"]["sco"] != first_id
    assert second["toc"][first_id]["completed"] is True
    back = p.navigate("previous").get_json()
    assert back["launch"]["sco"] == first_id
    # Item parameters (CAM: appended to the launch href) reach the content URL.
    quiz = p.navigate("choice", "playing_quiz_item").get_json()
    assert quiz["launch"]["url"].endswith("?questions=Playing")


def test_runtime_moving_on_without_terminate_ends_the_session(
    player: Callable[[str], Player],
) -> None:
    p = player("golf_2004v3_seq_forced_sequential.zip")
    p.navigate()
    first = p.launch["sco"]
    # scorm-again sends the whole tree, with the objectives the LMS pre-populated.
    tree = {**p.launch["cmi"], "completion_status": "completed", "success_status": "passed"}
    assert p.commit(tree).status_code == 200
    # The shell asks for the next SCO without the first one having terminated.
    nxt = p.navigate("continue").get_json()
    assert nxt["action"] == "launch", nxt
    assert nxt["launch"]["sco"] != first
    state = p.attempt()
    assert state["scos"][first]["entry"] == "resume"  # its data kept for a later visit
    assert state["scos"][first]["success_status"] == "passed"
    assert state["suspended"] is False


def test_runtime_commit_that_passes_the_course_is_one_write(
    player: Callable[[str], Player], xapi: Any
) -> None:
    """The SCO's statements and the course's result are stored together, the SCO's first.

    One write takes the LRS clock once, after the rollup (player.lms.one_batch): one
    ``stored`` for both, and in stored order the result follows what caused it.
    """
    p = player(GOLF_12)
    p.navigate()
    p.commit({"core": {"lesson_status": "passed", "score": {"raw": "90"}}})
    registration = p.attempt()["registration"]
    response = xapi.get(
        "statements", query={"registration": registration, "ascending": "true", "limit": 50}
    )
    found = response.get_json()["statements"]
    passed = [s for s in found if s["verb"]["id"].endswith("/passed")]
    assert len(passed) == 2, [s["object"]["id"] for s in passed]
    sco, course = passed
    assert sco["object"]["id"] == course["object"]["id"] + "/sco/" + p.launch["sco"]
    assert sco["stored"] == course["stored"]
    # The terminate: the session's end and nothing stored twice, in one write too.
    p.commit({"core": {"lesson_status": "passed", "exit": ""}}, terminate=True)
    ended = xapi.get(
        "statements", query={"registration": registration, "ascending": "true", "limit": 50}
    ).get_json()["statements"]
    assert len([s for s in ended if s["verb"]["id"].endswith("/passed")]) == 2
    assert ended[-1]["verb"]["id"].endswith("/terminated")


def _course_definitions(statement: dict[str, Any], course: str) -> list[str]:
    """The definitions a statement gives the course's activity, as sent (key order kept)."""
    context = statement.get("context", {}).get("contextActivities", {})
    activities = [statement["object"], *(a for group in context.values() for a in group)]
    return [json.dumps(a["definition"]) for a in activities if a["id"] == course]


def test_runtime_course_activity_is_described_one_way_by_every_statement(
    player: Callable[[str], Player], xapi: Any
) -> None:
    """The SCO's statements and the course's result describe the course alike.

    Otherwise every write carrying the other description merges the course's definition
    again (lrs.definitions): a row that every learner of the course writes.
    """
    p = player(GOLF_12)
    p.navigate()
    p.commit({"core": {"lesson_status": "passed", "score": {"raw": "90"}}})
    found = statements(xapi, p.attempt()["registration"])
    result = next(
        s for s in found if s["verb"]["id"] == VERB + "passed" and "/sco/" not in s["object"]["id"]
    )
    course = result["object"]["id"]
    sent = {d for s in found for d in _course_definitions(s, course)}
    assert len(sent) == 1, sent
    definition = json.loads(sent.pop())
    assert definition["name"] == {"und": result["object"]["definition"]["name"]["und"]}
    got = xapi.get("activities", query={"activityId": course})
    assert got.get_json()["definition"] == definition
