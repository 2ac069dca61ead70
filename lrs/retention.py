"""Removing statements for retention (gallring), with the rows and bytes that hang on them.

The LRS never deletes a statement on a client's request (xAPI 1.0.3 Data §2.3.2: a
statement is voided, not deleted); an organisation's retention decision is the one
reason it does, decided above the LRS (portal/retention.py), which hands the pks here.
What goes with a statement:

- its filter rows (``lrs.filters``), found by computing its keys again from its data,
  its target's included (a StatementRef statement carries them, Communication §2.1.3),
  so no scan by statement is needed; a statement whose target (or one further along
  its chain of references) is no longer stored cannot have them computed and is
  cleared by statement (a scan of the filter table, for these few);
- attachment bytes no remaining statement names (they are stored once per sha2);
- for the attempts removed (player/retention.py), the State documents of their
  registrations.

What remains answers GETs as before: a statement kept never points at a removed one
through a row, only through its own JSON (a StatementRef to a statement the LRS does
not have, which xAPI allows). Voided/voiding pairs are kept or removed together by the
caller (``voiding_of``), so no voided statement is left without its voiding statement.
Canonical activity definitions stay (they describe content, not people).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select

from core.db import db
from lrs.filters import ACTIVITY, ACTIVITY_RELATED, AGENT, AGENT_RELATED, filter_keys
from lrs.models import Attachment, Document, Statement, StatementFilter
from lrs.voiding import VOIDED_VERB

STATE = 1  # lrs_document.kind of a State document (lrs/documents.py)
_CHUNK = 500
_RELATED = {AGENT: AGENT_RELATED, ACTIVITY: ACTIVITY_RELATED}


@dataclass
class Removed:
    """What a removal took away."""

    statements: int = 0
    attachments: int = 0


def voiding_of(statement_ids: Sequence[str]) -> dict[str, list[tuple[int, str]]]:
    """The voiding statements (pk, id) that target each of these statements."""
    found: dict[str, list[tuple[int, str]]] = {}
    for start in range(0, len(statement_ids), _CHUNK):
        part = list(statement_ids[start : start + _CHUNK])
        rows = db.session.execute(
            select(Statement.object_ref, Statement.pk, Statement.statement_id).where(
                Statement.object_ref.in_(part), Statement.verb_id == VOIDED_VERB
            )
        )
        for target, pk, statement_id in rows:
            found.setdefault(str(target), []).append((pk, statement_id))
    return found


def _keys_with_targets(rows: list[tuple[int, dict[str, Any]]]) -> tuple[set[Any], list[int]]:
    """Every filter row of these statements, and the pks whose rows cannot be computed.

    A StatementRef statement inherited its target's keys when stored
    (``filters.inherit_target_filters``, up to ten references deep); its target read
    now gives the same keys. Widened duplicates (a key moved from related to narrow)
    are asked for in both kinds: deleting a row that is not there costs nothing.
    """
    wanted: set[Any] = set()
    unknown: list[int] = []
    for pk, data in rows:
        keys = set(filter_keys(data))
        next_id = (
            data["object"].get("id") if data["object"].get("objectType") == "StatementRef" else None
        )
        seen: set[str] = set()
        while next_id is not None and next_id not in seen and len(seen) < 10:
            seen.add(next_id)
            target = db.session.scalar(
                select(Statement.data).where(Statement.statement_id == next_id)
            )
            if target is None:
                # A target on the chain is gone (removed by an earlier run), so the keys
                # this statement inherited from it are unknown: clear it by statement.
                # (A target never stored gave no keys; the scan then finds none extra.)
                unknown.append(pk)
                break
            keys |= filter_keys(target)
            obj = target["object"]
            next_id = obj.get("id") if obj.get("objectType") == "StatementRef" else None
        widened = {(_RELATED[k], h) for k, h in keys if k in _RELATED}
        wanted |= {(k, h, pk) for k, h in keys | widened}
    return wanted, unknown


def _in_order(pks: Iterable[int]) -> list[int]:
    """Statements that refer to another first, newest first, then the rest.

    A referrer's inherited keys are computed from its target, which must still be
    there: referrers (voiding statements among them) go before what they refer to.
    """
    wanted = sorted(set(pks))
    referrers: set[int] = set()
    for start in range(0, len(wanted), _CHUNK):
        referrers.update(
            db.session.scalars(
                select(Statement.pk).where(
                    Statement.pk.in_(wanted[start : start + _CHUNK]),
                    Statement.object_ref.is_not(None),
                )
            )
        )
    return sorted(referrers, reverse=True) + [pk for pk in wanted if pk not in referrers]


def delete_statements(pks: Iterable[int]) -> Removed:
    """Remove these statements, their filter rows and attachments no statement still names.

    Flushes, never commits: the caller's transaction removes everything or nothing.
    """
    ordered_pks = _in_order(pks)
    removed = Removed()
    shas: set[str] = set()
    for start in range(0, len(ordered_pks), _CHUNK):
        part = ordered_pks[start : start + _CHUNK]
        rows = [
            (pk, data, has)
            for pk, data, has in db.session.execute(
                select(Statement.pk, Statement.data, Statement.has_attachments).where(
                    Statement.pk.in_(part)
                )
            )
        ]
        for _pk, data, has in rows:
            if has:
                shas.update(str(a["sha2"]) for a in data.get("attachments") or ())
        # Keys are computed before anything of the chunk goes: a target removed with
        # its referrer is still there to be read.
        _delete_filter_rows(*_keys_with_targets([(pk, data) for pk, data, _has in rows]))
        result = db.session.execute(delete(Statement).where(Statement.pk.in_([r[0] for r in rows])))
        removed.statements += int(result.rowcount or 0)  # type: ignore[attr-defined]
    removed.attachments = _delete_unused_attachments(shas)
    return removed


def _delete_filter_rows(keys: set[Any], unknown: list[int]) -> None:
    """Delete rows by their whole primary key, one parameter set each (an executemany).

    A row-value ``IN`` list would be planned as a scan of the table on PostgreSQL; a
    primary-key lookup per row is what the table is built for.
    """
    if keys:
        db.session.connection().execute(
            _DELETE_ONE,
            [{"kind": k, "key_hash": h, "pk": pk} for k, h, pk in sorted(keys)],
        )
    if unknown:
        db.session.execute(delete(StatementFilter).where(StatementFilter.statement_pk.in_(unknown)))


_FILTER: Any = StatementFilter.__table__
_DELETE_ONE = delete(_FILTER).where(
    _FILTER.c.kind == bindparam("kind"),
    _FILTER.c.key_hash == bindparam("key_hash"),
    _FILTER.c.statement_pk == bindparam("pk"),
)


def _delete_unused_attachments(shas: set[str]) -> int:
    """Remove the bytes of these attachments that no remaining statement names."""
    if not shas:
        return 0
    still: set[str] = set()
    stmt = select(Statement.data).where(Statement.has_attachments.is_(True))
    for data in db.session.scalars(stmt.execution_options(yield_per=_CHUNK)):
        still.update(str(a.get("sha2")) for a in data.get("attachments") or ())
    unused = sorted(shas - still)
    for start in range(0, len(unused), _CHUNK):
        db.session.execute(
            delete(Attachment).where(Attachment.sha2.in_(unused[start : start + _CHUNK]))
        )
    return len(unused)


def delete_registration_state(registrations: Iterable[str]) -> int:
    """Remove the State documents of these registrations (an attempt's runtime state)."""
    wanted = sorted({r.lower() for r in registrations})
    count = 0
    for start in range(0, len(wanted), _CHUNK):
        result = db.session.execute(
            delete(Document).where(
                Document.kind == STATE, Document.registration.in_(wanted[start : start + _CHUNK])
            )
        )
        count += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return count
