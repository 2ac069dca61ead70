"""PostgreSQL under gevent: a transaction that holds a lock every writer needs runs through.

Under gunicorn's gevent workers psycopg waits for the server cooperatively: while one
request waits for its query, the worker serves its other requests.  That is right for
almost every query, and wrong for one kind of transaction: one that holds a lock all
writers queue for, the LRS clock's row (lrs/clock.py), from taking it to its commit.
Each of its waits (the next query's answer, the commit's WAL flush) then also waits
for the worker to come back to it, after whatever CPU the worker's other requests want
(parsing, validating, rendering: a millisecond or more each), and every writer on every
node waits that long too.  Measured on the LRS's single POSTs (bench/README.md, "LRS"),
the waits alone made the held time several times the database's work.

So a transaction that holds such a lock marks its connection ``holding``
(``hold(connection)``), and until it commits or rolls back the connection waits for the
server without giving the worker away, with the process's own (not gevent's) ``poll``.
Not for ever: after ``BLOCK_MS`` it waits cooperatively again, so that a lock held by
another request of the same worker, which could only be released if that request ran,
cannot stop the worker.  Outside gevent psycopg already waits in C, and nothing changes.
"""

from __future__ import annotations

import select
import sys
from typing import Any

import psycopg
from psycopg import waiting
from psycopg.waiting import Ready, Wait

# How long a holding connection waits without letting the worker serve anything else.
BLOCK_MS = 20


def gevent_patched() -> bool:
    """Whether gevent has patched ``select``, so that psycopg's waits are cooperative."""
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey and monkey.is_module_patched("select"))


def _native_poll() -> Any:
    """The process's own ``select.poll`` (gevent's patched one yields to other greenlets)."""
    from gevent import monkey

    return monkey.get_original("select", "poll")


_IN = select.POLLIN | select.POLLERR | select.POLLHUP
_OUT = select.POLLOUT | select.POLLERR | select.POLLHUP


def _events(state: int) -> int:
    return (select.POLLIN if state & Wait.R else 0) | (select.POLLOUT if state & Wait.W else 0)


def _ready(events: int) -> Ready:
    return Ready((Ready.R if events & _IN else 0) | (Ready.W if events & _OUT else 0))


def _wait_holding(gen: Any, fileno: int) -> Any:
    """Drive one of psycopg's generators, blocking up to ``BLOCK_MS`` at each wait.

    The generator yields what it waits for (``Wait``) and is sent what is ready
    (``Ready``); its return value is the result (psycopg.abc.PQGen).
    """
    native = _native_poll()()
    try:
        state = next(gen)
        while True:
            native.register(fileno, _events(state))
            found = native.poll(BLOCK_MS)
            if not found:  # still waiting: let the worker run meanwhile
                cooperative = select.poll()
                cooperative.register(fileno, _events(state))
                found = cooperative.poll()
            state = gen.send(_ready(found[0][1]))
    except StopIteration as stop:
        return stop.value


class HoldingConnection(psycopg.Connection[Any]):
    """A psycopg connection that stops waiting cooperatively while it holds the clock."""

    holding = False

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        """Wait for the server: without yielding to the worker's other requests if holding."""
        if self.holding and timeout is None:
            return _wait_holding(gen, self.pgconn.socket)
        return super().wait(gen, interval, timeout)

    def commit(self) -> None:
        """Commit; the hold ends with the transaction."""
        try:
            super().commit()
        finally:
            self.holding = False

    def rollback(self) -> None:
        """Roll back; the hold ends with the transaction."""
        try:
            super().rollback()
        finally:
            self.holding = False


def hold(dbapi_connection: Any) -> None:
    """Mark the connection's transaction as holding a lock every writer waits for."""
    if isinstance(dbapi_connection, HoldingConnection):
        dbapi_connection.holding = True


def connect(cargs: Any, cparams: dict[str, Any]) -> HoldingConnection | None:
    """A HoldingConnection when psycopg waits cooperatively (gevent); else None (default)."""
    if not gevent_patched() or waiting.wait is getattr(waiting, "wait_c", None):
        return None
    return HoldingConnection.connect(*cargs, **cparams)
