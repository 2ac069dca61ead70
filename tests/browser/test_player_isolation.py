"""Content isolation in Chromium: the player page on the portal origin, the SCO two origins down.

Corpus #20 (``hostile_scorm2004_parent_dom_access.zip``) finds ``API_1484_11`` by walking
``window.parent`` and then reads ``parent.document``. With ``CONTENT_ORIGIN`` on another
origin (``split_origin``: the portal at 127.0.0.1, content at localhost), its parent is the
runtime frame, which holds the API and its frame only; the player page above is out of
reach. Also: the player page in the learner's language.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest_portal import make_sign_in
from tests.browser.helpers import (
    attempt_state,
    content_frame,
    runtime_frame,
    wait_done,
    wait_running,
    wait_true,
)
from tests.conftest import signed_in

HOSTILE = "hostile_scorm2004_parent_dom_access.zip"
PASSWORD = "correct horse battery"  # conftest.learner_id

# What reading another window's document gives, from inside the SCO's frame.
READ = """(path) => {
  try { const doc = path === 'top' ? top.document : parent.parent.document;
        return doc ? 'readable: ' + doc.title : 'nothing'; }
  catch (e) { return e.name; }
}"""
# The runtime frame's document, as the SCO sees it.
RUNTIME_DOM = """() => ({
  body: Array.from(parent.document.body.children).map((e) => e.tagName + '#' + e.id),
  ui: parent.document.querySelectorAll(
    '#shell, #toc, #toc-list, #status, #done, #prev-btn, #next-btn, #exit-btn, #resume-btn,'
    + ' #return-link, #course-title, #runtime, .toc-item, .toc-link, .bar, nav, button, a').length,
  text: parent.document.body.innerText.trim(),
  api: typeof parent.API_1484_11.Initialize,
  violations: [parent.document.getElementById('header-controls'),
               parent.document.querySelector('.app-container')],
})"""


def test_player_hostile_sco_cannot_reach_the_player_page(
    page: Any,
    live_server: Any,
    split_origin: str,
    learner_id: int,
    course_from_corpus: Any,
    client: Any,
    xapi: Any,
) -> None:
    course = course_from_corpus(HOSTILE)
    make_sign_in(live_server)(page, "grace@example.org", PASSWORD)
    requests: list[Any] = []
    page.on("request", lambda request: requests.append(request))
    page.on("dialog", lambda dialog: dialog.accept())  # the SCO's alert("Lesson completed!")
    page.goto(f"{live_server.url}/courses/{course}/launch")
    # The player page stays on the portal's origin; the runtime frame is on the content's.
    assert page.url.startswith(f"{live_server.url}/player/")
    token = page.url.rsplit("/", 1)[-1]
    assert runtime_frame(page).url.startswith(f"{split_origin}/player/{token}/runtime?")
    wait_running(page)
    sco = content_frame(page, "sco.html")  # loaded: its Initialize and Commit have run
    assert sco.url.startswith(f"{split_origin}/content/")
    state = attempt_state(client, token)
    assert state["completion_status"] == "incomplete"

    # Two origins up is the player page: out of reach, however the SCO asks.
    assert sco.evaluate(READ, "parent.parent") == "SecurityError"
    assert sco.evaluate(READ, "top") == "SecurityError"
    assert (
        runtime_frame(page).evaluate(
            "() => { try { return top.document.title; } catch (e) { return e.name; } }"
        )
        == "SecurityError"
    )
    # Its parent, the runtime frame, holds the API and the SCO's frame, nothing else.
    seen = sco.evaluate(RUNTIME_DOM)
    assert seen == {
        "body": ["IFRAME#content"],
        "ui": 0,
        "text": "",
        "api": "function",
        "violations": [None, None],
    }
    # A message the SCO posts to the player page is not the runtime frame's: ignored. (The
    # runtime frame's own, sent after it, is shown.)
    sco.evaluate("top.postMessage({kompetens: 'end', message: 'from the SCO'}, '*')")
    runtime_frame(page).evaluate("parent.postMessage({kompetens: 'status', text: 'ok'}, '*')")
    wait_true(page, "document.getElementById('status').textContent === 'ok'")
    assert page.is_hidden("#done")

    sco.click("text=Complete Lesson")  # five SetValue, Commit, Terminate, alert
    wait_done(page)
    state = attempt_state(client, token)
    assert state["completion_status"] == "completed"
    assert state["success_status"] == "passed"
    assert state["ended"] is True
    scores = [
        s["result"]["score"]
        for s in xapi.get("statements", query={"registration": state["registration"]}).get_json()[
            "statements"
        ]
        if "score" in s.get("result", {})
    ]
    assert scores
    assert {(s.get("raw"), s.get("max")) for s in scores} == {(100, 100)}

    # The portal's session cookie never went to the content origin.
    content_requests = [r for r in requests if r.url.startswith(split_origin)]
    assert content_requests
    assert [r.url for r in content_requests if "cookie" in r.all_headers()] == []
    assert [r.url for r in requests if r.url.startswith(live_server.url + "/content/")] == []


@pytest.mark.parametrize(
    ("locale", "texts"),
    [
        ("sv", ["Spara och avsluta", "Föregående", "Nästa", "Tillbaka till portalen", 'lang="sv"']),
        ("en", ["Save and exit", "Previous", "Next", "Back to the portal", 'lang="en"']),
    ],
)
def test_player_page_in_the_learners_language(
    app: Any,
    client: Any,
    learner_id: int,
    course_from_corpus: Any,
    launch_url: Any,
    locale: str,
    texts: list[str],
) -> None:
    from accounts.models import User
    from core.db import db

    with app.app_context():
        user = db.session.get(User, learner_id)
        assert user is not None
        user.locale = locale
        db.session.commit()
    course = course_from_corpus(HOSTILE)
    token = launch_url(course).rsplit("/", 1)[-1]
    signed_in(client, learner_id)
    html = client.get(f"/player/{token}").get_data(as_text=True)
    for text in texts:
        assert text in html
    # The end-of-session messages the runtime frame reports, translated by the page.
    assert ("Din plats är sparad." in html) is (locale == "sv")
