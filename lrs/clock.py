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
row *before* they query: every statement stored at or before that value is committed
and visible to the query that follows, and every statement still to commit will get a
larger value. (An idle LRS keeps answering the time of its last write: correct, if
cautious.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, cast, func, literal_column, select

from core.db import db, dialect_insert
from lrs.models import StoredClock


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


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def next_stored() -> datetime:
    """The ``stored`` of the batch being written; the row stays locked until commit."""
    dialect = db.session.get_bind().dialect.name
    ms = db.session.execute(_advance(dialect)).scalar_one()
    return _moment(int(ms))


def consistent_through() -> datetime:
    """The latest ``stored`` known committed (read before querying statements)."""
    ms = db.session.scalar(select(StoredClock.stored_ms).where(StoredClock.id == 1))
    if ms is None:
        # Nothing stored since the table was emptied: nothing to miss either.
        return datetime.now(UTC)
    return _moment(int(ms))
