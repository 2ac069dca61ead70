"""Reports for managers and admins, read from a projection of the LRS.

``portal_completion`` holds one row per stored completed/passed/failed statement. An
``lrs.service.on_stored`` listener keeps it in step with the LRS in the same
transaction, whoever wrote the statement (player, classroom, a third-party tool over
HTTP); a voiding statement deletes the voided statement's row (xAPI 1.0.3 Data §2.3.2).
Reports are aggregate queries on indexed columns of that table, so they stay fast at
10 years x 34,000 completions (bench/reports_bench.py).

A manager sees only rows of learners in their own unit; admins choose any unit or all.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
)

from accounts.models import OrganisationUnit, User
from core import vocabulary
from core.db import db, dialect_insert
from core.errors import BadRequest, Forbidden
from lrs import service as lrs
from lrs.auth import Client
from lrs.schemas import parse_timestamp
from packages.models import Course, PackageVersion
from player.models import Attempt
from portal.i18n import N_
from portal.models import ClassroomSession, Completion, CompletionRollup

OUTCOMES = vocabulary.OUTCOME_VERBS
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


# -- The projection -------------------------------------------------------------------


def _user_id(actor: dict[str, Any], home: str) -> int | None:
    account = actor.get("account") if isinstance(actor, dict) else None
    if isinstance(account, dict) and account.get("homePage") == home:
        name = str(account.get("name", ""))
        if name.isdigit():
            return int(name)
    return None


def _activity_ids(statement: dict[str, Any]) -> list[str]:
    ids = [str(statement["object"].get("id", ""))]
    activities = (statement.get("context") or {}).get("contextActivities") or {}
    for kind in ("parent", "grouping"):
        for activity in activities.get(kind) or ():
            if isinstance(activity, dict) and activity.get("id"):
                ids.append(str(activity["id"]))
    return ids


def _is_outcome(statement: dict[str, Any]) -> bool:
    """Tell whether a statement is a course or lesson outcome (completed/passed/failed).

    Outcomes of an objective or interaction inside a lesson are not: SCORM objectives
    become passed/failed statements too (xAPI SCORM Profile §3.2).
    """
    obj = statement["object"]
    if statement["verb"]["id"] not in OUTCOMES or obj.get("objectType", "Activity") != "Activity":
        return False
    return not vocabulary.is_part(obj)


# (registration, verb, user id, actor name) of the outcome rows a registration has.
OutcomeKey = tuple[str, str, int | None, str]
# Kinds of row in the union below.
_SESSION, _ATTEMPT, _OUTCOME, _PREVIEW = 0, 1, 2, 3


@dataclass
class RegistrationFacts:
    """What the registrations of a batch's outcomes stand for.

    ``courses``: the course of a classroom session or a learner's attempt;
    ``learners``: an attempt's learner; ``previews``: registrations of authors' previews
    (they count for nobody); ``seen``: the outcome rows the registrations have already.
    """

    courses: dict[str, int] = field(default_factory=dict)
    learners: dict[str, int] = field(default_factory=dict)
    previews: set[str] = field(default_factory=set)
    seen: set[OutcomeKey] = field(default_factory=set)


def _registration_facts(registrations: set[str]) -> RegistrationFacts:
    """Each registration's session or attempt, and the outcome rows it has already.

    One query for all of it: it runs for every outcome statement stored.
    """
    facts = RegistrationFacts()
    if not registrations:
        return facts
    found = db.session.execute(_registration_facts_query(), {"registrations": list(registrations)})
    for registration, course_id, src, verb, user_id, actor_name in sorted(
        found.all(), key=lambda r: -r[2]
    ):
        if src == _OUTCOME:
            facts.seen.add((registration, verb, user_id, actor_name))
        elif src == _PREVIEW:
            facts.previews.add(registration)
        else:
            facts.courses[registration] = course_id  # sessions (src 0) last, so they win
            if src == _ATTEMPT:
                facts.learners[registration] = user_id
    return facts


@cache
def _units_query() -> Any:
    """Learners' units by user id (built once, as the query below)."""
    return select(User.id, User.unit_id).where(User.id.in_(bindparam("ids", expanding=True)))


