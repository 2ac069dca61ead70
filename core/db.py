"""The database object shared by every area."""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, event, exc, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry, Pool

from core import files, pg_waits


class Base(DeclarativeBase):
    """Declarative base for all models."""


db = SQLAlchemy(model_class=Base)

# Models subclass ``Model``: at run time it is Flask-SQLAlchemy's ``db.Model``; for the
# type checker, which cannot see that dynamic class, it is the typed declarative base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def dialect_insert(target: Any, dialect: str | None = None) -> Any:
    """The database's own INSERT construct, the one with ON CONFLICT clauses.

    ``dialect`` names the database ("postgresql", else SQLite); by default the
    session's.
    """
    if (dialect or db.session.get_bind().dialect.name) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    return insert(target)


def adding_upsert(table: Any, keys: list[str], columns: Iterable[str], dialect: str) -> Any:
    """INSERT ... ON CONFLICT (``keys``) DO UPDATE adding each of ``columns`` (totals).

    Built on the table, not a mapped class: through the ORM's bulk path these plain rows
    cost more than the database's work.
    """
    stmt = dialect_insert(table, dialect)
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + getattr(stmt.excluded, name) for name in columns},
    )


def pooler_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """Engine options for PostgreSQL behind a pooler in transaction mode (pgbouncer).

    In pgbouncer's ``pool_mode=transaction`` each transaction may run on another server
    connection, so nothing may outlive a transaction on the server: psycopg's prepared
    statements (made after ``prepare_threshold`` runs of a query, then used by name on
    whichever server connection comes next: "prepared statement does not exist") are
    turned off. The code keeps to the rest already: advisory locks are transaction
    locks (``pg_advisory_xact_lock``), no LISTEN, no session ``SET``, no cursors held
    across transactions.
    """
    url = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if not config.get("DATABASE_TRANSACTION_POOLING") or not url.startswith("postgresql"):
        return {}
    return {"connect_args": {"prepare_threshold": None}}


# The advisory lock of "this database is being set up": migrations and the first admin
# (``flask db upgrade``, ``flask bootstrap``). Nodes started at once take turns, so
# only the first migrates and makes the admin; the others then find both done.
SETUP_LOCK_KEY = 0x4B6F6D70  # "Komp"


def lock_for_setup(connection: Connection) -> None:
    """Wait for another node's setup; hold the lock until this transaction ends.

    A transaction lock, not a session lock: behind pgbouncer in transaction mode a
    session lock would stay with a server connection other clients then use.
    SQLite serves one node only (core/nodes.py), so it needs none.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SETUP_LOCK_KEY})


# How long a write waits for SQLite's write lock before "database is locked" (ms).
SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Let several gunicorn workers share one SQLite file (WAL, busy timeout)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):  # SQLiteConnection included
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # A batch of statements dirties a few hundred index pages (their keys are random):
    # the default checkpoint every 1,000 WAL pages ran in every second commit, and wrote
    # the same hot pages each time. 16,000 pages (64 MB of WAL) lets a checkpoint write
    # each page once for many commits. A larger page cache (64 MB per connection, taken
    # only as pages are read) keeps those index pages in memory between requests.
    cursor.execute("PRAGMA wal_autocheckpoint=16000")
    cursor.execute("PRAGMA cache_size=-65536")
    # The database holds password hashes and every learner's records: 0600, and its WAL
    # and shared-memory index too (SQLite creates those with the database's mode, but
    # the first connection made all three under the umask).
    for _seq, name, filename in cursor.execute("PRAGMA database_list").fetchall():
        if name == "main" and filename:
            for suffix in ("", "-wal", "-shm"):
                files.private(Path(filename + suffix))
    cursor.close()


# A pooled connection idle longer than this is pinged before use.
IDLE_PING_SECONDS = 10.0


@event.listens_for(Pool, "checkin")
def _stamp_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["checked_in"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    """Ping a server connection that sat idle: a restarted database is met here, not in a request.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: one more round trip in every
    request (and two in a write that answers Consistent-Through).  A connection used in
    the last IDLE_PING_SECONDS is almost surely alive; if the server went away since, the
    request fails and SQLAlchemy invalidates the pool, as it would for a connection that
    dies mid-request.  A dead idle one is replaced before use (DisconnectionError makes
    the pool retry with a new connection).  SQLite has no server to lose.
    """
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    checked_in = record.info.get("checked_in")
    if checked_in is None or time.monotonic() - checked_in < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:
        raise exc.DisconnectionError() from error


# -- SQLite: one writer at a time, waiting without blocking the worker ------------------
#
# SQLite has one write lock for the database. A transaction waiting for it in SQLite's
# busy handler sleeps inside the C library (1, 2, 5, ... up to 100 ms at a time), which
# under gunicorn's gevent workers stops the whole worker: none of its other requests
# run meanwhile, and the lock, freed a few milliseconds later, stays unused until the
# sleep ends. With writers that hold the lock for a while (the player's commits), two
# workers then mostly wait for each other.
#
# So a write transaction starts like this instead: the process's writer lock first
# (threading.Lock, gevent's under gevent: the process's other writers wait their turn
# and the worker keeps serving), then BEGIN IMMEDIATE, retried every millisecond or two
# with a sleep that lets the worker run (time.sleep, also gevent's) while the other
# worker holds the database's lock. The transaction, its statements and the error after
# SQLITE_BUSY_TIMEOUT_MS are the same as before; only the waiting changed.

_WAIT_S = SQLITE_BUSY_TIMEOUT_MS / 1000
_writer: tuple[int, threading.Lock] | None = None


def _writer_lock() -> threading.Lock:
    """The process's writer lock, made in the process that uses it.

    Not at import: gunicorn's master imports this module before it forks the workers and
    before the gevent worker patches ``threading``, and a lock made then would block the
    whole worker, not one request, and belong to the master.
    """
    global _writer
    if _writer is None or _writer[0] != os.getpid():
        _writer = (os.getpid(), threading.Lock())
    return _writer[1]


@functools.lru_cache(maxsize=4096)
def _opens_transaction(sql: str) -> bool:
    """Statements before which Python's sqlite3 opens a transaction itself (a write)."""
    return sql.lstrip()[:7].upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))


