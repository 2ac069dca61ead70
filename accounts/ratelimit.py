"""A per-client limit on failed sign-ins, kept in the database.

Account lockout (``LOCKOUT_ATTEMPTS``) stops guessing one account's password; this stops
one client from trying many accounts (password spraying). A client is its IP address
(behind a trusted proxy, the forwarded one: core/proxy.py), or its /64 network for
IPv6, since one host usually holds a whole /64. After ``SIGNIN_RATE_LIMIT`` failures
within ``SIGNIN_RATE_WINDOW`` seconds of the first one, sign-ins from that client are
answered 429 with ``Retry-After`` (RFC 6585 §4) until the window ends.

The count is one atomic upsert per failure, so it holds across gunicorn workers and
nodes and counts concurrent failures one each.

The same counter limits other things a client may do only so often, under a key of
their own and with a ``Limit`` of their own: the accessibility statement's reports of
a problem count under ``"report " + client`` (portal/accessibility.py).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, request
from sqlalchemy import case, delete, select

from accounts.models import SignInThrottle
from core.db import db, dialect_insert
from core.errors import AppError
from core.i18n import N_

# Rows of ended windows removed at a time.
PURGE_BATCH = 1000
# Rows are kept at least this long after their window began: the clean-up after one
# limit's count must not drop another limit's row whose (longer) window is still open.
# Every limit's window is shorter than this.
KEEP = timedelta(days=1)

TOO_MANY = N_("Too many failed sign-ins from this address; try again later")


class TooManyRequests(AppError):
    """429: this client has used up its failed sign-ins (or another limit) for now (RFC 6585 §4)."""

    status_code = 429
    title = "Too Many Requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(TOO_MANY, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Limit:
    """At most ``count`` in ``window``, counted from a client's first one."""

    count: int
    window: timedelta


def signin_limit() -> Limit:
    """Failed sign-ins: SIGNIN_RATE_LIMIT in SIGNIN_RATE_WINDOW seconds."""
    config = current_app.config
    return Limit(
        int(config["SIGNIN_RATE_LIMIT"]), timedelta(seconds=int(config["SIGNIN_RATE_WINDOW"]))
    )


def client_key(address: str | None) -> str:
    """The key a client's failures count under: its address, or its IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def this_client() -> str:
    """The key of the current request's client."""
    return client_key(request.remote_addr)


def check(client: str, limit: Limit | None = None) -> None:
    """Raise TooManyRequests while ``client`` has nothing left in its window.

    ``limit``: failed sign-ins unless another is given.
    """
    limit = limit or signin_limit()
    row = db.session.execute(
        select(SignInThrottle.failures, SignInThrottle.window_start).where(
            SignInThrottle.client == client
        )
    ).first()
    if row is None or row.failures < limit.count:
        return
    left = row.window_start + limit.window - _now()
    if left.total_seconds() > 0:
        raise TooManyRequests(retry_after=max(1, math.ceil(left.total_seconds())))


def record_failure(client: str, limit: Limit | None = None) -> int:
    """Count one failed sign-in (or one of ``limit``'s) of ``client``; return its count."""
    window = (limit or signin_limit()).window
    now = _now()
    table = SignInThrottle.__table__
    in_window = table.c.window_start > now - window
    insert = dialect_insert(table).values(client=client, window_start=now, failures=1)
    failures = int(
        db.session.execute(
            insert.on_conflict_do_update(
                index_elements=[table.c.client],
                set_={
                    "failures": case((in_window, table.c.failures + 1), else_=1),
                    "window_start": case((in_window, table.c.window_start), else_=now),
                },
            ).returning(table.c.failures)
        ).scalar_one()
    )
    if failures == 1:
        # A window began: drop rows whose windows have ended (once per window and client,
        # by an index), so the table holds recent clients only. Rows another sign-in has
        # locked are left for later (PostgreSQL), so two clean-ups never wait on each other.
        ended = (
            select(SignInThrottle.client)
            .where(SignInThrottle.window_start <= now - max(window, KEEP))
            .limit(PURGE_BATCH)
            .with_for_update(skip_locked=True)
        )
        db.session.execute(delete(SignInThrottle).where(SignInThrottle.client.in_(ended)))
    return failures
