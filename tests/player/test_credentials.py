"""The LRS credential a cmi5 AU or xAPI activity gets slides like its launch token.

Each authenticated LRS request keeps it valid PLAYER_TOKEN_TTL (at most a day) longer,
written at most once a minute; an idle one expires; other credentials keep their expiry.
"""

# ruff: noqa: F811  (the fixtures imported from test_runtime are parameters here)
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from core.db import db
from tests.conftest import XapiClient, basic
from tests.player.test_launch import CATAPULT, LECTORA, au_client, au_statement, launch_params
from tests.player.test_runtime import (  # noqa: F401  (fixtures)
    Player,
    launch,
    make_course,
    make_learner,
    player,
)

TTL = 300  # seconds
START = datetime(2026, 3, 2, 9, 0, 0)


class Clock:
    """The player's and the LRS's clocks (player.attempts.now, lrs.auth._now)."""

    def __init__(self) -> None:
        self.moment = START

    def __call__(self) -> datetime:
        return self.moment

    def at(self, seconds: float) -> None:
        self.moment = START + timedelta(seconds=seconds)


@pytest.fixture
def clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Clock:
    from lrs import auth
    from player import attempts

    fake = Clock()
    monkeypatch.setattr(attempts, "now", fake)
    monkeypatch.setattr(auth, "_now", fake)
    monkeypatch.setitem(app.config, "PLAYER_TOKEN_TTL", TTL)
    return fake


@pytest.fixture
def credential_writes(app: Flask) -> Iterator[list[str]]:
    """The UPDATEs of lrs_credential.expires_at sent to the database."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE LRS_CREDENTIAL") and (
            "expires_at" in statement
        ):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    yield seen
    event.remove(engine, "before_cursor_execute", listen)


def cmi5_au(player: Callable[[str], Player], client: FlaskClient) -> tuple[XapiClient, Any]:
    """A launched cmi5 AU holding its credential (fetched at 0 s: valid until 300 s)."""
    p = player(CATAPULT)
    assert p.navigate().status_code == 200
    au, params = au_client(p, client)
    return au, (p, params)


def read_state(au: XapiClient, params: dict[str, str]) -> int:
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


def test_credentials_idle_cmi5_credential_expires(
    clock: Clock, player: Callable[[str], Player], client: FlaskClient
) -> None:
    au, (_p, params) = cmi5_au(player, client)
    clock.at(TTL - 1)
    assert read_state(au, params) == 200
    clock.at(2 * TTL)  # idle for more than the TTL since that request
    assert read_state(au, params) == 401


def test_credentials_cmi5_credential_in_use_keeps_working(
    clock: Clock, player: Callable[[str], Player], client: FlaskClient
) -> None:
    au, (p, params) = cmi5_au(player, client)
    session = p.launch["session_id"]
    # A statement every two minutes for an hour, long past the first expiry (300 s).
    for minute in range(2, 62, 2):
        clock.at(minute * 60)
        statement = au_statement(params, "experienced", session)
        response = au.post("statements", statement)
        assert response.status_code == 200, (minute, response.get_data(as_text=True))
    # Reads count as use too (they commit nothing themselves).
    clock.at(62 * 60)
    assert read_state(au, params) == 200
    clock.at(62 * 60 + TTL - 1)
    assert read_state(au, params) == 200
    clock.at(62 * 60 + TTL - 1 + TTL + 1)
    assert read_state(au, params) == 401


def test_credentials_renewal_is_written_at_most_once_a_minute(
    clock: Clock,
    player: Callable[[str], Player],
    client: FlaskClient,
    credential_writes: list[str],
) -> None:
    au, (_p, params) = cmi5_au(player, client)
    clock.at(100)
    assert read_state(au, params) == 200  # renewed: valid until 400 s
    clock.at(130)
    assert read_state(au, params) == 200  # 30 s later: not written again
    assert len(credential_writes) == 1
    clock.at(420)  # would be valid (until 430 s) had the second request moved it
    assert read_state(au, params) == 401


def test_credentials_xapi_activity_credential_slides(
    clock: Clock, player: Callable[[str], Player], client: FlaskClient
) -> None:
    p = player(LECTORA)
    assert p.navigate().status_code == 200
    params = launch_params(p)
    content = XapiClient(client, params["auth"])
    statement = {
        "actor": json.loads(params["actor"]),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": params["activity_id"]},
        "context": {"registration": params["registration"]},
    }
    for seconds in (240, 480, 720):  # each within the TTL of the one before
        clock.at(seconds)
        assert content.post("statements", statement).status_code == 200, seconds
    clock.at(720 + TTL + 1)
    assert content.post("statements", statement).status_code == 401


def test_credentials_other_credentials_keep_their_expiry(
    clock: Clock,
    make_credential: Callable[..., tuple[str, str]],
    client: FlaskClient,
    credential_writes: list[str],
) -> None:
    # No expiry: nothing to renew, nothing written.
    plain = XapiClient(client, basic(*make_credential(["all"])))
    # An expiring credential that is not bound to a learner keeps its fixed expiry.
    expiring = XapiClient(
        client, basic(*make_credential(["all"], expires_at=START + timedelta(seconds=TTL)))
    )
    for seconds in (100, 200, 280):
        clock.at(seconds)
        assert plain.get("statements").status_code == 200
        assert expiring.get("statements").status_code == 200
    assert credential_writes == []
    clock.at(TTL + 1)
    assert plain.get("statements").status_code == 200
    assert expiring.get("statements").status_code == 401
