"""``stored`` in the order statements become visible, and a Consistent-Through that holds.

xAPI Communication §2.1.3: ``X-Experience-API-Consistent-Through`` is "the timestamp for
which all Statements that have or will have a stored property before that time are known
with reasonable certainty to be available for retrieval", and clients poll with
``since`` (Communication §2.1.3, "since": stored strictly after). Stamping ``stored``
from each request's clock when it starts broke both: a batch stamped .314 could commit
after one stamped .345, so ``ascending`` order disagreed with ``stored`` and a client
that had seen .345 never saw the .314 one.

So every write takes ``stored`` from one row (``lrs_clock``): the database's clock, at
least one millisecond past the last value given (``stored`` has millisecond precision),
in an upsert that holds the row's lock until the transaction commits. Writers thus pass
the row one after another, each later one with a larger ``stored``, and it is the
database's clock, so several app nodes agree. Readers take Consistent-Through from the
clock *before* they query: when no write holds the row, now (a later write takes a later
``stored``); when one does, the last ``stored`` committed (every statement stored at or
before it is visible to the query that follows; the write in flight gets a larger one).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Connection, cast, func, literal_column, select, text

from core import pg_waits
from core.db import db, dialect_insert
from lrs.models import StoredClock


def utc_now() -> datetime:
    """Now, in UTC, truncated to milliseconds.

    ``stored`` is returned with ms precision, so the column must not hold more, or
    ``since=<a returned stored>`` would match the statement it came from.
    """
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as returned in ``stored``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def naive_utc(moment: datetime) -> datetime:
    """The moment in UTC without tzinfo, as the DateTime columns hold it."""
    return moment.astimezone(UTC).replace(tzinfo=None)


@cache
def _advance(dialect: str) -> Any:
    """The upsert that hands out the next ``stored`` (built once per dialect)."""
    if dialect == "postgresql":
        now_ms: Any = cast(
            func.floor(func.extract("epoch", func.clock_timestamp()) * 1000), BigInteger
        )
        larger: Any = func.greatest
    else:  # SQLite: julianday('now') has millisecond precision
        now_ms = cast((func.julianday("now") - 2440587.5) * 86400000, BigInteger)
        larger = func.max
    stmt = dialect_insert(StoredClock, dialect).values(id=1, stored_ms=now_ms)
    return stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={"stored_ms": larger(StoredClock.stored_ms + 1, literal_column("excluded.stored_ms"))},
    ).returning(StoredClock.stored_ms)


def from_ms(ms: int) -> datetime:
    """The clock's milliseconds since the epoch as an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, UTC)


def next_stored() -> datetime:
    """The ``stored`` of the batch being written; the row stays locked until commit.

    Once that transaction commits, this value is also a Consistent-Through that holds:
    every write that took a smaller one held the row before and has committed, and every
    later one takes a larger one.  So a write answers it without another query.
    """
    connection = db.session.connection()
    hold(connection)
    ms = connection.exec_driver_sql(advance_sql(connection.dialect)).scalar_one()
    return from_ms(int(ms))


def hold(connection: Connection) -> None:
    """The transaction is about to take the clock: from now to its end it runs through.

    Every writer waits for the row until this transaction commits, so under gevent its
    waits for the database no longer let the worker serve other requests meanwhile
    (core/pg_waits.py).  Nothing changes elsewhere (SQLite, no gevent).
    """
    pg_waits.hold(connection.connection.driver_connection)


@cache
def advance_sql(dialect: Any) -> str:
    """``_advance`` as SQL text: it has no parameters, and the statement runs in every write.

    (Through the ORM session, building its cache key and result cost more than the
    database's work.)
    """
    compiled = _advance(dialect.name).compile(
        dialect=dialect, compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def consistent_through() -> datetime:
    """Consistent-Through for a statements query about to run (xAPI Communication §2.1.3).

    No statement write in flight: now (by the database's clock), since any write still
    to come takes a later ``stored``. A write in flight holds the clock row with a
    ``stored`` not yet visible, so then: the last ``stored`` known committed.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        in_flight, now_ms, last_ms = db.session.execute(_pg_probe()).one()
    else:
        in_flight, now_ms = _sqlite_write_in_flight(), None
        last_ms = db.session.scalar(select(StoredClock.stored_ms).where(StoredClock.id == 1))
    if not in_flight or last_ms is None:
        return from_ms(int(now_ms)) if now_ms is not None else datetime.now(UTC)
    return from_ms(int(last_ms))


@cache
def _pg_probe() -> Any:
    """Whether another transaction holds the clock row; the database's now; the last value.

    A transaction that has written lrs_clock and not committed keeps its
    RowExclusiveLock on the table, which pg_locks shows.
    """
    holder: Any = (
        select(literal_column("1"))
        .select_from(text("pg_locks"))
        .where(
            text(
                "relation = 'lrs_clock'::regclass AND mode = 'RowExclusiveLock' "
                "AND pid <> pg_backend_pid()"
            )
        )
    )
    now_ms = cast(func.floor(func.extract("epoch", func.clock_timestamp()) * 1000), BigInteger)
    last = select(StoredClock.stored_ms).where(StoredClock.id == 1).scalar_subquery()
    return select(holder.exists(), now_ms, last)


def _sqlite_write_in_flight() -> bool:
    """Whether another connection holds SQLite's write lock (a write not yet committed).

    SQLite has one write lock for the database: asking for it without waiting tells.
    (Any writer counts, not only statements: Consistent-Through is then cautious.)
    """
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA busy_timeout=0")
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        cursor.execute("ROLLBACK")
        return False
    finally:
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        connection.close()
