"""Shared data between SCOs (SCORM 2004 4th ed. ``adl.data``): the learner's buckets.

A SCO reads and writes buckets named by ``adlcp:map`` targetIDs (player.runtime gives
the SCO its entries at launch and saves what a commit changed).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from core.db import db, dialect_insert
from packages.models import PackageVersion
from player import attempts, course_tree
from player.models import Attempt, SharedData


def scope(attempt: Attempt, version: PackageVersion) -> str:
    """Where the attempt's shared data buckets live (CAM §3.4.1.x, organization).

    ``adlcp:sharedDataGlobalToSystem`` true (the default): ``"system"``, one bucket per
    learner and targetID across every course; false: ``"attempt:<id>"``, buckets seen only
    by this attempt of this course.
    """
    org = course_tree.organization(version) or {}
    if org.get("shared_data_global_to_system", True) is False:
        return f"attempt:{attempt.id}"
    return "system"


def _target_hash(target: str) -> str:
    return hashlib.sha256(target.encode()).hexdigest()


def read(user_id: int, scope: str, targets: list[str]) -> dict[str, str]:
    """The written buckets among ``targets``: ``{targetID: store}``."""
    if not targets:
        return {}
    rows = db.session.scalars(
        select(SharedData)
        .where(
            SharedData.user_id == user_id,
            SharedData.scope == scope,
            SharedData.target_hash.in_([_target_hash(t) for t in targets]),
        )
        # Written by an upsert (write), which the identity map does not see.
        .execution_options(populate_existing=True)
    )
    return {row.target_id: row.store for row in rows if row.target_id in targets}


def write(user_id: int, scope: str, attempt_id: int | None, stores: dict[str, str]) -> None:
    """Write buckets (insert or update in one statement, so two sessions cannot collide)."""
    if not stores:
        return
    moment = attempts.now()
    stmt = dialect_insert(SharedData)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "scope", "target_hash"],
        set_={"store": stmt.excluded.store, "updated_at": stmt.excluded.updated_at},
    )
    # In key order, so concurrent writers lock the same rows in the same order.
    db.session.execute(
        stmt,
        [
            {
                "user_id": user_id,
                "scope": scope,
                "attempt_id": attempt_id if scope != "system" else None,
                "target_hash": _target_hash(target),
                "target_id": target,
                "store": store,
                "updated_at": moment,
            }
            for target, store in sorted(stores.items(), key=lambda kv: _target_hash(kv[0]))
        ],
    )
