"""Forwarding: which statements go to which other LRS, queued with the statement itself.

``queue`` runs in ``store_statements``' transaction, after the statement rows, so the
outbox rows (lrs/forward_models.py) commit with the statements or not at all, and in
the order statements become visible (the writer holds the stored clock's row lock).
With no target configured it costs one comparison of a monotonic clock: the list of
targets is cached per process and read again at most FORWARDING_CACHE_SECONDS after it
was read (a change made on this node is seen at its commit), so a target added on
another node is queued for within seconds, and no node reads the table per write.

A statement matches a target when every part of its filter that is set holds: the verb
is one of its verbs; the object is one of its activities (an entry ending in "*" is a
prefix of activity ids); the actor is a person of ours (``accounts.auth.agent_for``)
whose unit is in the target's unit's subtree. A voiding statement (Data §2.3.2) is
matched by the statement it voids, so it follows that statement wherever it went.

Replay ("send again from a point") is a job: lrs/forward_replay.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.units import subtree_ids
from core import jobs
from core.db import db
from lrs import clock
from lrs.forward_models import ForwardTarget
from lrs.models import Statement
from lrs.voiding import VOIDED_VERB

_CACHE = "lrs.forwarding"
_CHANGED = "lrs.forwarding.changed"  # session.info: targets changed in this transaction
_KICK = "lrs.forwarding.kick"  # session.info: rows queued; start delivery after commit
KICK_SECONDS = 1.0  # a process enqueues the delivery job at most this often
_last_kick = [0.0]
_REPLAY = "lrs.forwarding.replay"  # session.info: targets whose replay job to start


@dataclass(frozen=True)
class Rule:
    """A target's filter, as the write path applies it."""

    target_id: int
    verbs: frozenset[str]
    exact: frozenset[str]
    prefixes: tuple[str, ...]
    units: frozenset[int] | None  # the unit's subtree; None: anyone

    def matches(self, statement: dict[str, Any], unit_of: dict[int, int | None]) -> bool:
        """Whether ``statement`` passes this filter (``unit_of``: person id → unit id)."""
        if self.verbs and statement.get("verb", {}).get("id") not in self.verbs:
            return False
        if self.exact or self.prefixes:
            activity = _activity_id(statement)
            if activity is None or not (
                activity in self.exact or activity.startswith(self.prefixes)
            ):
                return False
        if self.units is not None:
            person = person_id(statement.get("actor"))
            return person is not None and unit_of.get(person) in self.units
        return True


def rule_for(target: ForwardTarget) -> Rule:
    """The filter of ``target`` (its unit's subtree read now)."""
    exact = frozenset(a for a in target.activities if not a.endswith("*"))
    prefixes = tuple(a[:-1] for a in target.activities if a.endswith("*"))
    units = frozenset(subtree_ids([target.unit_id])) if target.unit_id is not None else None
    return Rule(target.id, frozenset(target.verbs), exact, prefixes, units)


def _activity_id(statement: dict[str, Any]) -> str | None:
    obj = statement.get("object") or {}
    if obj.get("objectType", "Activity") != "Activity":
        return None
    value = obj.get("id")
    return value if isinstance(value, str) else None


def person_id(actor: Any) -> int | None:
    """The id of our person an Agent names (``accounts.auth.agent_for``), else None."""
    if not isinstance(actor, dict) or actor.get("objectType", "Agent") != "Agent":
        return None
    account = actor.get("account")
    if not isinstance(account, dict) or account.get("homePage") != _homepage():
        return None
    name = account.get("name")
    return int(name) if isinstance(name, str) and name.isdigit() and len(name) < 12 else None


def _homepage() -> str:
    return str(current_app.config["AGENT_HOMEPAGE"])


# -- the cached list of targets ------------------------------------------------------------


def rules() -> tuple[Rule, ...]:
    """The filters of every target not removed (paused ones are queued for too)."""
    cached = current_app.extensions.get(_CACHE)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]  # type: ignore[no-any-return]
    targets = db.session.scalars(
        select(ForwardTarget).where(ForwardTarget.removed_at.is_(None)).order_by(ForwardTarget.id)
    )
    found = tuple(rule_for(t) for t in targets)
    ttl = float(current_app.config["FORWARDING_CACHE_SECONDS"])
    current_app.extensions[_CACHE] = (now + ttl, found)
    return found


def forget_targets() -> None:
    """Read the targets again at the next write (this process)."""
    current_app.extensions.pop(_CACHE, None)


