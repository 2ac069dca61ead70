"""Course review in Chromium: an author submits, a reviewer returns it with a comment, the
author fixes it with a new upload, the reviewer approves, the author publishes and a
learner gets it; axe-core on every page of it, in English and in Swedish."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.portal.conftest import package_zip
from tests.portal.review_fixtures import checklist_refs, grant


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


@pytest.fixture
def people(portal: Any, app: Any) -> dict[str, int]:
    soc = portal.unit("SOC", "Social services")
    ifo = portal.unit("IFO", "Family care", parent=soc)
    ids = {
        "ifo": ifo,
        "ann": portal.user("ann@example.org", role="author", name="Ann Author"),
        "rita": portal.user("rita@example.org", role="author", name="Rita Reviewer"),
        "lea": portal.user("lea@example.org", unit_id=ifo, name="Lea Learner"),
        "adam": portal.user("adam@example.org", role="admin", name="Adam Admin"),
    }
    grant(app, "rita@example.org", soc)
    return ids


def _upload(page: Any, path: Path, title: str, new: bool = True) -> None:
    path.write_bytes(package_zip(title))
    if new:
        page.get_by_label("Package (zip").set_input_files(str(path))
        page.get_by_label("Owned by").first.select_option(label="Social services / Family care")
    else:
        page.get_by_label("Upload a new version (zip)").set_input_files(str(path))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_selector("text=Package imported as version")


def _switch(page: Any, live_server: Any, sign_in: Any, email: str) -> None:
    page.goto(f"{live_server.url}/")
    if page.get_by_role("button", name="Sign out").count():
        page.get_by_role("button", name="Sign out").click()
    sign_in(page, email)


def test_portal_review_submit_return_fix_approve_publish_learn(
    page: Any, live_server: Any, people: dict[str, int], app: Any, tmp_path: Path
) -> None:
    axe, sign_in = make_axe(), make_sign_in(live_server)
    # Ann uploads a course: a draft, which she submits with a note.
    sign_in(page, "ann@example.org")
    page.get_by_role("link", name="Authoring").click()
    _upload(page, tmp_path / "v1.zip", "Safe lifting")
    assert "Learners see the course once a version of it is published." in page.inner_text("main")
    axe(page)
    course_url = page.url.split("?")[0]
    page.get_by_label("Note to the reviewer (optional)").fill("First version")
    page.get_by_role("button", name="Submit version 1 for review").click()
    page.wait_for_selector("text=Submitted for review. The reviewers have been told.")
    assert "Version 1 is waiting for a reviewer." in page.inner_text("main")
    axe(page)
    # Rita sees it is her turn, reviews and returns it with a comment.
    _switch(page, live_server, sign_in, "rita@example.org")
    assert "Review Safe lifting, version 1" in page.inner_text("main")
    axe(page)
    page.get_by_role("link", name="Reviews").click()
    axe(page)
    page.get_by_role("link", name="Safe lifting").click()
    page.wait_for_selector("h1:has-text('Review of Safe lifting, version 1')")
    assert "First version" in page.inner_text("main")
    axe(page)
    page.get_by_role("button", name="Approve").click()  # nothing ticked: refused
    page.wait_for_selector("#form-problems")
    axe(page)
    page.get_by_label("Comment: The target group is stated").fill("Who is it for?")
    page.get_by_label("Comment to the author").fill("Say who the course is for.")
    page.get_by_role("button", name="Return to the author").click()
    page.wait_for_selector("text=Returned to the author with your comments.")
    # Ann reads why and fixes it with a new upload, which she submits.
    _switch(page, live_server, sign_in, "ann@example.org")
    page.get_by_role("link", name="Change Safe lifting, version 1").click()
    history = page.locator("section[aria-labelledby='h-review'] table").inner_text()
    assert "Say who the course is for." in history
    assert "Who is it for?" in history
    _upload(page, tmp_path / "v2.zip", "Safe lifting for home care", new=False)
    page.get_by_role("button", name="Submit version 2 for review").click()
    page.wait_for_selector("text=Version 2 is waiting for a reviewer.")
    # Rita ticks every item and approves.
    _switch(page, live_server, sign_in, "rita@example.org")
    page.get_by_role("link", name="Reviews").click()
    page.get_by_role("link", name="Safe lifting").click()
    for ref in checklist_refs(app):
        page.locator(f"#tick-{ref}").check()
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("text=Approved. The author has been told.")
    # Ann publishes version 2; learners get it.
    _switch(page, live_server, sign_in, "ann@example.org")
    page.goto(course_url)
    assert "Version 2 is approved." in page.inner_text("main")
    page.get_by_role("button", name="Publish version 2").click()
    page.wait_for_selector("text=Published: new attempts get this version.")
    axe(page)
    _switch(page, live_server, sign_in, "lea@example.org")
    page.get_by_role("link", name="Catalogue").click()
    page.get_by_role("link", name="Safe lifting").click()
    page.goto(f"{live_server.url}/courses/{course_url.rsplit('/', 1)[1]}/launch")
    page.wait_for_url("**/player/**")
    from core.db import db
    from packages.models import PackageVersion
    from player.models import Attempt

    with app.app_context():
        number = db.session.scalar(
            select(PackageVersion.number)
            .join(Attempt, Attempt.version_id == PackageVersion.id)
            .where(Attempt.user_id == people["lea"])
        )
    assert number == 2


def _returned_and_submitted_again(app: Any, people: dict[str, int]) -> tuple[int, int]:
    """A course of IFO's: Ann submitted it, Rita returned it, Ann submitted it again."""
    import io

    from accounts.models import User
    from core.db import db
    from packages import review
    from portal import catalogue

    with app.test_request_context():
        ann = db.session.get_one(User, people["ann"])
        rita = db.session.get_one(User, people["rita"])
        result = catalogue.upload_course(
            io.BytesIO(package_zip("Lyftteknik")), "l.zip", None, None, people["ifo"], False, by=ann
        )
        version = result.version
        review.submit(version, ann, "Första versionen")
        answers = {"audience": review.Answer(False, "Saknas")}
        review.decide(version, rita, False, "Beskriv målgruppen.", answers)
        review.submit(version, ann, "Målgruppen är beskriven")
        db.session.commit()
        return result.course.id, version.id


@pytest.mark.parametrize(("locale", "menu"), [("sv", "Granskningar"), ("en", "Reviews")])
def test_portal_review_pages_pass_axe_in_both_languages(
    page: Any, live_server: Any, people: dict[str, int], app: Any, locale: str, menu: str
) -> None:
    axe = make_axe()
    course, version = _returned_and_submitted_again(app, people)
    make_sign_in(live_server)(page, "adam@example.org")
    page.get_by_label("Language").select_option(locale)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{locale}']")
    for path in (
        "/",
        "/reviews",
        f"/reviews/{version}",
        "/admin/review",
        f"/author/courses/{course}",
    ):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == locale
        axe(page)
    assert menu in page.locator("nav").inner_text()
    # The reviewer's page with a refused decision (the problems at their fields).
    page.goto(f"{live_server.url}/reviews/{version}")
    page.locator("button[value='return']").click()
    page.wait_for_selector("#form-problems")
    axe(page)
