"""Deactivation ends what a person could still use, at once: their portal sessions, the
player's launch tokens and their launches' LRS credentials; their records stay.

A learner in the middle of a cmi5 course is deactivated by SCIM (``active: false``,
DELETE) or on the admin page; the next runtime call and the next xAPI request with the
launch's credential are refused.
"""

# ruff: noqa: F811  (the portal fixture imported from tests.portal is a parameter here)
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from tests.conftest import XapiClient, signed_in
from tests.player.builds import cmi5_zip
from tests.player.test_launch import au_client
from tests.player.test_runtime import Player
from tests.portal.conftest import Portal, portal, post  # noqa: F401  (fixture)
from tests.scim.conftest import ScimClient


@pytest.fixture
def cmi5_course(app: Flask, tmp_path: Path) -> int:
    """A published cmi5 course built in the test; its id."""
    from packages import service as packages

    path = tmp_path / "course.zip"
    path.write_bytes(cmi5_zip())
    with app.app_context():
        result = packages.import_package(path, published=True, label="course")
        packages.set_published(result.course, True)
        db.session.commit()
        return result.course.id


@pytest.fixture
def mid_course(
    app: Flask, client: FlaskClient, cmi5_course: int
) -> Callable[[int], tuple[Player, XapiClient, dict[str, str]]]:
    """Launch the course for a person; the AU fetched its credential and reads its state."""
    from accounts.models import User
    from packages.service import get_course
    from player import attempts

    def start(user_id: int) -> tuple[Player, XapiClient, dict[str, str]]:
        with app.test_request_context("/"):
            user = db.session.get(User, user_id)
            assert user is not None
            _attempt, token = attempts.launch(user, get_course(cmi5_course))
            db.session.commit()
        player = Player(client, token)
        assert player.navigate().status_code == 200
        au, params = au_client(player, client)
        assert _state(au, params) == 200
        assert client.get(player.base + "/attempt").status_code == 200
        return player, au, params

    return start


def _state(au: XapiClient, params: dict[str, str]) -> int:
    response = au.get(
        "activities/state",
        query={
            "stateId": "LMS.LaunchData",
            "activityId": params["activityId"],
            "agent": params["actor"],
            "registration": params["registration"],
        },
    )
    return response.status_code


def _refused(client: FlaskClient, player: Player, au: XapiClient, params: dict[str, str]) -> None:
    assert client.get(player.base + "/attempt").status_code in (401, 404, 410)
    assert player.navigate().status_code in (401, 404, 410)
    assert _state(au, params) == 401


def _scim_learner(scim: ScimClient, make_user: Callable[..., dict[str, Any]]) -> int:
    return int(make_user("lea@example.se", emails=[{"value": "lea@example.se"}])["id"])


def test_scim_deactivation_by_active_false_ends_launches_and_sessions(
    scim: ScimClient,
    make_user: Callable[..., dict[str, Any]],
    mid_course: Callable[[int], tuple[Player, XapiClient, dict[str, str]]],
    client: FlaskClient,
    app: Flask,
) -> None:
    lea = _scim_learner(scim, make_user)
    browser = signed_in(app.test_client(), lea)
    assert browser.get("/").status_code == 200
    player, au, params = mid_course(lea)
    response = scim.patch(f"Users/{lea}", [{"op": "replace", "path": "active", "value": False}])
    assert response.status_code == 200
    _refused(client, player, au, params)
    assert browser.get("/").status_code == 302  # back to the sign-in page
    # Records stay: the attempt and the statements are there for reports.
    from player.models import Attempt

    with app.app_context():
        assert db.session.query(Attempt).filter_by(user_id=lea).count() == 1


def test_scim_deactivation_by_delete_ends_launches(
    scim: ScimClient,
    make_user: Callable[..., dict[str, Any]],
    mid_course: Callable[[int], tuple[Player, XapiClient, dict[str, str]]],
    client: FlaskClient,
) -> None:
    lea = _scim_learner(scim, make_user)
    player, au, params = mid_course(lea)
    assert scim.delete(f"Users/{lea}").status_code == 204
    _refused(client, player, au, params)


def test_scim_deactivation_on_the_admin_page_ends_launches(
    portal: Portal,
    app: Flask,
    mid_course: Callable[[int], tuple[Player, XapiClient, dict[str, str]]],
    client: FlaskClient,
) -> None:
    lea = portal.user("lea@example.org")
    admin = signed_in(app.test_client(), portal.user("boss@example.org", role="admin"))
    player, au, params = mid_course(lea)
    response = post(admin, f"/admin/users/{lea}", {"name": "Lea", "role": "learner"})
    assert response.status_code == 302  # "active" unchecked: deactivated
    _refused(client, player, au, params)


def test_scim_deactivation_leaves_other_learners_launches_alone(
    scim: ScimClient,
    make_user: Callable[..., dict[str, Any]],
    mid_course: Callable[[int], tuple[Player, XapiClient, dict[str, str]]],
    client: FlaskClient,
) -> None:
    lea = _scim_learner(scim, make_user)
    bo = int(make_user("bo@example.se", displayName="Bo")["id"])
    _player, bo_au, bo_params = mid_course(bo)
    mid_course(lea)
    assert scim.delete(f"Users/{lea}").status_code == 204
    assert _state(bo_au, bo_params) == 200
