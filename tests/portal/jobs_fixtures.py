"""Fixtures for jobs and mail: the queue (SQLite file or Redis DB 5) and an SMTP server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from huey.storage import RedisStorage, SqliteStorage

from core import jobs
from tests.portal.conftest import post
from tests.portal.mail_helpers import SmtpServer

# The tests' own database: only it is flushed. TEST_REDIS_URL gives another (two checkouts
# running their suites at once on one machine would empty each other's queue).
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/5"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, app: Flask, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The jobs' queue on SQLite (a file in an instance directory) or on Redis."""
    saved = jobs.huey.storage
    env: dict[str, Any] = {"INSTANCE_PATH": str(tmp_path)}
    if request.param == "redis":
        if not _redis_up():
            pytest.skip("Redis is not running at 127.0.0.1:6379")
        redis.Redis.from_url(REDIS_URL).flushdb()
        jobs.huey.storage = RedisStorage("kompetens", url=REDIS_URL)
        env["REDIS_URL"] = REDIS_URL
    else:
        jobs.huey.storage = SqliteStorage("kompetens", filename=str(tmp_path / "jobs.db"))
    yield {"kind": request.param, "env": env}
    if request.param == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
    jobs.huey.storage = saved


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpServer]:
    """A real SMTP server the app sends to (plain SMTP on a local port)."""
    saved = {k: app.config[k] for k in ("MAIL_HOST", "MAIL_PORT", "MAIL_TLS", "MAIL_FROM")}
    with SmtpServer() as server:
        app.config.update(
            MAIL_HOST="127.0.0.1",
            MAIL_PORT=server.port,
            MAIL_TLS="none",
            MAIL_FROM="kompetens@kommun.example",
        )
        yield server
    app.config.update(saved)


def requirement(login: Any, org: dict[str, Any], due: date, **changes: Any) -> None:
    """A requirement for the SOC subtree with a fixed due date (made by the admin's form)."""
    data = {
        "name": "Brandskydd",
        "course_ids": [str(org["fire"])],
        "audience_unit": [str(org["soc"])],
        "due_kind": "date",
        "due_date": due.isoformat(),
        "renewal_days": "0",
        **changes,
    }
    response = post(login(org["admin"]), "/manage/requirements", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def yesterday() -> date:
    return date.today() - timedelta(days=1)
