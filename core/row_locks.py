"""SQLite: a lock per row, shared by the processes of one node, held to the transaction's end.

PostgreSQL locks rows (``SELECT ... FOR NO KEY UPDATE``). SQLite has one lock, the
database's write lock, and a transaction that took it to serialise the calls of one
learner's attempt held every other writer off while it did its CPU work: both workers'
player commits ran one at a time, each from its load to its commit. This is the row
lock SQLite lacks: ``hold("attempts", attempt_id)`` makes the calls of one attempt wait
for each other, and the database's write lock is taken only by the first write, as in
any transaction (core/db.py).

A lock is a byte of a lock file beside the database (``<database>-<name>.locks``), taken
with ``fcntl.lockf``: POSIX record locks are the processes', so two gunicorn workers
exclude each other and the kernel frees a dead process's locks. Within a process, a
``threading.Lock`` per byte (gevent's under gevent) lets one request hold it at a time,
since the process's own record locks never conflict with each other. Neither wait stops
a gevent worker: the in-process lock is gevent's, and the record lock is asked for
without blocking, again after a short sleep that lets the worker serve its other
requests, as ``core.db`` waits for SQLite's write lock.

The lock is let go when the session's transaction ends (commit, rollback or close), so
the next holder reads what this one committed. Keys share a byte when they are equal
modulo ``_SLOTS``: such keys then wait for each other too, which is safe. Take it before
the transaction's first write: a transaction holding SQLite's write lock that waited
here could be waiting for a holder that waits for the write lock (it would give up
with 503 after the timeout).
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.db import SQLITE_BUSY_TIMEOUT_MS, db, wait_cooperatively
from core.errors import BUSY_RETRY_AFTER, ServiceUnavailable

_SLOTS = 1 << 20  # bytes of a lock file
_HELD = "row_locks"  # session.info key: the (path, slot) pairs this transaction holds


@dataclass
class _Slot:
    lock: threading.Lock
    users: int = 0  # requests holding or waiting for it (it goes when none are left)


@dataclass
class _Process:
    """One process's lock files (opened once: closing one would free its record locks)."""

    pid: int
    files: dict[str, int] = field(default_factory=dict)
    slots: dict[tuple[str, int], _Slot] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)


_process: _Process | None = None


def _here() -> _Process:
    """The state of the process that runs now.

    Made in the process that uses it: not in gunicorn's master, before the fork and
    before gevent patches ``threading``.
    """
    global _process
    if _process is None or _process.pid != os.getpid():
        _process = _Process(os.getpid())
    return _process


def lock_file(name: str) -> str:
    """The lock file of ``name``: beside the SQLite database, so all its users share it.

    (Another database, or SQLite in memory: in the instance directory.)
    """
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return f"{url.database}-{name}.locks"
    return os.path.join(current_app.config["INSTANCE_PATH"], f"{name}.locks")


def hold(name: str, key: int, timeout: float = SQLITE_BUSY_TIMEOUT_MS / 1000) -> None:
    """Hold lock ``key`` of ``name`` until ``db.session``'s transaction ends.

    Waits for the request (in any process) that holds it; 503 after ``timeout`` seconds.
    A transaction that holds it already goes on.
    """
    session = db.session()
    session.connection()  # the transaction the lock lasts for
    path = lock_file(name)
    slot = key % _SLOTS
    held: set[tuple[str, int]] = session.info.setdefault(_HELD, set())
    if (path, slot) in held:
        return
    process = _here()
    with process.guard:
        if path not in process.files:
            process.files[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        entry = process.slots.get((path, slot))
        if entry is None:
            entry = process.slots[(path, slot)] = _Slot(threading.Lock())
        entry.users += 1
    deadline = time.monotonic() + timeout
    try:
        if not entry.lock.acquire(timeout=timeout):
            raise _busy()
        try:
            _lock_record(process.files[path], slot, deadline)
        except BaseException:
            entry.lock.release()
            raise
    except BaseException:
        _forget(process, (path, slot))
        raise
    held.add((path, slot))


def _lock_record(fd: int, slot: int, deadline: float) -> None:
    def lock() -> bool:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            return False
        return True

    if not wait_cooperatively(lock, deadline):
        raise _busy()


def _busy() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The service is busy; try again in a moment", headers={"Retry-After": BUSY_RETRY_AFTER}
    )


def _forget(process: _Process, held: tuple[str, int]) -> None:
    with process.guard:
        entry = process.slots[held]
        entry.users -= 1
        if not entry.users:
            del process.slots[held]


@event.listens_for(Session, "after_transaction_end")
def _let_go(session: Session, transaction: Any) -> None:
    """The transaction ended (after its COMMIT or ROLLBACK): its locks go."""
    if transaction.parent is not None or _HELD not in session.info:
        return
    process = _here()
    for path, slot in session.info.pop(_HELD):
        fcntl.lockf(process.files[path], fcntl.LOCK_UN, 1, slot)
        process.slots[(path, slot)].lock.release()
        _forget(process, (path, slot))
