"""Reading statements: queries with every filter parameter, single statements, attachments.

Spec: xAPI 1.0.3 Communication §2.1.3 (GET statements), Data §2.4.4.1 (canonical
definitions for format=canonical).  The filter rows these queries read are written by
``lrs.filters`` (``filter_keys``); this module only reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import product
from typing import Any

from sqlalchemy import Select, exists, select, union_all
from sqlalchemy.orm import aliased

from core.db import db
from core.errors import BadRequest, NotFound
from lrs.auth import Client
from lrs.clock import naive_utc
from lrs.filters import (
    ACTIVITY,
    ACTIVITY_RELATED,
    AGENT,
    AGENT_RELATED,
    REGISTRATION,
    VERB,
)
from lrs.keys import agent_key, key_hash, sha256_hex
from lrs.models import Activity, Attachment, Statement, StatementFilter


@dataclass
class StatementQuery:
    """The parsed parameters of a statement query (Communication §2.1.3)."""

    agent: dict[str, Any] | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 0
    ascending: bool = False
    # Continuation ("more"): the last pk returned, and the newest pk of the first page.
    after_pk: int | None = None
    max_pk: int | None = None


@dataclass
class Page:
    """One page of results."""

    statements: list[Statement]
    has_more: bool
    max_pk: int | None


def _filter_subquery(kinds: tuple[int, ...], key: str) -> Select[int]:
    query = select(StatementFilter.statement_pk).where(StatementFilter.key_hash == key_hash(key))
    if len(kinds) == 1:
        return query.where(StatementFilter.kind == kinds[0])
    return query.where(StatementFilter.kind.in_(kinds))


def query_statements(query: StatementQuery, client: Client, max_limit: int) -> Page:
    """Run a statement query; newest first unless ``ascending``; voided never returned."""
    limit = min(query.limit or max_limit, max_limit)
    conditions: list[Any] = [Statement.voided.is_(False)]
    # (kinds, key) per filter parameter; related_* give two kinds (narrow, related).
    keyed: list[tuple[tuple[int, ...], str]] = []
    if query.agent is not None:
        key = agent_key(query.agent)
        if key is None:
            raise BadRequest(
                "The agent parameter needs an identified Agent or Group",
                errors=[{"path": "query:agent", "message": "no inverse functional identifier"}],
            )
        keyed.append(((AGENT, AGENT_RELATED) if query.related_agents else (AGENT,), key))
    if query.verb is not None:
        keyed.append(((VERB,), query.verb))
    if query.activity is not None:
        kinds = (ACTIVITY, ACTIVITY_RELATED) if query.related_activities else (ACTIVITY,)
        keyed.append((kinds, query.activity))
    if query.registration is not None:
        keyed.append(((REGISTRATION,), query.registration))
    if query.since is not None:
        conditions.append(Statement.stored > naive_utc(query.since))
    if query.until is not None:
        conditions.append(Statement.stored <= naive_utc(query.until))
    if client.reads_only_own:
        conditions.append(Statement.credential_id == client.id)
    if query.max_pk is not None:
        conditions.append(Statement.pk <= query.max_pk)
    if query.after_pk is not None:
        conditions.append(
            Statement.pk > query.after_pk if query.ascending else Statement.pk < query.after_pk
        )
    rows = list(db.session.scalars(_statement_query(conditions, keyed, query.ascending, limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    max_pk = query.max_pk
    if max_pk is None:
        if query.ascending:
            max_pk = db.session.scalar(select(Statement.pk).order_by(Statement.pk.desc()).limit(1))
        elif rows:
            max_pk = rows[0].pk
    return Page(rows, has_more, max_pk)


def _statement_query(
    conditions: list[Any],
    keyed: list[tuple[tuple[int, ...], str]],
    ascending: bool,
    limit: int,
) -> Select[Any]:
    """The newest (oldest) ``limit`` statements meeting the conditions and filter keys.

    Each key is ``pk IN (its filter rows)``, which the database walks in pk order and
    stops after ``limit`` matches.  A related_* parameter has two kinds, and
    ``kind IN (narrow, related)`` cannot be walked in pk order: PostgreSQL read and
    sorted every row of the key first (40-70 ms for a popular course at 1M
    statements).  There, every combination of single kinds is its own such query,
    limited, and the few rows are merged; a statement holds a key under one kind only
    (``filter_keys``), so no row comes twice.  SQLite: ``_sqlite_statement_query``.
    """

    def ordered(stmt: Select[Any], pk: Any) -> Select[Any]:
        return stmt.order_by(pk.asc() if ascending else pk.desc()).limit(limit)

    def where_keys(kinds_of: Iterable[tuple[int, ...]]) -> list[Any]:
        return [
            Statement.pk.in_(_filter_subquery(kinds, key))
            for kinds, (_, key) in zip(kinds_of, keyed, strict=True)
        ]

    if db.session.get_bind().dialect.name != "postgresql":
        return _sqlite_statement_query(conditions, keyed, ascending, limit)
    # One tuple of single kinds per combination, e.g. ((3,), (1,), (6,)).
    combinations = list(product(*([(kind,) for kind in kinds] for kinds, _ in keyed)))
    if len(combinations) == 1:
        every = [kinds for kinds, _ in keyed]
        return ordered(select(Statement).where(*conditions, *where_keys(every)), Statement.pk)
    branches = [
        ordered(
            select(Statement).where(*conditions, *where_keys(combination)),
            Statement.pk,
        )
        for combination in combinations
    ]
    merged = aliased(Statement, union_all(*branches).subquery())
    return ordered(select(merged), merged.pk)


# Which filter drives a SQLite query: the one likely to have the fewest rows first.
_DRIVER_ORDER = (REGISTRATION, ACTIVITY, AGENT, ACTIVITY_RELATED, AGENT_RELATED, VERB)


def _sqlite_statement_query(
    conditions: list[Any],
    keyed: list[tuple[tuple[int, ...], str]],
    ascending: bool,
    limit: int,
) -> Select[Any]:
    """SQLite: walk one key's filter rows in statement order, probe the other keys.

    SQLite turns ``pk IN (subquery)`` into a list it builds whole before the first row:
    every statement with the verb, say, for each verb-and-activity query (50-100 ms at
    150,000 statements).  Joined, one key's primary-key range is read in ``pk`` order
    and the query stops after ``limit`` rows; the other keys are primary-key lookups
    (``EXISTS``) per candidate.  The key most likely to be rare drives (a verb last).
    """
    if not keyed:
        pk = Statement.pk
        return (
            select(Statement)
            .where(*conditions)
            .order_by(pk.asc() if ascending else pk.desc())
            .limit(limit)
        )
    driver = min(
        range(len(keyed)),
        key=lambda i: _DRIVER_ORDER.index(keyed[i][0][-1]),
    )
    kinds, key = keyed[driver]
    rows = aliased(StatementFilter)
    probes = [
        exists().where(
            StatementFilter.statement_pk == Statement.pk,
            StatementFilter.key_hash == key_hash(other_key),
            StatementFilter.kind.in_(other_kinds),
        )
        for i, (other_kinds, other_key) in enumerate(keyed)
        if i != driver
    ]
    if len(kinds) > 1:
        # Two kinds are two ranges, not one in pk order: a list then (a course's rows).
        stmt = select(Statement).where(
            Statement.pk.in_(_filter_subquery(kinds, key)), *conditions, *probes
        )
        order = Statement.pk.asc() if ascending else Statement.pk.desc()
        return stmt.order_by(order).limit(limit)
    stmt = (
        select(Statement)
        .join(rows, rows.statement_pk == Statement.pk)
        .where(rows.key_hash == key_hash(key), rows.kind == kinds[0], *conditions, *probes)
    )
    order = rows.statement_pk.asc() if ascending else rows.statement_pk.desc()
    return stmt.order_by(order).limit(limit)


def get_statement(statement_id: str, client: Client, voided: bool = False) -> Statement:
    """A single statement by id; ``voided`` selects voidedStatementId semantics (§2.1.3)."""
    statement = db.session.scalar(select(Statement).where(Statement.statement_id == statement_id))
    if statement is None or statement.voided != voided:
        if statement is not None and statement.voided:
            raise NotFound(f"Statement {statement_id} is voided; fetch it with voidedStatementId")
        raise NotFound(f"No {'voided ' if voided else ''}statement {statement_id}")
    if client.reads_only_own and statement.credential_id != client.id:
        raise NotFound(f"No statement {statement_id}")
    return statement


def attachments_for(statements: Iterable[Statement]) -> list[Attachment]:
    """The raw attachments of the given statements, each once."""
    wanted: dict[str, None] = {}
    for statement in statements:
        if statement.has_attachments:
            for attachment in statement.data.get("attachments") or ():
                wanted[attachment["sha2"]] = None
    if not wanted:
        return []
    found = {
        a.sha2: a
        for a in db.session.scalars(select(Attachment).where(Attachment.sha2.in_(list(wanted))))
    }
    return [found[sha2] for sha2 in wanted if sha2 in found]


def canonical_definitions(activity_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Canonical definitions by activity id, for format=canonical."""
    hashes = {sha256_hex(a): a for a in set(activity_ids)}
    if not hashes:
        return {}
    return {
        row.activity_id: row.definition
        for row in db.session.scalars(select(Activity).where(Activity.id_hash.in_(list(hashes))))
    }


def statements_in_registrations(
    registrations: Iterable[str], verb: str, chunk: int = 500
) -> Iterable[dict[str, Any]]:
    """Live (not voided) statements with ``verb`` in any of these registrations, by pk.

    For the portal's analyses of a course's attempts (portal/question_analysis.py): the
    registration filter rows find them, ``chunk`` registrations per query; a statement
    whose registration only shares a hash with one asked for is left out. No client's
    scope applies: the caller decides who may see what is computed from them.
    """
    wanted = sorted(set(registrations))
    for start in range(0, len(wanted), chunk):
        part = wanted[start : start + chunk]
        pks = select(StatementFilter.statement_pk).where(
            StatementFilter.kind == REGISTRATION,
            StatementFilter.key_hash.in_([key_hash(r) for r in part]),
        )
        stmt = (
            select(Statement.data)
            .where(Statement.pk.in_(pks), Statement.verb_id == verb, Statement.voided.is_(False))
            .order_by(Statement.pk)
        )
        chosen = set(part)
        for data in db.session.scalars(stmt):
            if (data.get("context") or {}).get("registration") in chosen:
                yield data
