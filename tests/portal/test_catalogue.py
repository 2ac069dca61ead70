"""Catalogue, course page and authoring (upload with validation report, metadata, publish)."""

from __future__ import annotations

import io
import re

import pytest

from tests.portal.conftest import package_zip, post


@pytest.fixture
def world(portal):
    social = portal.unit("social", "Social services")
    school = portal.unit("school", "Schools")
    courses = {
        "shared": portal.course("Fire safety", category="Safety"),
        "social": portal.course("Care documentation", unit="social", category="Care"),
        "school": portal.course("Playground first aid", unit="school", category="Safety"),
        "draft": portal.course("Unfinished draft", published=False),
        "room": portal.course("Lifting technique", kind="classroom", category="Care"),
    }
    lea = portal.user("lea@example.org", unit_id=social)
    return {"social": social, "school": school, "courses": courses, "lea": lea}


def titles(page: str) -> set[str]:
    return set(re.findall(r'<a href="/catalogue/\d+">([^<]+)</a>', page))


def test_portal_catalogue_learner_sees_shared_and_own_unit_courses(world, login):
    page = login(world["lea"]).get("/catalogue").get_data(as_text=True)
    assert titles(page) == {"Fire safety", "Care documentation", "Lifting technique"}


def test_portal_catalogue_learner_without_unit_sees_shared_only(world, portal, login):
    page = login(portal.user("nobody@example.org")).get("/catalogue").get_data(as_text=True)
    assert titles(page) == {"Fire safety", "Lifting technique"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=fire", {"Fire safety"}),
        ("q=DOCUMENTATION", {"Care documentation"}),
        ("category=Care", {"Care documentation", "Lifting technique"}),
        ("unit=shared", {"Fire safety", "Lifting technique"}),
        ("unit=social", {"Care documentation"}),
        ("kind=classroom", {"Lifting technique"}),
        ("kind=elearning&category=Safety", {"Fire safety"}),
    ],
)
def test_portal_catalogue_search_and_filters(world, login, query, expected):
    page = login(world["lea"]).get(f"/catalogue?{query}").get_data(as_text=True)
    assert titles(page) == expected


def test_portal_catalogue_bad_kind_filter_is_refused(world, login):
    assert login(world["lea"]).get("/catalogue?kind=webinar").status_code == 400


@pytest.mark.parametrize(
    ("course", "status"), [("shared", 200), ("social", 200), ("school", 404), ("draft", 404)]
)
def test_portal_course_page_visibility(world, login, course, status):
    course_id = world["courses"][course]
    assert login(world["lea"]).get(f"/catalogue/{course_id}").status_code == status


def test_portal_course_page_links_to_the_player_launch(world, login):
    course_id = world["courses"]["shared"]
    page = login(world["lea"]).get(f"/catalogue/{course_id}").get_data(as_text=True)
    assert f'href="/courses/{course_id}/launch"' in page


@pytest.mark.parametrize("role", ["learner"])
def test_portal_authoring_needs_the_author_role(portal, login, role):
    client = login(portal.user(role=role))
    assert client.get("/author").status_code == 403
    assert post(client, "/author", {"action": "classroom", "title": "x"}).status_code == 403


@pytest.mark.usefixtures("review_off")  # with review: tests/portal/test_review_*.py
def test_portal_authoring_upload_publish_and_find_in_catalogue(portal, login):
    author = login(portal.user("ann@example.org", role="author"))
    response = post(
        author,
        "/author",
        {"file": (io.BytesIO(package_zip("Data protection")), "gdpr.zip"), "category": "Law"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    course_url = response.headers["Location"].split("?")[0]
    course_id = int(course_url.rsplit("/", 1)[1])
    learner = login(portal.user("lea@example.org"))
    assert "Data protection" not in learner.get("/catalogue").get_data(as_text=True)
    post(author, course_url, {"action": "publish"})
    assert "Data protection" in learner.get("/catalogue").get_data(as_text=True)
    # Metadata, preview link, new version
    post(
        author,
        course_url,
        {
            "action": "metadata",
            "title": "GDPR basics",
            "description": "Why and how",
            "category": "Law",
        },
    )
    page = author.get(course_url).get_data(as_text=True)
    assert "GDPR basics" in page
    assert f"/courses/{course_id}/preview" in page  # the author previews (counts for nobody)
    response = post(
        author,
        course_url,
        {"action": "version", "file": (io.BytesIO(package_zip("GDPR v2")), "v2.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert re.search(r'<td class="num">2</td>', author.get(course_url).get_data(as_text=True))
    post(author, course_url, {"action": "unpublish"})
    assert "GDPR basics" not in learner.get("/catalogue").get_data(as_text=True)


def test_portal_authoring_refused_package_shows_the_validation_report(portal, login):
    author = login(portal.user("ann@example.org", role="author"))
    broken = '<?xml version="1.0"?>\n<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2">\n<organizations>\n<broken>'
    response = post(
        author,
        "/author",
        {"file": (io.BytesIO(package_zip(manifest=broken)), "bad.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Validation report" in page
    assert "imsmanifest.xml" in page
    assert re.search(r'<td class="num">\d+</td>', page)  # the line number


def test_portal_authoring_unknown_unit_is_refused(portal, login):
    author = login(portal.user("ann@example.org", role="author"))
    response = post(author, "/author", {"action": "classroom", "title": "X", "unit": "999999"})
    assert response.status_code == 400


def test_portal_authoring_elearning_cannot_be_published_without_a_package(portal, login, app):
    from core.db import db
    from packages.models import Course
    from portal import catalogue

    author = login(portal.user("ann@example.org", role="author"))
    course_id = portal.course("Room", kind="classroom", published=False)
    with app.app_context():
        db.session.get(Course, course_id)
        assert catalogue.course_kind(course_id) == "classroom"
    assert post(author, f"/author/courses/{course_id}", {"action": "publish"}).status_code == 302
