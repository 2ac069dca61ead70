"""Swedish pages are Swedish: every page each role reaches, the headings of lists, the
trainer's action that voids results, and times without seconds.

Each role's pages are found by following the links from the start page (so a new page
is checked as soon as the menus lead to it); each is read as a person sees it (text,
titles, labels) and must hold none of a short list of English UI words.
"""

from __future__ import annotations

import html
import re
from collections import deque
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import match
from tests.portal.conftest import Portal, post

SV = {"Accept-Language": "sv"}
# English words of the UI that Swedish never uses (data in the fixtures avoids them).
ENGLISH = re.compile(
    r"\b(the|and|of|your|you|with|this|is|not|are|has|have|was|will|to|from|Save|Cancel|"
    r"Back|Next|Previous|Course|Courses|Passed|Failed|Completed|Error|Warning|Please|"
    r"Search|Settings|Reports|Users|Learner|Learners|Score|Date|Name|Unit|Attendance|"
    r"Correct|Book|Assigned|Due|Overdue|Nothing|None|Yes|No|Sign|Change|Show|Download|"
    r"Catalogue|Home|Upload|Session|Sessions)\b"
)
SECONDS = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")
# Not followed: files, the player, signing out, and pages that change something on GET.
SKIP = re.compile(
    r"logout|/player/|/launch|/review|format=|\.csv|\.pdf|\.ics|/certificate|/calendar/|/static/"
)


