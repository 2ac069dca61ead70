"""Activity definitions: merging the ones statements carry into the canonical ones.

Spec: xAPI 1.0.3 Data §2.4.4.1 (the LRS keeps a canonical definition per activity,
changed only by a trusted source) and Communication §2.5 (the Activity Profile's
``activities`` resource answers it).  ``lrs.formats.merge_definitions`` says how two
definitions merge; this module finds them in statements and writes the merge.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update

from core import jsoncodec
from core.db import db
from lrs.auth import Client
from lrs.formats import merge_definitions
from lrs.inserting import insert_ignoring_conflicts
from lrs.keys import sha256_hex
from lrs.models import Activity


def _definitions_in(statement: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(activity id, definition) for every activity in the statement that carries one."""

    def from_activity(activity: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        if (
            isinstance(activity, dict)
            and activity.get("objectType", "Activity") == "Activity"
            and isinstance(activity.get("definition"), dict)
            and "id" in activity
        ):
            yield activity["id"], activity["definition"]

    def from_context(context: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        if not isinstance(context, dict):
            return
        for value in (context.get("contextActivities") or {}).values():
            for activity in value if isinstance(value, list) else [value]:
                yield from from_activity(activity)

    obj = statement["object"]
    yield from from_activity(obj)
    if obj.get("objectType") == "SubStatement":
        yield from from_activity(obj.get("object"))
        yield from from_context(obj.get("context"))
    yield from from_context(statement.get("context"))


def _definition_digest(definition: dict[str, Any]) -> bytes:
    """A digest of a definition, to tell whether it is the one merged last.

    Key order counts: a reordered copy only costs one merge that changes nothing.
    """
    return hashlib.blake2b(jsoncodec.dumps_bytes(definition), digest_size=16).digest()


def _incoming(statements: list[dict[str, Any]]) -> dict[str, tuple[dict[str, Any], bytes]]:
    """Per activity id: the batch's definitions merged in order, and the merge's digest."""
    sent: dict[str, list[dict[str, Any]]] = {}
    for statement in statements:
        for activity_id, definition in _definitions_in(statement):
            seen = sent.setdefault(activity_id, [])
            if not seen or seen[-1] != definition:  # most statements repeat the last one
                seen.append(definition)
    incoming = {}
    for activity_id, definitions in sent.items():
        merged: dict[str, Any] = {}
        for definition in definitions:  # in order: the newest value wins (merge_definitions)
            merged = merge_definitions(merged, definition)
        incoming[activity_id] = (merged, _definition_digest(merged))
    return incoming


@cache
def _digests_query() -> Any:
    """The rows' last merged digests by id hash: Core, built once (the hot path's one read)."""
    table: Any = Activity.__table__
    return select(table.c.id_hash, table.c.merged_digest).where(
        table.c.id_hash.in_(bindparam("ids", expanding=True))
    )


@dataclass(frozen=True)
class Pending:
    """The definitions a write must merge: those that differ from the ones merged last."""

    incoming: dict[str, tuple[str, dict[str, Any], bytes]]  # id hash: id, merged, digest
    new: list[str]  # id hashes with no row when compared
    changed: list[str]  # id hashes whose row had another digest when compared


def compare_definitions(statements: list[dict[str, Any]], client: Client) -> Pending | None:
    """Which of the statements' definitions to merge (Data §2.4.4.1); None: none.

    Only clients allowed to ``define`` (or ``all``) change canonical definitions.  Each
    activity's row keeps the digest of the definition merged into it last: merging the
    same one again changes nothing (a merge overlays its input), so a batch that sends
    what was merged last (most do) costs one indexed read of the digests and no write.
    The digest lives in the database, so every node agrees on what is merged: a cache
    per process skipped a definition another node had since merged over.

    A read without locks: a write compares before it takes the LRS clock (which every
    writer waits for) and writes after (``write_definitions``), which reads the rows
    again under their locks.  A definition found merged last here may have been merged
    over since; it is then part of the canonical one already, under a later one's
    values, which is the order in which the two merges read the rows.
    """
    if not statements or not (client.scopes & {"define", "all"}):
        return None
    sent = _incoming(statements)
    if not sent:
        return None
    incoming = {sha256_hex(a): (a, merged, digest) for a, (merged, digest) in sent.items()}
    rows = db.session.connection().execute(_digests_query(), {"ids": list(incoming)})
    known = {id_hash: digest for id_hash, digest in rows}
    ordered = sorted(h for h in incoming if known.get(h) != incoming[h][2])
    if not ordered:
        return None
    return Pending(
        incoming,
        [h for h in ordered if h not in known],
        [h for h in ordered if h in known],
    )


def write_definitions(pending: Pending | None) -> None:
    """Insert the new activities and merge into the others, in id order.

    Rows are locked in id order (PostgreSQL; SQLite's write is the database's) so
    concurrent batches neither lose a merge nor deadlock; a first insert racing another
    one is ignored, and that row merged into instead.
    """
    if pending is None:
        return
    incoming = pending.incoming
    inserted = set()
    if pending.new:
        inserted = set(
            db.session.scalars(
                insert_ignoring_conflicts(Activity).returning(Activity.id_hash),
                [
                    {
                        "id_hash": h,
                        "activity_id": incoming[h][0],
                        "definition": incoming[h][1],
                        "merged_digest": incoming[h][2],
                    }
                    for h in pending.new
                ],
            )
        )
    existing = sorted([h for h in pending.new if h not in inserted] + pending.changed)
    if existing:
        _merge_into(existing, {h: incoming[h][1:] for h in existing})


def _merge_into(ordered: list[str], incoming: dict[str, tuple[dict[str, Any], bytes]]) -> None:
    """Merge into existing rows (by id hash, in order), locked on PostgreSQL."""
    query = (
        select(Activity.id_hash, Activity.definition, Activity.merged_digest)
        .where(Activity.id_hash.in_(ordered))
        .order_by(Activity.id_hash)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    changed = []
    for id_hash, current, digest in db.session.execute(query).all():
        definition, new_digest = incoming[id_hash]
        merged = merge_definitions(current, definition)
        if merged != current or digest != new_digest:
            changed.append({"b_id_hash": id_hash, "definition": merged, "digest": new_digest})
    if changed:
        table: Any = Activity.__table__
        db.session.connection().execute(
            update(table)
            .where(table.c.id_hash == bindparam("b_id_hash"))
            .values(definition=bindparam("definition"), merged_digest=bindparam("digest")),
            changed,
        )