@cache
def _registration_facts_query() -> Any:
    """The union behind ``_registration_facts``, built once.

    (Building and hashing it anew for each statement cost more than running it.)
    """
    wanted: Any = bindparam("registrations", expanding=True)
    no_int, no_text = null().cast(Integer), null().cast(String)
    queries = [
        select(
            ClassroomSession.registration,
            ClassroomSession.course_id,
            literal(_SESSION).label("src"),
            no_text.label("verb"),
            no_int.label("user_id"),
            no_text.label("actor_name"),
        ).where(ClassroomSession.registration.in_(wanted)),
        select(
            Completion.registration,
            no_int,
            literal(_OUTCOME),
            Completion.verb,
            Completion.user_id,
            Completion.actor_name,
        ).where(Completion.registration.in_(wanted)),
    ]
    attempts = db.metadata.tables.get("player_attempt")
    if attempts is not None:
        kind = case((attempts.c.preview.is_(True), _PREVIEW), else_=_ATTEMPT)
        queries.append(
            select(
                attempts.c.registration,
                attempts.c.course_id,
                kind,
                no_text,
                attempts.c.user_id,
                no_text,
            ).where(attempts.c.registration.in_(wanted))
        )
    return union_all(*queries)


def counts(
    statement: dict[str, Any], client: Client, facts: RegistrationFacts, user_id: int | None
) -> bool:
    """Whether an outcome statement counts in reports (whose word it is, and for whom).

    In a registration of ours, a learner's attempt or a classroom session, only the
    course's result counts: what the LMS (player/outcome.py) or the portal
    (portal/classroom.py) records about the catalogue course, for that attempt's own
    learner. The completed/passed/failed of a SCO or an AU is a part of the course, not
    the course: a multi-SCO course is not completed by its first SCO, nor a cmi5 course
    by its first AU. What a launch's credential reports counts only through the
    player's rollup, which reads nothing but that launch's own statements
    (player/cmi5.py ``_earned``). An author's preview counts for nobody. Anything else,
    such as a result with no registration, counts only from a trusted client: the LMS
    itself, or a credential an admin trusts for results.
    """
    registration = str((statement.get("context") or {}).get("registration") or "").lower()
    if registration in facts.previews or not client.trusted:
        return False
    course_id = facts.courses.get(registration)
    if course_id is None:
        return True
    home = str(current_app.config["AGENT_HOMEPAGE"])
    if str(statement["object"].get("id", "")) != vocabulary.course_iri(home, course_id):
        return False
    learner = facts.learners.get(registration)
    return learner is None or learner == user_id


def _completion_time(statement: dict[str, Any]) -> datetime:
    """The statement's timestamp in naive UTC, or ``stored`` if it cannot be read."""
    for key in ("timestamp", "stored"):
        try:
            return parse_timestamp(str(statement[key]), key).replace(tzinfo=None)
        except (KeyError, BadRequest):
            continue
    return datetime.now(UTC).replace(tzinfo=None)


def project_statements(statements: list[dict[str, Any]], client: Client) -> None:
    """The ``on_stored`` listener: add outcome rows, delete rows of voided statements.

    Only outcomes that ``counts`` are added: a learner cannot pass a course by posting
    ``passed`` with a credential of some other launch.
    """
    home = current_app.config["AGENT_HOMEPAGE"]
    outcomes = [s for s in statements if _is_outcome(s)]
    voided = [
        s["object"]["id"]
        for s in statements
        if s["verb"]["id"] == lrs.VOIDED_VERB and s["object"].get("objectType") == "StatementRef"
    ]
    if outcomes:
        user_ids = {u for s in outcomes if (u := _user_id(s["actor"], home)) is not None}
        units = (
            dict(db.session.execute(_units_query(), {"ids": list(user_ids)}).all())
            if user_ids
            else {}
        )
        registrations = {
            str(r) for s in outcomes if (r := (s.get("context") or {}).get("registration"))
        }
        # One row per learner, registration and verb: a multi-SCO attempt completes once.
        facts = _registration_facts({r.lower() for r in registrations})
        by_registration, seen = facts.courses, facts.seen
        rows = []
        for s in outcomes:
            registration = (s.get("context") or {}).get("registration")
            if registration:
                registration = str(registration).lower()
            verb = OUTCOMES[s["verb"]["id"]]
            user_id = _user_id(s["actor"], home)
            if user_id is not None and user_id not in units:
                user_id = None  # an account id of no existing user
            if not counts(s, client, facts, user_id):
                continue
            actor_name = str(s["actor"].get("name") or "")[:300]
            if registration:
                key = (str(registration), verb, user_id, actor_name)
                if key in seen:
                    continue
                seen.add(key)
            course_id = by_registration.get(str(registration)) if registration else None
            if course_id is None:
                for activity_id in _activity_ids(s):
                    course_id = vocabulary.course_id_of(home, activity_id)
                    if course_id is not None:
                        break
            result = s.get("result") or {}
            success = result.get("success")
            if success is None and verb != "completed":
                success = verb == "passed"
            # When the learning happened (the statement's timestamp, which the LRS sets to
            # stored when absent), not when it was recorded: a classroom session entered a
            # week later, or an imported history, belongs to its own month.
            stored = _completion_time(s)
            rows.append(
                {
                    "statement_id": s["id"],
                    "user_id": user_id,
                    "actor_name": actor_name,
                    "activity_id": str(s["object"]["id"])[:2048],
                    "course_id": course_id,
                    "unit_id": units.get(user_id) if user_id is not None else None,
                    "verb": verb,
                    "success": success,
                    "score": (result.get("score") or {}).get("scaled"),
                    "registration": str(registration) if registration else None,
                    "stored": stored,
                    "period": stored.strftime("%Y-%m"),
                }
            )
        if rows:
            # Core, not the ORM bulk path (faster for these plain rows).
            db.session.execute(insert(Completion.__table__), rows)  # type: ignore[arg-type]
            _roll_up(rows, 1)
    if voided:
        gone = [
            dict(r._mapping)
            for r in db.session.execute(
                select(
                    Completion.unit_id,
                    Completion.course_id,
                    Completion.period,
                    Completion.verb,
                    Completion.score,
                ).where(Completion.statement_id.in_(voided))
            )
        ]
        if gone:
            db.session.execute(delete(Completion).where(Completion.statement_id.in_(voided)))
            _roll_up(gone, -1)


