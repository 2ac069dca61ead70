"""A second Kompetens, started as ``make run`` starts one, to forward statements to.

Its own instance directory and database (SQLite in the directory, or, when the suite
runs on PostgreSQL, a database of its own named after the suite's with ``_target``),
its own credential made with its CLI, and gunicorn with gunicorn.conf.py on a fixed
free port, so it can be stopped and started again at the same endpoint.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import requests
from sqlalchemy.engine import make_url

from config import BASE_DIR

BIN = Path(sys.executable).parent
VERSION = {"X-Experience-API-Version": "1.0.3"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url(instance: Path) -> str:
    """SQLite in the instance directory, or a fresh PostgreSQL database beside the suite's."""
    suite = os.environ.get("TEST_DATABASE_URL", "")
    if not suite.startswith("postgresql"):
        return f"sqlite:///{instance / 'kompetens.db'}"
    url = make_url(suite)
    name = f"{url.database}_target"
    admin = url.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@dataclass
class TargetLrs:
    """The second instance: where it listens, its credential, start and stop."""

    instance: Path
    env: dict[str, str]
    port: int
    key: str = ""
    secret: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        """Its LRS endpoint."""
        return f"http://127.0.0.1:{self.port}/xapi/"

    def flask(self, *args: str) -> str:
        """Run its CLI; returns what it printed."""
        done = subprocess.run(  # noqa: S603  (our own CLI, fixed arguments)
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self) -> None:
        """Start gunicorn and wait (with a deadline) until the LRS answers."""
        log = (self.instance / "server.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603  (our own server, fixed arguments)
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.instance / "server.log").read_text()
            try:
                if requests.get(self.endpoint + "about", timeout=30).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)  # polling a starting process (no sleep stands in for a wait)
        raise AssertionError("the target LRS did not start")

    def stop(self) -> None:
        """Stop it (SIGTERM, as an operator would), and wait until it is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self.process = None

    def get(self, path: str, **params: Any) -> requests.Response:
        """A GET on its LRS with its credential."""
        return requests.get(
            self.endpoint + path,
            params=params,
            headers=VERSION,
            auth=(self.key, self.secret),
            timeout=30,
        )

    def all_statements(self) -> list[dict[str, Any]]:
        """Every statement it returns (voided ones are not), oldest first, following 'more'."""
        found: list[dict[str, Any]] = []
        answer = self.get("statements", ascending="true", limit="100").json()
        while True:
            found += answer["statements"]
            if not answer.get("more"):
                return found
            more = f"http://127.0.0.1:{self.port}{answer['more']}"
            answer = requests.get(
                more, headers=VERSION, auth=(self.key, self.secret), timeout=30
            ).json()


def start_target(instance: Path) -> Generator[TargetLrs]:
    """Set up the second instance (migrations, a credential) and run it until the end."""
    instance.mkdir(parents=True, exist_ok=True)
    drop = ("DATABASE_URL", "TEST_DATABASE_URL", "SECRET_KEY", "STORAGE_PATH", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PROMETHEUS")}
    port = _free_port()
    env.update(
        INSTANCE_PATH=str(instance),
        DATABASE_URL=_database_url(instance),
        HOST="127.0.0.1",
        PORT=str(port),
        CONTENT_PORT="0",
        WORKERS="1",
        JOBS_WITH_SERVER="0",
    )
    target = TargetLrs(instance, env, port)
    target.flask("db", "upgrade")
    made = json.loads(
        target.flask("credentials", "create", "forwarded", "--scope", "all", "--json")
    )
    target.key, target.secret = made["key"], made["secret"]
    target.start()
    try:
        yield target
    finally:
        target.stop()
