"""``flask forwarding``: deliver and show the forwarding queue from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from core.db import db
from lrs import forward_delivery, forward_targets


@click.group("forwarding")
def forwarding_group() -> None:
    """Forwarding statements to other LRSs (lrs/forwarding.py)."""


@forwarding_group.command("status")
@with_appcontext
def status() -> None:
    """Each target: waiting statements, delivered, failures and the last error."""
    found = forward_targets.lags()
    for target in forward_targets.list_targets():
        lag = found.get(target.id, forward_targets.Lag())
        state = "paused" if target.paused else "active"
        click.echo(
            f"{target.id}\t{target.name}\t{state}\tpending={lag.pending}\t"
            f"delivered={target.delivered}\tfailures={target.failures}\t"
            f"last_error={target.last_error or ''}"
        )
    db.session.rollback()


@forwarding_group.command("deliver")
@click.option("--seconds", type=float, default=forward_delivery.RUN_SECONDS, show_default=True)
@with_appcontext
def deliver(seconds: float) -> None:
    """Deliver what waits for every due target now (as the background job does)."""
    for target_id, outcome in forward_delivery.deliver_all(seconds).items():
        click.echo(
            f"{target_id}\tdelivered={outcome.delivered}\tconflicts={outcome.conflicts}\t"
            f"error={outcome.error or ''}"
        )