@cache
def _rollup_upsert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE adding to the totals (built once per dialect)."""
    stmt = dialect_insert(CompletionRollup, dialect)
    return stmt.on_conflict_do_update(
        index_elements=["dim", "ref", "period"],
        set_={
            name: getattr(CompletionRollup, name) + getattr(stmt.excluded, name)
            for name in ("completed", "passed", "failed", "score_sum", "score_count")
        },
    )


def _roll_up(rows: list[dict[str, Any]], sign: int) -> None:
    """Add (sign 1) or take away (sign -1) rows in the monthly totals per unit and course."""
    totals: dict[tuple[str, int, str], list[float]] = {}
    for row in rows:
        for dim, ref in (("u", row["unit_id"]), ("c", row["course_id"])):
            cell = totals.setdefault((dim, ref or 0, row["period"]), [0, 0, 0, 0.0, 0])
            cell[("completed", "passed", "failed").index(row["verb"])] += sign
            if row["score"] is not None:
                cell[3] += sign * row["score"]
                cell[4] += sign
    stmt = _rollup_upsert(db.session.get_bind().dialect.name)
    # In key order, so concurrent writers lock the same rows in the same order.
    db.session.execute(
        stmt,
        [
            {
                "dim": d,
                "ref": r,
                "period": p,
                "completed": c[0],
                "passed": c[1],
                "failed": c[2],
                "score_sum": c[3],
                "score_count": c[4],
            }
            for (d, r, p), c in sorted(totals.items())
        ],
    )


def register_projection() -> None:
    """Keep the completions table in step with the LRS (idempotent)."""
    lrs.on_stored(project_statements)


# -- Scope: what a manager may see ----------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The rows a report may read: one unit's, or (admins) every unit's."""

    unit_id: int | None
    all_units: bool

    def where(self) -> list[Any]:
        """Conditions on Completion for this scope."""
        return [] if self.all_units else [Completion.unit_id == self.unit_id]


def scope_for(user: User, unit_id: int | None = None) -> Scope:
    """Admins see every unit or the one they pick; a manager only their own unit."""
    if user.role == "admin":
        return Scope(unit_id, unit_id is None) if unit_id is None else Scope(unit_id, False)
    if user.role != "manager":
        raise Forbidden("Reports are for managers and admins")
    if unit_id is not None and unit_id != user.unit_id:
        raise Forbidden("A manager sees only their own unit")
    # A manager without a unit sees nothing (unit_id -1 matches no row).
    return Scope(user.unit_id if user.unit_id is not None else -1, False)


def months_ago(n: int, today: date | None = None) -> str:
    """The period ("YYYY-MM") ``n`` months before this month."""
    today = today or date.today()
    index = today.year * 12 + today.month - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _periods(start: str | None, end: str | None) -> list[Any]:
    conditions = []
    if start and PERIOD.match(start):
        conditions.append(Completion.period >= start)
    if end and PERIOD.match(end):
        conditions.append(Completion.period <= end)
    return conditions


