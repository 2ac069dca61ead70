"""Voiding: the rules a voiding statement follows, and marking its target voided.

Spec: xAPI 1.0.3 Data §2.3.2 (Voided): a voiding statement's object is a StatementRef
to the statement it voids; it cannot void another voiding statement, and a voided
statement stays stored but is returned only when asked for by ``voidedStatementId``.
A voiding statement may arrive before its target: ``lrs.service`` then stores the
target voided (``lrs.rows.prepare``'s ``voided``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from core.db import db
from core.errors import BadRequest
from lrs.models import Statement

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"


def check_voiding(statements: list[dict[str, Any]]) -> None:
    """A voiding statement cannot target another voiding statement (Data §2.3.2)."""
    targets = {
        s["object"]["id"]: i for i, s in enumerate(statements) if s["verb"]["id"] == VOIDED_VERB
    }
    if not targets:
        return
    voiding_in_batch = {s["id"] for s in statements if s["verb"]["id"] == VOIDED_VERB}
    stored_voiding = set(
        db.session.scalars(
            select(Statement.statement_id).where(
                Statement.statement_id.in_(list(targets)), Statement.verb_id == VOIDED_VERB
            )
        )
    )
    for target, index in targets.items():
        if target in voiding_in_batch or target in stored_voiding:
            raise BadRequest(
                "A voiding statement cannot target another voiding statement",
                errors=[{"path": f"[{index}].object.id", "message": "targets a voiding statement"}],
            )


def void_targets(statements: list[dict[str, Any]]) -> None:
    """Mark voided the stored statements that these voiding statements target."""
    targets = [s["object"]["id"] for s in statements if s["verb"]["id"] == VOIDED_VERB]
    if targets:
        db.session.execute(
            update(Statement)
            .where(Statement.statement_id.in_(targets), Statement.verb_id != VOIDED_VERB)
            .values(voided=True)
        )
