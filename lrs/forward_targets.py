"""The targets of forwarding an admin manages, their secrets, and how far behind each is.

A target's secret is needed to send, so it is kept reversibly: encrypted (Fernet,
AES-128-CBC with HMAC-SHA256) under a key derived from SECRET_KEY, which every node
shares. It is never returned to a page, never logged, and never in the audit log; a
changed SECRET_KEY leaves it unreadable, and delivery says so until it is typed again.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from core.db import db
from core.errors import BadRequest, NotFound
from lrs import clock, forwarding
from lrs.forward_models import ForwardOutbox, ForwardTarget

log = logging.getLogger(__name__)

VERSIONS = ("1.0.3", "2.0.0")


def _fernet() -> Fernet:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hashlib.sha256(b"kompetens forwarding secrets\0" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: str) -> str:
    """The secret encrypted for the database."""
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The secret, or None when SECRET_KEY changed since it was sealed."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def normal_endpoint(endpoint: str) -> str:
    """The LRS's endpoint with a trailing "/"; http(s) only, no user, query or fragment."""
    parts = urlsplit(endpoint.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
        or parts.query
        or parts.fragment
    ):
        raise BadRequest(
            "The endpoint must be an http(s) URL without user, query or fragment",
            errors=[{"path": "endpoint", "message": "not an LRS endpoint"}],
        )
    url = parts.geturl()
    return url if url.endswith("/") else url + "/"


def create_target(values: dict[str, Any]) -> ForwardTarget:
    """A new target; statements stored from its commit on are queued for it.

    ``values``: name, endpoint, key, secret, version, verbs, activities, unit_id.
    """
    target = ForwardTarget(
        created_at=clock.naive_utc(clock.utc_now()),
        paused=False,
        delivered=0,
        failures=0,
        secret_sealed=seal(values["secret"]),
    )
    _apply(target, values)
    db.session.add(target)
    db.session.flush()
    forwarding.targets_changed()
    return target


def update_target(target: ForwardTarget, values: dict[str, Any]) -> ForwardTarget:
    """Change a target; an empty ``secret`` keeps the stored one."""
    _apply(target, values)
    if values.get("secret"):
        target.secret_sealed = seal(values["secret"])
    db.session.flush()
    forwarding.targets_changed()
    return target


def _apply(target: ForwardTarget, values: dict[str, Any]) -> None:
    if values["version"] not in VERSIONS:
        raise BadRequest(
            "Unsupported xAPI version", errors=[{"path": "version", "message": "unsupported"}]
        )
    target.name = values["name"].strip()
    target.endpoint = normal_endpoint(values["endpoint"])
    target.key = values["key"].strip()
    target.version = values["version"]
    target.verbs = sorted(set(values.get("verbs") or []))
    target.activities = sorted(set(values.get("activities") or []))
    target.unit_id = values.get("unit_id")


def set_paused(target: ForwardTarget, paused: bool) -> ForwardTarget:
    """Pause delivery (statements are still queued) or resume it (and try at once)."""
    target.paused = paused
    if not paused:
        target.next_attempt_at = None
        forwarding.deliver_after_commit()
    db.session.flush()
    return target


def remove_target(target: ForwardTarget) -> ForwardTarget:
    """Stop forwarding to a target: nothing more is queued, what waits is dropped."""
    target.removed_at = clock.naive_utc(clock.utc_now())
    db.session.execute(delete(ForwardOutbox).where(ForwardOutbox.target_id == target.id))
    db.session.flush()
    forwarding.targets_changed()
    return target


@dataclass(frozen=True)
class Head:
    """The statement a target's delivery waits on: its outbox row and its id."""

    outbox_id: int
    statement_id: str


def head(target: ForwardTarget) -> Head | None:
    """The first statement in the target's queue (the next one it is sent), if any."""
    row = db.session.execute(
        select(ForwardOutbox.id, ForwardOutbox.statement_id)
        .where(ForwardOutbox.target_id == target.id)
        .order_by(ForwardOutbox.lane, ForwardOutbox.id)
        .limit(1)
    ).first()
    return Head(row[0], row[1]) if row is not None else None


