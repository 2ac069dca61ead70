"""Two Kompetens nodes as separate processes on one PostgreSQL, one Redis, one storage.

Each node is started the way ``make run`` starts one (``flask db upgrade``, ``flask
bootstrap``, then gunicorn with ``gunicorn.conf.py``), both at the same moment, each with
its own instance directory. tests/test_two_nodes.py uses them.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests
from sqlalchemy.engine import make_url

from config import BASE_DIR
from tests.portal.mail_helpers import SmtpServer, free_port

BIN = Path(sys.executable).parent
SETUP = (
    f"{BIN}/flask --app wsgi db upgrade && {BIN}/flask --app wsgi bootstrap"
    f" && exec {BIN}/gunicorn -c gunicorn.conf.py wsgi:app"
)


@dataclass
class Node:
    """One node: its address, its process (gunicorn's master at the end) and its log."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        """Everything the node wrote so far (setup, gunicorn, the jobs worker)."""
        return self.log.read_text(errors="replace")


@dataclass
class Cluster:
    """Two nodes and what they share."""

    a: Node
    b: Node
    database_url: str
    smtp: SmtpServer

    def sql(self, query: str, *params: object) -> list[tuple[object, ...]]:
        """Rows of a query on the nodes' database (psycopg, outside either node)."""
        url = make_url(self.database_url)
        with psycopg.connect(
            host=url.host, port=url.port, user=url.username, dbname=url.database
        ) as connection:
            return connection.execute(query, params).fetchall()  # type: ignore[arg-type]


def fresh_database(test_url: str, name: str) -> str:
    """An empty database beside the tests' one; its SQLAlchemy URL."""
    url = make_url(test_url)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def _env(root: Path, name: str, shared: dict[str, str], port: int, worker: bool) -> dict[str, str]:
    keep = ("DATABASE_URL", "SECRET_KEY", "STORAGE", "TEST_DATABASE_URL", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if k not in keep and not k.startswith("STORAGE_")}
    return (
        env
        | shared
        | {
            "INSTANCE_PATH": str(root / name / "instance"),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "CONTENT_PORT": "0",
            "WORKERS": "2",
            # Node b runs the jobs' worker, node a none: a job a enqueues can only run on b.
            "JOBS_WITH_SERVER": "1" if worker else "0",
            "JOBS_SCHEDULER": "0",
        }
    )


def _wait_until_ready(node: Node, deadline: float) -> None:
    while True:
        try:
            if requests.get(node.url + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or its workers still starting
        if node.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"node {node.name} did not start:\n{node.output()}")
        time.sleep(0.2)


def _stop(node: Node) -> None:
    if node.process.poll() is None:
        os.killpg(node.process.pid, signal.SIGTERM)  # gunicorn, and its jobs worker after it
    try:
        node.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(node.process.pid, signal.SIGKILL)
        node.process.wait()


@contextmanager
def two_nodes(
    root: Path, database_url: str, redis_url: str, storage: dict[str, str]
) -> Iterator[Cluster]:
    """Start both nodes at once; stop them at the end."""
    with ExitStack() as stack:
        smtp = stack.enter_context(SmtpServer())
        shared = {
            "DATABASE_URL": database_url,
            "NODES": "2",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "REDIS_URL": redis_url,
            "MAIL_HOST": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
            "MAIL_TLS": "none",
            # Every report file is made by a job (on b), whichever node it is asked from.
            "EXPORT_BACKGROUND_ROWS": "0",
            **storage,
        }
        nodes = []
        for name, worker in (("a", False), ("b", True)):
            port = free_port()
            (root / name).mkdir(parents=True)
            log = root / name / "node.log"
            with log.open("wb") as out:
                process = subprocess.Popen(  # noqa: S603  (our own commands, fixed arguments)
                    ["/bin/sh", "-c", SETUP],
                    cwd=BASE_DIR,
                    env=_env(root, name, shared, port, worker),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stopped with its children
                )
            node = Node(name, f"http://127.0.0.1:{port}", process, log)
            stack.callback(_stop, node)
            nodes.append(node)
        deadline = time.monotonic() + 300
        for node in nodes:
            _wait_until_ready(node, deadline)
        yield Cluster(nodes[0], nodes[1], database_url, smtp)


def first_secrets(output: str) -> tuple[str, str, str]:
    """The admin's password and the LRS key and secret ``flask bootstrap`` printed."""
    password = re.search(r"First admin:\s+\S+\s+password: (\S+)", output)
    lrs = re.search(r"LRS credentials: key (\S+)\s+secret (\S+)", output)
    assert password, output
    assert lrs, output
    return password.group(1), lrs.group(1), lrs.group(2)
