"""Request ids in and out, and the log records of a request: its id on each, the path
redacted, no credential (core/ops/logs.py, core/ops/middleware.py)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.ops import logs
from tests.conftest import basic

HEX_ID = re.compile(r"^[0-9a-f]{32}$")
SECRET = "s3cr3t-Launch-Auth-value"
PASSWORD_HEADER = basic("author@example.org", "wrong-password")


@pytest.mark.parametrize(
    "sent", ["abc", "9f1c2e4a-0b6d-4c3e-8a7f-123456789abc", "lb.node-1_req.42", "x" * 128]
)
def test_ops_request_id_sane_one_is_echoed(client: FlaskClient, sent: str) -> None:
    for path in ("/healthz", "/no/such/page", "/xapi/statements"):
        response = client.get(path, headers={"X-Request-ID": sent})
        assert response.headers["X-Request-ID"] == sent, path


@pytest.mark.parametrize(
    "sent", ["x" * 129, "a b", "<script>alert(1)</script>", "id;rm -rf", "räksmörgås", ""]
)
def test_ops_request_id_hostile_one_is_replaced(client: FlaskClient, sent: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": sent})
    assert HEX_ID.match(response.headers["X-Request-ID"])
    assert response.headers.getlist("X-Request-ID") == [response.headers["X-Request-ID"]]


def test_ops_request_id_made_for_each_request(client: FlaskClient) -> None:
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3
    assert all(HEX_ID.match(i) for i in ids)


@pytest.fixture
def captured() -> Iterator[Callable[[str], io.StringIO]]:
    """``captured(format)``: the root logger's records written as the service writes them."""
    root = logging.getLogger()
    added: list[logging.Handler] = []
    level = root.level

    def capture(log_format: str) -> io.StringIO:
        stream = io.StringIO()
        added.append(logs.handler(stream, log_format))
        root.addHandler(added[-1])
        root.setLevel(logging.INFO)
        return stream

    yield capture
    for handler in added:
        root.removeHandler(handler)
    root.setLevel(level)


def _lock_out(app: Flask, client: FlaskClient) -> str:
    """Failed sign-ins on the packages API until the account locks (a warning is logged
    inside the last request); the path carries secrets in its query. Returns its id."""
    path = f"/api/packages/courses?auth={SECRET}&token={SECRET}&page=2"
    for _ in range(app.config["LOCKOUT_ATTEMPTS"]):
        response = client.get(path, headers={"Authorization": PASSWORD_HEADER})
        assert response.status_code == 401
    return response.headers["X-Request-ID"]


def test_ops_json_log_lines_carry_the_request_and_no_secret(
    app: Flask, client: FlaskClient, make_author, captured
) -> None:
    make_author()
    stream = captured("json")
    request_id = _lock_out(app, client)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    locked = [line for line in lines if "locked after" in line["message"]]
    assert len(locked) == 1
    record = locked[0]
    assert record["request_id"] == request_id
    assert record["level"] == "WARNING"
    assert record["logger"] == "accounts.service"
    assert record["method"] == "GET"
    assert record["path"] == "/api/packages/courses?auth=[redacted]&token=[redacted]&page=2"
    assert set(record) >= {"time", "level", "logger", "message", "request_id", "method", "path"}
    written = stream.getvalue()
    assert SECRET not in written
    assert PASSWORD_HEADER.split()[1] not in written
    assert "wrong-password" not in written


def test_ops_text_log_lines_name_the_request(
    app: Flask, client: FlaskClient, make_author, captured
) -> None:
    make_author()
    stream = captured("text")
    request_id = _lock_out(app, client)
    line = next(line for line in stream.getvalue().splitlines() if "locked after" in line)
    assert line.endswith(f"[request {request_id}]")
    assert "WARNING" in line
    assert SECRET not in stream.getvalue()


def test_ops_json_log_redacts_messages_and_tracebacks(captured) -> None:
    """A message or exception that quotes a launch URL loses its token too."""
    stream = captured("json")
    log = logging.getLogger("kompetens.test")
    try:
        raise ValueError(f"bad launch /player/{SECRET}/runtime?auth={SECRET}")
    except ValueError:
        log.exception("failed on /player/api/%s/commit", SECRET)
    record = json.loads(stream.getvalue())
    assert record["message"] == "failed on /player/api/[redacted]/commit"
    assert (
        "ValueError: bad launch /player/[redacted]/runtime?auth=[redacted]" in record["exception"]
    )
    assert "request_id" not in record  # logged outside any request
    assert SECRET not in stream.getvalue()


def test_ops_log_configure_installs_one_handler(app: Flask) -> None:
    """The factory (outside tests) sends every logger to stderr once, Flask's handler gone."""
    from flask.logging import default_handler

    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    app.logger.addHandler(default_handler)
    try:
        logs.configure("json", app.logger)
        logs.configure("json", app.logger)
        ours = [h for h in root.handlers if getattr(h, "kompetens", False)]
        assert len(ours) == 1
        assert isinstance(ours[0].formatter, logs.JsonFormatter)
        assert default_handler not in app.logger.handlers
    finally:
        root.handlers[:] = before
        root.setLevel(level)


def test_ops_log_format_is_checked_at_start(own_app) -> None:
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        own_app(LOG_FORMAT="xml")
