"""Building rows: the properties the LRS assigns, and the table rows of a batch.

Spec: xAPI 1.0.3 Data §2.4.1 (id), §2.4.6.2 (contextActivities returned as arrays),
§2.4.8 (stored), §2.4.9 (authority), §2.4.10 (version); 2.0.0 "timestamp = stored when
absent".
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from lrs.auth import Client
from lrs.clock import format_timestamp, naive_utc
from lrs.filters import filter_keys
from lrs.voiding import VOIDED_VERB


def _context_lists(context: Any) -> Any:
    if not isinstance(context, dict) or not isinstance(context.get("contextActivities"), dict):
        return context
    activities = {
        key: value if isinstance(value, list) else [value]
        for key, value in context["contextActivities"].items()
    }
    return {**context, "contextActivities": activities}


def _with_context_activity_lists(statement: dict[str, Any]) -> dict[str, Any]:
    """Every contextActivities value is returned as an array (Data §2.4.6.2)."""
    out = dict(statement)
    if "context" in out:
        out["context"] = _context_lists(out["context"])
    obj = out.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement" and "context" in obj:
        out["object"] = {**obj, "context": _context_lists(obj["context"])}
    return out


@dataclass
class Prepared:
    """A validated batch with LRS-assigned properties, ready to insert."""

    statements: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    filters: list[set[tuple[int, int]]]
    stored: datetime | None
    # Prepared before ``stored`` is known (``stored=None``): which statements came
    # without a timestamp, to get ``stored`` as theirs too when ``stamp`` gives it.
    untimed: list[bool] = field(default_factory=list)


def prepare(
    statements: Sequence[dict[str, Any]],
    client: Client,
    version: str,
    stored: datetime | None,
    voided: set[str] | frozenset[str] = frozenset(),
) -> Prepared:
    """Assign id, stored, timestamp, authority and version, and build the table rows.

    Data §2.4.1 (id), §2.4.8 (stored: set by the LRS, overwriting any value sent),
    §2.4.9 (authority: set by the LRS from the credential), §2.4.10 (version), and
    2.0.0's "timestamp = stored when absent".  With ``stored=None`` both stay None
    until ``stamp`` (the clock is taken as late as possible: lrs/clock.py).
    """
    stored_text = format_timestamp(stored) if stored is not None else None
    prepared: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    filters: list[set[tuple[int, int]]] = []
    untimed: list[bool] = []
    for original in statements:
        statement = _with_context_activity_lists(original)
        statement.setdefault("id", str(uuid.uuid4()))
        statement["stored"] = stored_text
        untimed.append("timestamp" not in statement)
        statement.setdefault("timestamp", stored_text)
        statement["authority"] = client.authority
        statement.setdefault("version", "2.0.0" if version.startswith("2.") else "1.0.0")
        obj = statement["object"]
        ref = obj.get("id") if obj.get("objectType") == "StatementRef" else None
        prepared.append(statement)
        rows.append(
            {
                "statement_id": statement["id"],
                "data": statement,
                "stored": naive_utc(stored) if stored is not None else None,
                "verb_id": statement["verb"]["id"],
                "object_ref": ref,
                "voided": statement["id"] in voided and statement["verb"]["id"] != VOIDED_VERB,
                "credential_id": client.id or None,
                "has_attachments": bool(statement.get("attachments")),
            }
        )
        filters.append(filter_keys(statement))
    return Prepared(prepared, rows, filters, stored, untimed)


def stamp(prepared: Prepared, stored: datetime) -> Prepared:
    """Give statements prepared with ``stored=None`` their ``stored`` (and timestamp)."""
    text = format_timestamp(stored)
    naive = naive_utc(stored)
    for statement, row, untimed in zip(
        prepared.statements, prepared.rows, prepared.untimed, strict=True
    ):
        statement["stored"] = text
        if untimed:
            statement["timestamp"] = text
        row["stored"] = naive
    return replace(prepared, stored=stored)
