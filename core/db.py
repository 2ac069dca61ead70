"""The database object shared by every area."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry, Pool

from core import files


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


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Let several gunicorn workers share one SQLite file (WAL, busy timeout)."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
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