def _counts() -> list[Any]:
    return [
        func.sum(case((Completion.verb == "completed", 1), else_=0)).label("completed"),
        func.sum(case((Completion.verb == "passed", 1), else_=0)).label("passed"),
        func.sum(case((Completion.verb == "failed", 1), else_=0)).label("failed"),
    ]


@dataclass
class Table:
    """A report table: column keys and labels, and rows of values (HTML and CSV)."""

    columns: Sequence[tuple[str, str]]
    rows: list[dict[str, Any]]

    def csv(self) -> str:
        """The table as CSV (UTF-8 text with a header row)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([label for _, label in self.columns])
        for row in self.rows:
            writer.writerow([_csv_value(row.get(key)) for key, _ in self.columns])
        return out.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # no formula injection when opened in a spreadsheet
    return value


def _rolled(dim: str, group: Any, scope: Scope, start: str | None, end: str | None) -> Select[Any]:
    """Sum the monthly totals of one dimension ("u" unit, "c" course), grouped by ``group``."""
    r = CompletionRollup
    conditions: list[Any] = [r.dim == dim]
    if dim == "u" and not scope.all_units:
        conditions.append(r.ref == (scope.unit_id or 0))
    if start and PERIOD.match(start):
        conditions.append(r.period >= start)
    if end and PERIOD.match(end):
        conditions.append(r.period <= end)
    total = func.sum(r.completed) + func.sum(r.passed) + func.sum(r.failed)
    return (
        select(
            group,
            func.sum(r.completed).label("completed"),
            func.sum(r.passed).label("passed"),
            func.sum(r.failed).label("failed"),
            (func.sum(r.score_sum) / func.nullif(func.sum(r.score_count), 0)).label("avg_score"),
        )
        .where(*conditions)
        .group_by(group)
        .having(total > 0)
    )


def per_course(scope: Scope, start: str | None = None, end: str | None = None) -> Table:
    """Completions, passes and failures per course.

    Every unit: from the monthly totals.  One unit: from the completions themselves
    (the unit's covering index), since the totals are per unit or per course, not both.
    """
    if scope.all_units:
        stmt = _rolled("c", CompletionRollup.ref.label("course_id"), scope, start, end)
    else:
        stmt = (
            select(Completion.course_id, *_counts(), func.avg(Completion.score).label("avg_score"))
            .where(*scope.where(), *_periods(start, end))
            .group_by(Completion.course_id)
        )
    rows = [dict(r._mapping) for r in db.session.execute(stmt)]
    for row in rows:
        row["course_id"] = row["course_id"] or None
    titles = _course_titles(r["course_id"] for r in rows)
    for row in rows:
        row["course"] = titles.get(row["course_id"], "")
    rows.sort(key=lambda r: (-int(r["completed"] or 0), r["course"]))
    return Table(
        [
            ("course", N_("Course")),
            ("completed", N_("Completions")),
            ("passed", N_("Passed")),
            ("failed", N_("Failed")),
            ("avg_score", N_("Average score")),
        ],
        rows,
    )


def per_unit(scope: Scope, start: str | None = None, end: str | None = None) -> Table:
    """Completions, passes and failures per organisation unit of the learner."""
    stmt = _rolled("u", CompletionRollup.ref.label("unit_id"), scope, start, end)
    rows = [dict(r._mapping) for r in db.session.execute(stmt)]
    names = dict(db.session.execute(select(OrganisationUnit.id, OrganisationUnit.name)).all())
    for row in rows:
        row["unit_id"] = row["unit_id"] or None
        row["unit"] = names.get(row["unit_id"], "")
    rows.sort(key=lambda r: r["unit"])
    return Table(
        [
            ("unit", N_("Unit")),
            ("completed", N_("Completions")),
            ("passed", N_("Passed")),
            ("failed", N_("Failed")),
        ],
        rows,
    )


def per_month(scope: Scope, start: str | None = None, end: str | None = None) -> Table:
    """Completions per month (the month the statement's timestamp falls in)."""
    stmt = _rolled("u", CompletionRollup.period, scope, start, end).order_by(
        CompletionRollup.period
    )
    rows = [dict(r._mapping) for r in db.session.execute(stmt)]
    return Table(
        [
            ("period", N_("Month")),
            ("completed", N_("Completions")),
            ("passed", N_("Passed")),
            ("failed", N_("Failed")),
        ],
        rows,
    )


def check_learner(scope: Scope, learner: User) -> None:
    """Forbidden unless the scope covers the learner (a manager: their own unit)."""
    if not scope.all_units and learner.unit_id != scope.unit_id:
        raise Forbidden("This learner is not in your unit")


def transcript(scope: Scope, learner: User) -> Table:
    """Everything a learner completed, passed or failed (within the scope), newest first."""
    check_learner(scope, learner)
    stmt = (
        select(Completion)
        .where(Completion.user_id == learner.id, *scope.where())
        .order_by(Completion.stored.desc(), Completion.id.desc())
    )
    completions = list(db.session.scalars(stmt))
    titles = _course_titles(c.course_id for c in completions)
    rows = [
        {
            "stored": c.stored,
            "course": titles.get(c.course_id) or c.activity_id,
            "verb": c.verb,
            "success": c.success,
            "score": c.score,
        }
        for c in completions
    ]
    return Table(
        [
            ("stored", N_("Date")),
            ("course", N_("Course")),
            ("verb", N_("Outcome")),
            ("score", N_("Score")),
        ],
        rows,
    )


def course_learners(scope: Scope, course_id: int) -> Table:
    """A course's learners: status (passed > failed > completed), last date, best score."""
    stmt = (
        select(
            Completion.user_id,
            func.max(Completion.actor_name).label("actor_name"),
            *_counts(),
            func.max(Completion.score).label("score"),
            func.max(Completion.stored).label("last"),
        )
        .where(Completion.course_id == course_id, *scope.where())
        .group_by(Completion.user_id)
    )
    rows = [dict(r._mapping) for r in db.session.execute(stmt)]
    users = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_([r["user_id"] for r in rows])))
    }
    for row in rows:
        user = users.get(row["user_id"])
        row["learner"] = user.name if user else row["actor_name"]
        row["email"] = user.email if user else ""
        row["status"] = "passed" if row["passed"] else "failed" if row["failed"] else "completed"
    rows.sort(key=lambda r: r["learner"])
    return Table(
        [
            ("learner", N_("Learner")),
            ("email", N_("E-mail")),
            ("status", N_("Status")),
            ("score", N_("Best score")),
            ("last", N_("Last")),
        ],
        rows,
    )


