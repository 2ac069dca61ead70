"""Launch tokens slide: a token in use stays valid PLAYER_TOKEN_TTL after its last call."""

# ruff: noqa: F811  (the fixtures imported from test_runtime are parameters here)
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from tests.player.test_runtime import (  # noqa: F401  (fixtures)
    GOLF_12,
    Player,
    launch,
    make_course,
    make_learner,
    player,
)

TTL = 300  # seconds; the token moves at most once a minute


class Clock:
    """The player's clock (player.attempts.now), moved by the test."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 3, 2, 9, 0, 0)

    def __call__(self) -> datetime:
        return self.moment

    def at(self, seconds: float) -> None:
        self.moment = datetime(2026, 3, 2, 9, 0, 0) + timedelta(seconds=seconds)


@pytest.fixture
def clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Clock:
    from player import attempts

    fake = Clock()
    monkeypatch.setattr(attempts, "now", fake)
    monkeypatch.setitem(app.config, "PLAYER_TOKEN_TTL", TTL)
    return fake


@pytest.fixture
def p(clock: Clock, player: Callable[[str], Player]) -> Player:
    made = player(GOLF_12)  # launched at 0 s: valid until 300 s
    assert made.navigate().status_code == 200
    return made


def test_tokens_unused_token_expires_after_the_ttl(clock: Clock, p: Player) -> None:
    clock.at(TTL - 1)
    assert p.client.get(p.base + "/attempt").status_code == 200
    clock.at(2 * TTL)
    assert p.client.get(p.base + "/attempt").status_code == 401


@pytest.mark.parametrize("call", ["commit", "navigate", "attempt"])
def test_tokens_each_runtime_call_renews_the_token(clock: Clock, p: Player, call: str) -> None:
    clock.at(250)
    if call == "commit":
        assert p.commit({"core": {"lesson_location": "p2"}}).status_code == 200
    elif call == "navigate":
        assert p.navigate("start").status_code == 200
    else:
        assert p.client.get(p.base + "/attempt").status_code == 200
    clock.at(250 + TTL - 1)  # past the first expiry (300 s), within the renewed one
    assert p.client.get(p.base + "/attempt").status_code == 200
    clock.at(250 + TTL - 1 + TTL + 1)
    assert p.client.get(p.base + "/attempt").status_code == 401


def test_tokens_a_learner_working_all_day_is_not_cut_off(clock: Clock, p: Player) -> None:
    for minute in range(1, 12 * 60, 3):  # a commit every three minutes, twelve hours long
        clock.at(minute * 60)
        response = p.commit({"core": {"lesson_location": f"m{minute}"}})
        assert response.status_code == 200, minute


def test_tokens_renewal_is_written_at_most_once_a_minute(clock: Clock, p: Player) -> None:
    clock.at(100)
    p.commit({"core": {"lesson_location": "a"}})  # renewed: valid until 400 s
    clock.at(130)
    p.commit({"core": {"lesson_location": "b"}})  # 30 s later: not written again
    clock.at(420)  # would be valid (until 430 s) had the second call moved it
    assert p.client.get(p.base + "/attempt").status_code == 401


def _meanwhile(
    app: Flask, token: str, first: Callable[[Any], None], second: Callable[[Any], None]
) -> None:
    """Two calls of one attempt at once (a late beacon and the next page, two tabs).

    The first loads the attempt, runs ``first`` on it and commits 0.3 s later; the
    second loads it meanwhile and runs ``second`` on it.
    """
    import threading
    import time

    from core.db import db
    from player import attempts

    held = threading.Event()

    def run_first() -> None:
        with app.app_context():
            first(attempts.attempt_for_token(token))
            db.session.flush()
            held.set()
            time.sleep(0.3)
            db.session.commit()

    thread = threading.Thread(target=run_first)
    thread.start()
    assert held.wait(10)
    with app.app_context():
        second(attempts.attempt_for_token(token))
        db.session.rollback()
    thread.join()


def test_tokens_calls_of_one_attempt_take_its_lock_in_turn(
    app: Flask, player: Callable[[str], Player]
) -> None:
    # The second waits for the first's commit before it loads the attempt, on either
    # database (PostgreSQL: the row locked as it is loaded; SQLite: the write lock).
    made = player(GOLF_12)
    assert made.navigate().status_code == 200
    assert made.attempt()["suspended"] is False
    seen: list[bool] = []

    def suspend(attempt: Any) -> None:
        attempt.suspended = True

    _meanwhile(app, made.token, suspend, lambda attempt: seen.append(attempt.suspended))
    assert seen == [True]  # loaded after the first call's commit


def test_tokens_call_that_waited_for_the_lock_sees_the_sco_states_of_the_call_before(
    app: Flask, player: Callable[[str], Player]
) -> None:
    # The SCO states a call reads are the ones the call before it committed, not older
    # ones: read after the attempt's lock, never in the statement that waits for it
    # (PostgreSQL re-reads only the locked row when the lock comes free).
    made = player(GOLF_12)
    assert made.navigate().status_code == 200
    seen: list[int] = []

    def commit_99(attempt: Any) -> None:
        attempt.scos[0].commit_seq = 99

    _meanwhile(app, made.token, commit_99, lambda attempt: seen.append(attempt.scos[0].commit_seq))
    assert seen == [99]


def test_tokens_a_call_holding_its_attempt_lets_other_writers_write(
    app: Flask,
    player: Callable[[str], Player],
    xapi: Any,
    make_statement: Callable[..., dict[str, Any]],
) -> None:
    # The attempt's lock is the attempt's, not the database's: while a call holds it and
    # has not written yet, another request writes and commits (SQLite: core.row_locks;
    # before it the call took SQLite's write lock, and every other writer waited for it).
    import threading

    from core.db import db
    from player import attempts

    made = player(GOLF_12)
    assert made.navigate().status_code == 200
    order: list[str] = []
    held, written = threading.Event(), threading.Event()

    def call() -> None:
        with app.app_context():
            attempts.attempt_for_token(made.token)
            held.set()
            written.wait(5)
            order.append("call committed")
            db.session.commit()

    thread = threading.Thread(target=call)
    thread.start()
    assert held.wait(10)
    assert xapi.post("statements", make_statement()).status_code == 200
    order.append("statement stored")
    written.set()
    thread.join()
    assert order == ["statement stored", "call committed"]
