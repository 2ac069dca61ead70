"""Statements: the LRS's Python API (store, fetch, query).

Everything that records learning (the HTTP views, the player, classroom sessions) goes
through these functions, so the same validation and storage rules apply everywhere.
They ``flush()`` but never commit: the caller commits once.

Spec: xAPI 1.0.3 Data §2 (statements), Communication §2.1 (statement resource); the
2.0.0 differences are listed in ../shared/docs/XAPI_CHECKLIST.md §14.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    SmallInteger,
    String,
    and_,
    any_,
    bindparam,
    delete,
    event,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import jsoncodec
from core.db import db, dialect_insert
from core.errors import BadRequest, Conflict
from lrs import clock, learner_scope, schemas
from lrs.attachments import RawAttachment
from lrs.attachments import check_attachments as _check_attachments
from lrs.auth import Client
from lrs.formats import merge_definitions
from lrs.keys import agent_key, key_hash, sha256_hex
from lrs.models import Activity, Attachment, Statement, StatementFilter
from lrs.signature import statements_equivalent

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"

# Listeners called with every stored batch and the client that stored it, in the same
# transaction, so projections (report tables) stay in step with the LRS whoever wrote
# the statements, and can tell whose word a result is (a launch's, a trusted source's).
StoredListener = Callable[[list[dict[str, Any]], Client], None]
_listeners: list[StoredListener] = []


def on_stored(listener: StoredListener) -> StoredListener:
    """Register ``listener(statements, client)`` to run after each batch is stored."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


# Kinds of rows in lrs_statement_filter, one per query parameter (Communication §2.1.3).
VERB, REGISTRATION, AGENT, AGENT_RELATED, ACTIVITY, ACTIVITY_RELATED = 1, 2, 3, 4, 5, 6
_RELATED_OF = {AGENT: AGENT_RELATED, ACTIVITY: ACTIVITY_RELATED}
_NARROW_OF = {AGENT_RELATED: AGENT, ACTIVITY_RELATED: ACTIVITY}


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


# -- Building rows ---------------------------------------------------------------------


def _agents_in(agent: Any) -> Iterator[str]:
    """IFI keys of an agent or group and of a group's members."""
    if not isinstance(agent, dict):
        return
    key = agent_key(agent)
    if key:
        yield key
    for member in agent.get("member") or ():
        if isinstance(member, dict):
            member_key = agent_key(member)
            if member_key:
                yield member_key


def _context_activity_ids(context: dict[str, Any]) -> Iterator[str]:
    for value in (context.get("contextActivities") or {}).values():
        for activity in value if isinstance(value, list) else [value]:
            if isinstance(activity, dict) and "id" in activity:
                yield activity["id"]


def _context_agents(context: dict[str, Any]) -> Iterator[str]:
    for key in ("instructor", "team"):
        yield from _agents_in(context.get(key))
    for item in context.get("contextAgents") or ():
        yield from _agents_in(item.get("agent"))
    for item in context.get("contextGroups") or ():
        yield from _agents_in(item.get("group"))


