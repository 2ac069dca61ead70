"""cmi5 statements the LMS writes, and the statements of a registration read back.

cmi5 §9.3 verbs, §9.6 context (registration, the cmi5 category, the session id
extension); the context template is also what ``LMS.LaunchData`` holds (§10).
"""

from __future__ import annotations

import uuid
from typing import Any

from core import vocabulary
from lrs import clock
from lrs import queries as lrs_queries
from lrs.models import Statement
from packages.models import PackageVersion
from player import course_tree
from player import lms as player_lms
from player.models import Attempt


def au_entry(version: PackageVersion, au_id: str) -> dict[str, Any]:
    """The AU's data from the course structure (or the launch entry of an xAPI activity)."""
    data = course_tree.item_data(version, au_id)
    if data.get("type") != "au":
        data = {**course_tree.launch_entry(version, au_id), "id": au_id}
    return data


def course_activity(version: PackageVersion) -> str:
    """The course's activity id (the cmi5 course id), which every context groups by."""
    return course_tree.course_activity_id(version)


def make_context(
    attempt: Attempt, version: PackageVersion, session_id: str | None, **extensions: Any
) -> dict[str, Any]:
    """The cmi5 context template (§9.6; also stored in LMS.LaunchData)."""
    context: dict[str, Any] = {
        "registration": attempt.registration,
        "contextActivities": {
            "category": [{"id": vocabulary.CMI5_CATEGORY}],
            "grouping": [{"id": course_activity(version)}],
        },
    }
    ext = {vocabulary.CMI5_EXTENSION + k: v for k, v in extensions.items() if v is not None}
    if session_id:
        ext[vocabulary.CMI5_SESSION] = session_id
    if ext:
        context["extensions"] = ext
    return context


def make_statement(
    attempt: Attempt,
    version: PackageVersion,
    verb: str,
    obj: dict[str, Any],
    session_id: str | None,
    result: dict[str, Any] | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """A statement the LMS writes about the attempt, with the cmi5 context (§9.6)."""
    statement: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": player_lms.learner_agent(attempt),
        "verb": vocabulary.verb(verb),
        "object": obj,
        "context": make_context(attempt, version, session_id, **extensions),
        "timestamp": clock.format_timestamp(clock.utc_now()),
    }
    if result:
        statement["result"] = result
    return statement


def au_activity(au: dict[str, Any]) -> dict[str, Any]:
    """The AU as the object of a statement, named by its title."""
    title = au.get("title")
    names = title if isinstance(title, dict) else {"und": str(title or au["id"])}
    return {"objectType": "Activity", "id": au["id"], "definition": {"name": names}}


def iso_seconds(seconds: float) -> str:
    """Seconds as an xAPI duration, ``PT<s>S`` with two decimals."""
    return f"PT{max(0.0, seconds):.2f}S"


def session_rows(
    attempt: Attempt, activity_id: str, session_id: str | None, verbs: set[str] | None
) -> list[Statement]:
    """The stored statements about an activity in this registration (any verb if None)."""
    found = []
    for verb in sorted(verbs) if verbs is not None else [None]:
        query = lrs_queries.StatementQuery(
            registration=attempt.registration, activity=activity_id, verb=verb, limit=500
        )
        page = lrs_queries.query_statements(query, player_lms.lms_client(), 500)
        for row in page.statements:
            if session_id is not None:
                ext = (row.data.get("context") or {}).get("extensions") or {}
                if ext.get(vocabulary.CMI5_SESSION) != session_id:
                    continue
            found.append(row)
    return found


def session_statements(
    attempt: Attempt, activity_id: str, session_id: str | None, verbs: set[str]
) -> list[dict[str, Any]]:
    """The learner's statements about an activity in this registration with these verbs."""
    return [row.data for row in session_rows(attempt, activity_id, session_id, verbs)]


def satisfied_ids(attempt: Attempt) -> set[str]:
    """Ids of the activities the registration has a ``satisfied`` about (§9.3.9)."""
    rows = lrs_queries.query_statements(
        lrs_queries.StatementQuery(
            registration=attempt.registration, verb=vocabulary.SATISFIED, limit=500
        ),
        player_lms.lms_client(),
        500,
    )
    return {r.data["object"]["id"] for r in rows.statements}
