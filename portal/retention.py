"""Retention runs (gallring): what each rule culls, held back, and the run that removes it.

A run first plans: for each active rule (in id order; a record is counted by the
first rule that selects it), the records older than the rule's period, less those a
legal hold covers and the results still in use (portal/retention_holds.py). A dry run
stops there and stores nothing. A real run then removes, in one transaction, from the
LRS (lrs/retention.py), the player (player/retention.py), the reports' projection
(``projection.forget_statements``: completions, monthly and line totals, the members'
latest results that compliance reads), evaluations and the audit log; it leaves one
tombstone per rule and kind of record citing the decision, and an audit entry.

"A statement" here is a row of the LRS, voided or not, selected by its verb and its
object's activity type (the statement's own definition, else the canonical one) and
aged from its ``stored``. Voiding statements are never selected themselves: a voided
statement and the statements voiding it are one record, removed together when the
voided one is culled (whatever the voiding one's age) and kept together when either is
held. Certificates whose result is removed go with it (only expired ones can be).
Audit entries about retention and access requests (``retention.*``, ``gdpr.*``) are
never culled: they are the record that culling and disclosure were done.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from accounts import audit
from accounts.models import AuditEvent, User
from core.db import db
from lrs import retention as lrs_retention
from lrs.models import Statement
from lrs.queries import canonical_definitions
from lrs.voiding import VOIDED_VERB
from player import retention as player_retention
from player.models import Attempt
from portal import projection, requirements
from portal.certificate_models import Certificate
from portal.compliance import add_months
from portal.evaluation_models import Evaluation, EvaluationAnswer
from portal.retention_holds import Coverage, active_holds, coverage, in_use
from portal.retention_models import RetentionRule, RetentionRun, RetentionTombstone

_CHUNK = 1000
#: Audit actions no rule culls.
KEPT_ACTIONS = ("retention.", "gdpr.")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def cutoff(rule: RetentionRule, now: datetime) -> datetime:
    """Records stored before this moment are past the rule's period."""
    if rule.keep_unit == "days":
        return now - timedelta(days=rule.keep_count)
    months = rule.keep_count * (12 if rule.keep_unit == "years" else 1)
    return datetime.combine(add_months(now.date(), -months), now.time())


@dataclass
class RulePlan:
    """What one rule culls: the records (ids by kind) and how many were kept back."""

    rule: RetentionRule
    cutoff: datetime
    ids: dict[str, list[Any]] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    held: int = 0
    in_use: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The plan's figures, for the page, the CLI's JSON and the audit entry."""
        return {
            "rule": self.rule.id,
            "name": self.rule.name,
            "decision": self.rule.decision_ref,
            "decision_date": self.rule.decision_date.isoformat(),
            "kind": self.rule.kind,
            "before": self.cutoff.isoformat(timespec="seconds"),
            "counts": {k: len(v) for k, v in self.ids.items()} | self.removed,
            "held": self.held,
            "in_use": self.in_use,
        }


@dataclass
class Report:
    """A run's (or a dry run's) plans and the holds in force."""

    dry_run: bool
    plans: list[RulePlan]
    holds: list[dict[str, Any]]
    run_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Everything, as JSON for the CLI."""
        return {
            "dry_run": self.dry_run,
            "run": self.run_id,
            "rules": [p.as_dict() for p in self.plans],
            "holds": self.holds,
        }


def _activity_type(data: dict[str, Any], canonical: dict[str, dict[str, Any]]) -> str | None:
    obj = data["object"]
    if obj.get("objectType", "Activity") != "Activity":
        return None
    own = (obj.get("definition") or {}).get("type")
    return str(own) if own else (canonical.get(str(obj.get("id"))) or {}).get("type")


def _statement_rows(rule: RetentionRule, before: datetime) -> Iterator[list[Any]]:
    """The candidates of a statements rule, a chunk at a time: (pk, id, data, voided)."""
    stmt = select(Statement.pk, Statement.statement_id, Statement.data, Statement.voided).where(
        Statement.stored < before, Statement.verb_id != VOIDED_VERB
    )
    if rule.verb_id:
        stmt = stmt.where(Statement.verb_id == rule.verb_id)
    last = 0
    while True:
        rows = list(
            db.session.execute(stmt.where(Statement.pk > last).order_by(Statement.pk).limit(_CHUNK))
        )
        if not rows:
            return
        last = rows[-1][0]
        yield rows


