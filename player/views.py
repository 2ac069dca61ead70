"""Player routes: the launch entry, the player page, the runtime frame, the runtime JSON API.

Three layers keep content away from the learner's portal (DESIGN.md, security model):

- the player page ``/player/<token>`` (contents, previous/next/exit, status, the link back
  to the portal) on the portal's own origin. It holds no SCORM API;
- inside it the runtime frame ``/player/<token>/runtime`` on ``CONTENT_ORIGIN``: scorm-again's
  ``API``/``API_1484_11`` and the SCO's frame, nothing else;
- inside that, the content itself (``/content/...``, also on ``CONTENT_ORIGIN``), which finds
  the API in its parent by the standard discovery, while the player page above is another
  origin it cannot script (``top.document`` throws).

The page and the runtime frame talk by ``postMessage`` only (player.js, runtime.js). With
``CONTENT_ORIGIN`` empty (one host, the embedded default) the structure is the same but
all three layers share one origin, so content is not isolated from the player page.
Runtime routes are authorised by the launch token in the URL only; they read no cookie.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, gettext
from markupsafe import escape

from accounts.auth import role_required
from config import BASE_DIR
from core import headers, origins
from core.db import db
from core.errors import BadRequest, NotFound
from core.i18n import N_
from core.ops import metrics
from core.schemas import load, parse_json
from packages.models import PackageVersion
from packages.service import get_course, list_versions
from player import (
    attempts,
    bp,
    cmi5,
    course_tree,
    navigation,
    ownership,
    refusals,
    rollup,
    runtime,
    shell_state,
)
from player.schemas import CommitSchema, NavigateSchema

SCORM_AGAIN_DIST = BASE_DIR / "node_modules" / "scorm-again" / "dist"
_RUNTIME_FILES = {"scorm12": "scorm12.min.js", "scorm2004": "scorm2004.min.js"}
_NO_STORE = "no-store"

# What the runtime frame may show in the player page: the server's end-of-session
# messages (player/navigation.py, player/review.py) and the frame's own, translated by the page.
PLAYER_MESSAGES = (
    N_("This attempt is over. Launch the course again."),
    N_("Closed."),
    N_("That is not possible now."),
    N_("Your place is saved. You can close this window."),
    N_("You have left the course."),
    N_("You have reached the end of the course."),
    N_("You have finished the course."),
    N_("Choose what to do next."),
    N_("Welcome back. Choose what to do next."),
    N_("You have left the review."),
    N_("Navigation failed"),
    N_("Saving failed"),
    N_("Your session has expired. Launch the course again."),
    # A refused navigation request, in the learner's words (REFUSALS below).
    N_("You cannot go back from here."),
    N_("That part of the course is not available now."),
    N_("Finish the part you are in first."),
    N_("There is nothing to resume."),
    N_("Choose where to go in the contents."),
    # Saving (player/static/saving.js) and two windows on one course (player/ownership.py).
    N_("Your latest work is not saved yet. Keep this page open: we keep trying to save it."),
    N_("Your work is saved."),
    N_(
        "This course is open in another window or tab, so nothing more is saved here. "
        "What you did up to now is saved."
    ),
    N_("Continue in the other window, or choose Continue to work here."),
)

# A refused navigation request comes back with its SN exception code (``refused``,
# player/sequencing/errors.py) and the code's text, written for developers ("choiceExit
# is false on ..."). The learner is shown one of a few plain messages instead; the SN
# text stays in the answer as ``detail``. Codes not listed: "That is not possible now."
_REFUSAL_GROUPS = {
    "You cannot go back from here.": (
        "NB.2.1-5", "NB.2.1-6", "SB.2.1-3", "SB.2.1-4", "SB.2.4-2",
    ),
    "That part of the course is not available now.": (
        "NB.2.1-10", "NB.2.1-11", "SB.2.2-2", "SB.2.4-1", "SB.2.9-1", "SB.2.9-2", "SB.2.9-3",
        "SB.2.9-4", "SB.2.9-6", "SB.2.9-8", "SB.2.13-1", "DB.1.1-3",
    ),
    "Finish the part you are in first.": (
        "NB.2.1-8", "SB.2.9-7", "SB.2.10-2", "SB.2.11-2", "DB.2-1",
    ),
    "There is nothing to resume.": ("NB.2.1-3", "SB.2.6-2", "TB.2.3-3"),
    "Choose where to go in the contents.": (
        "NB.2.1-4", "SB.2.1-2", "SB.2.2-1", "SB.2.5-3", "SB.2.7-2", "SB.2.8-2", "SB.2.9-9",
        "SB.2.10-3", "DB.1.1-1",
    ),
}  # fmt: skip
REFUSALS = {code: text for text, codes in _REFUSAL_GROUPS.items() for code in codes}
REFUSED = "That is not possible now."


def learner_result(result: dict[str, Any]) -> dict[str, Any]:
    """A navigation answer with a refusal's message in the learner's words (REFUSALS).

    The page shows only messages it has a translation for (PLAYER_MESSAGES): any other
    (the sequencer's, written for developers) becomes REFUSED, kept as ``detail``.
    """
    code = result.get("refused")
    message = result.get("message")
    if code:
        return {**result, "message": REFUSALS.get(str(code), REFUSED), "detail": message}
    if message is not None and message not in PLAYER_MESSAGES:
        return {**result, "message": REFUSED, "detail": message}
    return result


def _on_content_origin() -> Response | None:
    """Send a runtime-frame request that came to the portal's origin to the content origin."""
    if origins.isolated() and not origins.on_content_host():
        target = origins.content_origin() + request.full_path.rstrip("?")
        return redirect(target, 303)  # type: ignore[return-value]
    return None


def _ui_origin(value: str | None) -> str:
    """The player page's origin, as the runtime frame is told it (its ``ui`` parameter).

    The frame posts its messages only there, accepts messages only from there, and may
    only be framed by it (CSP ``frame-ancestors``): it must be the portal's origin.
    """
    origin = origins.origin_of(value or "")
    if not origin or (value or "").rstrip("/").lower() != origin:
        raise BadRequest("The runtime frame needs the player page's origin (ui)")
    if origin != origins.portal_origin():
        raise BadRequest("The player page is not on the portal's origin")
    return origin


def scorm_again_version() -> str:
    """The installed scorm-again version (part of the library's URL, for caching)."""
    try:
        meta = json.loads((SCORM_AGAIN_DIST.parent / "package.json").read_text())
        return str(meta.get("version") or "0")
    except (OSError, ValueError):
        return "0"


def course_title(version: PackageVersion) -> str:
    """The title the player shows: the catalogue course's, not the package manifest's.

    An author may rename the course; the package keeps the title its tool wrote.
    """
    return version.course.title or version.title or gettext("Course")


def _html(html: str) -> Response:
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = _NO_STORE
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/<string:token>")
def shell(token: str) -> Response:
    """The player page: contents, previous/next/exit, status, and the runtime frame.

    Served on the portal's origin, in the learner's language (portal.i18n); it holds no
    SCORM API and reaches the content only through the runtime frame's messages.
    """
    attempt = attempts.attempt_for_token(token)
    version = attempts.version_of(attempt)
    toc = [
        {"id": n.id, "title": n.title, "depth": min(n.depth, 3), "launchable": n.launchable}
        for n in course_tree.nodes(version)
        if n.visible
    ]
    own = origins.own_origin()
    content = origins.content_origin() or own
    query = {"ui": own}
    if request.args.get("returned") == "1":
        query["returned"] = "1"
    runtime_url = f"{content}{url_for('player.runtime_frame', token=token)}?{urlencode(query)}"
    review = attempts.in_review(attempt)
    config: dict[str, Any] = {
        "runtime": runtime_url,
        "contentOrigin": content,
        "messages": {text: gettext(text) for text in PLAYER_MESSAGES},
        # One SCO/AU: no Next or Previous, there is nowhere to go (player.js).
        "single": len(version.launch) == 1,
    }
    html = render_template(
        "player/shell.html",
        title=course_title(version),
        lang=str(get_locale() or "en"),
        toc=toc,
        show_toc=len([t for t in toc if t["launchable"]]) > 1,
        config=config,
        review=review,
        return_url=url_for("portal.home"),
    )
    response = _html(html)
    # The page frames the runtime frame (content origin) and nothing else, and no other
    # site may frame the page itself.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        f"form-action 'self'; frame-src {content}; frame-ancestors 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    return response


@bp.get("/<string:token>/runtime")
def runtime_frame(token: str) -> Response:
    """The runtime frame: scorm-again's API and the content's frame, nothing else.

    Served on CONTENT_ORIGIN (the content finds the API here, in its parent). It reads no
    cookie and shows no text of its own: everything the learner reads is in the page.
    """
    moved = _on_content_origin()
    if moved is not None:
        return moved
    ui = _ui_origin(request.args.get("ui"))
    attempt = attempts.attempt_for_token(token)
    version = attempts.version_of(attempt)
    runtime_js = None
    if version.kind in _RUNTIME_FILES:
        runtime_js = f"{bp.url_prefix}/lib/{scorm_again_version()}/{_RUNTIME_FILES[version.kind]}"
    config: dict[str, Any] = {
        "api": f"{bp.url_prefix}/api/{token}",
        "kind": version.kind,
        # The value rules SetValue applies (player/static/rules.js): the server's own.
        "rules": runtime.browser_rules(version),
        "autocommitSeconds": int(current_app.config.get("PLAYER_AUTOCOMMIT_SECONDS", 10)),
        "returned": request.args.get("returned") == "1",
        "ui": ui,
        "page": f"{ui}{url_for('player.shell', token=token)}",
    }
    html = render_template(
        "player/runtime.html",
        title=course_title(version),
        config=config,
        runtime_js=runtime_js,
    )
    response = _html(html)
    # Only the player page may frame it (CSP Level 2, frame-ancestors).
    ancestors = "'self'" if ui == origins.own_origin() else ui
    response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
    return response


_RETURNED = """<!doctype html><html lang="%(lang)s"><meta charset="utf-8"><title>%(text)s</title>
<script nonce="%(nonce)s">
/* cmi5 returnURL (cmi5 spec §10, LMS.LaunchData): in the runtime frame's content frame,
   tell the runtime frame (same origin: this page is on CONTENT_ORIGIN like it); in a
   window of its own, go back to the player page. */
(function () {
  if (window.parent !== window) {
    window.parent.postMessage({ kompetens: "returned" }, window.location.origin);
    return;
  }
  window.location.replace(%(target)s);
})();
</script><p>%(text)s</p></html>"""


@bp.get("/<string:token>/returned")
def returned(token: str) -> Response:
    """Where a cmi5 AU goes when it exits (its ``returnURL``)."""
    attempts.attempt_for_token(token)
    target = json.dumps(f"{origins.portal_origin()}{bp.url_prefix}/{token}?returned=1")
    nonce = headers.csp_nonce()
    page = _RETURNED % {
        "nonce": nonce,
        "target": target,
        # On the content origin no cookie is read: the browser's language (portal.i18n).
        "lang": escape(str(get_locale() or "en")),
        "text": escape(gettext("Returning to the course…")),
    }
    response = Response(page, mimetype="text/html")
    response.headers["Cache-Control"] = _NO_STORE
    # Its own policy (the portal's, core/headers.py, refuses its script and its frame):
    # this one script, framed only inside the player (the runtime frame, the player page).
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; base-uri 'none'; "
        f"frame-ancestors 'self' {origins.portal_origin()}".rstrip()
    )
    return response


