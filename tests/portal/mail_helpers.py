"""A real SMTP server for the tests (aiosmtpd) and the job queue run by hand.

``Sink`` keeps every message it accepted; it can refuse a given delivery attempt once
(451, a temporary failure) or hold one unanswered until the test lets it go (so a test
can kill the sender while it waits). ``drain`` runs huey's queue in this process until it
is empty, moving retries scheduled for later up to now (no waiting).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from huey import Huey


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sink:
    """The SMTP server's handler: what arrived, and failures on demand."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.attempts = 0
        self.refuse: set[int] = set()  # attempt numbers answered 451
        self.hold_at: int | None = None  # attempt number left waiting
        self.holding = threading.Event()
        self.release = threading.Event()
        self._changed = threading.Condition()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        with self._changed:
            self.attempts += 1
            attempt = self.attempts
        if attempt in self.refuse:
            return "451 4.3.0 Try again later"
        if attempt == self.hold_at:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 120)
            return "451 4.3.0 Held and let go"
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._changed:
            self.received.append((list(envelope.rcpt_tos), message))
            self._changed.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 120) -> bool:
        """Block until ``count`` messages arrived (False after ``timeout`` seconds)."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.received) >= count, timeout)

    def recipients(self) -> list[str]:
        return sorted(r for rcpts, _m in self.received for r in rcpts)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.received if address in rcpts]


class SmtpServer:
    """aiosmtpd on a free local port, with a ``Sink``."""

    def __init__(self) -> None:
        self.sink = Sink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.sink.release.set()
        self.controller.stop()


def drain(huey: Huey, limit: int = 1000) -> int:
    """Run queued jobs here until none are left, retries included; how many ran."""
    now = datetime.now(UTC).replace(tzinfo=None)
    ran = 0
    while ran < limit:
        task = huey.dequeue()
        if task is None:
            now += timedelta(days=1)  # the backoff's delays, passed at once
            later = huey.read_schedule(now)
            if not later:
                return ran
            for scheduled in later:
                huey.enqueue(scheduled)
            continue
        ran += 1
        # A failure is huey's to record and retry (the signals write it down).
        with contextlib.suppress(Exception):
            huey.execute(task, now)
    raise AssertionError(f"the queue did not empty after {limit} jobs")
