"""core.row_locks: a lock per row for SQLite, across processes, held to the transaction's end.

The player's attempts take it on SQLite (tests/player/test_tokens.py checks the calls of
one attempt). Here: another process's hold keeps a request waiting, a request gives up
with 503 after its timeout, and the lock goes when the transaction ends, whichever way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from flask import Flask

from core import row_locks
from core.db import db
from core.errors import ServiceUnavailable

# Another process holds byte ``slot`` of the file until its stdin closes.
_OTHER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX, 1, int(sys.argv[2]))
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def other_process(app: Flask) -> Iterator[subprocess.Popen[str]]:
    """A process holding the lock of key 7 in the set "tests"."""
    with app.app_context():
        path = row_locks.lock_file("tests")
    other = subprocess.Popen(  # noqa: S603  (this interpreter, our own script)
        [sys.executable, "-c", _OTHER, path, "7"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert other.stdout is not None
    assert other.stdout.readline() == "held\n"
    yield other
    other.kill()
    other.wait()


def test_a_lock_another_process_holds_keeps_a_request_waiting_then_503(
    app: Flask, other_process: subprocess.Popen[str]
) -> None:
    with app.app_context():
        with pytest.raises(ServiceUnavailable):
            row_locks.hold("tests", 7, timeout=0.2)
        db.session.rollback()
        row_locks.hold("tests", 8, timeout=0.2)  # another key is free
        db.session.rollback()
    assert other_process.stdin is not None
    other_process.stdin.close()  # the other process ends: the kernel frees its lock
    other_process.wait()
    with app.app_context():
        row_locks.hold("tests", 7, timeout=5)
        db.session.rollback()


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_the_lock_goes_when_the_transaction_ends(app: Flask, end: str) -> None:
    with app.app_context():
        row_locks.hold("tests", 7)
        row_locks.hold("tests", 7)  # held already: goes on
        path = row_locks.lock_file("tests")
        assert _taken_elsewhere(app) == ["busy"]  # a request in another thread waits for it
        getattr(db.session, end)()
        assert _taken_elsewhere(app) == ["held"]
        db.session.rollback()
    assert _free_for_another_process(path, 7)  # no record lock is left behind either


def _free_for_another_process(path: str, slot: int) -> bool:
    """Whether another process gets byte ``slot`` of ``path`` at once (this process's own
    record locks never conflict with each other, so it cannot ask itself)."""
    probe = (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_RDWR)\n"
        "fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, int(sys.argv[2]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, path, str(slot)], check=False)  # noqa: S603
    return done.returncode == 0


def _taken_elsewhere(app: Flask) -> list[str]:
    """Whether a request in another thread of this process gets key 7 within 0.2 s."""
    seen: list[str] = []

    def take() -> None:
        with app.app_context():
            try:
                row_locks.hold("tests", 7, timeout=0.2)
                seen.append("held")
            except ServiceUnavailable:
                seen.append("busy")
            db.session.rollback()

    thread = threading.Thread(target=take)
    thread.start()
    thread.join(10)
    return seen


def test_the_lock_file_is_beside_the_sqlite_database_else_in_the_instance(app: Flask) -> None:
    with app.app_context():
        path = row_locks.lock_file("tests")
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        assert path == f"{url.database}-tests.locks"
    else:  # never a file named after a server's database, wherever the process runs
        assert path == os.path.join(app.config["INSTANCE_PATH"], "tests.locks")
