"""Each role's main journey in headless Chromium, with axe-core checks on every page."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.browser.helpers import content_frame, wait_done, wait_running
from tests.portal.conftest import package_zip

GOLF_12 = "golf_scorm12_runtime_basic_calls.zip"


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


@pytest.fixture
def sign_in(live_server: Any) -> Any:
    return make_sign_in(live_server)


@pytest.fixture
def axe() -> Any:
    return make_axe()


def test_portal_learner_finds_launches_resumes_and_completes_a_course(
    page: Any,
    live_server: Any,
    portal: Any,
    sign_in: Any,
    axe: Any,
    course_from_corpus: Any,
    app: Any,
) -> None:
    from core.db import db
    from packages.models import Course

    course_id = course_from_corpus(GOLF_12)
    with app.app_context():
        course = db.session.get_one(Course, course_id)
        course.title = "Golf explained"
        db.session.commit()
    portal.user("lea@example.org", name="Lea Learner")
    sign_in(page, "lea@example.org")
    axe(page)
    # Find the course in the catalogue.
    page.get_by_role("link", name="Catalogue").click()
    page.get_by_label("Search").fill("golf")
    page.get_by_role("button", name="Filter").click()
    axe(page)
    page.get_by_role("link", name="Golf explained").click()
    axe(page)
    # Launch, move on two pages, save and exit.
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name="Start the course").click()
    wait_running(page)
    frame = content_frame(page, "launchpage.html")
    frame.click("#butNext")
    frame.click("#butNext")
    page.click("#exit-btn")
    wait_done(page)
    # My learning: in progress, resume in one click, at the bookmark.
    page.goto(f"{live_server.url}/my")
    axe(page)
    page.get_by_role("link", name="Resume Golf explained").click()
    wait_running(page)
    frame = content_frame(page, "launchpage.html")
    assert frame.evaluate("API.LMSGetValue('cmi.core.lesson_location')") == "2"
    # Complete it with 85 %.
    frame.evaluate("RecordTest(85); reachedEnd = true;")
    frame.evaluate("doExit()")
    wait_done(page)
    page.goto(f"{live_server.url}/my")
    completed = page.locator("section[aria-labelledby='h-done'] table")
    assert "Golf explained" in completed.inner_text()
    assert "85%" in completed.inner_text()
    assert (
        "Golf explained" not in page.locator("section[aria-labelledby='h-progress']").inner_text()
    )


@pytest.mark.usefixtures("review_off")  # with review: test_portal_review.py
def test_portal_author_uploads_and_publishes_a_course(
    page: Any, live_server: Any, portal: Any, sign_in: Any, axe: Any, tmp_path: Path
) -> None:
    portal.unit("social", "Social services")
    portal.user("ann@example.org", role="author", name="Ann Author")
    sign_in(page, "ann@example.org")
    page.get_by_role("link", name="Authoring").click()
    axe(page)
    # A broken package first: the validation report names the file and line.
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("imsmanifest.xml", "<?xml version='1.0'?>\n<manifest>\n<oops>")
    page.get_by_label("Package (zip").set_input_files(str(broken))
    page.get_by_role("button", name="Upload", exact=True).click()
    report = page.locator("#h-validation")
    expect(report).to_be_visible()  # waits for the page the upload opened
    assert "imsmanifest.xml" in page.locator("section[aria-labelledby='h-validation']").inner_text()
    axe(page)
    # Then a good one, owned by a unit, published from the course page.
    good = tmp_path / "good.zip"
    good.write_bytes(package_zip("Safe lifting"))
    page.get_by_label("Package (zip").set_input_files(str(good))
    page.get_by_label("Category").first.fill("Health")
    page.get_by_label("Owned by").first.select_option(label="Social services")
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_selector("h1:has-text('Safe lifting')")
    assert "Draft" in page.locator("main").inner_text()
    axe(page)
    page.get_by_role("button", name="Publish").click()
    page.wait_for_selector("text=Published.")
    assert (
        page.get_by_role("link", name="Preview as a learner")
        .get_attribute("href")
        .endswith("/preview")
    )
    page.get_by_role("link", name="Catalogue").click()
    expect(page.get_by_role("link", name="Safe lifting")).to_be_visible()


def test_portal_trainer_records_attendance(
    page: Any, live_server: Any, portal: Any, sign_in: Any, axe: Any, xapi: Any, app: Any
) -> None:
    trainer = portal.user("tom@example.org", role="author", name="Tom Trainer")
    course = portal.course("Fire drill", kind="classroom")
    session = portal.session(course, trainer, seats=5)
    learner = portal.user("lea@example.org", name="Lea Learner")
    # The learner enrols through the course page.
    sign_in(page, "lea@example.org")
    page.goto(f"{live_server.url}/catalogue/{course}")
    axe(page)
    page.get_by_role("button", name="Book").click()
    page.wait_for_selector("text=You are booked.")
    page.get_by_role("button", name="Sign out").click()
    # The trainer records it.
    sign_in(page, "tom@example.org")
    page.get_by_role("link", name="My sessions").click()
    axe(page)
    page.locator(f"a[href$='/trainer/sessions/{session}']").click()
    axe(page)
    page.get_by_label("Result for Lea Learner").select_option("passed")
    page.get_by_label("Score for Lea Learner").fill("90")
    page.get_by_role("button", name="Record attendance").click()
    page.wait_for_selector("text=Attendance recorded (3 statements in the LRS).")
    statements = xapi.get("statements").get_json()["statements"]
    assert sorted(s["verb"]["id"].rsplit("/", 1)[1] for s in statements) == [
        "attended",
        "completed",
        "passed",
    ]
    assert all(s["actor"]["account"]["name"] == str(learner) for s in statements)


def test_portal_manager_opens_reports_and_exports_csv(
    page: Any, live_server: Any, portal: Any, sign_in: Any, axe: Any, make_xapi: Any, app: Any
) -> None:
    # Results from a source an admin trusts (an external system) count in reports.
    xapi = make_xapi(["all"], trusted=True)
    social = portal.unit("social", "Social services")
    school = portal.unit("school", "Schools")
    course = portal.course("Fire safety")
    home = app.config["AGENT_HOMEPAGE"]
    learners = {
        "lea": portal.user("lea@example.org", unit_id=social, name="Lea Social"),
        "sam": portal.user("sam@example.org", unit_id=school, name="Sam School"),
    }
    xapi.post(
        "statements",
        [
            {
                "id": str(uuid.uuid4()),
                "actor": {"account": {"homePage": home, "name": str(uid)}},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                "object": {"id": f"{home}/courses/{course}"},
            }
            for uid in learners.values()
        ],
    )
    portal.user("maja@example.org", role="manager", unit_id=social, name="Maja Manager")
    sign_in(page, "maja@example.org")
    page.get_by_role("link", name="Reports").click()
    chart = page.locator("svg[role='img']").first
    expect(chart).to_be_visible()  # waits for the page the click opened
    axe(page)
    assert "Schools" not in page.locator("main").inner_text()
    with page.expect_download() as info:
        page.locator("section[aria-labelledby='h-course']").get_by_role(
            "link", name="Download CSV"
        ).click()
    download = info.value
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert rows == [
        {
            "Course": "Fire safety",
            "Completions": "1",
            "Passed": "0",
            "Failed": "0",
            "Average score": "",
            # Lea, of the two people in Social services (Lea and Maja).
            "People who completed or passed": "1",
            "People in scope": "2",
        }
    ]
    page.get_by_role("link", name="Fire safety").click()
    axe(page)
    assert "Lea Social" in page.locator("main").inner_text()
    assert "Sam School" not in page.locator("main").inner_text()
