"""Managers' attempt pages and waiving a cmi5 AU (cmi5 §9.3.8 waived, §9.5.4.1 reasons)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from tests.conftest import XapiClient, require_corpus
from tests.player.test_runtime import CORPUS, GOLF_12, statements
from tests.portal.conftest import Portal, post

CATAPULT = "cmi5_catapult_pre_post_test_framed.zip"
AU = "https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-preposttest/block{}/{}"
AUS = [AU.format(b, n) for b in (1, 2) for n in ("pre", "content", "post")]
REASON = "https://w3id.org/xapi/cmi5/result/extensions/reason"


def import_course(app: Flask, name: str) -> int:
    from packages import service as packages

    require_corpus()
    with app.app_context():
        result = packages.import_package(CORPUS / name, published=True, label=name)
        packages.set_published(result.course, True)
        db.session.commit()
        return result.course.id


def start_attempt(app: Flask, user_id: int, course_id: int) -> dict[str, Any]:
    """The learner launches the course (an attempt and its registration)."""
    from accounts.models import User
    from packages.service import get_course
    from player import attempts

    with app.test_request_context("/"):
        user = db.session.get(User, user_id)
        assert user is not None
        attempt, _token = attempts.launch(user, get_course(course_id))
        db.session.commit()
        return {"id": attempt.id, "registration": attempt.registration}


@pytest.fixture
def org(portal: Portal, app: Flask) -> dict[str, Any]:
    social = portal.unit("social", "Social services")
    school = portal.unit("school", "Schools")
    people = {
        "lea": portal.user("lea@example.org", unit_id=social, name="Lea Social"),
        "maja": portal.user("maja@example.org", role="manager", unit_id=social, name="Maja M"),
        "max": portal.user("max@example.org", role="manager", unit_id=school, name="Max M"),
        "admin": portal.user("admin@example.org", role="admin", name="Ada Admin"),
        "tom": portal.user("tom@example.org", role="author", unit_id=social, name="Tom Trainer"),
    }
    course = import_course(app, CATAPULT)
    return {"course": course, "attempt": start_attempt(app, people["lea"], course), **people}


def waive_url(org: dict[str, Any]) -> str:
    return f"/reports/attempts/{org['attempt']['id']}/waive"


def waived(xapi: XapiClient, org: dict[str, Any]) -> list[dict[str, Any]]:
    found = statements(xapi, org["attempt"]["registration"])
    return [s for s in found if s["verb"]["id"].endswith("/waived")]


def satisfied(xapi: XapiClient, org: dict[str, Any]) -> list[str]:
    found = statements(xapi, org["attempt"]["registration"])
    return [s["object"]["id"] for s in found if s["verb"]["id"].endswith("/satisfied")]


def test_attempts_manager_finds_the_attempt_from_the_reports(
    org: dict[str, Any], login: Callable[[int], FlaskClient]
) -> None:
    client = login(org["maja"])
    transcript = client.get(f"/reports/learners/{org['lea']}").get_data(as_text=True)
    assert f"/reports/learners/{org['lea']}/attempts" in transcript
    course_page = client.get(f"/reports/courses/{org['course']}").get_data(as_text=True)
    assert f"/reports/courses/{org['course']}/attempts" in course_page
    for url in (
        f"/reports/learners/{org['lea']}/attempts",
        f"/reports/courses/{org['course']}/attempts",
    ):
        listing = client.get(url)
        assert listing.status_code == 200
        assert f"/reports/attempts/{org['attempt']['id']}" in listing.get_data(as_text=True)
    page = client.get(f"/reports/attempts/{org['attempt']['id']}").get_data(as_text=True)
    assert page.count('name="au_id"') == len(AUS)
    assert 'value="Tested Out"' in page
    assert 'name="csrf_token"' in page


def test_attempts_waive_an_au_sends_waived_and_satisfies_it(
    org: dict[str, Any], login: Callable[[int], FlaskClient], xapi: XapiClient
) -> None:
    client = login(org["maja"])
    response = post(client, waive_url(org), {"au_id": AUS[0], "reason": "Tested Out"})
    assert response.status_code == 302
    found = waived(xapi, org)
    assert len(found) == 1
    assert found[0]["object"]["id"] == AUS[0]
    assert found[0]["result"] == {
        "success": True,
        "completion": True,
        "extensions": {REASON: "Tested Out"},
    }
    assert found[0]["actor"]["account"]["name"] == str(org["lea"])
    assert satisfied(xapi, org) == [AUS[0]]
    page = client.get(f"/reports/attempts/{org['attempt']['id']}").get_data(as_text=True)
    assert "Waived: Tested out" in page
    assert page.count('name="au_id"') == len(AUS) - 1


def test_attempts_waiving_every_au_satisfies_the_blocks_and_the_course(
    app: Flask, org: dict[str, Any], login: Callable[[int], FlaskClient], xapi: XapiClient
) -> None:
    from player.models import Attempt

    client = login(org["admin"])
    for au in AUS:
        assert (
            post(client, waive_url(org), {"au_id": au, "reason": "Administrative"}).status_code
            == 302
        )
    done = satisfied(xapi, org)
    assert AU.format(1, "")[:-1] in done  # block1
    assert "https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-preposttest" in done
    with app.app_context():
        attempt = db.session.get(Attempt, org["attempt"]["id"])
        assert attempt is not None
        assert (attempt.completion_status, attempt.success_status) == ("completed", "passed")


def test_attempts_an_au_is_waived_once(
    org: dict[str, Any], login: Callable[[int], FlaskClient], xapi: XapiClient
) -> None:
    client = login(org["maja"])
    post(client, waive_url(org), {"au_id": AUS[1], "reason": "Equivalent AU"})
    again = post(client, waive_url(org), {"au_id": AUS[1], "reason": "Administrative"})
    assert again.status_code == 409  # the attempt's page again, with the message
    assert "waived already" in again.get_data(as_text=True)
    assert len(waived(xapi, org)) == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("lea", 403), ("tom", 403), ("max", 403), ("maja", 302), ("admin", 302)],
)
def test_attempts_who_may_waive(
    org: dict[str, Any],
    login: Callable[[int], FlaskClient],
    xapi: XapiClient,
    who: str,
    status: int,
) -> None:
    client = login(org[who])
    page = client.get(f"/reports/attempts/{org['attempt']['id']}")
    assert page.status_code == (200 if status == 302 else 403)
    response = post(client, waive_url(org), {"au_id": AUS[0], "reason": "Tested Out"})
    assert response.status_code == status
    assert len(waived(xapi, org)) == (1 if status == 302 else 0)


@pytest.mark.parametrize(
    "form",
    [
        {"au_id": AUS[0], "reason": "Because"},
        {"au_id": "https://example.org/not-an-au", "reason": "Tested Out"},
        {"reason": "Tested Out"},
    ],
)
def test_attempts_waive_bad_form_is_refused(
    org: dict[str, Any],
    login: Callable[[int], FlaskClient],
    xapi: XapiClient,
    form: dict[str, str],
) -> None:
    client = login(org["maja"])
    response = post(client, waive_url(org), form)
    assert response.status_code == 400  # the attempt's page again, with the problem
    assert 'id="form-problems"' in response.get_data(as_text=True)
    assert waived(xapi, org) == []


def test_attempts_waive_needs_the_csrf_token(
    org: dict[str, Any], login: Callable[[int], FlaskClient], xapi: XapiClient
) -> None:
    client = login(org["maja"])
    response = client.post(waive_url(org), data={"au_id": AUS[0], "reason": "Tested Out"})
    assert response.status_code == 400
    assert waived(xapi, org) == []


def test_attempts_scorm_attempt_has_nothing_to_waive(
    app: Flask, org: dict[str, Any], login: Callable[[int], FlaskClient]
) -> None:
    course = import_course(app, GOLF_12)
    attempt = start_attempt(app, org["lea"], course)
    client = login(org["maja"])
    page = client.get(f"/reports/attempts/{attempt['id']}").get_data(as_text=True)
    assert 'name="au_id"' not in page
    post(client, f"/reports/attempts/{attempt['id']}/waive", {"au_id": "x", "reason": "Tested Out"})
    page = client.get(f"/reports/attempts/{attempt['id']}").get_data(as_text=True)
    assert "Only the AUs of a cmi5 course can be waived" in page


def test_attempts_pages_in_swedish(
    org: dict[str, Any], login: Callable[[int], FlaskClient]
) -> None:
    client = login(org["maja"])
    assert post(client, "/settings", {"locale": "sv"}).status_code == 302
    post(client, waive_url(org), {"au_id": AUS[0], "reason": "Tested Out"})
    page = client.get(f"/reports/attempts/{org['attempt']['id']}").get_data(as_text=True)
    assert "Undanta" in page
    assert "Skäl" in page
    assert "Undantagen: Klarade test i förväg" in page
    listing = client.get(f"/reports/learners/{org['lea']}/attempts").get_data(as_text=True)
    assert "E-learningförsök" in listing
