"""Player routes: the launch entry, the shell page, scorm-again, the runtime JSON API.

The shell and the runtime API live on ``CONTENT_ORIGIN`` next to the content (DESIGN.md,
security model): requests for them on another host are redirected there. Runtime calls
are authorised by the launch token in the URL only; no cookie is read or set.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, redirect, render_template, request, send_file

from config import BASE_DIR
from core.db import db
from core.errors import NotFound
from core.schemas import load, parse_json
from packages.service import get_course
from player import bp, cmi5, launch_bp, runtime, service
from player.schemas import CommitSchema, NavigateSchema
from portal.auth import current_user, login_required

SCORM_AGAIN_DIST = BASE_DIR / "node_modules" / "scorm-again" / "dist"
_RUNTIME_FILES = {"scorm12": "scorm12.min.js", "scorm2004": "scorm2004.min.js"}
_NO_STORE = "no-store"


def _content_origin() -> str:
    return str(current_app.config.get("CONTENT_ORIGIN") or "").rstrip("/")


def _on_content_origin() -> Response | None:
    """Redirect to CONTENT_ORIGIN when this request came to another host."""
    origin = _content_origin()
    if origin and urlsplit(origin).netloc != request.host:
        return redirect(origin + request.full_path.rstrip("?"), 303)  # type: ignore[return-value]
    return None


def scorm_again_version() -> str:
    """The installed scorm-again version (part of the library's URL, for caching)."""
    try:
        meta = json.loads((SCORM_AGAIN_DIST.parent / "package.json").read_text())
        return str(meta.get("version") or "0")
    except (OSError, ValueError):
        return "0"


@launch_bp.get("/courses/<int:course_id>/launch")
@login_required
def launch_course(course_id: int) -> Response:
    """Create or resume the learner's attempt and open the player on the content origin."""
    user = current_user()
    assert user is not None  # noqa: S101  (login_required)
    course = get_course(course_id)
    _attempt, token = service.launch(user, course)
    db.session.commit()
    return redirect(f"{_content_origin()}/player/{token}", 303)  # type: ignore[return-value]


@bp.get("/<string:token>")
def shell(token: str) -> Response | str:
    """The player shell: content frame, contents, previous/next/exit, the SCORM API."""
    moved = _on_content_origin()
    if moved is not None:
        return moved
    attempt = service.attempt_for_token(token)
    version = service.version_of(attempt)
    toc = [
        {"id": n.id, "title": n.title, "depth": min(n.depth, 3), "launchable": n.launchable}
        for n in service.nodes(version)
        if n.visible
    ]
    runtime_js = None
    if version.kind in _RUNTIME_FILES:
        runtime_js = f"{bp.url_prefix}/lib/{scorm_again_version()}/{_RUNTIME_FILES[version.kind]}"
    config: dict[str, Any] = {
        "api": f"{bp.url_prefix}/api/{token}",
        "kind": version.kind,
        "autocommitSeconds": int(current_app.config.get("PLAYER_AUTOCOMMIT_SECONDS", 10)),
        "returned": request.args.get("returned") == "1",
    }
    html = render_template(
        "player/shell.html",
        title=version.title or "Course",
        lang="en",
        toc=toc,
        show_toc=len([t for t in toc if t["launchable"]]) > 1,
        config=config,
        runtime_js=runtime_js,
        # Back to the portal: PORTAL_URL, or this host when content is served from it.
        return_url=current_app.config.get("PORTAL_URL") or (None if _content_origin() else "/"),
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = _NO_STORE
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


_RETURNED = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Returning</title>
<script>
/* cmi5 returnURL (cmi5 spec §10, LMS.LaunchData): in the player's frame, tell the shell;
   in a window of its own, go back to the player. */
(function () {
  try {
    if (window.parent !== window && window.parent.kompetensPlayer) {
      window.parent.kompetensPlayer.returned();
      return;
    }
  } catch (e) { /* another origin: fall through */ }
  window.location.replace(%s);
})();
</script><p>Returning to the course…</p></html>"""


@bp.get("/<string:token>/returned")
def returned(token: str) -> Response:
    """Where a cmi5 AU goes when it exits (its ``returnURL``)."""
    service.attempt_for_token(token)
    target = json.dumps(f"{bp.url_prefix}/{token}?returned=1")
    response = Response(_RETURNED % target, mimetype="text/html")
    response.headers["Cache-Control"] = _NO_STORE
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


@bp.post("/api/<string:token>/commit")
def post_commit(token: str) -> Response:
    """Store a commit of the running SCO (idempotent per session and sequence number)."""
    attempt = service.attempt_for_token(token)
    data = load(CommitSchema(), _body(), "commit")
    version = service.version_of(attempt)
    result = runtime.commit(attempt, version, data)
    db.session.commit()
    body: dict[str, Any] = {"result": "true", "errorCode": 0, "stored": result.stored}
    if result.reason:
        body["ignored"] = result.reason
    elif result.tracking_changed and len(version.launch) > 1:
        # What the learner may do next changes with the SCO's status (a SCO satisfied).
        body["toc"] = service.toc_state(attempt, version)
        body["valid"] = service.valid_requests(attempt, version)
    return _json(body)


@bp.post("/api/<string:token>/navigate")
def post_navigate(token: str) -> Response:
    """Carry out a navigation request; answer with what the shell shows next."""
    attempt = service.attempt_for_token(token)
    data = load(NavigateSchema(), _body(), "navigation request")
    result = service.navigate(attempt, data["request"], data["target"])
    db.session.commit()
    return _json(result)


@bp.get("/api/<string:token>/attempt")
def get_attempt(token: str) -> Response:
    """The attempt's stored status (cmi5: after checking the LRS for the AU's statements)."""
    attempt = service.attempt_for_token(token)
    version = service.version_of(attempt)
    if version.kind in ("cmi5", "xapi") and attempt.current_sco:
        cmi5.evaluate(attempt, version, attempt.current_sco)
        service.rollup(attempt, version)
        db.session.commit()
    return _json(service.attempt_summary(attempt))


@bp.post("/cmi5/fetch/<string:fetch_token>")
def post_cmi5_fetch(fetch_token: str) -> Response:
    """The cmi5 fetch URL: the AU's auth token, once (cmi5 spec §8.2)."""
    body, status = cmi5.fetch(fetch_token)
    db.session.commit()
    response = _json(body, status)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