def filter_keys(statement: dict[str, Any]) -> set[tuple[int, int]]:
    """The (kind, key hash) rows that make ``statement`` findable by each query parameter.

    ``agent`` matches the actor or an agent/group object; ``related_agents`` adds
    authority, instructor, team, context agents/groups, group members and the same in
    a SubStatement.  ``activity`` matches the object; ``related_activities`` adds context
    activities and a SubStatement's (Communication §2.1.3, query parameters).
    """
    rows: dict[tuple[int, str], None] = {}

    def add(kind: int, key: str | None) -> None:
        if key is not None:
            rows[(kind, key)] = None

    add(VERB, statement["verb"]["id"])
    context = statement.get("context") or {}
    add(REGISTRATION, context.get("registration"))
    actor = statement["actor"]
    add(AGENT, agent_key(actor))
    for key in _agents_in(actor):
        add(AGENT_RELATED, key)
    obj = statement["object"]
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        add(ACTIVITY, obj["id"])
    elif kind in ("Agent", "Group"):
        add(AGENT, agent_key(obj))
        for key in _agents_in(obj):
            add(AGENT_RELATED, key)
    elif kind == "SubStatement":
        for key in _agents_in(obj.get("actor")):
            add(AGENT_RELATED, key)
        inner = obj.get("object") or {}
        inner_kind = inner.get("objectType", "Activity")
        if inner_kind == "Activity":
            add(ACTIVITY_RELATED, inner.get("id"))
        elif inner_kind in ("Agent", "Group"):
            for key in _agents_in(inner):
                add(AGENT_RELATED, key)
        inner_context = obj.get("context") or {}
        for key in _context_agents(inner_context):
            add(AGENT_RELATED, key)
        for activity_id in _context_activity_ids(inner_context):
            add(ACTIVITY_RELATED, activity_id)
    for key in _agents_in(statement.get("authority")):
        add(AGENT_RELATED, key)
    for key in _context_agents(context):
        add(AGENT_RELATED, key)
    for activity_id in _context_activity_ids(context):
        add(ACTIVITY_RELATED, activity_id)
    # A key already indexed under the narrow kind need not repeat under the broad one:
    # related queries look in both kinds.
    narrow = {(k, key) for (k, key) in rows if k in (AGENT, ACTIVITY)}
    return {
        (k, key_hash(key))
        for (k, key) in rows
        if not (k == AGENT_RELATED and (AGENT, key) in narrow)
        and not (k == ACTIVITY_RELATED and (ACTIVITY, key) in narrow)
    }


