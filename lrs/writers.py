"""SQLite: LRS writers queue on a lock file, not in SQLite's busy handler.

SQLite has one write lock per database, taken by a transaction's first write (the
LRS clock's upsert, lrs/clock.py) and held to its commit.  A writer that finds it taken
sleeps in SQLite's busy handler, 1, 2, 5, 10, 15, 20, 25 ... ms between tries
(``sqliteDefaultBusyCallback`` in sqlite3.c), and the whole gunicorn worker sleeps with
it: the driver call blocks, so gevent cannot run the worker's other requests meanwhile.
An LRS write holds the lock for a fraction of a millisecond, so most of that sleep was
waste: with two workers writing single statements, taking the lock cost ~0.9 ms per
statement on average (p95 3 ms, worst 130 ms; bench/README.md, "LRS").

So an LRS write first takes an exclusive ``flock`` on a file beside the database; the
kernel wakes the next writer the moment the previous one's transaction ends.  SQLite's
lock still decides who writes (other writers, such as the portal's, never queue here;
they meet the busy handler as before); the file only puts LRS writers in line.  Only a
transaction that has written nothing yet queues: one that holds SQLite's lock already
must not wait for a writer that waits for that lock.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import Session, SessionTransaction

# (process, database file) -> the lock file's descriptor: a forked worker opens its own,
# since a descriptor inherited across fork() shares its lock with the parent.
_files: dict[tuple[int, str], int] = {}
_HELD = "lrs_writer_lock"


def queue(session: Session, connection: Connection) -> None:
    """On SQLite, wait for this process's turn among LRS writers (until the transaction ends)."""
    if connection.dialect.name != "sqlite" or _HELD in session.info:
        return
    driver: Any = connection.connection.driver_connection
    path = connection.engine.url.database
    if driver is None or driver.in_transaction or not path or path == ":memory:":
        return
    key = (os.getpid(), path)
    fd = _files.get(key)
    if fd is None:
        fd = _files[key] = os.open(path + ".lrs-writers", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    session.info[_HELD] = fd


@event.listens_for(Session, "after_transaction_end")
def _release(session: Session, transaction: SessionTransaction) -> None:
    """The transaction ended (commit, rollback or close): the next writer's turn."""
    if transaction.parent is None and _HELD in session.info:
        fcntl.flock(session.info.pop(_HELD), fcntl.LOCK_UN)
