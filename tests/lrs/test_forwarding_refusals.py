"""Forwarding to a target that answers 503 and then recovers, or 429 with Retry-After.

A small HTTP server on a free port stands in front of the second Kompetens
(tests/lrs/forward_target.py): it answers the codes a test scripts, one request each,
and passes every other request on to the real target.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import update

from core.db import db
from lrs import forward_delivery, forward_targets, forwarding
from lrs.forward_models import ForwardTarget
from tests.conftest import XapiClient
from tests.lrs.forward_target import TargetLrs, start_target
from tests.lrs.test_forwarding_live import _deliver, _make_due, _state

PASSED_ON = ("Content-Type", "X-Experience-API-Version", "X-Experience-API-Consistent-Through")


class Refusing:
    """The server's script: (status, headers) to answer next; what it was asked, in order."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.script: list[tuple[int, dict[str, str]]] = []
        self.seen: list[tuple[str, int]] = []  # (method, status answered)
        self.lock = threading.Lock()


def _handler(state: Refusing) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                scripted = state.script.pop(0) if state.script else None
            if scripted is not None:
                status, headers = scripted
                self._record(status)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                answer = requests.request(
                    self.command,
                    state.upstream + self.path,
                    data=body,
                    headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
                    timeout=30,
                )
                status = answer.status_code
                self._record(status)
                self.send_response(status)
                for name in PASSED_ON:
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

        def _record(self, status: int) -> None:
            # Before the answer goes out: once the client has it, the test may read ``seen``.
            with state.lock:
                state.seen.append((self.command, status))

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args: Any) -> None:
            """Quiet: the test asserts on ``seen``."""

    return Handler


@pytest.fixture(scope="module")
def target_lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TargetLrs]:
    yield from start_target(tmp_path_factory.mktemp("target") / "instance")


@pytest.fixture
def refusing(target_lrs: TargetLrs) -> Iterator[tuple[Refusing, str]]:
    """The server in front of the target, and the endpoint to forward to through it."""
    parts = urlsplit(target_lrs.endpoint)
    state = Refusing(f"{parts.scheme}://{parts.netloc}")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}{parts.path}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def through(app: Flask, target_lrs: TargetLrs, refusing: tuple[Refusing, str]) -> Iterator[int]:
    """A forwarding target whose endpoint is the refusing server."""
    with app.app_context():
        forwarding.forget_targets()
        target = forward_targets.create_target(
            {
                "name": "Behind a proxy",
                "endpoint": refusing[1],
                "key": target_lrs.key,
                "secret": target_lrs.secret,
                "version": "1.0.3",
            }
        )
        db.session.commit()
        target_id = target.id
    yield target_id
    with app.app_context():
        forwarding.forget_targets()


def _store(xapi: XapiClient, make_statement: Callable[..., dict[str, Any]]) -> list[str]:
    statements = [make_statement() for _ in range(3)]
    for statement in statements:
        assert xapi.post("statements", statement).status_code == 200
    return [s["id"] for s in statements]


def test_forwarding_a_target_answering_503_gets_everything_once_it_recovers(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    target_lrs: TargetLrs,
    refusing: tuple[Refusing, str],
    through: int,
) -> None:
    server, _ = refusing
    server.script = [(503, {})]
    ids = _store(xapi, make_statement)
    outcome = _deliver(app, through)
    assert outcome.error is not None
    assert "HTTP 503" in outcome.error
    pending, target = _state(app, through)
    assert (pending, target.failures) == (3, 1)
    assert target.next_attempt_at is not None
    assert target.last_error_at is not None
    wait = timedelta(seconds=app.config["FORWARDING_RETRY_SECONDS"])
    assert target.next_attempt_at - target.last_error_at == wait
    assert _deliver(app, through).busy  # not before the backoff's wait

    _make_due(app, through)
    outcome = _deliver(app, through)
    assert (outcome.delivered, outcome.error) == (3, None)
    pending, target = _state(app, through)
    assert (pending, target.failures, target.next_attempt_at) == (0, 0, None)
    assert server.seen == [("POST", 503), ("POST", 200)]
    there = [s["id"] for s in target_lrs.all_statements() if s["id"] in set(ids)]
    assert there == ids


def test_forwarding_a_429_waits_as_long_as_retry_after_says(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    target_lrs: TargetLrs,
    refusing: tuple[Refusing, str],
    through: int,
) -> None:
    server, _ = refusing
    server.script = [(429, {"Retry-After": "120"})]
    ids = _store(xapi, make_statement)
    outcome = _deliver(app, through)
    assert outcome.error is not None
    assert "HTTP 429" in outcome.error
    _, target = _state(app, through)
    assert target.next_attempt_at is not None
    assert target.last_error_at is not None
    # Retry-After (120 s), not the backoff's first wait (5 s).
    assert target.next_attempt_at - target.last_error_at == timedelta(seconds=120)
    # A minute on, it is not due: neither a job nor a direct call sends before it.
    with app.app_context():
        db.session.execute(
            update(ForwardTarget)
            .where(ForwardTarget.id == through)
            .values(next_attempt_at=target.next_attempt_at - timedelta(seconds=60))
        )
        db.session.commit()
        assert through not in forward_delivery.due_targets()
    assert _deliver(app, through).busy
    assert server.seen == [("POST", 429)]

    _make_due(app, through)
    outcome = _deliver(app, through)
    assert (outcome.delivered, outcome.error) == (3, None)
    assert server.seen == [("POST", 429), ("POST", 200)]
    there = [s["id"] for s in target_lrs.all_statements() if s["id"] in set(ids)]
    assert there == ids
