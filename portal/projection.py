"""The projection of the LRS that reports read: which stored results count, and where.

``portal_completion`` holds one row per stored completed/passed/failed statement that
counts (``counts``: whose word it is, and for whom), with monthly totals per unit and
course beside it (``portal_completion_rollup``) and per manager's line
(``portal_line_rollup``, portal/line_rollup.py). ``project_statements`` receives
``lrs.signals.statements_stored`` and keeps both in step with the LRS in the same
transaction, whoever wrote the statement (player, classroom, a third-party tool over
HTTP); a voiding statement deletes the voided statement's row (xAPI 1.0.3 Data §2.3.2).
The report queries are in ``portal/reports.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import (
    Integer,
    String,
    bindparam,
    case,
    delete,
    insert,
    literal,
    null,
    select,
    union_all,
)

from accounts.models import User
from core import vocabulary
from core.db import adding_upsert, db
from core.errors import BadRequest
from lrs.auth import Client
from lrs.schemas import parse_timestamp
from lrs.voiding import VOIDED_VERB
from portal import line_rollup, requirements
from portal.models import ClassroomSession, Completion, CompletionRollup

OUTCOMES = vocabulary.OUTCOME_VERBS


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
    (player/cmi5/moveon.py ``_earned``). An author's preview counts for nobody. Anything else,
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


def project_statements(client: Client, *, statements: list[dict[str, Any]]) -> None:
    """Receives ``statements_stored``: add outcome rows, delete rows of voided statements.

    Only outcomes that ``counts`` are added: a learner cannot pass a course by posting
    ``passed`` with a credential of some other launch.
    """
    outcomes = [s for s in statements if _is_outcome(s)]
    voided = [
        s["object"]["id"]
        for s in statements
        if s["verb"]["id"] == VOIDED_VERB and s["object"].get("objectType") == "StatementRef"
    ]
    people = _add_outcomes(outcomes, client) if outcomes else set()
    gone = _remove_voided(voided) if voided else set()
    # Mandatory training reads each member's latest result and whether they have begun:
    # only rows added or removed change either (an attempt begun is synced when it
    # starts: player.signals.attempt_started), so most batches need no UPDATE here, in
    # the transaction that holds the LRS clock.
    if people or gone:
        requirements.sync(user_ids=sorted(people | gone))


def _add_outcomes(outcomes: list[dict[str, Any]], client: Client) -> set[int]:
    """Add a row (and to the monthly totals) for each outcome that counts, once.

    Returns the people who got a row.
    """
    if not client.trusted:
        # Nothing an untrusted client sends counts (``counts``): no query for it, in
        # the transaction that holds the LRS clock (lrs/clock.py).
        return set()
    home = current_app.config["AGENT_HOMEPAGE"]
    user_ids = {u for s in outcomes if (u := _user_id(s["actor"], home)) is not None}
    units = (
        dict(db.session.execute(_units_query(), {"ids": list(user_ids)}).all()) if user_ids else {}
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
        line_rollup.add(rows, 1)
    return {r["user_id"] for r in rows if r["user_id"] is not None}


def _remove_voided(voided: list[str]) -> set[int]:
    """Delete the rows of voided statements (and take them from the monthly totals).

    Returns whose results they were.
    """
    gone = [
        dict(r._mapping)
        for r in db.session.execute(
            select(
                Completion.user_id,
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
        line_rollup.add(gone, -1)
    return {row["user_id"] for row in gone if row["user_id"] is not None}


def forget_statements(statement_ids: list[str]) -> None:
    """Retention removed these statements (portal/retention.py): their rows go too.

    As a voided statement's do, with the monthly and line totals and the members'
    latest results of the people they were about, in the removal's transaction.
    """
    gone: set[int] = set()
    for start in range(0, len(statement_ids), 500):
        gone |= _remove_voided(statement_ids[start : start + 500])
    if gone:
        requirements.sync(user_ids=sorted(gone))


@cache
def _rollup_upsert(dialect: str) -> Any:
    """The upsert adding to the monthly totals (built once per dialect)."""
    return adding_upsert(
        CompletionRollup.__table__,
        ["dim", "ref", "period"],
        ("completed", "passed", "failed", "score_sum", "score_count"),
        dialect,
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