def _plan_statements(plan: RulePlan, cover: Coverage, using: set[str], taken: set[int]) -> None:
    rule, pks, ids = plan.rule, [], []
    voided: list[str] = []
    for rows in _statement_rows(rule, plan.cutoff):
        canonical = (
            canonical_definitions(str(r.data["object"].get("id")) for r in rows)
            if rule.activity_type
            else {}
        )
        for pk, statement_id, data, is_voided in rows:
            if pk in taken:
                continue
            if rule.activity_type and _activity_type(data, canonical) != rule.activity_type:
                continue
            if cover.statement_held(data):
                plan.held += 1
            elif statement_id in using:
                plan.in_use += 1
            else:
                pks.append(pk)
                ids.append(statement_id)
                if is_voided:
                    voided.append(statement_id)
    plan.ids["voiding"] = []
    voiding = lrs_retention.voiding_of(voided)
    if voiding:
        _pairs(plan, cover, voiding, pks, ids)
    taken.update(pks)
    plan.ids["statements"] = ids
    plan.ids["_pks"] = pks


def _pairs(
    plan: RulePlan,
    cover: Coverage,
    voiding: dict[str, list[tuple[int, str]]],
    pks: list[int],
    ids: list[str],
) -> None:
    """Voiding statements go with what they void, unless one of them is held (then neither)."""
    their_pks = [pk for pairs in voiding.values() for pk, _id in pairs]
    data: dict[int, dict[str, Any]] = dict(
        db.session.execute(
            select(Statement.pk, Statement.data).where(Statement.pk.in_(their_pks))
        ).all()
    )
    keep: set[str] = {
        target
        for target, pairs in voiding.items()
        if any(cover.statement_held(data[pk]) for pk, _ in pairs)
    }
    if keep:
        plan.held += len(keep)
        kept = [i for i, statement_id in enumerate(ids) if statement_id in keep]
        for index in reversed(kept):
            del pks[index], ids[index]
    plan.ids["voiding"] = [v for t, pairs in voiding.items() if t not in keep for _pk, v in pairs]
    pks.extend(pk for t, pairs in voiding.items() if t not in keep for pk, _v in pairs)


def _plan_attempts(plan: RulePlan, cover: Coverage, taken: set[int]) -> None:
    old = select(Attempt.id, Attempt.user_id, Attempt.course_id).where(
        Attempt.updated_at < plan.cutoff
    )
    plan.ids["attempts"] = _not_held(plan, cover, taken, db.session.execute(old))


def _plan_evaluations(plan: RulePlan, cover: Coverage, taken: set[int]) -> None:
    old = select(Evaluation.id, Evaluation.user_id, Evaluation.course_id).where(
        Evaluation.created_at < plan.cutoff
    )
    plan.ids["evaluations"] = _not_held(plan, cover, taken, db.session.execute(old))


def _not_held(plan: RulePlan, cover: Coverage, taken: set[int], rows: Iterable[Any]) -> list[int]:
    """The ids of (id, person, course) rows no earlier rule took and no hold covers."""
    ids = []
    for row_id, user_id, course_id in rows:
        if row_id in taken:
            continue
        if cover.person_held(user_id, course_id):
            plan.held += 1
        else:
            ids.append(row_id)
    taken.update(ids)
    return ids


def _plan_audit(plan: RulePlan, cover: Coverage, taken: set[int]) -> None:
    stmt = select(AuditEvent).where(AuditEvent.at < plan.cutoff)
    for prefix in KEPT_ACTIONS:
        stmt = stmt.where(AuditEvent.action.not_like(prefix + "%"))
    ids = []
    for event in db.session.scalars(stmt.execution_options(yield_per=_CHUNK)):
        if event.id in taken:
            continue
        if cover.audit_held(event):
            plan.held += 1
        else:
            ids.append(event.id)
    taken.update(ids)
    plan.ids["audit"] = ids


def plan(now: datetime | None = None) -> tuple[list[RulePlan], list[dict[str, Any]]]:
    """What a run would remove now, rule by rule, and the holds in force (reads only)."""
    now = now or _now()
    holds = active_holds(now.date())
    cover = coverage(holds)
    using = in_use(now.date())
    taken: dict[str, set[int]] = {}
    plans = []
    rules = db.session.scalars(
        select(RetentionRule).where(RetentionRule.active.is_(True)).order_by(RetentionRule.id)
    )
    for rule in rules:
        each = RulePlan(rule, cutoff(rule, now))
        seen = taken.setdefault(rule.kind, set())
        if rule.kind == "statements":
            _plan_statements(each, cover, using, seen)
        elif rule.kind == "attempts":
            _plan_attempts(each, cover, seen)
        elif rule.kind == "evaluations":
            _plan_evaluations(each, cover, seen)
        else:
            _plan_audit(each, cover, seen)
        plans.append(each)
    return plans, [_hold_summary(h) for h in holds]


