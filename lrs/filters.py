"""Filter rows: what makes a statement findable by each query parameter.

Every statement query parameter is answered from hashed rows in
``lrs_statement_filter`` (``lrs.queries`` reads them), written here when a statement is
stored: the statement's own keys (``filter_keys``), and for a statement that targets
another, its target's (``inherit_target_filters``).

Spec: xAPI 1.0.3 Communication §2.1.3 (query parameters; "Filter Conditions for
StatementRefs").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, insert, select

from core.db import db
from lrs.keys import agent_key, key_hash
from lrs.models import Statement, StatementFilter

# Kinds of rows in lrs_statement_filter, one per query parameter (Communication §2.1.3).
VERB, REGISTRATION, AGENT, AGENT_RELATED, ACTIVITY, ACTIVITY_RELATED = 1, 2, 3, 4, 5, 6
_RELATED_OF = {AGENT: AGENT_RELATED, ACTIVITY: ACTIVITY_RELATED}
_NARROW_OF = {AGENT_RELATED: AGENT, ACTIVITY_RELATED: ACTIVITY}


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


# How far "Filter Conditions for StatementRefs" follows a chain of references.
_REF_DEPTH = 10


def inherit_target_filters(refs: dict[int, str], own: dict[int, set[tuple[int, int]]]) -> None:
    """Give a statement that targets another statement its target's filter rows.

    Communication §2.1.3, "Filter Conditions for StatementRefs": a statement with a
    StatementRef object meets a (non time/limit) filter when its target does.  The
    target's keys are computed again from its data, following the target's own
    reference (as its stored rows did), rather than read back by statement.  ``own``
    holds the keys each of the statements (by pk) was just stored with.
    """
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
