"""Uploaded content cannot act as the portal, in Chromium, on every set-up.

An author uploads a package holding an SVG with a script. The script, run by an admin
who opens the file, fetches an admin page, reads its CSRF token and makes a learner an
admin: what an attacker in the author role would try. It must fail with content on the
portal's own origin (no CONTENT_ORIGIN, no CONTENT_PORT: the file runs sandboxed) and
with ``make run``'s two ports (content on another origin, where portal pages are not
served), and the courses must still play there.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from tests.browser.conftest_portal import make_sign_in, portal_data
from tests.browser.helpers import attempt_state, content_frame, runtime_frame, wait_done, wait_true
from tests.portal.conftest import MANIFEST_12

# Takes the learner's edit page, its CSRF token and fields, and posts role=admin.
ATTACK = """<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
<script><![CDATA[
(async () => {
  const mark = (text) => document.documentElement.setAttribute('data-attack', text);
  try {
    const page = await fetch('/admin/users/USER_ID', {credentials: 'include'});
    const html = await page.text();
    const doc = new DOMParser().parseFromString(html, 'text/html');
    const form = doc.querySelector('select[name=role]').form;
    const data = new FormData(form);
    data.set('role', 'admin');
    const done = await fetch('/admin/users/USER_ID', {method: 'POST', body: data,
                                                       credentials: 'include'});
    mark('posted ' + done.status);
  } catch (e) { mark('failed: ' + e.name); }
})();
]]></script></svg>"""


def _upload_attack(app: Any, learner: int) -> str:
    """An author's package with the SVG in it; returns the file's content URL path."""
    from core.db import db
    from packages import service as packages

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", MANIFEST_12.format(title="Innocent"))
        archive.writestr("index.html", "<!doctype html><title>x</title>")
        archive.writestr("x.svg", ATTACK.replace("USER_ID", str(learner)))
    buffer.seek(0)
    with app.app_context():
        result = packages.import_package(buffer, label="innocent.zip")
        db.session.commit()
        return f"/content/{result.version.content_hash}/x.svg"


def _role(app: Any, user_id: int) -> str:
    from accounts.models import User
    from core.db import db

    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return user.role


@pytest.mark.parametrize("setup", ["one origin", "two ports"])
def test_uploaded_svg_cannot_make_anyone_admin(
    request: Any, page: Any, app: Any, live_server: Any, setup: str
) -> None:
    portal = portal_data(app)
    portal.user("admin@example.org", role="admin")
    learner = portal.user("lea@example.org")
    if setup == "two ports":
        content = request.getfixturevalue("content_port")
    path = _upload_attack(app, learner)
    make_sign_in(live_server)(page, "admin@example.org")
    # The admin opens the file (a link in a course description, an e-mail...).
    page.goto(f"{live_server.url}{path}")
    wait_true(page, "document.documentElement.getAttribute('data-attack') !== null")
    outcome = page.evaluate("document.documentElement.getAttribute('data-attack')")
    assert outcome.startswith("failed"), outcome
    assert _role(app, learner) == "learner"
    if setup == "two ports":
        # It was served from the content origin, not the portal's.
        assert page.url == f"{content}{path}"


def test_course_plays_with_content_on_its_own_port(
    page: Any,
    app: Any,
    live_server: Any,
    content_port: str,
    learner_id: int,
    course_from_corpus: Any,
    client: Any,
) -> None:
    course = course_from_corpus("hostile_scorm2004_parent_dom_access.zip")
    make_sign_in(live_server)(page, "grace@example.org", "correct horse battery")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/courses/{course}/launch")
    assert page.url.startswith(f"{live_server.url}/player/")
    token = page.url.rsplit("/", 1)[-1]
    assert runtime_frame(page).url.startswith(f"{content_port}/player/{token}/runtime?")
    sco = content_frame(page, "sco.html")
    assert sco.url.startswith(f"{content_port}/content/")
    # The SCO cannot reach the player page, nor any portal page on its own origin.
    assert (
        sco.evaluate("() => { try { return top.document.title; } catch (e) { return e.name; } }")
        == "SecurityError"
    )
    portal_page = sco.evaluate(
        "async () => { try { const r = await fetch('/my'); return r.url + ' ' + r.status; }"
        " catch (e) { return e.name; } }"
    )
    assert portal_page == "TypeError", portal_page  # sent to the portal: cross-origin, refused
    sco.click("text=Complete Lesson")
    wait_done(page)
    state = attempt_state(client, token)
    assert state["completion_status"] == "completed"