def shown_text(page: str) -> str:
    """What a person reads on the page: its text, titles, labels and placeholders."""
    page = re.sub(r"<(script|style|code|pre)\b.*?</\1>", " ", page, flags=re.DOTALL)
    shown = re.findall(r'\b(?:title|aria-label|alt|placeholder)="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", "\n", page)
    return html.unescape("\n".join([text, *shown]))


def crawl(client: FlaskClient, start: list[str], limit: int = 80) -> dict[str, str]:
    """The pages reachable from ``start`` by links (one per URL shape), by URL."""
    seen = {re.sub(r"\d+", "N", url) for url in start}
    queue = deque(start)
    pages: dict[str, str] = {}
    while queue and len(pages) < limit:
        url = queue.popleft()
        response = client.get(url, headers=SV)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        pages[url] = page
        for href in re.findall(r'href="(/[^"#]*)"', page):
            href = html.unescape(href)
            shape = re.sub(r"\d+", "N", href)
            if shape not in seen and not SKIP.search(href):
                seen.add(shape)
                queue.append(href)
    return pages


def english_on(pages: dict[str, str]) -> dict[str, list[str]]:
    """The English words (and times with seconds) each page shows, by URL."""
    found: dict[str, list[str]] = {}
    for url, page in pages.items():
        text = shown_text(page)
        words = sorted(set(ENGLISH.findall(text)) | set(SECONDS.findall(text)))
        if words or 'lang="sv"' not in page:
            found[url] = words or ["<html lang> is not sv"]
    return found


@pytest.fixture
def town(portal: Portal, login: Any) -> dict[str, Any]:
    """A unit, its people in every role, an e-learning course assigned (overdue) and a
    classroom session whose trainer recorded the learner as passed."""
    unit = portal.unit("vard", "Vård och omsorg")
    people = {
        "admin": portal.user("maja@example.org", role="admin", name="Maja Admin"),
        "author": portal.user("tove@example.org", role="author", name="Tove Utbildare"),
        "manager": portal.user("mats@example.org", role="manager", unit_id=unit, name="Mats"),
        "learner": portal.user("lea@example.org", unit_id=unit, name="Lea Larsson"),
    }
    portal.manage(people["learner"], people["manager"])
    elearning = portal.course("Brandskydd", category="Säkerhet")
    classroom = portal.course("Lyftteknik", kind="classroom")
    session = portal.session(classroom, people["author"], seats=5)
    mats = login(people["manager"])
    assigned = {"course_id": str(elearning), "user_id": str(people["learner"])}
    assert post(mats, "/manage/assignments", {**assigned, "due_date": "2001-01-31"}).status_code
    assert post(login(people["learner"]), f"/sessions/{session}/enrol").status_code == 302
    trainer = login(people["author"])
    url = f"/trainer/sessions/{session}"
    enrolment = match(r'name="e(\d+)-attended"', trainer.get(url).get_data(as_text=True))[1]
    recorded = {
        f"e{enrolment}-attended": "true",
        f"e{enrolment}-completed": "true",
        f"e{enrolment}-outcome": "passed",
        f"e{enrolment}-score": "80",
    }
    assert post(trainer, url, recorded).status_code == 302
    return {
        **people,
        "elearning": elearning,
        "classroom": classroom,
        "session": session,
        "correct": f"{url}/correct/{enrolment}",
    }


@pytest.mark.parametrize("role", ["learner", "author", "manager", "admin"])
def test_swedish_pages_show_no_english(town: dict[str, Any], login: Any, role: str) -> None:
    extra = {
        "author": [f"/author/courses/{town['classroom']}", town["correct"]],
        "admin": [f"/author/courses/{town['elearning']}", f"/author/courses/{town['classroom']}"],
    }
    client = login(town[role])
    pages = crawl(client, ["/", *extra.get(role, [])])
    assert len(pages) > 3, list(pages)
    assert english_on(pages) == {}


def test_swedish_error_page_shows_no_english(town: dict[str, Any], login: Any) -> None:
    response = login(town["learner"]).get("/no/such/page", headers=SV)
    assert response.status_code == 404
    assert english_on({"/no/such/page": response.get_data(as_text=True)}) == {}


def test_swedish_lists_have_plural_headings(town: dict[str, Any], login: Any) -> None:
    my = shown_text(login(town["learner"]).get("/my", headers=SV).get_data(as_text=True))
    assert "Genomförda" in my  # the heading of the completed courses
    assert "Godkänd" in my  # one course's outcome
    reports = login(town["admin"]).get("/reports", headers=SV).get_data(as_text=True)
    assert re.search(r"<th[^>]*>Godkända</th><th[^>]*>Underkända</th>", reports)
    course = login(town["author"]).get(f"/author/courses/{town['classroom']}", headers=SV)
    assert re.search(r"<th[^>]*>Bokade</th>", course.get_data(as_text=True))


@pytest.mark.parametrize(
    ("headers", "action", "heading"),
    [
        (SV, "Ändra resultat", "Ändra resultatet för Lea Larsson"),
        ({"Accept-Language": "en"}, "Change results", "Change the results of Lea Larsson"),
    ],
)
def test_swedish_trainer_changes_results_rather_than_correcting(
    town: dict[str, Any], login: Any, headers: dict[str, str], action: str, heading: str
) -> None:
    trainer = login(town["author"])
    page = trainer.get(f"/trainer/sessions/{town['session']}", headers=headers)
    text = shown_text(page.get_data(as_text=True))
    assert action in text
    assert not re.search(r"\b(Rätta|Correct)\b", text)
    confirm = shown_text(trainer.get(town["correct"], headers=headers).get_data(as_text=True))
    assert heading in confirm
    assert not re.search(r"\b(Rätta|Correct)\b", confirm)


def test_swedish_times_have_no_seconds(town: dict[str, Any], login: Any) -> None:
    # The session's start on the course's page and the trainer's, as hours and minutes.
    for role, url in (
        ("learner", f"/catalogue/{town['classroom']}"),
        ("author", f"/trainer/sessions/{town['session']}"),
        ("admin", "/admin/audit"),
    ):
        text = shown_text(login(town[role]).get(url, headers=SV).get_data(as_text=True))
        assert re.search(r"\b\d{2}:\d{2}\b", text), url
        assert not SECONDS.search(text), url


@pytest.mark.parametrize(
    ("url", "form", "message"),
    [
        (
            "/admin/users",
            {"email": "LEA@example.org", "name": "Lea", "password": "långt lösenord"},
            "Det finns redan ett konto med den här e-postadressen",
        ),
        (
            "/admin/units",
            {"code": "VARD", "name": "Vård", "kind": "department"},
            "En annan enhet har redan den här koden",
        ),
    ],
)
def test_swedish_form_refusal_says_what_is_wrong(
    town: dict[str, Any], login: Any, url: str, form: dict[str, str], message: str
) -> None:
    response = post(login(town["admin"]), url, form, headers=SV)
    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    assert message in page
    assert english_on({url: page}) == {}
