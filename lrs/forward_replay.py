"""Send again from a point ("replay"): a job that queues a target's statements in chunks.

``start`` (the admin's request) only fixes the replay's range and marks the target;
``run`` (the ``forward_replay`` job) queues the matching statements a chunk at a time,
each chunk in its own short transaction, and never takes the stored clock's lock, so
statement writes go on at full speed however many millions are replayed.

Why the target still gets its statements in stored order, each once:

1. ``start`` takes the stored clock's row lock (lrs/clock.py) for one short transaction.
   The value it takes, ``until``, is larger than the ``stored`` of every statement
   committed before it and smaller than that of every statement committed after it
   (writers pass the row one after another). It also notes the largest outbox id then,
   the watermark: writers insert outbox rows while holding the same lock, so every row
   of the queue as it was has an id at or below it, and every row queued later, above.
2. The replay queues the matching statements with ``start <= stored < until`` (start:
   the point, or the oldest statement waiting if that is older, so nothing waiting is
   dropped) in (``stored``, ``pk``) order, in lane 0, and removes the old queue (ids up
   to the watermark). Writes meanwhile queue their statements in lane 1 (the column's
   default: the write path is unchanged), all with ``stored > until``, in stored order.
   The two sets are disjoint, and together they are exactly the old queue's statements
   (all stored in [start, until)), those from the point on, and the new ones.
3. Delivery orders by (lane, id) and does not deliver to a target while its replay runs
   (``replay_until`` set: lrs/forward_delivery.py), so it sends lane 0, all older than
   ``until``, then lane 1, all newer: stored order. Rows a later write adds after the
   replay has ended are lane 1 and newer than every lane 0 row, so they sort right too;
   a later replay removes both lanes' old rows by its own watermark.
4. Each chunk moves the target's cursor with a conditional UPDATE in the chunk's own
   transaction: a job retried after a crash goes on from the last committed chunk, and
   two runs of the same replay cannot both queue a chunk.

The target keeps one copy of each id (Communication §2.1.1), so what it has already is
answered "already have it" (lrs/forward_delivery.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update

from core import jobs
from core.db import db
from core.errors import BadRequest
from lrs import clock, forwarding
from lrs.forward_models import ForwardOutbox, ForwardTarget
from lrs.models import Statement

CHUNK = 1000  # statements read per transaction


def start(target: ForwardTarget, since: datetime | None, statement_id: str | None) -> None:
    """Fix a replay's range from a moment (``since``, aware) or a statement's ``stored``.

    The job starts after the caller's commit. Refused while one runs for the target.
    """
    if target.replay_until is not None:
        raise _busy()
    point = _point(since, statement_id)
    oldest = db.session.scalar(  # the queue's first row is its oldest statement
        select(Statement.stored)
        .join(ForwardOutbox, ForwardOutbox.statement_id == Statement.statement_id)
        .where(ForwardOutbox.target_id == target.id)
        .order_by(ForwardOutbox.lane, ForwardOutbox.id)
        .limit(1)
    )
    begin = min(point, oldest) if oldest is not None else point
    until = clock.naive_utc(clock.next_stored())  # the lock, held until the caller commits
    watermark = db.session.scalar(select(func.max(ForwardOutbox.id))) or 0
    marked = db.session.execute(
        update(ForwardTarget)
        .where(ForwardTarget.id == target.id, ForwardTarget.replay_until.is_(None))
        .values(
            replay_until=until,
            replay_after=begin,
            replay_after_pk=None,
            replay_watermark=watermark,
            replay_queued=0,
        )
        .execution_options(synchronize_session=False)
    )
    if not marked.rowcount:  # type: ignore[attr-defined]
        raise _busy()
    forwarding.replay_after_commit(target.id)


def _busy() -> BadRequest:
    return BadRequest(
        "Statements are already being queued again for this target",
        errors=[{"path": "since", "message": "a replay is under way"}],
    )


def run(target_id: int, max_chunks: int | None = None) -> int | None:
    """Queue the replay's chunks; the number it queued once done, None while it is not."""
    chunks = 0
    while max_chunks is None or chunks < max_chunks:
        target = db.session.get(ForwardTarget, target_id, populate_existing=True)
        if target is None or target.replay_until is None or target.removed_at is not None:
            db.session.rollback()
            return None
        if target.replay_watermark is not None:
            _drop_old_queue(target)
        if not _chunk(target):
            return _finish(target_id)
        chunks += 1
    return None


def _drop_old_queue(target: ForwardTarget) -> None:
    db.session.execute(
        delete(ForwardOutbox).where(
            ForwardOutbox.target_id == target.id,
            ForwardOutbox.id <= target.replay_watermark,
        )
    )
    target.replay_watermark = None
    db.session.commit()


def _chunk(target: ForwardTarget) -> bool:
    """Queue the next chunk in one transaction; False when none was left."""
    until, after, after_pk = target.replay_until, target.replay_after, target.replay_after_pk
    if until is None or after is None:
        return False
    query = select(Statement.stored, Statement.pk, Statement.data).where(Statement.stored < until)
    if after_pk is None:
        query = query.where(Statement.stored >= after)
    else:
        query = query.where(
            or_(Statement.stored > after, and_(Statement.stored == after, Statement.pk > after_pk))
        )
    rows = db.session.execute(query.order_by(Statement.stored, Statement.pk).limit(CHUNK)).all()
    if not rows:
        return False
    rule = forwarding.rule_for(target)
    now = clock.naive_utc(clock.utc_now())
    values: list[dict[str, Any]] = [
        {"target_id": target.id, "statement_id": s["id"], "queued_at": now, "lane": 0}
        for _, s in forwarding.matching([rule], [row.data for row in rows])
    ]
    moved = db.session.execute(
        update(ForwardTarget)
        .where(
            ForwardTarget.id == target.id,
            ForwardTarget.replay_after == after,
            ForwardTarget.replay_after_pk.is_(None)
            if after_pk is None
            else ForwardTarget.replay_after_pk == after_pk,
        )
        .values(
            replay_after=rows[-1].stored,
            replay_after_pk=rows[-1].pk,
            replay_queued=ForwardTarget.replay_queued + len(values),
        )
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        db.session.rollback()  # another run took this chunk; go on from where it is
        return True
    if values:
        db.session.execute(insert(ForwardOutbox), values)
    db.session.commit()
    return True


def _finish(target_id: int) -> int:
    queued = db.session.scalar(
        update(ForwardTarget)
        .where(ForwardTarget.id == target_id)
        .values(replay_until=None, replay_after=None, replay_after_pk=None)
        .returning(ForwardTarget.replay_queued)
        .execution_options(synchronize_session=False)
    )
    forwarding.deliver_after_commit()
    db.session.commit()
    return int(queued or 0)


def _point(since: datetime | None, statement_id: str | None) -> datetime:
    if statement_id:
        stored = db.session.scalar(
            select(Statement.stored).where(Statement.statement_id == statement_id)
        )
        if stored is None:
            raise BadRequest(
                "No statement is stored with that id",
                errors=[{"path": "statement_id", "message": "not stored here"}],
            )
        return stored
    if since is None:
        raise BadRequest(
            "Give a moment or a statement to replay from",
            errors=[{"path": "since", "message": "required"}],
        )
    return clock.naive_utc(since)


@jobs.job(retries=5, retry_delay=10)
def forward_replay(target_id: int) -> None:
    """Queue a target's replay (enqueued after ``start`` commits)."""
    run(target_id)
