"""Storing statements: the LRS's Python API for writing them.

Everything that records learning (the HTTP views, the player, classroom sessions) goes
through ``store_statements``, which validates every statement itself, so the same
validation and storage rules apply everywhere.  These functions ``flush()`` but never
commit: the caller commits once.  The work is done by the modules named for it:
``rows`` (LRS-assigned properties), ``voiding``, ``inserting``, ``filters``,
``definitions``; subscribers hear of each batch through ``signals.statements_stored``.

Spec: xAPI 1.0.3 Data §2 (statements), Communication §2.1 (statement resource); the
2.0.0 differences are listed in ../shared/docs/XAPI_CHECKLIST.md §14.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import String, any_, bindparam, func, literal, null, select, union_all

from core import jsoncodec
from core.db import db
from core.errors import BadRequest, Conflict
from core.ops import metrics
from lrs import clock, forwarding, learner_scope, schemas
from lrs.attachments import RawAttachment
from lrs.attachments import check_attachments as _check_attachments
from lrs.auth import Client
from lrs.definitions import compare_definitions, write_definitions
from lrs.inserting import after_insert, insert_one, insert_prepared, store_attachment_data
from lrs.models import Statement
from lrs.rows import Prepared, prepare, stamp
from lrs.signals import statements_stored
from lrs.signature import statements_equivalent
from lrs.voiding import VOIDED_VERB, check_voiding


@dataclass
class StoreResult:
    """Ids of a stored batch, in request order; ``new`` are the ones actually inserted.

    ``stored``: the clock's value for the batch, a valid Consistent-Through once the
    transaction has committed (lrs/clock.py).
    """

    ids: list[str]
    new: list[str] = field(default_factory=list)
    stored: datetime | None = None


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
    statements: dict[str, Any] | list[dict[str, Any]],
    client: Client,
    version: str,
    attachments: Iterable[RawAttachment] = (),
) -> StoreResult:
    """Validate and store a statement or a batch atomically; all or nothing.

    Communication §2.1.2.  Every statement is validated here, whoever calls (a POST's
    body is passed as received: a statement, or a list of them); ``lrs.fastcheck``
    keeps that cheap for valid ones.  Statements whose id is stored already are
    compared: the same statement is accepted again without change, a different one is
    a 409 Conflict for the whole batch.
    """
    statements = schemas.validate_statements(statements, version)
    raw = {a.sha2: a for a in attachments}
    _check_attachments(statements, raw, version)
    learner_scope.check_statements(statements, client)

    if len(statements) == 1:
        # One statement (a PUT, most POSTs from content): insert first, look only if its
        # id turns out to be stored already; one round trip on PostgreSQL.
        # ``stored`` is taken in the insert itself (lrs/inserting.py ``insert_one``).
        prepared = prepare(statements, client, version, None)
        check_voiding(prepared.statements)
        definitions = compare_definitions(prepared.statements, client)  # before the clock
        pk, prepared = insert_one(prepared)
        if pk is None:
            existing = _check_same_as_stored(statements)
            if not existing:  # (deleted again in between: cannot happen through the API)
                raise Conflict("The statement changed while it was stored; retry")
            prepared, definitions = Prepared([], [], [], prepared.stored), None
        else:
            existing = {}
            after_insert(prepared, [pk])
        store_attachment_data(raw.values())
        write_definitions(definitions)
        _notify(prepared.statements, client)
    else:
        explicit = [s["id"] for s in statements if "id" in s]
        existing, voided_before = _lookup(explicit) if explicit else ({}, set())
        _check_same_as_stored(statements, existing)
        fresh = [s for s in statements if s.get("id") not in existing]
        prepared = prepare(fresh, client, version, None, voided_before)
        check_voiding(prepared.statements)
        prepared = _store_batch(prepared, raw.values(), client)
    # Queued for other LRSs in this transaction, after the rows (lrs/forwarding.py).
    forwarding.queue(prepared.statements)
    assigned = iter(prepared.statements)
    ids = [s["id"] if s.get("id") in existing else next(assigned)["id"] for s in statements]
    return StoreResult(ids, [s["id"] for s in prepared.statements], prepared.stored)


def _notify(statements: list[dict[str, Any]], client: Client) -> None:
    """Tell the receivers of ``statements_stored`` (the portal's projection); count them."""
    statements_stored.send(client, statements=statements)
    metrics.count_after_commit(db.session(), metrics.STATEMENTS, len(statements))


def _store_batch(prepared: Prepared, raw: Iterable[RawAttachment], client: Client) -> Prepared:
    """Write a batch whose statements are all new (none of their ids is stored); stamped.

    The rows are built and the definitions compared (a read: most batches send the ones
    merged last) before ``stored`` is taken: the clock's row lock (lrs/clock.py), which
    every writer waits for, is held from then to the commit.  The definitions that
    differ are merged after it, as in a single statement's write, so that writers merge
    them one at a time (SQLite: the clock is the transaction's first write, which takes
    the database's write lock) and a batch never waits for the clock while it holds an
    activity's row (PostgreSQL), which a single statement's write would wait for.
    The order after that is chosen for each database's locks.  SQLite has one write lock
    for the whole database, so the signal's receivers (reads, Python) go before the
    statements' rows.  PostgreSQL locks rows, so there the receivers' totals rows, which
    concurrent batches share, are written last and held briefly.  (A batch that fails
    rolls back whatever went first.)
    """
    definitions = compare_definitions(prepared.statements, client)
    prepared = stamp(prepared, clock.next_stored())
    write_definitions(definitions)
    if db.session.get_bind().dialect.name == "postgresql":
        insert_prepared(prepared)
        store_attachment_data(raw)
        _notify(prepared.statements, client)
    else:
        _notify(prepared.statements, client)
        insert_prepared(prepared)
        store_attachment_data(raw)
    return prepared


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
    # Passed as one statement, so error paths read "result.success", not "[0].result.success".
    return store_statements(statement, client, version, attachments)
