"""A gunicorn access logger that keeps launch tokens and credentials out of the log.

Launch URLs carry secrets: player launch tokens in the path (``/player/<token>``,
``/player/api/<token>/...``, ``/player/cmi5/fetch/<token>``), and an xAPI launch's
``auth`` (a Basic credential), cmi5's ``fetch`` URL and the like in the query string.
The access log, often shipped elsewhere, must not hold them. Use it with::

    gunicorn --logger-class core.accesslog.RedactingLogger --access-logfile - wsgi:app

Every text atom of the log line (request line, path, query, Referer, response
Location, environ values) is redacted; credential headers are dropped whole.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

from gunicorn.glogging import Logger

REDACTED = "[redacted]"

# Query parameters whose values are secrets (names compared case-insensitively, decoded).
SECRET_PARAMS = frozenset({"auth", "token", "fetch", "code", "state", "secret", "password"})

# Atoms (gunicorn's names) whose whole value is a credential.
SECRET_ATOMS = frozenset(
    {
        "{authorization}i",
        "{proxy-authorization}i",
        "{cookie}i",
        "{x-csrf-token}i",
        "{set-cookie}o",
        "{http_authorization}e",
        "{http_proxy_authorization}e",
        "{http_cookie}e",
        "{http_x_csrf_token}e",
    }
)

_SEP = r"(?:/|%2[fF])"  # a slash, also percent-encoded (a URL inside a query value)
_END = r"[^/%?&#;\s\"]+"  # a path segment
# /player/<token>..., /player/api/<token>/..., /player/cmi5/fetch/<token>; not the
# runtime library under /player/lib/.
_PLAYER_TOKEN = re.compile(
    rf"(?P<lead>{_SEP}player{_SEP}(?:api{_SEP}|cmi5{_SEP}fetch{_SEP})?)"
    rf"(?!(?:lib|api|cmi5)(?:{_SEP}|[?#;&\s\"]|$)){_END}"
)
_PARAM = re.compile(r"(?P<lead>^|[?&;])(?P<name>[^=&;?#\s\"]+)=(?P<value>[^&;#\s\"]*)")


def _param(match: re.Match[str]) -> str:
    if unquote_plus(match["name"]).strip().lower() in SECRET_PARAMS:
        return f"{match['lead']}{match['name']}={REDACTED}"
    return match[0]


def redact(text: str) -> str:
    """``text`` (a URL, request line or header value) without launch tokens and secrets."""
    if "=" in text:
        text = _PARAM.sub(_param, text)
    if "player" in text:
        text = _PLAYER_TOKEN.sub(lambda m: m["lead"] + REDACTED, text)
    return text


# A load balancer asks every node these every few seconds: a passing answer is not logged.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})


class RedactingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, with secrets taken out of every access log atom."""

    @staticmethod
    def quiet(environ: Any, resp: Any) -> bool:
        """A passing health check, left out of the access log (a failing one is logged)."""
        if environ.get("PATH_INFO") not in QUIET_PATHS:
            return False
        return int(str(resp.status).split(None, 1)[0]) < 400

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Gunicorn's access line, but none for a passing health check."""
        if not self.quiet(environ, resp):
            super().access(resp, req, environ, request_time)

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        """The atoms gunicorn formats the access line from, redacted."""
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key in SECRET_ATOMS:
                atoms[key] = REDACTED
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
