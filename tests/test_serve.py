"""The service as ``make run`` starts it: gunicorn with gunicorn.conf.py, two ports.

A real server in a subprocess (fresh instance directory, SQLite), asked over sockets:
content on its own origin out of the box, and slow clients that do not hold up others.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """Ports and environment of the running server."""

    def __init__(self, port: int, content_port: int, instance: Path | None = None) -> None:
        self.port = port
        self.content_port = content_port
        self.instance = instance

    def get(self, port: int, path: str, timeout: float = 10.0) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return response
        finally:
            connection.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    instance = tmp_path_factory.mktemp("served")
    port, content_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'kompetens.db'}",
        "PORT": str(port),
        "CONTENT_PORT": str(content_port),
        "HOST": "127.0.0.1",
        "WORKERS": "2",
        # Short, so the test sees a stalled body dropped without waiting long.
        "REQUEST_BODY_IDLE_TIMEOUT": "2",
    }
    for command in (["db", "upgrade"], ["bootstrap"]):
        subprocess.run(  # noqa: S603  (our own CLI)
            [str(BIN / "flask"), "--app", "wsgi", *command],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    log = (instance / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603  (make run's command)
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    served = Served(port, content_port, instance)
    deadline = time.monotonic() + 30
    while True:
        try:
            served.get(port, "/xapi/about", timeout=1)
            served.get(content_port, "/xapi/about", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise AssertionError((instance / "server.log").read_text()) from None
            time.sleep(0.1)
    yield served
    server.terminate()
    server.wait(timeout=30)
    log.close()


def test_serve_portal_and_content_are_two_origins(served: Served) -> None:
    assert served.get(served.port, "/login").status == 200
    # The content port answers content routes only; the portal's pages are sent home
    # (to the loopback twin: localhost for 127.0.0.1, so cookies are apart too).
    moved = served.get(served.content_port, "/login")
    assert moved.status == 303
    assert moved.getheader("Location") == f"http://localhost:{served.port}/login"
    assert served.get(served.content_port, "/admin/users").status == 303


def _stalled(port: int) -> socket.socket:
    """A client that sends half a request body and then waits."""
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.sendall(
        b"POST /xapi/statements HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n" + b"[" * 500
    )
    return client


def test_serve_slow_clients_do_not_hold_up_others(served: Served) -> None:
    # More stalled clients than workers (2) and threads: with sync workers the next
    # request waited for gunicorn's 30 s timeout.
    stalled = [_stalled(served.port) for _ in range(8)]
    try:
        answered = served.get(served.port, "/xapi/about", timeout=5)
        assert answered.status == 200
        # A stalled body is dropped once it has sent nothing for REQUEST_BODY_IDLE_TIMEOUT.
        first = stalled[0].recv(200)
        assert first.startswith(b"HTTP/1.1 408"), first
    finally:
        for client in stalled:
            client.close()


def test_serve_starts_the_jobs_worker_with_the_server(served: Served) -> None:
    """The worker gunicorn.conf.py starts takes jobs from the instance's queue at once.

    Its first job is the outbox sweep it enqueues as it starts; the job's run is kept in
    the database (core/jobs/runs.py).
    """
    import sqlite3

    assert served.instance is not None
    database = served.instance / "kompetens.db"
    deadline = time.monotonic() + 60
    while True:
        with sqlite3.connect(database) as connection:
            done = connection.execute(
                "SELECT count(*) FROM job_run WHERE name = 'sweep_outbox' AND status = 'done'"
            ).fetchone()[0]
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert done >= 1, (served.instance / "server.log").read_text()
    assert (served.instance / "jobs.db").exists()  # the queue, beside the database
