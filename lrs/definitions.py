"""Activity definitions: merging the ones statements carry into the canonical ones.

Spec: xAPI 1.0.3 Data §2.4.4.1 (the LRS keeps a canonical definition per activity,
changed only by a trusted source) and Communication §2.5 (the Activity Profile's
``activities`` resource answers it).  ``lrs.formats.merge_definitions`` says how two
definitions merge; this module finds them in statements and writes the merge.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session

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


# (activity id, definition digest) pairs known to be merged into the canonical
# definition already: most statements repeat the definition they sent before, and this
# spares them the read.  Per process, bounded, filled only after a commit.
_MERGED_LIMIT = 100_000
_merged: OrderedDict[tuple[str, bytes], None] = OrderedDict()


@event.listens_for(Session, "after_commit")
def _remember_merged(session: Session) -> None:
    for item in session.info.pop("merged_definitions", ()):
        _merged[item] = None
        _merged.move_to_end(item)
    while len(_merged) > _MERGED_LIMIT:
        _merged.popitem(last=False)


def forget_merged_definitions() -> None:
    """Empty the cache (for a database emptied behind the service's back, as tests do)."""
    _merged.clear()


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop("merged_definitions", None)


def _definition_digest(definition: dict[str, Any]) -> bytes:
    """A digest of a definition as sent, for the cache of merged definitions.

    Key order counts: a reordered copy is only a cache miss, which costs one read.
    """
    return hashlib.blake2b(jsoncodec.dumps_bytes(definition), digest_size=16).digest()


def update_definitions(statements: list[dict[str, Any]], client: Client) -> None:
    """Merge activity definitions into the canonical ones (Data §2.4.4.1, Communication §2.5).

    Only clients allowed to ``define`` (or ``all``) change canonical definitions.  Rows
    are locked in id order (PostgreSQL) so concurrent batches neither lose a merge nor
    deadlock; a first insert racing another one is ignored, not an error.
    """
    if not statements or not (client.scopes & {"define", "all"}):
        return
    # Each definition as sent is remembered once merged, so an activity is only written
    # when one of the definitions sent for it in this batch is new to this process.
    sent: dict[str, list[tuple[tuple[str, bytes], dict[str, Any]]]] = {}
    for statement in statements:
        for activity_id, definition in _definitions_in(statement):
            key = (activity_id, _definition_digest(definition))
            sent.setdefault(activity_id, []).append((key, definition))
    incoming: dict[str, tuple[dict[str, Any], set[tuple[str, bytes]]]] = {}
    for activity_id, items in sent.items():
        if all(key in _merged for key, _ in items):
            continue
        merged_so_far: dict[str, Any] = {}
        for _, definition in items:  # in order: the newest value wins (merge_definitions)
            merged_so_far = merge_definitions(merged_so_far, definition)
        incoming[activity_id] = (merged_so_far, {key for key, _ in items})
    if not incoming:
        return
    todo = {sha256_hex(activity_id): activity_id for activity_id in incoming}
    ordered = sorted(todo)
    # New activities are inserted with their definition; the ones there already (or
    # inserted by a concurrent request first) are locked in id order and merged into.
    inserted = set(
        db.session.scalars(
            insert_ignoring_conflicts(Activity).returning(Activity.id_hash),
            [
                {"id_hash": h, "activity_id": todo[h], "definition": incoming[todo[h]][0]}
                for h in ordered
            ],
        )
    )
    existing = [h for h in ordered if h not in inserted]
    if existing:
        query = (
            select(Activity.id_hash, Activity.definition)
            .where(Activity.id_hash.in_(existing))
            .order_by(Activity.id_hash)
        )
        if db.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        changed = []
        for id_hash, current in db.session.execute(query).all():
            merged = merge_definitions(current, incoming[todo[id_hash]][0])
            if merged != current:
                changed.append({"b_id_hash": id_hash, "definition": merged})
        if changed:
            db.session.connection().execute(
                update(Activity.__table__)  # type: ignore[arg-type]
                .where(Activity.__table__.c.id_hash == bindparam("b_id_hash"))
                .values(definition=bindparam("definition")),
                changed,
            )
    pending = db.session.info.setdefault("merged_definitions", [])
    pending.extend(key for _, keys in incoming.values() for key in keys)