@bp.get("/lib/<string:version>/<string:name>")
def scorm_again(version: str, name: str) -> Response:
    """scorm-again's browser build from node_modules (installed by ``make setup``)."""
    if name not in _RUNTIME_FILES.values() and name != "scorm-again.min.js":
        raise NotFound(f"No runtime library {name!r}")
    path = Path(SCORM_AGAIN_DIST / name)
    if not path.is_file():
        raise NotFound("scorm-again is not installed (run make setup)")
    response = send_file(path, mimetype="text/javascript", conditional=True, max_age=31536000)
    if version == scorm_again_version():
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _body() -> Any:
    """The JSON body whatever its Content-Type (sendBeacon sends text/plain)."""
    return parse_json(request.get_data(cache=False))


def _json(body: dict[str, Any], status: int = 200) -> Response:
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
    )
    response.headers["Cache-Control"] = _NO_STORE
    return response


# Schemas hold no request state; built once.
_COMMIT = CommitSchema()
_NAVIGATE = NavigateSchema()


@bp.post("/api/<string:token>/commit")
def post_commit(token: str) -> Response:
    """Store a commit of the running SCO (idempotent per session and sequence number)."""
    attempt = attempts.attempt_for_token(token)
    data = load(_COMMIT, _body(), "commit")
    version = attempts.version_of(attempt)
    result = runtime.commit(attempt, version, data)
    body: dict[str, Any] = {"result": "true", "errorCode": 0, "stored": result.stored}
    if result.refused:
        # Left out; the rest of the commit was stored (player.cmi_salvage).
        body["refused"] = [
            {"path": r.path, "code": r.code, "message": r.message} for r in result.refused
        ]
    if result.reason:
        body["ignored"] = result.reason
    elif result.tracking_changed and len(version.launch) > 1:
        # What the learner may do next changes with the SCO's status (a SCO satisfied).
        body["toc"] = shell_state.toc_state(attempt, version)
        body["valid"] = shell_state.valid_requests(attempt, version)
    # Committed last: the answer is built from the objects as the commit left them,
    # which a commit would expire (and reload, the version's manifest included).
    db.session.commit()
    metrics.PLAYER_COMMITS.labels("stored" if result.stored else "ignored").inc()
    return _json(body)


