"""Inserting a prepared batch: the statement rows and their filter rows, fast.

Each database gets the way that costs it least: one INSERT ... SELECT for a single
statement (on PostgreSQL with its filter rows in the same statement), driver-level
executemany for small batches, COPY for larger ones on PostgreSQL.  Then a statement
that targets another gets its target's filter rows, and voiding statements void.
Attachment payloads are stored once under their hash.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    and_,
    bindparam,
    exists,
    insert,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError

from core import jsoncodec
from core.db import db, dialect_insert
from core.errors import Conflict
from lrs import clock
from lrs.attachments import RawAttachment
from lrs.filters import inherit_target_filters
from lrs.models import Attachment, Statement
from lrs.rows import Prepared, stamp
from lrs.voiding import VOIDED_VERB, void_targets

# Below this many statements the plain INSERTs are cheaper than preparing COPY.
_COPY_FROM = 10


def insert_prepared(prepared: Prepared) -> None:
    """Insert the statement rows and their filter rows; then void what they void."""
    if not prepared.rows:
        return
    connection = db.session.connection()
    try:
        if connection.dialect.name == "postgresql" and len(prepared.rows) >= _COPY_FROM:
            pks = _copy_rows(connection, prepared)
        else:
            pks = _insert_rows(connection, prepared)
    except Exception as exc:
        # Only statement_id is unique: a concurrent request stored the same id first.
        # (COPY raises the driver's unique_violation, SQLSTATE 23505, unwrapped.)
        if not isinstance(exc, IntegrityError) and getattr(exc, "sqlstate", None) != "23505":
            raise
        raise Conflict(
            "A statement with one of these ids was stored at the same moment; retry",
            errors=[{"path": "id", "message": "stored concurrently"}],
        ) from None
    after_insert(prepared, pks)


def after_insert(prepared: Prepared, pks: list[int]) -> None:
    """StatementRef filters and voiding for statements just inserted."""
    refs = {
        pk: s["object"]["id"]
        for s, pk in zip(prepared.statements, pks, strict=True)
        if s["object"].get("objectType") == "StatementRef"
    }
    if refs:
        inherit_target_filters(refs, dict(zip(pks, prepared.filters, strict=True)))
        void_targets(prepared.statements)


def insert_one(prepared: Prepared) -> tuple[int | None, Prepared]:
    """Take ``stored`` and insert one statement unless its id is stored already.

    ``prepared`` comes without ``stored`` (``rows.prepare(..., None)``); returns the pk
    (None when the id was stored already) and the statement stamped.  Whether a
    voiding statement stored earlier targets it (Data §2.3.2) is decided in the same
    INSERT.  On PostgreSQL the clock, the statement row and its filter rows are one
    statement: the clock's row lock, which every writer waits for (lrs/clock.py), is
    then held for that statement's answer and the commit, not for three round trips.
    """
    row = prepared.rows[0]
    keys = sorted(prepared.filters[0])
    connection = db.session.connection()  # Core: the ORM adds nothing to a plain INSERT
    if connection.dialect.name == "postgresql":
        return _insert_one_postgresql(connection, prepared, keys)
    prepared = stamp(prepared, clock.next_stored())
    params = {
        **{name: row[name] for name in _STATEMENT_COLUMNS},
        "may_be_voided": row["verb_id"] != VOIDED_VERB,
    }
    pk: int | None = connection.execute(_insert_one_statement(), params).scalar()
    if pk is not None:
        _insert_filter_tuples(connection, [(k, h, pk) for k, h in keys])
    return pk, prepared


def _insert_one_postgresql(
    connection: Connection, prepared: Prepared, keys: list[tuple[int, int]]
) -> tuple[int | None, Prepared]:
    from psycopg.types.json import Jsonb

    row = prepared.rows[0]
    params = {
        "statement_id": row["statement_id"],
        "data": Jsonb(row["data"], dumps=jsoncodec.dumps_bytes),
        "untimed": prepared.untimed[0],
        "verb_id": row["verb_id"],
        "object_ref": row["object_ref"],
        "may_be_voided": row["verb_id"] != VOIDED_VERB,
        "voided_verb": VOIDED_VERB,
        "credential_id": row["credential_id"],
        "has_attachments": row["has_attachments"],
        "kinds": [k for k, _ in keys],
        "hashes": [h for _, h in keys],
    }
    clock.hold(connection)
    stored_ms, pk = connection.exec_driver_sql(_one_postgresql(connection.dialect), params).one()
    return pk, stamp(prepared, clock.from_ms(int(stored_ms)))


@cache
def _one_postgresql(dialect: Any) -> str:
    """PostgreSQL: the clock's upsert, the statement row and its filter rows, one statement.

    ``stored`` goes into the row as a timestamp and into the statement as RFC 3339 text
    with milliseconds (``clock.format_timestamp``), also as its timestamp when it had
    none.  (Milliseconds since the epoch times an interval: exact, unlike a float.)
    """
    return f"""
