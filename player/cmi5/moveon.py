"""moveOn: what an AU's statements earn, and ``satisfied`` for AUs, blocks and the course.

cmi5 §9.3.9 satisfied, §10 moveOn (§13.1.4 its values), §10.2.2 Review sessions.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from core import vocabulary
from core.db import db
from lrs.models import Credential, Statement
from packages.models import PackageVersion
from player import attempts, outcome
from player import lms as player_lms
from player.cmi5.statements import (
    au_activity,
    au_entry,
    course_activity,
    make_statement,
    satisfied_ids,
    session_rows,
)
from player.models import Attempt, Cmi5Session


def _met(move_on: str, completed: bool, passed: bool) -> bool:
    """MoveOn criteria (cmi5 §13.1.4 moveOn)."""
    return {
        "Completed": completed,
        "Passed": passed,
        "CompletedAndPassed": completed and passed,
        "CompletedOrPassed": completed or passed,
        "NotApplicable": True,
    }.get(move_on, False)


def evaluate(attempt: Attempt, version: PackageVersion, au_id: str) -> None:
    """Read the AU's completed/passed/failed statements; record status; satisfy moveOn.

    Only what the launch reported counts (``_earned``); the score is the latest one
    reported (cmi5 §9.5.1: with passed or failed), so a pass after a fail shows.
    """
    if attempts.in_review(attempt):
        return
    state = attempts.sco_state(attempt, au_id)
    assert state is not None  # noqa: S101  (create=True)
    # What an AU sent in a Review session does not count (cmi5 §10.2.2: it must not
    # send completed/passed/failed there, and the LMS does not evaluate moveOn).
    reviewed = set(
        db.session.scalars(
            select(Cmi5Session.session_id).where(
                Cmi5Session.attempt_id == attempt.id, Cmi5Session.launch_mode == "Review"
            )
        )
    )
    rows = [
        row
        for row in _earned(
            attempt,
            session_rows(
                attempt, au_id, None, {vocabulary.COMPLETED, vocabulary.PASSED, vocabulary.FAILED}
            ),
        )
        if ((row.data.get("context") or {}).get("extensions") or {}).get(vocabulary.CMI5_SESSION)
        not in reviewed
    ]
    verbs = {row.data["verb"]["id"] for row in rows}
    completed = vocabulary.COMPLETED in verbs
    passed = vocabulary.PASSED in verbs
    if completed or passed:
        state.completion_status = "completed"
    if passed:
        state.success_status = "passed"
    elif vocabulary.FAILED in verbs:
        state.success_status = "failed"
    for row in sorted(rows, key=lambda r: r.stored):
        scaled = ((row.data.get("result") or {}).get("score") or {}).get("scaled")
        if isinstance(scaled, (int, float)):
            state.score_scaled = float(scaled)
    if version.kind == "xapi":
        return
    au = au_entry(version, au_id)
    move_on = str(au.get("moveOn") or "NotApplicable")
    if _met(move_on, completed, passed):
        satisfy(attempt, version, au, _last_session(attempt, au_id))


def _earned(attempt: Attempt, rows: list[Statement]) -> list[Statement]:
    """The statements the launch itself reported: by the LMS or a credential of the attempt.

    The player gives each cmi5 AU or xAPI activity launch a credential bound to the
    attempt's registration (``fetch``, ``launch_activity``); lrs/learner_scope.py keeps it
    to that launch. A statement some other client wrote in the registration (one that
    learned it, with ``statements/write``) satisfies nothing.
    """
    lms = player_lms.lms_agent()
    keys = {
        str(account.get("name"))
        for row in rows
        if isinstance(account := (row.data.get("authority") or {}).get("account"), dict)
    }
    bound = (
        set(
            db.session.scalars(
                select(Credential.key).where(
                    Credential.key.in_(keys), Credential.registration == attempt.registration
                )
            )
        )
        if keys
        else set()
    )
    return [
        row
        for row in rows
        if row.data.get("authority") == lms
        or str(((row.data.get("authority") or {}).get("account") or {}).get("name")) in bound
    ]


def _last_session(attempt: Attempt, au_id: str) -> str | None:
    """The id of the AU's latest session in Normal mode (satisfied is sent in it, §9.3.9)."""
    return db.session.scalar(
        select(Cmi5Session.session_id)
        .where(
            Cmi5Session.attempt_id == attempt.id,
            Cmi5Session.au_id == au_id,
            Cmi5Session.launch_mode == "Normal",
        )
        .order_by(Cmi5Session.launched_at.desc(), Cmi5Session.id.desc())
        .limit(1)
    )


def satisfy(
    attempt: Attempt, version: PackageVersion, au: dict[str, Any], session_id: str | None
) -> None:
    """``satisfied`` for the AU, then every block and the course whose AUs all are (§9.3.9).

    An AU whose moveOn is NotApplicable is met without a launch (§9.6.1). ``session_id``:
    the AU session that met the criteria; None outside one, which gets a session id of
    its own (§9.3.9). With the course's ``satisfied`` goes the course's result
    (player/outcome.py), which My learning and the reports count.
    """
    session_id = session_id or str(uuid.uuid4())
    done = satisfied_ids(attempt)
    statements = []
    if au["id"] not in done:
        statements.append(
            make_statement(attempt, version, "satisfied", au_activity(au), session_id)
        )
        done.add(au["id"])

    def walk(children: list[dict[str, Any]]) -> bool:
        all_done = True
        for child in children:
            if child.get("type") == "block":
                ok = walk(child.get("children") or [])
                if ok and child["id"] not in done:
                    statements.append(
                        make_statement(
                            attempt,
                            version,
                            "satisfied",
                            {
                                "objectType": "Activity",
                                "id": child["id"],
                                "definition": {"type": vocabulary.TYPE_CMI5_BLOCK},
                            },
                            session_id,
                        )
                    )
                    done.add(child["id"])
                all_done = all_done and ok
            else:
                met = child["id"] in done or child.get("moveOn") == "NotApplicable"
                all_done = all_done and met
        return all_done

    if (
        walk((version.manifest or {}).get("children") or [])
        and course_activity(version) not in done
    ):
        course = make_statement(
            attempt,
            version,
            "satisfied",
            {
                "objectType": "Activity",
                "id": course_activity(version),
                "definition": {"type": vocabulary.TYPE_CMI5_COURSE},
            },
            session_id,
        )
        statements.append(course)
        statements.extend(outcome.cmi5_course_statements(attempt, version, course["context"]))
    player_lms.store_statements(statements)


def course_rollup(attempt: Attempt, version: PackageVersion) -> None:
    """The attempt's status from the course's ``satisfied`` (cmi5 §9.3.9), after simple_rollup.

    Completed only when the course is satisfied (every AU, not each); passed then when
    an AU had to be passed; the score as player/outcome.py defines it.
    """
    satisfied = course_activity(version) in satisfied_ids(attempt)
    if satisfied:
        attempt.completion_status = "completed"
        attempt.success_status = "passed" if outcome.must_pass(version) else "unknown"
    elif attempt.completion_status == "completed":
        attempt.completion_status = "incomplete"
    score = outcome.cmi5_score(attempt, version)
    if score is not None:
        attempt.score_scaled = score