@bp.post("/api/<string:token>/navigate")
def post_navigate(token: str) -> Response:
    """Carry out a navigation request; answer with what the shell shows next."""
    attempt = attempts.attempt_for_token(token)
    data = load(_NAVIGATE, _body(), "navigation request")
    result = navigation.navigate(attempt, data["request"], data["target"])
    db.session.commit()
    return _json(learner_result(result))


@bp.get("/api/<string:token>/attempt")
def get_attempt(token: str) -> Response:
    """The attempt's stored status (cmi5: after checking the LRS for the AU's statements)."""
    attempt = attempts.attempt_for_token(token)
    version = attempts.version_of(attempt)
    if version.kind in ("cmi5", "xapi") and attempt.current_sco:
        cmi5.evaluate(attempt, version, attempt.current_sco)
        rollup.rollup(attempt, version)
    db.session.commit()  # also the token's renewed expiry (attempts.attempt_for_token)
    return _json(attempts.attempt_summary(attempt))


# The SCORM errors a refused value can get, in the author's words (player/refusals.py).
REFUSAL_NAMES = {
    201: N_("Not allowed here"),
    351: N_("Not allowed here"),
    401: N_("Unknown element"),
    403: N_("Read-only element"),
    404: N_("Read-only element"),
    405: N_("Wrong kind of value"),
    406: N_("Wrong kind of value"),
    407: N_("Value out of range"),
    408: N_("Set before the value it depends on"),
}


