"""Nothing a learner did is lost (issue 11), in Chromium, with SCOs built in the test
(tests/browser/packages.py): a SCORM 2004 2nd-edition SCO writing what Storyline writes,
values refused at SetValue by the server's own rules, a commit the server finds a bad
element in, and saving that fails for a while."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from tests.browser.helpers import attempt_state, content_frame, wait_done, wait_for, wait_true
from tests.browser.packages import STORYLINE_ANSWER, import_course, scorm_zip

COMMITS = "**/player/api/*/commit"


def open_sco(page: Any, url: str) -> Any:
    page.goto(url)
    frame = content_frame(page, "sco.html")
    wait_true(frame, "window.sco && window.sco.ready")
    return frame


def answers(frame: Any, pairs: list[tuple[str, str]]) -> list[list[str]]:
    """SetValue each pair in the SCO; return what the SCO was told for each."""
    return frame.evaluate("(pairs) => pairs.map(([n, v]) => sco.set(n, v))", pairs)  # type: ignore[no-any-return]


def refused_rows(app: Flask) -> list[tuple[str, str, int, str]]:
    from core.db import db
    from player.models import RefusedValue

    with app.app_context():
        rows = db.session.query(RefusedValue).order_by(RefusedValue.element).all()
        return [(r.element, r.value, r.code, r.source) for r in rows]


@pytest.mark.usefixtures("split_origin")
def test_browser_storyline_2nd_edition_answer_suspend_resume_loses_nothing(
    app: Flask, page: Any, launch_url: Any, client: Any
) -> None:
    course = import_course(app, scorm_zip(edition="2nd", title="Storyline-like"))
    url = launch_url(course)
    token = url.rsplit("/", 1)[-1]
    frame = open_sco(page, url)
    # scorm-again and our rules accept every value, identifiers with spaces included.
    assert answers(frame, STORYLINE_ANSWER) == [["true", "0"]] * len(STORYLINE_ANSWER)
    assert frame.evaluate("sco.commit()") == "true"
    assert frame.evaluate("sco.terminate()") == "true"  # "Exit Course" with exit suspend
    wait_done(page)
    state = attempt_state(client, token)
    assert state["suspended"] is True
    assert state["success_status"] == "passed"
    assert state["score_scaled"] == 1.0
    assert page.inner_text("#save-alert") == ""
    # Relaunch: everything is there.
    frame = open_sco(page, launch_url(course))
    got = frame.evaluate(
        """() => ['cmi.entry', 'cmi.location', 'cmi.suspend_data',
                 'cmi.interactions.0.objectives.0.id', 'cmi.objectives.0.id',
                 'cmi.interactions.0.learner_response', 'cmi.success_status']
                 .map((n) => sco.get(n))"""
    )
    assert got == [
        "resume",
        "slide 5 of 7",
        "2g4q7b0" * 6000,
        "SL360 LMS SCORM 2004",
        "chapter 1_Test",
        "Stockholm",
        "passed",
    ]
    assert refused_rows(app) == []


def test_browser_4th_edition_refuses_at_setvalue_and_the_server_keeps_the_rest(
    app: Flask, page: Any, launch_url: Any, client: Any
) -> None:
    course = import_course(app, scorm_zip(edition="4th", title="Strict"))
    url = launch_url(course)
    token = url.rsplit("/", 1)[-1]
    frame = open_sco(page, url)
    told = dict(
        zip([n for n, _v in STORYLINE_ANSWER], answers(frame, STORYLINE_ANSWER), strict=True)
    )
    # 4th edition: a long_identifier_type is a URI, so no spaces: refused to the SCO, 406.
    assert told["cmi.interactions.0.objectives.0.id"] == ["false", "406"]
    assert told["cmi.objectives.0.id"] == ["false", "406"]
    assert {k: v for k, v in told.items() if v != ["true", "0"]}.keys() == {
        "cmi.interactions.0.objectives.0.id",
        "cmi.objectives.0.id",
        "cmi.objectives.0.success_status",  # no objective 0 without its id: 408
    }
    # A value our rules refuse that reached the API anyway (an older runtime, a client
    # that is not ours): the server leaves it out and stores everything else.
    frame.evaluate("sco.api.lmsSetValue('cmi.interactions.1.id', 'q 2')")
    frame.evaluate("sco.api.lmsSetValue('cmi.interactions.1.result', 'correct')")
    assert frame.evaluate("sco.terminate()") == "true"
    wait_done(page)
    state = attempt_state(client, token)
    assert state["suspended"] is True
    assert state["success_status"] == "passed"
    assert refused_rows(app) == [
        ("cmi.interactions.n.id", "q 2", 406, "server"),
        ("cmi.interactions.n.objectives.n.id", "SL360 LMS SCORM 2004", 406, "browser"),
        ("cmi.objectives.n.id", "chapter 1_Test", 406, "browser"),
        ("cmi.objectives.n.success_status", "passed", 408, "browser"),  # scorm-again's
    ]
    frame = open_sco(page, launch_url(course))
    assert frame.evaluate("sco.get('cmi.suspend_data')") == "2g4q7b0" * 6000
    assert frame.evaluate("sco.get('cmi.location')") == "slide 5 of 7"
    assert frame.evaluate("sco.get('cmi.interactions._count')") == "1"


@pytest.mark.parametrize(
    ("locale", "alert"),
    [("en", "Your latest work is not saved yet"), ("sv", "Det du gjorde senast är inte sparat")],
)
def test_browser_saving_fails_the_learner_is_told_and_nothing_is_lost(
    app: Flask,
    page: Any,
    live_server: Any,
    launch_url: Any,
    client: Any,
    learner_id: int,
    content_port: str,
    locale: str,
    alert: str,
) -> None:
    from accounts.models import User
    from core.db import db
    from tests.browser.conftest_portal import make_sign_in

    make_sign_in(live_server)(page, "grace@example.org", "correct horse battery")
    with app.app_context():
        user = db.session.get(User, learner_id)
        assert user is not None
        user.locale = locale
        db.session.commit()
    course = import_course(app, scorm_zip(edition="3rd", title="Offline"))
    url = launch_url(course)
    token = url.rsplit("/", 1)[-1]
    frame = open_sco(page, url)
    attempts: list[str] = []

    def unreachable(route: Any) -> None:
        attempts.append(route.request.post_data or "")
        route.abort("internetdisconnected")

    page.route(COMMITS, unreachable)
    answers(frame, [("cmi.location", "p4"), ("cmi.suspend_data", "offline work")])
    # The SCO is not failed: the runtime keeps its data and says so where it shows.
    assert frame.evaluate("sco.commit()") == "true"
    wait_true(page, "document.getElementById('save-alert').textContent !== ''")
    assert alert in page.inner_text("#save-alert")
    assert page.get_attribute("#save-alert", "role") == "alert"
    wait_for(lambda: len(attempts), lambda n: n >= 2)  # retried, with a pause
    answers(frame, [("cmi.location", "p5"), ("cmi.exit", "suspend")])
    assert frame.evaluate("sco.terminate()") == "true"  # queued behind the first
    assert page.is_hidden("#done")  # navigation waits until it is stored
    assert attempt_state(client, token)["suspended"] is False
    page.unroute(COMMITS)
    wait_done(page)
    wait_true(page, "document.getElementById('save-alert').textContent === ''")
    assert json.loads(attempts[0])["cmi"]["location"] == "p4"
    state = attempt_state(client, token)
    assert state["suspended"] is True
    frame = open_sco(page, launch_url(course))
    assert frame.evaluate("sco.get('cmi.location')") == "p5"
    assert frame.evaluate("sco.get('cmi.suspend_data')") == "offline work"


@pytest.mark.parametrize("failure", ["abort", "503"])
def test_browser_closing_while_saving_fails_keeps_the_latest_state(
    app: Flask, page: Any, browser: Any, launch_url: Any, client: Any, failure: str
) -> None:
    """The pagehide beacon carries the latest full state, queued commits included."""
    course = import_course(app, scorm_zip(edition="4th", title="Closed while offline"))
    url = launch_url(course)
    token = url.rsplit("/", 1)[-1]
    frame = open_sco(page, url)
    attempts: list[int] = []

    def broken(route: Any) -> None:
        attempts.append(1)
        if failure == "abort":
            route.abort("connectionreset")
        else:
            route.fulfill(status=503, body="{}", content_type="application/json")

    page.route(COMMITS, broken)
    answers(frame, [("cmi.location", "p8"), ("cmi.suspend_data", "written offline")])
    assert frame.evaluate("sco.commit()") == "true"
    wait_true(page, "document.getElementById('save-alert').textContent !== ''")
    wait_for(lambda: len(attempts), lambda n: n >= 2)  # the next try is seconds away
    page.unroute(COMMITS)
    page.close()
    state = wait_for(lambda: attempt_state(client, token), lambda s: s["suspended"])
    assert state["suspended"] is True
    again = browser.new_page()
    frame = open_sco(again, launch_url(course))
    assert frame.evaluate("sco.get('cmi.suspend_data')") == "written offline"
    assert frame.evaluate("sco.get('cmi.location')") == "p8"
    again.close()


def test_browser_scorm12_lmssetvalue_refuses_by_the_same_rules(
    app: Flask, page: Any, launch_url: Any
) -> None:
    """scorm-again's 1.2 API accepts "0:00:12" as a session time; the 1.2 book (and the
    server) want 2-4 digits of hours, so the SCO is told at LMSSetValue, and the commit
    (which the server answered 400 as a whole before) is stored."""
    course = import_course(app, scorm_zip(version="1.2", title="Old course"))
    url = launch_url(course)
    frame = open_sco(page, url)
    told = answers(
        frame,
        [
            ("cmi.core.session_time", "0:00:12"),  # one digit of hours: scorm-again takes it
            ("cmi.interactions.0.id", "\t"),  # white space only: scorm-again takes it too
            ("cmi.core.lesson_status", "unknown"),  # a 2004 word: both refuse
            ("cmi.interactions.0.id", "Question 1"),  # 1.2 identifiers: as scorm-again
            ("cmi.core.lesson_location", "page 3"),
            ("cmi.core.exit", "suspend"),
        ],
    )
    assert told == [
        ["false", "405"],
        ["false", "405"],
        ["false", "405"],
        ["true", "0"],
        ["true", "0"],
        ["true", "0"],
    ]
    assert frame.evaluate("sco.terminate()") == "true"
    wait_done(page)
    frame = open_sco(page, launch_url(course))
    assert frame.evaluate("sco.get('cmi.core.lesson_location')") == "page 3"
    assert frame.evaluate("sco.get('cmi.interactions._count')") == "1"
