"""Request bodies: small ones read whole before the app runs, every read bounded in time.

A client that sends half a body and waits would otherwise hold whatever the app holds
while it reads: a worker (``make run`` runs gevent workers, gunicorn.conf.py, where that
costs a greenlet instead), and, since a view may read its body after its first query, a
database transaction (with SQLite, possibly its one write lock). So:

- a body of at most ``BUFFER_LIMIT`` bytes (runtime commits, statements, forms: nearly
  every request) is read into memory before the app sees the request;
- a larger one (a package upload, a big batch) is read by the view as before, after the
  view has checked who is asking: nothing is written to disk for an anonymous client;
- every read from the client, either way, must bring 16 KiB (or the rest of the body)
  within ``REQUEST_BODY_IDLE_TIMEOUT`` seconds, or the request ends with 408. Only gevent
  can interrupt a blocked read in the same thread; elsewhere (the test servers, a sync
  worker) reads are not timed here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import IO, Any

from core.errors import AppError

BUFFER_LIMIT = 1024 * 1024
_CHUNK = 16 * 1024

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BodyTimeout(AppError):
    """408: the request body stalled (less than a chunk in the idle timeout)."""

    status_code = 408
    title = "Request Timeout"

    def __init__(self) -> None:
        super().__init__("The request body did not arrive in time", headers={"Connection": "close"})


def _idle_deadline(seconds: float) -> Callable[[], AbstractContextManager[Any]]:
    """A context that raises BodyTimeout after ``seconds``, where the server can interrupt."""
    try:
        from gevent import Timeout
        from gevent.monkey import is_module_patched
    except ImportError:  # pragma: no cover  (gevent is a dependency)
        return nullcontext
    if not is_module_patched("socket"):
        return nullcontext
    return lambda: Timeout(seconds, BodyTimeout)


class _TimedInput:
    """The client's body stream, each read bounded by the idle deadline."""

    def __init__(
        self, head: bytes, stream: IO[bytes], deadline: Callable[[], AbstractContextManager[Any]]
    ) -> None:
        self._head = io.BytesIO(head)
        self._stream = stream
        self._deadline = deadline

    def read(self, size: int = -1) -> bytes:
        parts = [self._head.read(size)]
        got = len(parts[0])
        # From the client in chunks, each within the deadline: a slow but steady upload
        # goes on; one that stalls ends.
        while size < 0 or got < size:
            with self._deadline():
                chunk = self._stream.read(_CHUNK if size < 0 else min(_CHUNK, size - got))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def readline(self, size: int = -1) -> bytes:
        line = self._head.readline(size)
        if not line.endswith(b"\n") and (size < 0 or len(line) < size):
            with self._deadline():
                line += self._stream.readline(-1 if size < 0 else size - len(line))
        return line

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


class BufferedBodies:
    """WSGI middleware: small bodies read into memory first; every read timed."""

    def __init__(self, app: WsgiApp, idle_timeout: float, limit: int = BUFFER_LIMIT) -> None:
        self.app = app
        self.idle_timeout = idle_timeout
        self.limit = limit

    def __call__(  # noqa: D102  (the WSGI protocol)
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        try:
            declared = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Werkzeug treats a malformed length as none; so do we
        if not declared and not chunked:
            return self.app(environ, start_response)
        deadline = _idle_deadline(self.idle_timeout)
        stream: IO[bytes] = environ["wsgi.input"]
        head = b""
        if chunked or declared <= self.limit:
            try:
                head = self._read(stream, self.limit + 1 if chunked else declared, deadline)
            except BodyTimeout:
                start_response(
                    "408 Request Timeout",
                    [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")],
                )
                return [b"The request body did not arrive in time.\n"]
            if not chunked or len(head) <= self.limit:
                # Whole: the app reads it from memory.
                environ["wsgi.input"] = io.BytesIO(head)
                environ["CONTENT_LENGTH"] = str(len(head))
                environ["wsgi.input_terminated"] = True
                environ.pop("HTTP_TRANSFER_ENCODING", None)
                return self.app(environ, start_response)
        environ["wsgi.input"] = _TimedInput(head, stream, deadline)
        return self.app(environ, start_response)

    @staticmethod
    def _read(
        stream: IO[bytes], wanted: int, deadline: Callable[[], AbstractContextManager[Any]]
    ) -> bytes:
        """Read up to ``wanted`` bytes (less if the body ends first)."""
        parts: list[bytes] = []
        size = 0
        while size < wanted:
            with deadline():
                chunk = stream.read(min(_CHUNK, wanted - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)