@bp.get("/courses/<int:course_id>/refused")
@role_required("author")
def refused_values(course_id: int) -> str:
    """The values a course's versions tried to save and the player refused (authors).

    A page of the portal's origin, read-only (GET, no form): per version, SCO and element,
    the value (shortened), the SCORM error and how many sessions it happened in.
    """
    course = get_course(course_id)
    versions = list_versions(course)
    return render_template(
        "player/refused.html",
        course=course,
        rows=refusals.for_versions([v.id for v in versions]),
        numbers={v.id: v.number for v in versions},
        names={code: gettext(name) for code, name in REFUSAL_NAMES.items()},
    )


@bp.get("/api/<string:token>/owner")
def get_owner(token: str) -> Response:
    """200 while this launch owns its attempt, 409 ``taken-over`` once another took it.

    The runtime frame asks when its page becomes visible again and now and then while
    content runs (a cmi5 AU makes no runtime calls of its own): player.ownership.
    """
    attempt = attempts.attempt_for_token(token, lock=False)
    ownership.check(attempt)
    db.session.commit()  # the token's renewed expiry
    return _json({"owner": True})


@bp.post("/cmi5/fetch/<string:fetch_token>")
def post_cmi5_fetch(fetch_token: str) -> Response:
    """The cmi5 fetch URL: the AU's auth token, once (cmi5 spec §8.2)."""
    body, status = cmi5.fetch(fetch_token)
    db.session.commit()
    response = _json(body, status)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
