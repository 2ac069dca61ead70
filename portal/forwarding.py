"""Forwarding to other LRSs as an admin manages it: each change is audited (lrs does the work).

The audit entries name the target and its filter, never its secret.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import to_utc

from accounts import audit
from lrs import forward_replay, forward_targets
from lrs.forward_models import ForwardTarget


def _details(target: ForwardTarget) -> dict[str, Any]:
    return {"endpoint": target.endpoint, "version": target.version, **target.filter_summary()}


def create(values: dict[str, Any]) -> ForwardTarget:
    """A new target."""
    target = forward_targets.create_target(values)
    audit.record(
        "forwarding.created", "forwarding", target.id, target.name, details=_details(target)
    )
    return target


def update(target: ForwardTarget, values: dict[str, Any]) -> ForwardTarget:
    """Change a target (an empty secret keeps the stored one)."""
    forward_targets.update_target(target, values)
    details = {**_details(target), "secret_changed": bool(values.get("secret"))}
    audit.record("forwarding.changed", "forwarding", target.id, target.name, details=details)
    return target


def pause(target: ForwardTarget, paused: bool) -> ForwardTarget:
    """Pause or resume delivery."""
    forward_targets.set_paused(target, paused)
    action = "forwarding.paused" if paused else "forwarding.resumed"
    audit.record(action, "forwarding", target.id, target.name)
    return target


def replay(target: ForwardTarget, since: datetime | None, statement_id: str | None) -> None:
    """Start queuing again (a job) from a moment (naive: the admin's zone) or a statement."""
    moment = to_utc(since).replace(tzinfo=UTC) if since is not None else None
    forward_replay.start(target, moment, statement_id)
    details = {"since": moment.isoformat() if moment else None, "statement_id": statement_id}
    audit.record("forwarding.replayed", "forwarding", target.id, target.name, details=details)


def skip(target: ForwardTarget, outbox_id: int) -> None:
    """Skip the statement first in the queue (the target refuses it for good)."""
    error = target.last_error
    skipped = forward_targets.skip_head(target, outbox_id)
    details = {"statement_id": skipped.statement_id, "last_error": error}
    audit.record("forwarding.skipped", "forwarding", target.id, target.name, details=details)


def remove(target: ForwardTarget) -> ForwardTarget:
    """Stop forwarding to a target; what waits is dropped."""
    forward_targets.remove_target(target)
    audit.record("forwarding.removed", "forwarding", target.id, target.name)
    return target