def _locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def wait_cooperatively(attempt: Callable[[], bool], deadline: float) -> bool:
    """Call ``attempt`` until it succeeds (True) or ``deadline`` (``time.monotonic``) passes.

    Between tries a sleep of 0.5 ms, doubling up to 2 ms: ``time.sleep``, gevent's under
    gevent, so the worker serves its other requests while a lock is another's. False when
    the deadline passed.
    """
    delay = 0.0005
    while not attempt():
        if time.monotonic() > deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.002)
    return True


class SQLiteCursor(sqlite3.Cursor):
    """A cursor whose first write of a transaction starts it with the writer lock."""

    connection: SQLiteConnection

    def execute(self, sql: str, parameters: Any = (), /) -> SQLiteCursor:  # type: ignore[override]
        """Execute a statement (a transaction's first write starts it: begin_write)."""
        if not self.connection.in_transaction and _opens_transaction(sql):
            self.connection.begin_write()
        return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> SQLiteCursor:  # type: ignore[override]
        """Execute a statement per parameter set (the first write starts a transaction)."""
        if not self.connection.in_transaction and _opens_transaction(sql):
            self.connection.begin_write()
        return super().executemany(sql, seq_of_parameters)


class SQLiteConnection(sqlite3.Connection):
    """A connection that holds the process's writer lock during its write transactions."""

    holds_writer = False

    def cursor(self, factory: Any = SQLiteCursor) -> Any:  # type: ignore[override]
        """A SQLiteCursor (unless another factory is given)."""
        return super().cursor(factory)

    def begin_write(self) -> None:
        """Start a write transaction: the writer lock, then SQLite's (BEGIN IMMEDIATE)."""
        if not _writer_lock().acquire(timeout=_WAIT_S):
            raise sqlite3.OperationalError("database is locked")
        self.holds_writer = True
        try:
            self._begin_immediate()
        except BaseException:
            self._release_writer()
            raise

    def _begin_immediate(self) -> None:
        cursor = sqlite3.Cursor(self)
        cursor.execute("PRAGMA busy_timeout=0")

        def begin() -> bool:
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if not _locked(exc):
                    raise
                return False
            return True

        try:
            if not wait_cooperatively(begin, time.monotonic() + _WAIT_S):
                raise sqlite3.OperationalError("database is locked")
        finally:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

    def _release_writer(self) -> None:
        if self.holds_writer:
            self.holds_writer = False
            _writer_lock().release()

    def commit(self) -> None:
        """Commit; the writer lock goes with the transaction."""
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._release_writer()

    def rollback(self) -> None:
        """Roll back; the writer lock goes with the transaction."""
        try:
            super().rollback()
        finally:
            self._release_writer()

    def close(self) -> None:
        """Close (an open transaction is rolled back) and let the writer lock go."""
        try:
            super().close()
        finally:
            self._release_writer()


@event.listens_for(Engine, "do_connect")
def _connection_class(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
    """The connection's class: ours where we need one, else None (the dialect's own).

    SQLite: SQLiteConnection (see above).  PostgreSQL under gevent: HoldingConnection
    (core/pg_waits.py).
    """
    if dialect.name == "sqlite" and dialect.driver == "pysqlite":
        cparams.setdefault("factory", SQLiteConnection)
    elif dialect.name == "postgresql" and dialect.driver == "psycopg":
        return pg_waits.connect(cargs, cparams)
    return None
