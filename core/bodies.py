"""Request bodies are read whole before the app sees the request.

A client that sends half a body and waits would otherwise hold whatever the app holds
while it reads: a worker, and since views read their body after the first query, a
database transaction (with SQLite, possibly its one write lock). The server started by
``make run`` runs gevent workers (gunicorn.conf.py), where a connection waiting for bytes
costs a greenlet, not a worker; this middleware makes sure the waiting happens here,
before the app, and that a client which sends less than 16 KiB in
``REQUEST_BODY_IDLE_TIMEOUT`` seconds is dropped (408).

Bodies go to a spooled temporary file (in memory up to 1 MiB, on disk beyond), at most
``MAX_CONTENT_LENGTH`` bytes of them: a declared length above it is not read at all and
Flask answers 413 when the view asks for the body; a chunked body that grows past it is
cut there and answered 413 the same way.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import IO, Any

_CHUNK = 16 * 1024
_IN_MEMORY = 1024 * 1024

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BodyTimeout(Exception):
    """The client's request body stalled (less than a chunk in the idle timeout)."""


def _idle_deadline(seconds: float) -> Callable[[], AbstractContextManager[Any]]:
    """A context that raises BodyTimeout after ``seconds``, where the server can interrupt.

    Only gevent can interrupt a blocked read in the same thread (a greenlet); in other
    servers (a sync or threaded worker, the test servers) reads are not interrupted here.
    """
    try:
        from gevent import Timeout
        from gevent.monkey import is_module_patched
    except ImportError:  # pragma: no cover  (gevent is a dependency)
        return nullcontext
    if not is_module_patched("socket"):
        return nullcontext
    return lambda: Timeout(seconds, BodyTimeout)


class BufferedBodies:
    """WSGI middleware: read the request body into a spooled file, then call the app."""

    def __init__(self, app: WsgiApp, max_length: int, idle_timeout: float) -> None:
        self.app = app
        self.max_length = max_length
        self.idle_timeout = idle_timeout

    def __call__(  # noqa: D102  (the WSGI protocol)
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        try:
            declared = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Werkzeug treats a malformed length as none; so do we
        if (not declared and not chunked) or declared > self.max_length:
            return self.app(environ, start_response)
        try:
            body, size = self._read(environ["wsgi.input"], None if chunked else declared)
        except BodyTimeout:
            start_response(
                "408 Request Timeout",
                [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")],
            )
            return [b"The request body did not arrive in time.\n"]
        environ["wsgi.input"] = body
        environ["CONTENT_LENGTH"] = str(size)
        environ["wsgi.input_terminated"] = True
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)

    def _read(self, stream: IO[bytes], length: int | None) -> tuple[IO[bytes], int]:
        """Copy the body (``length`` bytes, or to its end) into a spooled file.

        A body longer than ``max_length`` is cut one byte past it: its length then tells
        Flask to answer 413.
        """
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY)  # noqa: SIM115
        wanted = self.max_length + 1 if length is None else length
        size = 0
        deadline = _idle_deadline(self.idle_timeout)
        while size < wanted:
            with deadline():
                chunk = stream.read(min(_CHUNK, wanted - size))
            if not chunk:
                break
            spool.write(chunk)
            size += len(chunk)
        spool.seek(0)
        return spool, size
