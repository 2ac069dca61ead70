"""Every portal page answers each role as it should (a table of pages x roles)."""

from __future__ import annotations

import pytest

from tests.portal.conftest import post

LEARNER, AUTHOR, MANAGER, ADMIN = "learner", "author", "manager", "admin"
ROLES = (LEARNER, AUTHOR, MANAGER, ADMIN)

# path template → lowest role that may open it
PAGES = {
    "/": LEARNER,
    "/settings": LEARNER,
    "/catalogue": LEARNER,
    "/catalogue/{course}": LEARNER,
    "/catalogue/{room}": LEARNER,
    "/my": LEARNER,
    "/author": AUTHOR,
    "/author/courses/{course}": AUTHOR,
    "/author/courses/{room}": AUTHOR,
    "/trainer": AUTHOR,
    "/manage/assignments": MANAGER,
    "/reports": MANAGER,
    "/reports/courses/{course}": MANAGER,
    "/reports/learners/{learner}": MANAGER,
    "/admin/units": ADMIN,
    "/admin/users": ADMIN,
    "/admin/users/{learner}": ADMIN,
    "/admin/credentials": ADMIN,
}


@pytest.fixture
def site(portal):
    unit = portal.unit("social")
    ids = {
        "course": portal.course("Fire safety"),
        "room": portal.course("Lifting", kind="classroom"),
        "learner": portal.user("lea@example.org", unit_id=unit),
    }
    users = {role: portal.user(f"{role}1@example.org", role=role, unit_id=unit) for role in ROLES}
    return ids, users


@pytest.mark.parametrize("path", PAGES)
def test_portal_pages_answer_each_role(site, login, path):
    ids, users = site
    url = path.format(**ids)
    for role in ROLES:
        allowed = ROLES.index(role) >= ROLES.index(PAGES[path])
        response = login(users[role]).get(url)
        assert response.status_code == (200 if allowed else 403), (role, url)
        if allowed:
            page = response.get_data(as_text=True)
            assert '<main id="main"' in page
            assert 'href="#main"' in page


@pytest.mark.parametrize("path", PAGES)
def test_portal_pages_send_anonymous_visitors_to_sign_in(site, client, path):
    ids, _users = site
    response = client.get(path.format(**ids))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_portal_pages_every_form_carries_the_csrf_token(site, login):
    ids, users = site
    admin = login(users[ADMIN])
    for path in PAGES:
        page = admin.get(path.format(**ids)).get_data(as_text=True)
        assert page.count('method="post"') == page.count('name="csrf_token"'), path


def test_portal_pages_missing_things_are_404(site, login):
    _ids, users = site
    admin = login(users[ADMIN])
    for url in (
        "/catalogue/999999",
        "/author/courses/999999",
        "/admin/users/999999",
        "/trainer/sessions/999999",
        "/reports/courses/999999",
    ):
        assert admin.get(url).status_code == 404, url


def test_portal_home_shows_what_to_do_next(site, login, portal):
    ids, users = site
    manager = login(users[MANAGER])
    post(
        manager,
        "/manage/assignments",
        {"course_id": str(ids["course"]), "user_id": str(ids["learner"]), "due_date": "2099-01-01"},
    )
    page = login(ids["learner"]).get("/").get_data(as_text=True)
    assert "Fire safety" in page
