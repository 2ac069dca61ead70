"""A pooled connection that sat idle is pinged before use (core/db.py), not every one.

PostgreSQL only: SQLite has no server connection to lose.  The server ends the pooled
connections behind the app's back (as a restart does); with the idle threshold at 0
the next request gets a fresh connection instead of an error.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from tests.conftest import XapiClient, basic


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(
    app: Flask, make_credential: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("SQLite has no server connection to lose")
    xapi = XapiClient(app.test_client(), basic(*make_credential(["all"])))
    assert xapi.get("statements").status_code == 200  # a connection is in the pool now
    admin = create_engine(url)
    try:
        with admin.begin() as connection:
            ended = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        admin.dispose()
    assert ended >= 1
    # (``core.db`` the module: the package's ``db`` attribute is the SQLAlchemy object.)
    monkeypatch.setattr(importlib.import_module("core.db"), "IDLE_PING_SECONDS", 0.0)
    assert xapi.get("statements").status_code == 200