def skip_head(target: ForwardTarget, outbox_id: int) -> Head:
    """Drop the statement first in the queue, so the rest goes on at once.

    For a statement the target refuses for good (HTTP 400, 403, 413...). ``outbox_id``
    is the row the admin saw: a queue that moved on since is not skipped into. The
    statement stays stored here; only this target does not get it.
    """
    if target.replay_until is not None:
        raise BadRequest(
            "Statements are being queued again for this target; skip when that is done",
            errors=[{"path": "outbox_id", "message": "a replay is under way"}],
        )
    first = head(target)
    if first is None or first.outbox_id != outbox_id:
        raise BadRequest(
            "That statement is no longer first in the queue",
            errors=[{"path": "outbox_id", "message": "not first in the queue"}],
        )
    db.session.execute(delete(ForwardOutbox).where(ForwardOutbox.id == outbox_id))
    target.failures = 0
    target.next_attempt_at = None
    forwarding.deliver_after_commit()
    db.session.flush()
    return first


def get_target(target_id: int) -> ForwardTarget:
    """A target not removed, or 404."""
    target = db.session.get(ForwardTarget, target_id)
    if target is None or target.removed_at is not None:
        raise NotFound("No such forwarding target")
    return target


def list_targets() -> list[ForwardTarget]:
    """Every target not removed, oldest first."""
    return list(
        db.session.scalars(
            select(ForwardTarget)
            .where(ForwardTarget.removed_at.is_(None))
            .order_by(ForwardTarget.id)
        )
    )


@dataclass
class Lag:
    """How far behind a target is: statements waiting, and since when the oldest waits."""

    pending: int = 0
    oldest: datetime | None = None

    def oldest_seconds(self, now: datetime) -> float:
        """The oldest waiting statement's age in seconds (0 when none waits)."""
        return max(0.0, (now - self.oldest).total_seconds()) if self.oldest else 0.0


def lags() -> dict[int, Lag]:
    """Each target's lag, by target id (one grouped query)."""
    rows = db.session.execute(
        select(ForwardOutbox.target_id, func.count(), func.min(ForwardOutbox.queued_at)).group_by(
            ForwardOutbox.target_id
        )
    )
    return {target_id: Lag(count, oldest) for target_id, count, oldest in rows}


class LagCollector:
    """Prometheus gauges of each target's lag and failures, read when scraped."""

    def collect(self) -> Iterator[Metric]:
        """The gauges, from one read of the targets and one of the outbox."""
        try:
            targets, found = list_targets(), lags()
        except SQLAlchemyError as exc:  # the rest of the scrape is still answered
            log.warning("metrics: forwarding could not be read: %s", type(exc).__name__)
            db.session.rollback()
            return
        now = clock.naive_utc(clock.utc_now())
        families = {
            "pending": GaugeMetricFamily(
                "kompetens_lrs_forwarding_pending",
                "Statements waiting to be delivered to another LRS, by target id",
                labels=["target"],
            ),
            "oldest": GaugeMetricFamily(
                "kompetens_lrs_forwarding_oldest_seconds",
                "Age of the oldest statement waiting for a target, in seconds",
                labels=["target"],
            ),
            "failures": GaugeMetricFamily(
                "kompetens_lrs_forwarding_failing_attempts",
                "Failed attempts in a row for a target (0: its last attempt went through)",
                labels=["target"],
            ),
            "paused": GaugeMetricFamily(
                "kompetens_lrs_forwarding_paused",
                "1 when delivery to a target is paused",
                labels=["target"],
            ),
        }
        for target in targets:
            label, lag = [str(target.id)], found.get(target.id, Lag())
            families["pending"].add_metric(label, lag.pending)
            families["oldest"].add_metric(label, lag.oldest_seconds(now))
            families["failures"].add_metric(label, target.failures)
            families["paused"].add_metric(label, 1 if target.paused else 0)
        yield from families.values()
