"""Delivering the outbox to the other LRSs: in order, each statement until the target has it.

One worker at a time delivers to a target: it takes the target's lease (a conditional
UPDATE, committed, so it works on SQLite and across nodes alike), then repeats: read
the next batch in outbox order, POST it to ``<endpoint>statements`` with the
statements' own ids (no transaction is open while it waits), and remove the batch from
the outbox. A failure (connection refused, a timeout, 429, 5xx, or any other refusal)
leaves the batch queued, notes the error and the attempt, and sets the next try after
an exponential backoff; nothing after the batch is sent before it, so the target gets
a target's statements in the order they were stored here. The queue's order is
(``lane``, ``id``), and a target is not delivered to while a replay queues for it
(lrs/forward_replay.py says why that is stored order).

"Already have it" (xAPI 1.0.3 Communication §2.1.1/§2.1.2): an LRS that has a statement
with the same id answers a POST either 200 (the same statement: nothing changed) or 409
Conflict for the whole batch. On a 409 the batch is sent again one statement at a time
with PUT, where 204 is stored (or had already) and 409 is "it has a statement with this
id": either way the target has it, so it is done and the next one is sent. A worker that
dies between a target's 200 and removing the batch sends it again later, which the
target answers the same way: every statement is stored there once.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from flask import current_app
from sqlalchemy import delete, or_, select, update

from core import jobs, jsoncodec
from core.db import db
from core.jobs import crontab
from core.ops import metrics
from lrs import clock, multipart
from lrs.forward_models import ForwardOutbox, ForwardTarget
from lrs.forward_targets import unseal
from lrs.models import Attachment, Statement

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # longer than any one batch's HTTP timeout
RUN_SECONDS = 50.0  # a job's delivery stops after this, the next run goes on


# The errors kept for admins (``last_error``), in English; the portal shows them in the
# reader's language (portal/views/forwarding.py). An HTTP refusal is HTTP_ERROR's
# prefix, the status and the start of the answer's body.
SECRET_UNREADABLE = "The secret cannot be read (SECRET_KEY changed): enter it again"  # noqa: S105  (a message)
TIMEOUT = "The target did not answer in time"
UNREACHABLE = "The target could not be reached (connection failed)"
REQUEST_FAILED = "The request failed"
HTTP_ERROR = "The target answered HTTP"
SLOW = "The target took too long to answer one by one; the rest follows"


class DeliveryError(Exception):
    """A batch the target did not take; the message is shown to admins (no secrets)."""

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Outcome:
    """What one ``deliver`` call did for a target."""

    delivered: int = 0
    conflicts: int = 0  # answered "already have it" by a 409
    dropped: int = 0  # queued statements no longer stored here (culled)
    error: str | None = None
    busy: bool = False  # another worker holds the target's lease, or it is not due


def _now() -> datetime:
    return clock.naive_utc(clock.utc_now())


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{id(object())}"[:100]


def deliver(
    target_id: int, max_batches: int | None = None, seconds: float = RUN_SECONDS
) -> Outcome:
    """Deliver a target's queue in order until it is empty, fails, or time is up."""
    owner, outcome, started = _me(), Outcome(), time.monotonic()
    if not _claim(target_id, owner):
        outcome.busy = True
        return outcome
    batches = 0
    try:
        while max_batches is None or batches < max_batches:
            if time.monotonic() - started > seconds:
                break
            sent = _deliver_batch(target_id, owner, outcome)
            batches += 1
            if not sent:
                break
    finally:
        _release(target_id, owner)
    return outcome


