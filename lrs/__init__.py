"""The xAPI Learning Record Store (1.0.3 and 2.0.0), under ``/xapi``.

Cross-cutting protocol rules live here, once: the version header (Communication §3.3),
``X-Experience-API-Consistent-Through`` (§2.1.3), CORS for browser clients, and the
1.0.3 alternate request syntax (Communication §1.3), which is rewritten into an ordinary
request before Flask sees it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from core import origins
from core.errors import AppError, BadRequest
from lrs import clock
from lrs.alternate import ALTERNATE, REFUSAL, AlternateSyntaxMiddleware
from lrs.auth import authenticate, remember_version

bp = Blueprint("lrs", __name__, url_prefix="/xapi")

VERSION_1 = "1.0.3"
VERSION_2 = "2.0.0"
SUPPORTED_VERSIONS = [VERSION_1, VERSION_2]
_V1 = re.compile(r"^1\.0(\.\d+)?$")
_V2 = re.compile(r"^2\.0(\.0)?$")

CORS_ALLOW_HEADERS = (
    "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match, "
    "X-Requested-With, Accept-Language"
)
CORS_EXPOSE_HEADERS = (
    "ETag, Last-Modified, X-Experience-API-Version, X-Experience-API-Consistent-Through, "
    "Content-Type, Content-Length"
)
CORS_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"


def negotiate_version(value: str | None) -> str:
    """Map a request's ``X-Experience-API-Version`` to the rules we apply (§3.3)."""
    if value is None:
        raise BadRequest(
            "The X-Experience-API-Version header is required",
            errors=[{"path": "header:X-Experience-API-Version", "message": "missing"}],
        )
    value = value.strip()
    if _V1.match(value):
        return VERSION_1
    if _V2.match(value):
        return VERSION_2
    raise BadRequest(
        f"Unsupported X-Experience-API-Version {value!r}; supported: 1.0.x, 2.0.0",
        errors=[{"path": "header:X-Experience-API-Version", "message": "unsupported version"}],
    )


def xapi_version() -> str:
    """The version whose rules apply to this request (1.0.3 or 2.0.0)."""
    return str(g.get("xapi_version") or VERSION_2)


_STATEMENTS_ENDPOINTS = frozenset(
    {"lrs.get_statements", "lrs.post_statements", "lrs.put_statement"}
)


@bp.before_request
def _before() -> Response | None:
    if request.method == "OPTIONS":
        return Response(status=204)
    refusal = request.environ.get(REFUSAL)
    if refusal is not None:
        raise refusal
    header = request.headers.get("X-Experience-API-Version")
    if request.endpoint == "lrs.get_about":
        # /about must answer whatever version the client speaks (Communication §2.8).
        try:
            g.xapi_version = negotiate_version(header) if header is not None else None
        except BadRequest:
            g.xapi_version = None
        return None
    g.xapi_version = negotiate_version(header)
    if request.environ.get(ALTERNATE) and g.xapi_version != VERSION_1:
        raise BadRequest(
            "The alternate request syntax (method=) exists only in xAPI 1.0.x",
            errors=[{"path": "query:method", "message": "not allowed in 2.0.0"}],
        )
    if request.endpoint == "lrs.get_statements":
        # Before the query: whatever it claims is committed, the query will see.
        g.consistent_through = clock.consistent_through()
    return None


def _answered_version() -> str:
    """The version to answer in: the request's, else the one its client last spoke.

    A dual-version LRS cannot tell from a request without the header which rules the
    client expects; the client's own last version is the best evidence there is.
    """
    version = g.get("xapi_version")
    client = g.get("lrs_client")
    if version:
        if client is not None:
            remember_version(client, version)
        return str(version)
    if client is None and request.headers.get("Authorization"):
        try:
            client = authenticate()
        except AppError:
            client = None
    if client is not None and client.preferred_version:
        return client.preferred_version
    return VERSION_2


def _consistent_through() -> str:
    """Statements resource: the clock's value (lrs/clock.py); a GET read it before querying.

    Other resources have no ``stored`` to be consistent with: now.
    """
    moment = g.get("consistent_through")
    if moment is None and request.endpoint in _STATEMENTS_ENDPOINTS:
        try:
            moment = clock.consistent_through()
        except SQLAlchemyError:  # the answer is an error already; say nothing wrong
            moment = None
    if moment is None:
        moment = datetime.now(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@bp.after_request
def _after(response: Response) -> Response:
    response.headers["X-Experience-API-Version"] = _answered_version()
    response.headers["X-Experience-API-Consistent-Through"] = _consistent_through()
    _cors(response)
    return response


def _cors(response: Response) -> None:
    """CORS for browser xAPI content (https://fetch.spec.whatwg.org/#http-cors-protocol).

    The LRS authenticates with the Authorization header its clients set themselves, never
    with cookies, so browser content needs no credentialed requests: TinCanJS 0.50 never
    sets ``withCredentials`` (RusticiSoftware/TinCanJS src/Environment/Browser.js only
    tests that it exists), cmi5.js 3.2 calls ``fetch`` with ``mode: "cors"`` and no
    ``credentials`` option (RusticiSoftware/cmi5.js src/index.js), and xAPIWrapper leaves
    ``withCredentials`` false unless configured (adlnet/xAPIWrapper src/xapiwrapper.js;
    only its xAPILaunch flow, src/xapi-launch.js, turns it on).  So "*" answers
    ``Access-Control-Allow-Origin: *``, which browsers never combine with credentials:
    no page can make the user's browser send cookies or remembered Basic credentials.
    Credentials are allowed only to origins listed one by one (XAPI_CORS_ORIGINS), for
    content that does turn ``withCredentials`` on.
    """
    allowed = current_app.config["XAPI_CORS_ORIGINS"].split()
    origin = request.headers.get("Origin")
    if not origin or not allowed:
        return
    if "*" in allowed:
        response.headers["Access-Control-Allow-Origin"] = "*"
    else:
        # The answer depends on the Origin: caches must keep one per origin.
        response.vary.add("Origin")
        if origin not in allowed:
            return
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = "86400"


def init_app(app: Flask) -> None:
    """Wire the LRS views, CLI and the alternate-syntax rewrite into the app."""
    from accounts import signals
    from core.ops import metrics

    # views: routes on bp; forward_delivery, forward_replay: their jobs.
    from lrs import (  # noqa: F401
        archive_cli,
        cli,
        deactivation,
        document_views,
        forward_cli,
        forward_delivery,
        forward_replay,
        forward_targets,
        forwarding,
        views,
    )

    # A deactivated person's launch credentials stop at once (accounts/signals.py).
    signals.deactivated.connect(deactivation.revoke_learner_credentials)
    forwarding.connect()
    metrics.add_collector(forward_targets.LagCollector())
    app.cli.add_command(forward_cli.forwarding_group)

    app.register_blueprint(bp)
    # Content calls the LRS from the content origin (HTTP Basic, no cookies).
    origins.allow_on_content_host(app, bp.name)
    app.wsgi_app = AlternateSyntaxMiddleware(app.wsgi_app, app)  # type: ignore[method-assign]
    app.cli.add_command(cli.credentials)
    app.cli.add_command(archive_cli.lrs_group)
