"""Forwarding tables: the other LRSs statements are sent to, and the outbox.

``lrs_forward_outbox`` is written in the same transaction as the statements it names
(lrs/forwarding.py), so a statement is queued for a target if and only if it is
stored; delivery (lrs/forward_delivery.py) removes a row once the target has the
statement. Rows are delivered in (``lane``, ``id``) order (lane 0: a replay's, see
lrs/forward_replay.py). A write's rows (lane 1) are in ``id`` order, which is the order
the statements became visible: they are inserted while the writer holds the stored
clock's row lock (lrs/clock.py), so no later writer can take a smaller id and commit first.

Neither column of the outbox is a foreign key: a node whose cached list of targets is a
few seconds old may still queue for a target just removed, and statements can be
culled (retention) while queued; delivery drops such rows instead of a write failing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model

BigId = BigInteger().with_variant(Integer(), "sqlite")


class ForwardTarget(Model):
    """Another LRS that receives a copy of the statements that match its filter."""

    __tablename__ = "lrs_forward_target"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The LRS's endpoint, ending in "/" (statements go to <endpoint>statements).
    endpoint: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(200))
    # The secret, encrypted with a key derived from SECRET_KEY (lrs/forwarding.py); it is
    # needed to send, so it cannot be hashed, and it is never shown or logged.
    secret_sealed: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(8))  # X-Experience-API-Version to send
    # Filter (each empty: any): verb IRIs, activity ids (a trailing "*": a prefix), and
    # a unit whose subtree the actor's account must be in.
    verbs: Mapped[list[str]] = mapped_column(JSON)
    activities: Mapped[list[str]] = mapped_column(JSON)
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    removed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Delivery's state: who delivers now (a lease, so one worker per target keeps the
    # order), how it went, and when to try again after a failure.
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    delivered: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # A replay ("send again", lrs/forwarding.py) under way: it queues statements stored
    # before ``replay_until`` (None: no replay), from after (``replay_after``,
    # ``replay_after_pk``) on; outbox rows up to ``replay_watermark`` are the old queue.
    replay_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    replay_after: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    replay_after_pk: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    replay_watermark: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    replay_queued: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    def filter_summary(self) -> dict[str, Any]:
        """The filter as the admin set it."""
        return {"verbs": self.verbs, "activities": self.activities, "unit_id": self.unit_id}


class ForwardOutbox(Model):
    """One statement waiting to be delivered to one target."""

    __tablename__ = "lrs_forward_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    target_id: Mapped[int] = mapped_column(Integer)
    statement_id: Mapped[str] = mapped_column(String(36))
    queued_at: Mapped[datetime] = mapped_column(DateTime)
    # Delivery order is (lane, id): 0 for rows a replay queued, 1 (the default, so the
    # write path names no lane) for rows queued with their statement (lrs/forwarding.py).
    lane: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")

    __table_args__ = (Index("ix_lrs_forward_outbox_target_id", "target_id", "lane", "id"),)
