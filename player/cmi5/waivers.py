"""Waiving an AU (cmi5 §9.3.7, §9.5.4.1 reasons) and the overview an admin waives from."""

from __future__ import annotations

import uuid
from typing import Any

from core import vocabulary
from core.errors import BadRequest, Conflict
from lrs import queries as lrs_queries
from packages.models import PackageVersion
from player import attempts, course_tree
from player import lms as player_lms
from player.cmi5.moveon import satisfy
from player.cmi5.statements import au_activity, au_entry, make_statement, satisfied_ids
from player.models import Attempt

# cmi5 §9.5.4.1 (result extension "reason" of a waived statement).
WAIVE_REASONS = ("Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative")


def waive(attempt: Attempt, version: PackageVersion, au_id: str, reason: str) -> None:
    """Waive an AU (cmi5 §9.3.7): ``waived`` with success and completion, then moveOn.

    ``waived`` gets a session id of its own, which no other statement uses (§9.3.7).
    """
    au = au_entry(version, au_id)
    if reason not in WAIVE_REASONS:
        raise ValueError(f"not a cmi5 waive reason: {reason!r}")
    player_lms.store_statements(
        [
            make_statement(
                attempt,
                version,
                "waived",
                au_activity(au),
                str(uuid.uuid4()),
                result={
                    "success": True,
                    "completion": True,
                    "extensions": {vocabulary.CMI5_REASON: reason},
                },
            )
        ]
    )
    state = attempts.sco_state(attempt, au_id)
    assert state is not None  # noqa: S101
    state.completion_status = "completed"
    state.success_status = "passed"
    satisfy(attempt, version, au, None)


def waived_reasons(attempt: Attempt) -> dict[str, str]:
    """AU id → reason of the ``waived`` statements in the attempt's registration."""
    rows = lrs_queries.query_statements(
        lrs_queries.StatementQuery(
            registration=attempt.registration, verb=vocabulary.WAIVED, limit=500
        ),
        player_lms.lms_client(),
        500,
    )
    return {
        r.data["object"]["id"]: str(
            ((r.data.get("result") or {}).get("extensions") or {}).get(vocabulary.CMI5_REASON) or ""
        )
        for r in rows.statements
    }


def au_overview(attempt: Attempt) -> list[dict[str, Any]]:
    """Each AU of a cmi5 attempt: title, stored status, satisfied, waived (and why)."""
    version = attempts.version_of(attempt)
    if version.kind != "cmi5":
        return []
    satisfied = satisfied_ids(attempt)
    waived = waived_reasons(attempt)
    by_id = {s.sco_id: s for s in attempt.scos}
    rows = []
    for node in course_tree.nodes(version):
        if not node.launchable:
            continue
        state = by_id.get(node.id)
        rows.append(
            {
                "id": node.id,
                "title": node.title,
                "move_on": str(node.data.get("moveOn") or "NotApplicable"),
                "completion_status": state.completion_status if state else "not attempted",
                "success_status": state.success_status if state else "unknown",
                "score_scaled": state.score_scaled if state else None,
                "satisfied": node.id in satisfied,
                "waived": waived.get(node.id),
            }
        )
    return rows


def waive_au(attempt: Attempt, au_id: str, reason: str) -> None:
    """Waive one AU of a cmi5 attempt for the learner and re-evaluate moveOn.

    cmi5 §9.3.8: the LMS may decide an AU's requirements were met another way, and must
    not send ``waived`` twice for an AU in a registration; §9.5.4.1 lists the reasons.
    The caller rolls the attempt up (player.rollup.waive_au).
    """
    version = attempts.version_of(attempt)
    if version.kind != "cmi5":
        raise Conflict("Only the AUs of a cmi5 course can be waived")
    if reason not in WAIVE_REASONS:
        raise BadRequest(
            f"Not a cmi5 waive reason: {reason!r}",
            errors=[{"path": "reason", "message": f"one of {', '.join(WAIVE_REASONS)}"}],
        )
    if not any(n.id == au_id and n.launchable for n in course_tree.nodes(version)):
        raise BadRequest(
            f"No AU {au_id!r} in this course", errors=[{"path": "au_id", "message": "unknown AU"}]
        )
    if au_id in waived_reasons(attempt):
        raise Conflict("This AU has been waived already")
    if au_id in satisfied_ids(attempt):
        raise Conflict("This AU is satisfied already; there is nothing to waive")
    waive(attempt, version, au_id, reason)