def _hold_summary(hold: Any) -> dict[str, Any]:
    return {
        "id": hold.id,
        "kind": hold.kind,
        "on": hold.user_id or hold.course_id or hold.activity_id or hold.unit_id,
        "reason": hold.reason,
        "until": hold.until.isoformat() if hold.until else None,
    }


def dry_run(now: datetime | None = None) -> Report:
    """What a run would remove; stores nothing."""
    plans, holds = plan(now)
    for each in plans:
        each.ids.pop("_pks", None)
    return Report(True, plans, holds)


def run(
    trigger: str, actor: User | None = None, actor_name: str = "", now: datetime | None = None
) -> Report:
    """Plan and remove, leave tombstones and an audit entry; flushes, the caller commits."""
    started = _now()
    plans, holds = plan(now)
    if not plans:
        return Report(False, plans, holds)  # no active rule: nothing to carry out or record
    for each in plans:
        _remove(each)
    who = (actor.email or actor.user_name or "") if actor else actor_name or "system"
    record = RetentionRun(
        started_at=started, finished_at=_now(), trigger=trigger, actor_name=who[:255]
    )
    db.session.add(record)
    db.session.flush()
    for each in plans:
        _tombstones(record, each)
    report = Report(False, plans, holds, record.id)
    totals = {p.rule.decision_ref: p.as_dict()["counts"] for p in plans}
    audit.record(
        "retention.run",
        "retention_run",
        record.id,
        f"{trigger}",
        actor=actor,
        actor_name=actor_name or None,
        details={"removed": totals, "holds": len(holds)},
    )
    db.session.flush()
    return report


def _remove(each: RulePlan) -> None:
    ids = each.ids
    if each.rule.kind == "statements":
        statement_ids = ids["statements"] + ids.get("voiding", [])
        projection.forget_statements(statement_ids)
        for start in range(0, len(statement_ids), _CHUNK):
            part = statement_ids[start : start + _CHUNK]
            db.session.execute(delete(Certificate).where(Certificate.statement_id.in_(part)))
        removed = lrs_retention.delete_statements(ids.pop("_pks"))
        each.removed["attachments"] = removed.attachments
    elif each.rule.kind == "attempts":
        people = (
            set(db.session.scalars(select(Attempt.user_id).where(Attempt.id.in_(ids["attempts"]))))
            if ids["attempts"]
            else set()
        )
        _attempts, states = player_retention.delete_attempts(ids["attempts"])
        each.removed["state"] = states
        if people:
            requirements.sync(user_ids=sorted(people))  # "has begun" reads attempts
    elif each.rule.kind == "evaluations":
        for start in range(0, len(ids["evaluations"]), _CHUNK):
            part = ids["evaluations"][start : start + _CHUNK]
            db.session.execute(
                delete(EvaluationAnswer).where(EvaluationAnswer.evaluation_id.in_(part))
            )
            db.session.execute(delete(Evaluation).where(Evaluation.id.in_(part)))
    else:
        for start in range(0, len(ids["audit"]), _CHUNK):
            part = ids["audit"][start : start + _CHUNK]
            db.session.execute(delete(AuditEvent).where(AuditEvent.id.in_(part)))


def _tombstones(record: RetentionRun, each: RulePlan) -> None:
    counts = each.as_dict()["counts"]
    for position, (what, removed) in enumerate(sorted(counts.items())):
        db.session.add(
            RetentionTombstone(
                run_id=record.id,
                rule_id=each.rule.id,
                rule_name=each.rule.name,
                decision_ref=each.rule.decision_ref,
                decision_date=each.rule.decision_date,
                what=what,
                removed=removed,
                # Kept back counts once per rule, on its first row.
                held=each.held if position == 0 else 0,
                in_use=each.in_use if position == 0 else 0,
            )
        )


def runs(limit: int = 20) -> list[tuple[RetentionRun, list[RetentionTombstone]]]:
    """The latest runs with their tombstones, newest first (Admin → Retention)."""
    found = list(
        db.session.scalars(select(RetentionRun).order_by(RetentionRun.id.desc()).limit(limit))
    )
    stones: dict[int, list[RetentionTombstone]] = {r.id: [] for r in found}
    if found:
        for stone in db.session.scalars(
            select(RetentionTombstone)
            .where(RetentionTombstone.run_id.in_(list(stones)))
            .order_by(RetentionTombstone.id)
        ):
            stones[stone.run_id].append(stone)
    return [(r, stones[r.id]) for r in found]