def targets_changed() -> None:
    """Mark this transaction as changing targets: this process re-reads them at its commit."""
    forget_targets()
    db.session.info[_CHANGED] = True


# -- the write path --------------------------------------------------------------------------


def queue(statements: Sequence[dict[str, Any]]) -> None:
    """Queue the statements just stored for the targets whose filters they match."""
    if not statements:
        return
    found = rules()
    if not found:
        return
    now = _now()
    rows = [(rule.target_id, s["id"], now) for rule, s in matching(found, statements)]
    if rows:
        _insert_rows(rows)
        deliver_after_commit()


def _insert_rows(rows: list[tuple[int, str, datetime]]) -> None:
    """One round trip: PostgreSQL takes the rows as arrays; SQLite, in-process, an executemany.

    The ids are given in the rows' order (``WITH ORDINALITY ... ORDER BY``): the outbox's
    order is the statements'.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "INSERT INTO lrs_forward_outbox (target_id, statement_id, queued_at)"
            " SELECT t, s, %(at)s FROM unnest(%(t)s::int[], %(s)s::text[])"
            " WITH ORDINALITY AS u(t, s, n) ORDER BY n",
            {"t": [r[0] for r in rows], "s": [r[1] for r in rows], "at": rows[0][2]},
        )
        return
    at = rows[0][2].strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy writes DateTime
    connection.exec_driver_sql(
        "INSERT INTO lrs_forward_outbox (target_id, statement_id, queued_at) VALUES (?, ?, ?)",
        [(t, s, at) for t, s, _ in rows],
    )


def matching(
    found: Sequence[Rule], statements: Sequence[dict[str, Any]]
) -> Iterator[tuple[Rule, dict[str, Any]]]:
    """(rule, statement) for each target a statement goes to, in the statements' order."""
    filtered = any(r.verbs or r.exact or r.prefixes or r.units is not None for r in found)
    subjects = _subjects(statements) if filtered else {}
    unit_of: dict[int, int | None] = {}
    if any(r.units is not None for r in found):
        unit_of = _units_of(subjects.get(s["id"], s) for s in statements)
    for statement in statements:
        subject = subjects.get(statement["id"], statement)
        for rule in found:
            if rule.matches(subject, unit_of):
                yield rule, statement


def _subjects(statements: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What a filter is applied to: a voiding statement's target, where it is stored."""
    voided = {
        s["id"]: s["object"]["id"]
        for s in statements
        if s.get("verb", {}).get("id") == VOIDED_VERB
        and s.get("object", {}).get("objectType") == "StatementRef"
    }
    if not voided:
        return {}
    in_batch = {s["id"]: s for s in statements}
    rows = db.session.execute(
        select(Statement.statement_id, Statement.data).where(
            Statement.statement_id.in_(set(voided.values()) - set(in_batch))
        )
    )
    stored = {statement_id: data for statement_id, data in rows}
    found = {**stored, **in_batch}
    return {s: found[t] for s, t in voided.items() if t in found}


def _units_of(statements: Iterable[dict[str, Any]]) -> dict[int, int | None]:
    people = {p for s in statements if (p := person_id(s.get("actor"))) is not None}
    if not people:
        return {}
    rows = db.session.execute(select(User.id, User.unit_id).where(User.id.in_(people)))
    return {pid: unit for pid, unit in rows}


def _now() -> datetime:
    return clock.naive_utc(clock.utc_now())


def deliver_after_commit() -> None:
    """Start delivery once this transaction commits (e.g. a target resumed)."""
    db.session.info[_KICK] = True


def replay_after_commit(target_id: int) -> None:
    """Start the replay job of ``target_id`` once this transaction commits."""
    db.session.info.setdefault(_REPLAY, set()).add(target_id)


def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        forget_targets()
    if session.info.pop(_KICK, False):
        kick()
    for target_id in sorted(session.info.pop(_REPLAY, ())):
        jobs.try_enqueue("forward_replay", target_id)


def _after_rollback(session: Session) -> None:
    session.info.pop(_KICK, None)
    session.info.pop(_CHANGED, None)
    session.info.pop(_REPLAY, None)


def connect() -> None:
    """Listen for commits: re-read changed targets, start delivery (connecting again: no-op)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def kick() -> None:
    """Enqueue the delivery job (at most once a KICK_SECONDS per process).

    The periodic run each minute delivers whatever a skipped kick left.
    """
    now = time.monotonic()
    if now - _last_kick[0] < KICK_SECONDS:
        return
    _last_kick[0] = now
    jobs.try_enqueue("forward_statements")
