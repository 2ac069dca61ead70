"""PostgreSQL under gevent: a transaction holding the LRS clock runs through (core/pg_waits.py).

The service runs in gunicorn's gevent workers, so this runs a small program under
gevent's monkey patching, in its own process, against the tests' PostgreSQL database.
It shows that a connection that holds the clock keeps the worker while it waits for
the database, that one that does not lets the worker's other requests run, that a
holder waiting for a lock held by another request of the same worker gives the worker
back (instead of waiting for ever), and that the hold ends with the transaction.
PostgreSQL only: SQLite has no server to wait for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent

PROGRAM = r"""
from gevent import monkey

monkey.patch_all()

import json
import sys
import time

import gevent
from sqlalchemy import text

from core import create_app, pg_waits
from core.db import db
from lrs import clock

app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "TESTING": True})
ticks = []


def ticker():
    while True:
        ticks.append(time.monotonic())
        gevent.sleep(0.001)


def driver(connection):
    return connection.connection.driver_connection


def ticks_during(connection, seconds, waits):
    before = len(ticks)
    for _ in range(waits):
        connection.execute(text(f"SELECT pg_sleep({seconds})"))
    return len(ticks) - before


found = {}
gevent.spawn(ticker)
gevent.sleep(0.01)
with app.app_context():
    connection = db.session.connection()
    found["class"] = type(driver(connection)).__name__
    found["free"] = ticks_during(connection, 0.015, 2)
    clock.next_stored()
    found["holding_after_clock"] = driver(connection).holding
    # Waits well below BLOCK_MS (20 ms), so that a loaded machine, which stretches
    # each a little, does not make one of them reach it and tick.
    found["held"] = ticks_during(connection, 0.004, 6)
    db.session.rollback()
    found["holding_after_rollback"] = driver(db.session.connection()).holding
    db.session.rollback()

    # A lock held by another request of this worker: the holder must give the worker
    # back after BLOCK_MS, or neither would ever finish (lock_timeout ends the test).
    engine = db.engine  # (a spawned greenlet has no application context)
    with engine.begin() as setup:
        setup.execute(text("CREATE TABLE IF NOT EXISTS pg_waits_probe (id int PRIMARY KEY, n int)"))
        setup.execute(text("INSERT INTO pg_waits_probe VALUES (1, 0) ON CONFLICT DO NOTHING"))

    def other_request():
        with engine.begin() as other:
            other.execute(text("UPDATE pg_waits_probe SET n = n + 1 WHERE id = 1"))
            gevent.sleep(0.2)

    started = time.monotonic()
    other = gevent.spawn(other_request)
    gevent.sleep(0.02)
    with engine.begin() as holder:
        holder.execute(text("SET LOCAL lock_timeout = '10s'"))
        pg_waits.hold(driver(holder))
        holder.execute(text("UPDATE pg_waits_probe SET n = n + 1 WHERE id = 1"))
    other.get()  # (raises what the other request raised)
    found["waited_for_other_s"] = time.monotonic() - started
    with engine.begin() as setup:
        setup.execute(text("DROP TABLE pg_waits_probe"))
print(json.dumps(found))
"""


def test_a_transaction_holding_the_clock_keeps_the_gevent_worker(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no server to wait for")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(  # noqa: S603  (our own program, fixed arguments)
        [sys.executable, "-c", PROGRAM, url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["class"] == "HoldingConnection"
    # Not holding: two waits of 15 ms let the ticker run (about 30 times).
    assert found["free"] >= 10
    # Holding the clock: its waits keep the worker; the ticker does not run (six waits
    # of 4 ms, which let it tick about 20 times on a connection that does not hold).
    assert found["holding_after_clock"] is True
    assert found["held"] == 0
    assert found["holding_after_rollback"] is False
    # The other request held its row 0.2 s and then committed: the holder got it then.
    assert 0.15 < found["waited_for_other_s"] < 5
