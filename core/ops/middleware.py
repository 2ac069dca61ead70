"""The outermost WSGI layer: each request's id in and out, its log fields, its metrics.

It wraps every other layer (the LRS's alternate syntax, the body reader, the proxy
fix, Flask), so an answer made before the app runs (a 408 for a stalled body) has an
id and is counted too. The id is in the ``X-Request-ID`` answer header and, while the
app answers the request, in ``core.ops.logs.current`` for every log record (gunicorn's
access log reads it from the answer's header). Flask's
``request_started`` signal notes the URL rule it matched (:func:`note_route`), the
label the request is counted by when its answer starts.

Latency is measured to the answer's headers; a body is sent after (a content file by
the server's own file wrapper, which this layer leaves as it is so that gunicorn can
still send it with sendfile).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import request

from core.ops import logs, metrics

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def _raw_path(environ: WSGIEnvironment) -> str:
    """The path and query as the client sent them (gunicorn's RAW_URI when there is one)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return str(raw)
    query = environ.get("QUERY_STRING")
    return str(environ.get("PATH_INFO", "")) + (f"?{query}" if query else "")


class Observed:
    """Gives every request an id (sent back), log fields and a place in the metrics."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer the request with its id; count it when its answer starts."""
        started = time.perf_counter()
        info = logs.RequestInfo(
            id=logs.request_id_from(environ.get("HTTP_X_REQUEST_ID")),
            method=str(environ.get("REQUEST_METHOD", "GET")),
            raw_path=_raw_path(environ),
        )
        environ["HTTP_X_REQUEST_ID"] = info.id  # the app sees the id that is sent back
        token = logs.current.set(info)
        counted = False

        def count(status: int) -> None:
            nonlocal counted
            if not counted:
                counted = True
                metrics.observe_request(
                    info.route, info.method, status, time.perf_counter() - started
                )

        def start(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[..., Any]:
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append(("X-Request-ID", info.id))
            count(int(status.split(None, 1)[0]))
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, start)
        except BaseException:
            count(500)
            raise
        finally:
            logs.current.reset(token)


def note_route(sender: Any, **_: Any) -> None:
    """Flask's ``request_started``: keep the matched URL rule for the metrics' label."""
    info = logs.current.get()
    if info is not None and request.url_rule is not None:
        info.route = request.url_rule.rule