def _definitions_in(statement: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(activity id, definition) for every activity in the statement that carries one."""

    def from_activity(activity: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        if (
            isinstance(activity, dict)
            and activity.get("objectType", "Activity") == "Activity"
            and isinstance(activity.get("definition"), dict)
            and "id" in activity
        ):
            yield activity["id"], activity["definition"]

    def from_context(context: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        if not isinstance(context, dict):
            return
        for value in (context.get("contextActivities") or {}).values():
            for activity in value if isinstance(value, list) else [value]:
                yield from from_activity(activity)

    obj = statement["object"]
    yield from from_activity(obj)
    if obj.get("objectType") == "SubStatement":
        yield from from_activity(obj.get("object"))
        yield from from_context(obj.get("context"))
    yield from from_context(statement.get("context"))


def _context_lists(context: Any) -> Any:
    if not isinstance(context, dict) or not isinstance(context.get("contextActivities"), dict):
        return context
    activities = {
        key: value if isinstance(value, list) else [value]
        for key, value in context["contextActivities"].items()
    }
    return {**context, "contextActivities": activities}


def _with_context_activity_lists(statement: dict[str, Any]) -> dict[str, Any]:
    """Every contextActivities value is returned as an array (Data §2.4.6.2)."""
    out = dict(statement)
    if "context" in out:
        out["context"] = _context_lists(out["context"])
    obj = out.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement" and "context" in obj:
        out["object"] = {**obj, "context": _context_lists(obj["context"])}
    return out


@dataclass
class Prepared:
    """A validated batch with LRS-assigned properties, ready to insert."""

    statements: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    filters: list[set[tuple[int, int]]]
    stored: datetime


def prepare(
    statements: Sequence[dict[str, Any]],
    client: Client,
    version: str,
    stored: datetime,
    voided: set[str] | frozenset[str] = frozenset(),
) -> Prepared:
    """Assign id, stored, timestamp, authority and version, and build the table rows.

    Data §2.4.1 (id), §2.4.8 (stored: set by the LRS, overwriting any value sent),
    §2.4.9 (authority: set by the LRS from the credential), §2.4.10 (version), and
    2.0.0's "timestamp = stored when absent".
    """
    stored_text = format_timestamp(stored)
    prepared: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    filters: list[set[tuple[int, int]]] = []
    for original in statements:
        statement = _with_context_activity_lists(original)
        statement.setdefault("id", str(uuid.uuid4()))
        statement["stored"] = stored_text
        statement.setdefault("timestamp", stored_text)
        statement["authority"] = client.authority
        statement.setdefault("version", "2.0.0" if version.startswith("2.") else "1.0.0")
        obj = statement["object"]
        ref = obj.get("id") if obj.get("objectType") == "StatementRef" else None
        prepared.append(statement)
        rows.append(
            {
                "statement_id": statement["id"],
                "data": statement,
                "stored": naive_utc(stored),
                "verb_id": statement["verb"]["id"],
                "object_ref": ref,
                "voided": statement["id"] in voided and statement["verb"]["id"] != VOIDED_VERB,
                "credential_id": client.id or None,
                "has_attachments": bool(statement.get("attachments")),
            }
        )
        filters.append(filter_keys(statement))
    return Prepared(prepared, rows, filters, stored)


# -- Storing ---------------------------------------------------------------------------


@dataclass
class StoreResult:
    """Ids of a stored batch, in request order; ``new`` are the ones actually inserted."""

    ids: list[str]
    new: list[str] = field(default_factory=list)


def _lookup(ids: list[str]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Statements stored under these ids, and which ids a stored voiding statement targets.

    One query for both: a voiding statement may arrive before the statement it voids, and
    that statement must then be stored voided (Data §2.3.2).
    """
    existing: dict[str, dict[str, Any]] = {}
    voided: set[str] = set()
    dialect = db.session.get_bind().dialect.name
    # All the ids in one parameter (PostgreSQL: an array; SQLite: a JSON array), so the
    # query is built and compiled once, whatever the batch size.
    wanted = ids if dialect == "postgresql" else jsoncodec.dumps(ids)
    rows = db.session.execute(_lookup_query(dialect), {"ids": wanted})
    for statement_id, data, is_target in rows:
        if is_target:
            voided.add(statement_id)
        else:
            existing[statement_id] = data
    return existing, voided


@cache
def _lookup_query(dialect: str) -> Any:
    """The query behind ``_lookup``, built once per dialect."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        ids: Any = any_(bindparam("ids", type_=ARRAY(String)))
        by_id, by_ref = Statement.statement_id == ids, Statement.object_ref == ids
    else:
        each = func.json_each(bindparam("ids", type_=String)).table_valued("value")
        listed = select(each.c.value)
        by_id, by_ref = Statement.statement_id.in_(listed), Statement.object_ref.in_(listed)
    stored = select(Statement.statement_id, Statement.data, literal(False)).where(by_id)
    targets = select(Statement.object_ref, null(), literal(True)).where(
        by_ref, Statement.verb_id == VOIDED_VERB
    )
    return union_all(stored, targets)


def store_statements(
    statements: Sequence[dict[str, Any]],
    client: Client,
    version: str,
    attachments: Iterable[RawAttachment] = (),
    validated: bool = False,
) -> StoreResult:
    """Validate and store a batch atomically; all or nothing (Communication §2.1.2).

    Statements whose id is stored already are compared: the same statement is accepted
    again without change, a different one is a 409 Conflict for the whole batch.
    """
    if not validated:
        statements = schemas.validate_statements(list(statements), version)
    raw = {a.sha2: a for a in attachments}
    _check_attachments(statements, raw, version)
    learner_scope.check_statements(statements, client)

    if len(statements) == 1:
        # One statement (a PUT, most POSTs from content): insert first, look only if its
        # id turns out to be stored already; one round trip on PostgreSQL.
        prepared = prepare(statements, client, version, clock.next_stored())
        _check_voiding(prepared.statements)
        pk = _insert_one(prepared)
        if pk is None:
            existing = _check_same_as_stored(statements)
            if not existing:  # (deleted again in between: cannot happen through the API)
                raise Conflict("The statement changed while it was stored; retry")
            prepared = Prepared([], [], [], prepared.stored)
        else:
            existing = {}
            _after_insert(prepared, [pk])
        _store_attachment_data(raw.values())
        _update_definitions(prepared.statements, client)
        _notify(prepared.statements, client)
    else:
        explicit = [s["id"] for s in statements if "id" in s]
        existing, voided_before = _lookup(explicit) if explicit else ({}, set())
        _check_same_as_stored(statements, existing)
        fresh = [s for s in statements if s.get("id") not in existing]
        prepared = prepare(fresh, client, version, clock.next_stored(), voided_before)
        _check_voiding(prepared.statements)
        _store_batch(prepared, raw.values(), client)
    assigned = iter(prepared.statements)
    ids = [s["id"] if s.get("id") in existing else next(assigned)["id"] for s in statements]
    return StoreResult(ids, [s["id"] for s in prepared.statements])


def _notify(statements: list[dict[str, Any]], client: Client) -> None:
    for listener in _listeners:
        listener(statements, client)


def _store_batch(prepared: Prepared, raw: Iterable[RawAttachment], client: Client) -> None:
    """Write a batch whose statements are all new (none of their ids is stored).

    The order is chosen for each database's locks.  SQLite has one write lock for the
    whole database, held from a transaction's first write to its commit, so the work of
    the definitions and the listeners (reads, Python) goes before any write and the
    statements last: the lock is held for the writes alone, and the other worker waits
    less.  PostgreSQL locks rows, so there the listeners' totals rows, which concurrent
    batches share, are written last and held briefly.  (A batch that fails rolls back
    whatever went first.)
    """
    _update_definitions(prepared.statements, client)
    if db.session.get_bind().dialect.name == "postgresql":
        _insert(prepared)
        _store_attachment_data(raw)
        _notify(prepared.statements, client)
    else:
        _notify(prepared.statements, client)
        _insert(prepared)
        _store_attachment_data(raw)


def _check_same_as_stored(
    statements: Sequence[dict[str, Any]], existing: dict[str, dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """A statement sent again must equal the stored one (Data §2.3.1): else 409 Conflict.

    ``existing`` are the stored statements by id (looked up here when not given).
    """
    if existing is None:
        existing, _ = _lookup([s["id"] for s in statements if "id" in s])
    for statement_id, stored_data in existing.items():
        incoming = next(s for s in statements if s.get("id") == statement_id)
        if not statements_equivalent(incoming, stored_data):
            raise Conflict(
                f"Statement {statement_id} exists already with different content",
                errors=[{"path": "id", "message": "statements are immutable"}],
            )
    return existing


def _check_voiding(statements: list[dict[str, Any]]) -> None:
    """A voiding statement cannot target another voiding statement (Data §2.3.2)."""
    targets = {
        s["object"]["id"]: i for i, s in enumerate(statements) if s["verb"]["id"] == VOIDED_VERB
    }
    if not targets:
        return
    voiding_in_batch = {s["id"] for s in statements if s["verb"]["id"] == VOIDED_VERB}
    stored_voiding = set(
        db.session.scalars(
            select(Statement.statement_id).where(
                Statement.statement_id.in_(list(targets)), Statement.verb_id == VOIDED_VERB
            )
        )
    )
    for target, index in targets.items():
        if target in voiding_in_batch or target in stored_voiding:
            raise BadRequest(
                "A voiding statement cannot target another voiding statement",
                errors=[{"path": f"[{index}].object.id", "message": "targets a voiding statement"}],
            )


# Below this many statements the plain INSERTs are cheaper than preparing COPY.
_COPY_FROM = 10


def _insert(prepared: Prepared) -> None:
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
    _after_insert(prepared, pks)


def _after_insert(prepared: Prepared, pks: list[int]) -> None:
    """StatementRef filters and voiding for statements just inserted."""
    refs = {
        pk: s["object"]["id"]
        for s, pk in zip(prepared.statements, pks, strict=True)
        if s["object"].get("objectType") == "StatementRef"
    }
    if refs:
        _inherit_target_filters(refs, prepared, pks)
        targets = [s["object"]["id"] for s in prepared.statements if s["verb"]["id"] == VOIDED_VERB]
        if targets:
            db.session.execute(
                update(Statement)
                .where(Statement.statement_id.in_(targets), Statement.verb_id != VOIDED_VERB)
                .values(voided=True)
            )


def _insert_one(prepared: Prepared) -> int | None:
    """Insert one statement unless its id is stored already; its pk, or None.

    Whether a voiding statement stored earlier targets it (Data §2.3.2) is decided in
    the same INSERT.  On PostgreSQL the filter rows go in the same statement too.
    """
    row = prepared.rows[0]
    keys = sorted(prepared.filters[0])
    dialect = db.session.get_bind().dialect.name
    params = {
        **{name: row[name] for name in _STATEMENT_COLUMNS},
        "may_be_voided": row["verb_id"] != VOIDED_VERB,
        "kinds": [k for k, _ in keys],
        "hashes": [h for _, h in keys],
    }
    pk: int | None = db.session.execute(_insert_one_statement(dialect), params).scalar()
    if pk is not None and dialect != "postgresql":
        _insert_filter_tuples(db.session.connection(), [(k, h, pk) for k, h in keys])
    return pk


@cache
def _insert_one_statement(dialect: str) -> Any:
    """The statement behind ``_insert_one``, built once per dialect.

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
    statement = (
        dialect_insert(table, dialect)
        .from_select(list(_STATEMENT_COLUMNS), select(*values).where(true()))
        .on_conflict_do_nothing(index_elements=["statement_id"])
        .returning(table.c.pk)
    )
    if dialect != "postgresql":
        return statement
    from sqlalchemy.dialects.postgresql import ARRAY

    new = statement.cte("new")
    filters = insert(StatementFilter).from_select(
        ["kind", "key_hash", "statement_pk"],
        select(
            func.unnest(bindparam("kinds", type_=ARRAY(SmallInteger))),
            func.unnest(bindparam("hashes", type_=ARRAY(BigInteger))),
            new.c.pk,
        ),
    )
    return select(new.c.pk).add_cte(filters.cte("filters"))


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
    """A driver-level executemany: no SQLAlchemy statement per row."""
    if filters:
        marks = "?, ?, ?" if connection.dialect.paramstyle == "qmark" else "%s, %s, %s"
        connection.exec_driver_sql(
            f"INSERT INTO lrs_statement_filter (kind, key_hash, statement_pk) VALUES ({marks})",  # noqa: S608  (no user input)
            filters,
        )


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


# How far "Filter Conditions for StatementRefs" follows a chain of references.
_REF_DEPTH = 10


def _inherit_target_filters(refs: dict[int, str], prepared: Prepared, pks: list[int]) -> None:
    """Give a statement that targets another statement its target's filter rows.

    Communication §2.1.3, "Filter Conditions for StatementRefs": a statement with a
    StatementRef object meets a (non time/limit) filter when its target does.  The
    target's keys are computed again from its data, following the target's own
    reference (as its stored rows did), rather than read back by statement.
    """
    own = dict(zip(pks, prepared.filters, strict=True))
    for pk, target in refs.items():
        inherited: set[tuple[int, int]] = set()
        seen: set[str] = set()
        next_id: str | None = target
        while next_id is not None and next_id not in seen and len(seen) < _REF_DEPTH:
            seen.add(next_id)
            row = db.session.execute(
                select(Statement.pk, Statement.data).where(Statement.statement_id == next_id)
            ).first()
            if row is None or row.pk == pk:
                break
            inherited |= filter_keys(row.data)
            obj = row.data["object"]
            next_id = obj.get("id") if obj.get("objectType") == "StatementRef" else None
        # A key is held once per statement: under the narrow kind when it is in either
        # (related queries read both kinds), as filter_keys does for a statement's own.
        mine = own[pk]
        missing = {
            (kind, hashed)
            for kind, hashed in inherited - mine
            if (_NARROW_OF.get(kind), hashed) not in mine
        }
        widened = [
            (_RELATED_OF[kind], hashed)
            for kind, hashed in missing
            if (_RELATED_OF.get(kind), hashed) in mine
        ]
        for kind, hashed in widened:
            db.session.execute(
                delete(StatementFilter).where(
                    StatementFilter.kind == kind,
                    StatementFilter.key_hash == hashed,
                    StatementFilter.statement_pk == pk,
                )
            )
        if missing:
            db.session.execute(
                insert(StatementFilter),
                [{"kind": k, "key_hash": h, "statement_pk": pk} for k, h in sorted(missing)],
            )


def _insert_ignoring_conflicts(model: type[Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING, for rows another transaction may add at once."""
    return dialect_insert(model).on_conflict_do_nothing()


def _store_attachment_data(raw: Iterable[RawAttachment]) -> None:
    """Store each payload once, however many statements (or concurrent requests) send it."""
    rows = {a.sha2: {"sha2": a.sha2, "content_type": a.content_type, "data": a.data} for a in raw}
    if rows:
        db.session.execute(_insert_ignoring_conflicts(Attachment), list(rows.values()))


# (activity id, definition digest) pairs known to be merged into the canonical
# definition already: most statements repeat the definition they sent before, and this
# spares them the read.  Per process, bounded, filled only after a commit.
_MERGED_LIMIT = 100_000
_merged: OrderedDict[tuple[str, bytes], None] = OrderedDict()


@event.listens_for(Session, "after_commit")
def _remember_merged(session: Session) -> None:
    for item in session.info.pop("merged_definitions", ()):
        _merged[item] = None
        _merged.move_to_end(item)
    while len(_merged) > _MERGED_LIMIT:
        _merged.popitem(last=False)


def forget_merged_definitions() -> None:
    """Empty the cache (for a database emptied behind the service's back, as tests do)."""
    _merged.clear()


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop("merged_definitions", None)


def _definition_digest(definition: dict[str, Any]) -> bytes:
    """A digest of a definition as sent, for the cache of merged definitions.

    Key order counts: a reordered copy is only a cache miss, which costs one read.
    """
    return hashlib.blake2b(jsoncodec.dumps_bytes(definition), digest_size=16).digest()


def _update_definitions(statements: list[dict[str, Any]], client: Client) -> None:
    """Merge activity definitions into the canonical ones (Data §2.4.4.1, Communication §2.5).

    Only clients allowed to ``define`` (or ``all``) change canonical definitions.  Rows
    are locked in id order (PostgreSQL) so concurrent batches neither lose a merge nor
    deadlock; a first insert racing another one is ignored, not an error.
    """
    if not statements or not (client.scopes & {"define", "all"}):
        return
    # Each definition as sent is remembered once merged, so an activity is only written
    # when one of the definitions sent for it in this batch is new to this process.
    sent: dict[str, list[tuple[tuple[str, bytes], dict[str, Any]]]] = {}
    for statement in statements:
        for activity_id, definition in _definitions_in(statement):
            key = (activity_id, _definition_digest(definition))
            sent.setdefault(activity_id, []).append((key, definition))
    incoming: dict[str, tuple[dict[str, Any], set[tuple[str, bytes]]]] = {}
    for activity_id, items in sent.items():
        if all(key in _merged for key, _ in items):
            continue
        merged_so_far: dict[str, Any] = {}
        for _, definition in items:  # in order: the newest value wins (merge_definitions)
            merged_so_far = merge_definitions(merged_so_far, definition)
        incoming[activity_id] = (merged_so_far, {key for key, _ in items})
    if not incoming:
        return
    todo = {sha256_hex(activity_id): activity_id for activity_id in incoming}
    ordered = sorted(todo)
    # New activities are inserted with their definition; the ones there already (or
    # inserted by a concurrent request first) are locked in id order and merged into.
    inserted = set(
        db.session.scalars(
            _insert_ignoring_conflicts(Activity).returning(Activity.id_hash),
            [
                {"id_hash": h, "activity_id": todo[h], "definition": incoming[todo[h]][0]}
                for h in ordered
            ],
        )
    )
    existing = [h for h in ordered if h not in inserted]
    if existing:
        query = (
            select(Activity.id_hash, Activity.definition)
            .where(Activity.id_hash.in_(existing))
            .order_by(Activity.id_hash)
        )
        if db.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        changed = []
        for id_hash, current in db.session.execute(query).all():
            merged = merge_definitions(current, incoming[todo[id_hash]][0])
            if merged != current:
                changed.append({"b_id_hash": id_hash, "definition": merged})
        if changed:
            db.session.connection().execute(
                update(Activity.__table__)  # type: ignore[arg-type]
                .where(Activity.__table__.c.id_hash == bindparam("b_id_hash"))
                .values(definition=bindparam("definition")),
                changed,
            )
    pending = db.session.info.setdefault("merged_definitions", [])
    pending.extend(key for _, keys in incoming.values() for key in keys)


def put_statement(
    statement_id: str,
    statement: Any,
    client: Client,
    version: str,
    attachments: Iterable[RawAttachment] = (),
) -> StoreResult:
    """PUT /statements?statementId=...: store one statement under the given id."""
    if not isinstance(statement, dict):
        raise BadRequest(
            "PUT takes a single statement object",
            errors=[{"path": "body", "message": "expected a JSON object"}],
        )
    if "id" in statement and statement["id"] != statement_id:
        raise BadRequest(
            "The statement's id differs from the statementId parameter",
            errors=[{"path": "id", "message": "does not match query:statementId"}],
        )
    statement = {**statement, "id": statement_id}
    # Validated on its own so error paths read "result.success", not "[0].result.success".
    schemas.validate_statement(statement, version)
    return store_statements([statement], client, version, attachments, validated=True)
