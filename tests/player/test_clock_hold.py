"""A runtime call writes its own rows before it takes the LRS clock (player.lms).

Every writer waits for the clock's row from the statement that takes it to its
transaction's commit (lrs/clock.py). The attempt's and the SCO state's UPDATEs, left to
the commit's flush, were written while every other writer waited: on PostgreSQL two
round trips more under the clock for every SCORM commit.
"""

# ruff: noqa: F811  (the fixtures imported from test_runtime are parameters here)
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from core.db import db
from tests.player.test_runtime import (  # noqa: F401  (fixtures)
    GOLF_2004,
    Player,
    launch,
    make_course,
    make_learner,
    player,
)


@pytest.fixture
def sent(app: Flask) -> Iterator[list[str]]:
    """The SQL the app sends (its start), in order."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split())[:60].lower())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    yield seen
    event.remove(engine, "before_cursor_execute", listen)


def _after_clock(sent: list[str]) -> list[str]:
    taking = [i for i, sql in enumerate(sent) if "lrs_clock" in sql]
    assert taking, sent  # the call stored statements
    return sent[taking[0] :]


ANSWERED = {
    "id": "q1",
    "type": "choice",
    "learner_response": "a",
    "result": "correct",
    "timestamp": "2026-11-26T10:00:00",
}


@pytest.mark.parametrize(
    "tree",
    [
        # One answer: one statement (lrs.inserting.insert_one, the clock in its INSERT).
        {"location": "2", "interactions": [ANSWERED]},
        # The course passed: the SCO's and the course's results, one batch.
        {"completion_status": "completed", "success_status": "passed", "interactions": []},
    ],
    ids=["one-statement", "batch"],
)
@pytest.mark.parametrize("terminate", [False, True])
def test_clock_hold_runtime_rows_are_written_before_the_clock(
    player: Callable[[str], Player], sent: list[str], tree: dict[str, Any], terminate: bool
) -> None:
    p = player(GOLF_2004)
    p.navigate()
    sent.clear()
    assert p.commit(tree, terminate=terminate).status_code == 200
    written = {sql.split()[1] for sql in sent if sql.startswith("update player_")}
    assert {"player_attempt", "player_sco_state"} <= written, sent
    under_clock = _after_clock(sent)
    assert not [sql for sql in under_clock if "player_" in sql], under_clock