WITH clock AS ({clock.advance_sql(dialect)}),
moment AS (
  SELECT stored_ms, TIMESTAMP '1970-01-01 00:00:00' + stored_ms * INTERVAL '1 millisecond' AS at
  FROM clock
),
stamped AS (
  SELECT stored_ms, at, to_jsonb(to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS text
  FROM moment
),
new AS (
  INSERT INTO lrs_statement ({", ".join(_STATEMENT_COLUMNS)})
  SELECT %(statement_id)s::text,
         CASE WHEN %(untimed)s
              THEN jsonb_set(jsonb_set(%(data)s, '{{stored}}', text), '{{timestamp}}', text)
              ELSE jsonb_set(%(data)s, '{{stored}}', text) END,
         at, %(verb_id)s, %(object_ref)s,
         %(may_be_voided)s AND EXISTS (
           SELECT 1 FROM lrs_statement
           WHERE object_ref = %(statement_id)s::text AND verb_id = %(voided_verb)s::text),
         %(credential_id)s, %(has_attachments)s
  FROM stamped
  ON CONFLICT (statement_id) DO NOTHING
  RETURNING pk
),
filters AS (
  INSERT INTO lrs_statement_filter (kind, key_hash, statement_pk)
  SELECT unnest(%(kinds)s::smallint[]), unnest(%(hashes)s::bigint[]), pk FROM new
)
SELECT stamped.stored_ms, new.pk FROM stamped LEFT JOIN new ON true
"""  # noqa: S608  (no user input: the clock's SQL and column names)


@cache
def _insert_one_statement() -> Any:
    """SQLite: the statement behind ``insert_one``, built once.

    (Building a statement like this one costs more than running it.)
    """
    table: Any = Statement.__table__
    voided = and_(
        bindparam("may_be_voided", type_=Boolean),
        exists().where(
            table.c.object_ref == bindparam("statement_id"), table.c.verb_id == VOIDED_VERB
        ),
    )
    values = [
        voided if name == "voided" else bindparam(name, type_=table.c[name].type)
        for name in _STATEMENT_COLUMNS
    ]
    # (SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT.)
    return (
        dialect_insert(table, "sqlite")
        .from_select(list(_STATEMENT_COLUMNS), select(*values).where(true()))
        .on_conflict_do_nothing(index_elements=["statement_id"])
        .returning(table.c.pk)
    )


def _filter_tuples(prepared: Prepared, pks: list[int]) -> list[tuple[int, int, int]]:
    return [
        (kind, hashed, pk)
        for pk, keys in zip(pks, prepared.filters, strict=True)
        for kind, hashed in keys
    ]


def _insert_rows(connection: Connection, prepared: Prepared) -> list[int]:
    """INSERT ... RETURNING for the statements, a driver-level executemany for filters."""
    if connection.dialect.name == "sqlite":
        pks = _insert_rows_sqlite(connection, prepared.rows)
    else:
        result = connection.execute(
            insert(Statement).returning(Statement.pk, sort_by_parameter_order=True),
            prepared.rows,
        )
        pks = list(result.scalars())
    _insert_filter_tuples(connection, _filter_tuples(prepared, pks))
    return pks


def _insert_rows_sqlite(connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """SQLite: the statement rows in a driver-level executemany; their pks follow.

    A row inserted without a pk gets the largest pk + 1 (SQLite's rowid rule, the table
    has no AUTOINCREMENT), and a writing transaction holds the database's only write
    lock, so one executemany's rows get consecutive pks ending at last_insert_rowid().
    This skips SQLAlchemy's per-row parameter handling and multi-row RETURNING, about
    an eighth of what a batch cost the worker.
    """
    convert = _sqlite_converters(connection.dialect)
    values = [
        tuple(
            row[name] if to_db is None or row[name] is None else to_db(row[name])
            for name, to_db in convert
        )
        for row in rows
    ]
    marks = ", ".join("?" * len(convert))
    connection.exec_driver_sql(
        f"INSERT INTO lrs_statement ({', '.join(_STATEMENT_COLUMNS)}) VALUES ({marks})",  # noqa: S608  (no user input)
        values,
    )
    last: int = connection.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
    return list(range(last - len(rows) + 1, last + 1))


@cache
def _sqlite_converters(dialect: Any) -> list[tuple[str, Any]]:
    """Each statement column with the function SQLAlchemy would convert its values with."""
    table: Any = Statement.__table__
    return [(name, table.c[name].type.bind_processor(dialect)) for name in _STATEMENT_COLUMNS]


def _insert_filter_tuples(connection: Connection, filters: list[tuple[int, int, int]]) -> None:
    """The filter rows, in one statement on PostgreSQL, a driver-level executemany on SQLite.

    (psycopg's executemany sends a statement per row: a batch's statements have a
    dozen filter rows each, and each row cost the worker more than the database.)
    """
    if not filters:
        return
    if connection.dialect.name == "postgresql":
        kinds, hashes, pks = (list(column) for column in zip(*filters, strict=True))
        connection.exec_driver_sql(_FILTERS_POSTGRESQL, (kinds, hashes, pks))
        return
    connection.exec_driver_sql(
        "INSERT INTO lrs_statement_filter (kind, key_hash, statement_pk) VALUES (?, ?, ?)",
        filters,
    )


_FILTERS_POSTGRESQL = """
INSERT INTO lrs_statement_filter (kind, key_hash, statement_pk)
SELECT * FROM unnest(%s::smallint[], %s::bigint[], %s::bigint[])
"""


_STATEMENT_COLUMNS = (
    "statement_id",
    "data",
    "stored",
    "verb_id",
    "object_ref",
    "voided",
    "credential_id",
    "has_attachments",
)


def _copy_rows(connection: Connection, prepared: Prepared) -> list[int]:
    """PostgreSQL: take the ids from the sequence, then COPY both tables in (fastest)."""
    from psycopg.types.json import Jsonb

    driver = connection.connection.driver_connection
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('lrs_statement', 'pk'))"
            " FROM generate_series(1, %s)",
            (len(prepared.rows),),
        )
        pks = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(("pk", *_STATEMENT_COLUMNS))
        with cursor.copy(f"COPY lrs_statement ({columns}) FROM STDIN") as copy:
            for pk, row in zip(pks, prepared.rows, strict=True):
                values = [row[name] for name in _STATEMENT_COLUMNS]
                values[1] = Jsonb(values[1], dumps=jsoncodec.dumps_bytes)
                copy.write_row((pk, *values))
        with cursor.copy(
            "COPY lrs_statement_filter (kind, key_hash, statement_pk) FROM STDIN"
        ) as copy:
            # Integers need no escaping: the text format built at once, not row by row.
            copy.write("".join(f"{k}\t{h}\t{pk}\n" for k, h, pk in _filter_tuples(prepared, pks)))
    return pks


def insert_ignoring_conflicts(model: type[Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING, for rows another transaction may add at once."""
    return dialect_insert(model).on_conflict_do_nothing()


def store_attachment_data(raw: Iterable[RawAttachment]) -> None:
    """Store each payload once, however many statements (or concurrent requests) send it."""
    rows = {a.sha2: {"sha2": a.sha2, "content_type": a.content_type, "data": a.data} for a in raw}
    if rows:
        db.session.execute(insert_ignoring_conflicts(Attachment), list(rows.values()))