def learners_in_scope(scope: Scope, limit: int = 50) -> list[User]:
    """The first ``limit`` learners (by name) whose transcripts the scope may open."""
    stmt = select(User).order_by(User.name, User.id).limit(limit)
    if not scope.all_units:
        stmt = stmt.where(User.unit_id == scope.unit_id)
    return list(db.session.scalars(stmt))


def _course_titles(ids: Iterable[int | None]) -> dict[int | None, str]:
    wanted = {i for i in ids if i is not None}
    titles: dict[int | None, str] = {None: "(other activities)"}
    if wanted:
        titles.update(
            dict(
                db.session.execute(
                    select(Course.id, Course.title).where(Course.id.in_(wanted))
                ).all()
            )
        )
    return titles


def bars(table: Table, label_key: str, value_key: str = "completed") -> list[tuple[str, int]]:
    """(label, value) pairs for a bar chart."""
    return [(str(r.get(label_key) or ""), int(r.get(value_key) or 0)) for r in table.rows]


@dataclass(frozen=True)
class AttemptRow:
    """One e-learning attempt, for the managers' attempt lists."""

    id: int
    number: int
    course_id: int
    course: str
    kind: str
    learner_id: int
    learner: str
    completion_status: str
    success_status: str
    score: float | None
    started: datetime
    ended: datetime | None


def attempts_in_scope(
    scope: Scope, *, user_id: int | None = None, course_id: int | None = None, limit: int = 500
) -> list[AttemptRow]:
    """E-learning attempts (newest first) of learners the scope covers."""
    stmt = (
        select(Attempt, Course.title, PackageVersion.kind, User.name)
        .join(Course, Course.id == Attempt.course_id)
        .join(PackageVersion, PackageVersion.id == Attempt.version_id)
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.preview.is_(False))
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
        .limit(limit)
    )
    if user_id is not None:
        stmt = stmt.where(Attempt.user_id == user_id)
    if course_id is not None:
        stmt = stmt.where(Attempt.course_id == course_id)
    if not scope.all_units:
        stmt = stmt.where(User.unit_id == scope.unit_id)
    return [
        AttemptRow(
            a.id,
            a.number,
            a.course_id,
            title,
            kind,
            a.user_id,
            name,
            a.completion_status,
            a.success_status,
            a.score_scaled,
            a.started_at,
            a.ended_at,
        )
        for a, title, kind, name in db.session.execute(stmt)
    ]