def _claim(target_id: int, owner: str) -> bool:
    now = _now()
    t = ForwardTarget
    claimed = db.session.execute(
        update(t)
        .where(
            t.id == target_id,
            t.removed_at.is_(None),
            t.paused.is_(False),
            t.replay_until.is_(None),
            or_(t.next_attempt_at.is_(None), t.next_attempt_at <= now),
            or_(t.lease_until.is_(None), t.lease_until < now, t.lease_owner == owner),
        )
        .values(lease_owner=owner, lease_until=now + LEASE)
    )
    db.session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _release(target_id: int, owner: str) -> None:
    db.session.rollback()
    db.session.execute(
        update(ForwardTarget)
        .where(ForwardTarget.id == target_id, ForwardTarget.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )
    db.session.commit()


def _deliver_batch(target_id: int, owner: str, outcome: Outcome) -> bool:
    """Send the next batch; False when there was none or it failed."""
    target = db.session.get(ForwardTarget, target_id, populate_existing=True)
    if (
        target is None
        or target.paused
        or target.removed_at is not None
        or target.replay_until is not None  # a replay is queuing: lrs/forward_replay.py
    ):
        return False
    rows = db.session.execute(
        select(ForwardOutbox.id, Statement.statement_id, Statement.data)
        .outerjoin(Statement, Statement.statement_id == ForwardOutbox.statement_id)
        .where(ForwardOutbox.target_id == target_id)
        .order_by(ForwardOutbox.lane, ForwardOutbox.id)  # lrs/forward_replay.py: why lanes
        .limit(current_app.config["FORWARDING_BATCH"])
    ).all()
    if not rows:
        return False
    ids = [row[0] for row in rows]
    # Plain values, read before the commit (ORM objects would be expired by it).
    statements = [_Item(row[1], row[2]) for row in rows if row[1] is not None]
    attachments = _attachments(statements)
    secret = unseal(target.secret_sealed)
    endpoint, key, version = target.endpoint, target.key, target.version
    db.session.commit()  # no transaction stays open while the target answers
    sender = _Sender(endpoint, (key, secret or ""), version)
    try:
        if secret is None:
            raise DeliveryError(SECRET_UNREADABLE)
        conflicts = sender.send(statements, attachments)
    except DeliveryError as exc:
        done = _delivered_before_failure(sender, rows)
        _failed(target_id, str(exc), exc.retry_after, ids[:done], outcome)
        return False
    _succeeded(target_id, ids, len(statements), outcome)
    outcome.conflicts += conflicts
    outcome.dropped += len(ids) - len(statements)
    return True


def _delivered_before_failure(sender: _Sender, rows: Sequence[Any]) -> int:
    """How many outbox rows, from the first, the target took before a one-by-one send failed."""
    if not sender.sent_ids:
        return 0
    taken = set(sender.sent_ids)
    count = 0
    for row in rows:
        if row[1] is not None and row[1] not in taken:
            break
        count += 1
    return count


def _succeeded(target_id: int, ids: list[int], sent: int, outcome: Outcome) -> None:
    now = _now()
    db.session.execute(
        delete(ForwardOutbox).where(ForwardOutbox.target_id == target_id, ForwardOutbox.id.in_(ids))
    )
    db.session.execute(
        update(ForwardTarget)
        .where(ForwardTarget.id == target_id)
        .values(
            delivered=ForwardTarget.delivered + sent,
            last_delivered_at=now,
            failures=0,
            next_attempt_at=None,
            lease_until=now + LEASE,
        )
    )
    metrics.count_after_commit(db.session(), metrics.FORWARDED.labels(str(target_id)), sent)
    db.session.commit()
    outcome.delivered += sent


def _failed(
    target_id: int, error: str, retry_after: float, done_ids: list[int], outcome: Outcome
) -> None:
    """Note the failure and when to try again; rows the target took already are removed."""
    now = _now()
    target = db.session.get(ForwardTarget, target_id, populate_existing=True)
    if target is None:
        return
    if done_ids:
        db.session.execute(delete(ForwardOutbox).where(ForwardOutbox.id.in_(done_ids)))
        target.delivered += len(done_ids)
        outcome.delivered += len(done_ids)
    config = current_app.config
    target.failures += 1
    backoff = min(
        config["FORWARDING_RETRY_SECONDS"] * 2 ** min(target.failures - 1, 20),
        config["FORWARDING_RETRY_MAX_SECONDS"],
    )
    target.next_attempt_at = now + timedelta(seconds=max(backoff, retry_after))
    target.last_error = error[:500]
    target.last_error_at = now
    metrics.count_after_commit(db.session(), metrics.FORWARD_FAILURES.labels(str(target_id)))
    db.session.commit()
    outcome.error = error
    log.warning("forwarding to target %s failed (try %s): %s", target_id, target.failures, error)


class _Sender:
    """POSTs (and, after a 409, PUTs) statements to one LRS."""

    def __init__(self, endpoint: str, auth: tuple[str, str], version: str) -> None:
        self.url = endpoint + "statements"
        self.auth = auth
        self.headers = {"X-Experience-API-Version": version}
        self.timeout = (10, float(current_app.config["FORWARDING_TIMEOUT"]))
        self.sent_ids: list[str] = []

    def send(self, statements: list[_Item], attachments: dict[str, _Raw]) -> int:
        """Send a batch; the number answered "already have it" (409)."""
        if not statements:
            return 0
        answer = self._request("POST", statements, attachments, None)
        if answer.status_code != 409:
            return 0
        conflicts, started = 0, time.monotonic()
        for statement in statements:  # one by one, in order: which ones does it have?
            if time.monotonic() - started > LEASE.total_seconds() / 2:
                # The lease must outlast the batch: the rest goes in the next round.
                raise DeliveryError(SLOW)
            one = self._request("PUT", [statement], attachments, statement.statement_id)
            conflicts += one.status_code == 409
            self.sent_ids.append(statement.statement_id)
        return conflicts

    def _request(
        self,
        method: str,
        statements: list[_Item],
        attachments: dict[str, _Raw],
        one: str | None,
    ) -> Any:
        body, content_type = _body(statements, attachments, single=one is not None)
        try:
            answer = requests.request(
                method,
                self.url,
                params={"statementId": one} if one else None,
                data=body,
                headers={**self.headers, "Content-Type": content_type},
                auth=self.auth,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise DeliveryError(TIMEOUT) from None
        except requests.ConnectionError:
            raise DeliveryError(UNREACHABLE) from None
        except requests.RequestException as exc:
            raise DeliveryError(f"{REQUEST_FAILED}: {type(exc).__name__}") from None
        if answer.ok or answer.status_code == 409:
            return answer
        raise DeliveryError(_describe(answer), _retry_after(answer))


@dataclass(frozen=True)
class _Item:
    statement_id: str
    data: dict[str, Any]


@dataclass(frozen=True)
class _Raw:
    content_type: str
    data: bytes


def _hashes(statement: _Item) -> list[str]:
    return [a["sha2"] for a in statement.data.get("attachments") or () if "sha2" in a]


def _attachments(statements: list[_Item]) -> dict[str, _Raw]:
    """The stored attachment data the statements name, by SHA-2 (one query, or none)."""
    wanted = {sha2 for s in statements for sha2 in _hashes(s)}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Attachment.sha2, Attachment.content_type, Attachment.data).where(
            Attachment.sha2.in_(wanted)
        )
    )
    return {sha2: _Raw(content_type, data) for sha2, content_type, data in rows}


