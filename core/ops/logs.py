"""Log records as text or JSON lines, each with the id of the request it was written in.

A request's id (``X-Request-ID``) is taken from the client or the proxy in front when it
looks sane, else made here, and sent back on every answer (core/ops/middleware.py); it
is kept in a context variable for the request (a greenlet's or thread's own), and
:class:`RequestFilter` puts it, the method and the path on every record logged meanwhile,
whoever logs it. ``LOG_FORMAT=json`` writes one JSON object a line (time, level, logger,
message, request_id, method, path; the access log adds status and duration), for a log
shipper; ``text`` (the default) writes lines for people.

No secrets: paths and messages go through ``core.accesslog.redact`` (launch tokens,
``auth=`` and the like), and no request header is ever logged.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

import orjson
from flask.logging import default_handler

from core.accesslog import RedactingLogger, redact

FORMATS = ("text", "json")
# What an incoming X-Request-ID may look like to be kept (a uuid, a proxy's hex id,
# a trace id with dots or dashes); anything else is replaced by an id of our own.
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
# Attributes a record may carry about its request (set by the filter or by the access
# log), in the order the JSON line has them.
REQUEST_FIELDS = ("request_id", "method", "path", "status", "duration")


@dataclass
class RequestInfo:
    """What the log and the metrics need of the request being answered."""

    id: str
    method: str
    raw_path: str  # as received, query included: redacted whenever it is written
    route: str | None = None  # the URL rule Flask matched (core/ops/middleware.py)


current: ContextVar[RequestInfo | None] = ContextVar("kompetens_request", default=None)


def request_id_from(header: str | None) -> str:
    """The client's or proxy's id if it looks sane (≤ 128 of ``A-Za-z0-9._-``), else a new one."""
    if header and _SANE_ID.match(header):
        return header
    return uuid.uuid4().hex


class RequestFilter(logging.Filter):
    """Puts the current request's id, method and (redacted) path on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the request's fields (a record that has them already keeps its own)."""
        info = current.get()
        if info is not None and not hasattr(record, "request_id"):
            record.request_id = info.id
            record.method = info.method
            record.path = redact(info.raw_path)
        return True


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    return redact(record.exc_text or "")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message and the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line (message and exception redacted)."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "pid": record.process,
        }
        for name in REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        extra = getattr(record, "access", None)
        if isinstance(extra, dict):
            line.update(extra)
        exception = _exception_text(self, record)
        if exception:
            line["exception"] = exception
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """gunicorn's error-log line, the logger's name, and the request's id when there is one."""

    def __init__(self) -> None:
        super().__init__(
            "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
            "%Y-%m-%d %H:%M:%S %z",
        )

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The line, its message redacted."""
        line = super().formatMessage(record)
        request_id = getattr(record, "request_id", None)
        return redact(line + (f" [request {request_id}]" if request_id else ""))

    def formatException(self, ei: Any) -> str:
        """The traceback, redacted."""
        return redact(super().formatException(ei))


def formatter(log_format: str) -> logging.Formatter:
    """The formatter of ``LOG_FORMAT``."""
    return JsonFormatter() if log_format == "json" else TextFormatter()


def handler(stream: IO[str], log_format: str) -> logging.Handler:
    """A handler writing ``stream`` in ``log_format``, with the request's fields."""
    made = logging.StreamHandler(stream)
    made.setFormatter(formatter(log_format))
    made.addFilter(RequestFilter())
    made.kompetens = True  # type: ignore[attr-defined]  # ours: replaced, never doubled
    return made


def check_format(log_format: str) -> None:
    """Refuse an unknown ``LOG_FORMAT`` at start."""
    if log_format not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")


def configure(log_format: str, app_logger: logging.Logger) -> None:
    """Send every logger's records (INFO and up) to stderr in ``log_format``.

    Called once a process by the app factory (not in tests): the root logger gets our
    handler instead of a previous one of ours, and Flask's own handler on the app's
    logger goes, or each of the app's records would be written twice.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "kompetens", False)]:
        root.removeHandler(old)
    root.addHandler(handler(sys.stderr, log_format))
    root.setLevel(logging.INFO)
    app_logger.removeHandler(default_handler)


# -- gunicorn's logger in JSON --------------------------------------------------------------


def _header(headers: Any, name: str) -> str | None:
    items = headers.items() if hasattr(headers, "items") else headers
    for key, value in items:
        if key.lower() == name:
            return str(value)
    return None


class JsonLogger(RedactingLogger):  # type: ignore[misc]
    """gunicorn's logger writing JSON lines: its own messages and the access log.

    gunicorn.conf.py chooses it with ``LOG_FORMAT=json``. An access line holds the
    request's id (the one sent back), method, path with query (redacted), status,
    duration in seconds, the client's address, bytes sent and user agent; no header
    that carries credentials is read.
    """

    def setup(self, cfg: Any) -> None:
        """Gunicorn's handlers, with the JSON formatter."""
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for found in log.handlers:
                if getattr(found, "_gunicorn", False):
                    found.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """One JSON line for the request (none for a passing health check)."""
        if not self.access_log_enabled or self.quiet(environ, resp):
            return
        method = str(environ.get("REQUEST_METHOD", "-"))
        path = redact(str(environ.get("RAW_URI") or environ.get("PATH_INFO") or ""))
        status = int(str(resp.status).split(None, 1)[0])
        fields = {
            "request_id": _header(resp.headers, "x-request-id"),
            "method": method,
            "path": path,
            "status": status,
            "duration": round(request_time.total_seconds(), 6),
            "access": {
                "remote": environ.get("REMOTE_ADDR"),
                "bytes": getattr(resp, "sent", None),
                "user_agent": redact(str(environ.get("HTTP_USER_AGENT", ""))) or None,
            },
        }
        try:
            self.access_log.info("%s %s %s", method, path, status, extra=fields)
        except Exception:
            self.error("could not write the access log line")
