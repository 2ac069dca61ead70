"""``stored`` grows in the order statements become visible (lrs/clock.py).

A player wrote abandoned (.341), launched (.345), terminated (.314): ``ascending``
followed the insert order while ``stored`` came from each request's clock, so a client
polling with ``since`` could skip a statement. Writers now take ``stored`` from one
row, under its lock until they commit; Consistent-Through is read before the query.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from core.db import db
from tests.conftest import XapiClient, basic

VERB = {"id": "http://adlnet.gov/expapi/verbs/experienced"}
ACTOR = {"objectType": "Agent", "mbox": "mailto:ada@example.org"}


def _statement(n: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": ACTOR,
        "verb": VERB,
        "object": {"objectType": "Activity", "id": f"http://example.org/a/{n}"},
    }


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_lrs_stored_grows_with_commit_order_and_since_misses_nothing(
    app: Flask, make_credential: Any
) -> None:
    auth = basic(*make_credential(["all"]))
    written: list[str] = []
    seen: list[str] = []
    failures: list[str] = []
    done = threading.Event()

    def writer(start: int) -> None:
        xapi = XapiClient(app.test_client(), auth)
        for n in range(start, start + 12):
            batch = [_statement(n)] if n % 3 else [_statement(n), _statement(n + 1000)]
            response = xapi.post("statements", batch)
            if response.status_code != 200:
                failures.append(response.get_data(as_text=True))
                return
            written.extend(s["id"] for s in batch)

    def poller() -> None:
        # What a client following the LRS does: since = the last stored it has seen.
        xapi = XapiClient(app.test_client(), auth)
        since = "2000-01-01T00:00:00.000Z"
        while True:
            finished = done.is_set()
            page = xapi.get("statements", query={"since": since, "ascending": "true"})
            for statement in page.get_json()["statements"]:
                seen.append(statement["id"])
                since = statement["stored"]
            if finished:
                return

    threads = [threading.Thread(target=writer, args=(k * 100,)) for k in range(4)]
    watch = threading.Thread(target=poller)
    watch.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watch.join()
    assert failures == []
    # Nothing was skipped, nothing seen twice.
    assert sorted(seen) == sorted(written)
    # In the order statements were stored (insert order), stored never goes back, and
    # two batches never share a stored value.
    xapi = XapiClient(app.test_client(), auth)
    everything = xapi.get("statements", query={"ascending": "true", "limit": 500}).get_json()
    stored = [_when(s["stored"]) for s in everything["statements"]]
    assert len(stored) == len(written)
    assert stored == sorted(stored)
    assert len(set(stored)) == len(threads) * 12


def test_lrs_consistent_through_waits_for_a_write_in_flight(
    app: Flask, make_credential: Any
) -> None:
    from lrs import clock

    xapi = XapiClient(app.test_client(), basic(*make_credential(["all"])))
    assert xapi.post("statements", _statement(1)).status_code == 200
    first = _when(xapi.get("statements").get_json()["statements"][0]["stored"])
    # Idle: Consistent-Through is now (clients waiting for it to pass a time get there).
    before = datetime.now(UTC) - timedelta(milliseconds=5)
    idle = _when(xapi.get("statements").headers["X-Experience-API-Consistent-Through"])
    assert idle >= before
    # A write holds the clock with a stored value not yet visible: Consistent-Through
    # stays at the last committed one, so nothing stored before it can still appear.
    with app.app_context(), db.engine.connect() as other:
        held = other.begin()
        dialect = other.dialect.name
        pending = other.execute(clock._advance(dialect)).scalar_one()
        answer = xapi.get("statements")
        assert answer.status_code == 200
        through = _when(answer.headers["X-Experience-API-Consistent-Through"])
        held.rollback()
    assert through == first
    assert int(pending) / 1000 > first.timestamp()


def test_lrs_a_write_answers_its_own_stored_as_consistent_through(
    app: Flask, make_credential: Any
) -> None:
    """Committed, a write's ``stored`` holds as Consistent-Through: no query after it."""
    xapi = XapiClient(app.test_client(), basic(*make_credential(["all"])))
    for body in (_statement(1), [_statement(2), _statement(3)]):
        answer = xapi.post("statements", body)
        assert answer.status_code == 200
        stored = xapi.get("statements", query={"statementId": answer.get_json()[-1]})
        through = answer.headers["X-Experience-API-Consistent-Through"]
        assert _when(through) == _when(stored.get_json()["stored"])
        # Everything stored up to it is visible: a poll from it on finds nothing new.
        newer = xapi.get("statements", query={"since": through}).get_json()["statements"]
        assert newer == []
    statement = _statement(4)
    put = xapi.put("statements", statement, query={"statementId": statement["id"]})
    assert put.status_code == 204
    stored = xapi.get("statements", query={"statementId": statement["id"]}).get_json()["stored"]
    assert _when(put.headers["X-Experience-API-Consistent-Through"]) == _when(stored)
