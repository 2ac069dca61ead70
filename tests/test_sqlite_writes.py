"""SQLite connections: their settings, and write transactions that wait their turn.

core/db.py gives every SQLite connection WAL, a busy timeout, foreign keys, and a write
transaction that takes the process's writer lock and then SQLite's (BEGIN IMMEDIATE).
These tests run on SQLite only.
"""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import text

from core.db import SQLITE_BUSY_TIMEOUT_MS, SQLiteConnection, db


@pytest.fixture
def sqlite_app(app: Flask) -> Flask:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
    return app


def test_connections_are_set_up_for_several_workers(sqlite_app: Flask) -> None:
    with sqlite_app.app_context(), db.engine.connect() as connection:
        assert isinstance(connection.connection.dbapi_connection, SQLiteConnection)
        settings = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    assert settings == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
        "synchronous": 1,  # NORMAL
    }


def _write(app: Flask, value: str, *, commit: bool = True) -> None:
    with app.app_context(), db.engine.connect() as connection:
        connection.exec_driver_sql(
            "INSERT INTO lrs_clock (id, stored_ms) VALUES (1, 0) "
            "ON CONFLICT (id) DO UPDATE SET stored_ms = stored_ms + 1"
        )
        connection.exec_driver_sql(f"SELECT '{value}'")
        if commit:
            connection.commit()
        else:
            connection.rollback()


def test_a_write_after_another_threads_commit_or_rollback_goes_through(
    sqlite_app: Flask,
) -> None:
    """The writer lock goes with the transaction: committed, rolled back, or both."""
    _write(sqlite_app, "rolled back", commit=False)
    _write(sqlite_app, "committed")
    done: list[str] = []

    def write(name: str) -> None:
        _write(sqlite_app, name)
        done.append(name)

    others = [threading.Thread(target=write, args=(f"t{i}",)) for i in range(4)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join()
    assert sorted(done) == ["t0", "t1", "t2", "t3"]
    with sqlite_app.app_context():
        assert db.session.execute(text("SELECT stored_ms FROM lrs_clock")).scalar() == 4


def test_a_writer_waits_for_the_open_write_transaction(sqlite_app: Flask) -> None:
    """A second writer starts only once the first one's transaction is over."""
    order: list[str] = []
    first_writing = threading.Event()

    def write_second() -> None:
        first_writing.wait()
        _write(sqlite_app, "second")
        order.append("2")

    with sqlite_app.app_context(), db.engine.connect() as first:
        first.exec_driver_sql("INSERT INTO lrs_clock (id, stored_ms) VALUES (1, 10)")
        first_writing.set()
        second = threading.Thread(target=write_second)
        second.start()
        order.append("1")
        first.commit()
    second.join()
    assert order == ["1", "2"]
    with sqlite_app.app_context():
        assert db.session.execute(text("SELECT stored_ms FROM lrs_clock")).scalar() == 11