def _body(statements: list[_Item], attachments: dict[str, _Raw], single: bool) -> tuple[bytes, str]:
    """The statements as sent, with their attachments' data as multipart/mixed.

    ``stored`` is the target's to set (Data §2.4.8); attachments: Communication §1.5.2.
    """
    data = [{k: v for k, v in s.data.items() if k != "stored"} for s in statements]
    payload = jsoncodec.dumps_bytes(data[0] if single else data)
    named = dict.fromkeys(sha2 for s in statements for sha2 in _hashes(s) if sha2 in attachments)
    if not named:
        return payload, "application/json"
    parts = [({"Content-Type": "application/json"}, payload)]
    parts += [
        (
            {
                "Content-Type": attachments[sha2].content_type,
                "Content-Transfer-Encoding": "binary",
                "X-Experience-API-Hash": sha2,
            },
            attachments[sha2].data,
        )
        for sha2 in named
    ]
    return multipart.build(parts)


def _describe(answer: requests.Response) -> str:
    text = answer.text[:200].replace("\n", " ") if answer.text else ""
    return f"{HTTP_ERROR} {answer.status_code}: {text}".strip()


def _retry_after(answer: requests.Response) -> float:
    value = answer.headers.get("Retry-After", "")
    return min(float(value), 3600.0) if value.isdigit() else 0.0


# -- which targets, and the jobs -----------------------------------------------------------------


def due_targets() -> list[int]:
    """Targets with statements waiting that may be delivered to now."""
    now = _now()
    t = ForwardTarget
    waiting = select(ForwardOutbox.target_id).where(ForwardOutbox.target_id == t.id).exists()
    ids = db.session.scalars(
        select(t.id)
        .where(
            t.removed_at.is_(None),
            t.paused.is_(False),
            t.replay_until.is_(None),
            or_(t.next_attempt_at.is_(None), t.next_attempt_at <= now),
            or_(t.lease_until.is_(None), t.lease_until < now),
            waiting,
        )
        .order_by(t.id)
    ).all()
    db.session.commit()
    return list(ids)


def deliver_all(seconds: float = RUN_SECONDS) -> dict[int, Outcome]:
    """Deliver to every due target (each in order), sharing ``seconds`` between them."""
    started, outcomes = time.monotonic(), {}
    for target_id in due_targets():
        left = seconds - (time.monotonic() - started)
        if left <= 0:
            break
        outcomes[target_id] = deliver(target_id, seconds=left)
    return outcomes


def drop_orphans() -> int:
    """Remove outbox rows of removed targets (queued by a node that had not heard yet)."""
    gone = select(ForwardTarget.id).where(ForwardTarget.removed_at.is_not(None))
    known = select(ForwardTarget.id).where(ForwardTarget.id == ForwardOutbox.target_id)
    result = db.session.execute(
        delete(ForwardOutbox).where(
            or_(
                ForwardOutbox.target_id.in_(gone),
                ~known.exists(),
            )
        )
    )
    db.session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


@jobs.job(retries=0)
def forward_statements() -> None:
    """Deliver what waits, now (enqueued after a commit that queued statements)."""
    deliver_all()


@jobs.periodic(crontab(minute="*"), retries=0)
def forward_statements_periodic() -> None:
    """Each minute: retries after a backoff, and whatever a kick did not reach."""
    drop_orphans()
    deliver_all()
