"""Launching a cmi5 AU (§8.1 launch URL, §8.2 fetch URL, §10 LMS.LaunchData) or an xAPI activity.

xAPI packages follow Rustici's launch convention (tincan.xml: endpoint, auth, actor,
registration, activity_id): https://github.com/RusticiSoftware/launch/blob/master/lms_lrs.md
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import current_app, request
from sqlalchemy import select

from core.db import db
from lrs import auth as lrs_auth
from lrs import documents
from lrs.keys import agent_key
from packages.models import PackageVersion
from packages.service import content_url
from player import attempts, course_tree
from player import lms as player_lms
from player.cmi5.moveon import satisfy
from player.cmi5.sessions import begin_session, close_open_sessions
from player.cmi5.statements import au_activity, au_entry, make_context, make_statement
from player.models import Attempt, Cmi5Session

# Credentials for content live as long as a launch token (and at most a day), sliding
# like it: each LRS request keeps one valid that long again (lrs.auth).
CREDENTIAL_SCOPES = ["statements/write", "statements/read/mine", "state", "profile"]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def endpoint() -> str:
    """The LRS endpoint content is given (``LRS_ENDPOINT`` or this host's ``/xapi/``)."""
    configured = current_app.config.get("LRS_ENDPOINT")
    if configured:
        return str(configured).rstrip("/") + "/"
    return request.url_root.rstrip("/") + "/xapi/"


def _with_query(url: str, params: dict[str, str]) -> str:
    """Append query parameters to a URL that may have a query already (cmi5 §8.1)."""
    parts = urlsplit(url)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _absolute(url: str) -> str:
    if urlsplit(url).scheme:
        return url
    return request.url_root.rstrip("/") + url


def _add_session(
    attempt: Attempt,
    au_id: str,
    session_id: str,
    fetch_hash: str,
    move_on: str,
    mode: str,
    moment: datetime,
) -> None:
    """Record the AU's new session, with the hash of its one-time fetch URL (§8.2)."""
    session = Cmi5Session(
        attempt_id=attempt.id,
        au_id=au_id,
        session_id=session_id,
        fetch_hash=fetch_hash,
        move_on=move_on,
        launch_mode=mode,
        launched_at=moment,
        abandoned=False,
    )
    db.session.add(session)


def _put_launch_data(
    attempt: Attempt,
    version: PackageVersion,
    au: dict[str, Any],
    au_id: str,
    session_id: str,
    mode: str,
    move_on: str,
    agent: dict[str, Any],
) -> None:
    """Write the AU's ``LMS.LaunchData`` state document before it starts (cmi5 §10)."""
    token_query = request.view_args.get("token") if request.view_args else None
    return_url = _absolute(f"/player/{token_query}/returned") if token_query else None
    launch_data: dict[str, Any] = {
        "contextTemplate": make_context(attempt, version, session_id),
        "launchMode": mode,
        "launchMethod": au.get("launchMethod") or "AnyWindow",
        "moveOn": move_on,
    }
    if au.get("launchParameters"):
        launch_data["launchParameters"] = au["launchParameters"]
    if au.get("masteryScore") is not None:
        launch_data["masteryScore"] = au["masteryScore"]
    if return_url:
        launch_data["returnURL"] = return_url
    if au.get("entitlementKey"):
        launch_data["entitlementKey"] = {"courseStructure": au["entitlementKey"]}
    documents.put_document(
        documents.DocumentSet(
            documents.Kind.STATE, au_id, agent_key(agent), attempt.registration.lower()
        ),
        "LMS.LaunchData",
        json.dumps(launch_data, ensure_ascii=False).encode("utf-8"),
        documents.JSON_TYPE,
        documents.Precondition(),
        documents.PutRule.PERMISSIVE,
    )


def launch_au(
    attempt: Attempt,
    version: PackageVersion,
    au_id: str,
    *,
    review: bool = False,
    unloaded: str | None = None,
) -> dict[str, Any]:
    """Prepare one AU launch: session, LMS.LaunchData, ``launched``; return the launch info.

    ``review``: launchMode "Review" (cmi5 §10.2.2): the AU shows the learner's results
    and must not send completed, passed or failed; the LMS does not evaluate moveOn and
    leaves the AU's runtime state and the attempt's other sessions alone. ``unloaded``:
    the session the player just unloaded to come here (``close_open_sessions``).
    """
    au = au_entry(version, au_id)
    if review:
        state = attempts.sco_state(attempt, au_id, create=False)
    else:
        close_open_sessions(attempt, version, unloaded)
        state = attempts.sco_state(attempt, au_id)
        assert state is not None  # noqa: S101  (create=True)
    fetch_token = secrets.token_urlsafe(32)
    session_id = str(uuid.uuid4())
    mode = "Review" if review else "Normal"
    move_on = str(au.get("moveOn") or "NotApplicable")
    moment = attempts.now()
    _add_session(attempt, au_id, session_id, _hash(fetch_token), move_on, mode, moment)
    if state is not None and not review:
        begin_session(state, moment)
    agent = player_lms.learner_agent(attempt)
    _put_launch_data(attempt, version, au, au_id, session_id, mode, move_on, agent)
    href = au.get("url") or au.get("href") or ""
    launch_url = content_url(version, href)
    player_lms.store_statements(
        [
            make_statement(
                attempt,
                version,
                "launched",
                au_activity(au),
                session_id,
                launchmode=mode,
                launchurl=_absolute(launch_url),
                moveon=move_on,
                launchparameters=au.get("launchParameters") or None,
            )
        ]
    )
    if move_on == "NotApplicable" and not review:
        satisfy(attempt, version, au, session_id)
    fetch_url = _absolute(f"/player/cmi5/fetch/{fetch_token}")
    url = _with_query(
        launch_url,
        {
            "endpoint": endpoint(),
            "fetch": fetch_url,
            "actor": json.dumps(agent, separators=(",", ":")),
            "registration": attempt.registration,
            "activityId": au_id,
        },
    )
    own = (au.get("launchMethod") or "AnyWindow") == "OwnWindow"
    db.session.flush()
    return {
        "session": max(1, state.session_no) if state is not None else 1,
        "session_id": session_id,
        "url": url,
        "api": False,
        "window": "own" if own else "frame",
    }


def fetch(fetch_token: str) -> tuple[dict[str, Any], int]:
    """Answer the fetch URL: ``{"auth-token": ...}`` the first time, an error after (§8.2)."""
    session = db.session.scalar(
        select(Cmi5Session).where(Cmi5Session.fetch_hash == _hash(fetch_token))
    )
    if session is None:
        return {"error-code": "2", "error-text": "Unknown fetch URL"}, 401
    if session.fetched_at is not None:
        # §8.2.3: the fetch URL may be used once; the AU gets error-code 1 after that.
        return {"error-code": "1", "error-text": "This fetch URL has been used already"}, 401
    attempt = db.session.get(Attempt, session.attempt_id)
    # A closed attempt may still be reviewed (launchMode "Review"), never changed.
    if attempt is None or (attempt.ended_at is not None and session.launch_mode != "Review"):
        return {"error-code": "3", "error-text": "The attempt is over"}, 401
    # Bound to this AU's session: its learner, registration, activity and session id.
    credential, secret = lrs_auth.create_credential(
        f"cmi5 session {session.session_id}",
        CREDENTIAL_SCOPES,
        agent=player_lms.learner_agent(attempt),
        registration=attempt.registration,
        expires_at=attempts.now() + lrs_auth.learner_credential_ttl(),
        activity_roots=[session.au_id],
        session_id=session.session_id,
    )
    session.fetched_at = attempts.now()
    session.credential_id = credential.id
    db.session.flush()
    token = base64.b64encode(f"{credential.key}:{secret}".encode()).decode("ascii")
    return {"auth-token": token}, 200


def launch_activity(
    attempt: Attempt, version: PackageVersion, activity_id: str, *, review: bool = False
) -> dict[str, Any]:
    """An xAPI (tincan.xml) launch: endpoint, auth, actor, registration, activity_id.

    ``review``: the launch convention has no mode, so the activity runs as usual; only
    the activity's runtime state (launches, session) is left alone.
    """
    entry = course_tree.launch_entry(version, activity_id)
    state = attempts.sco_state(attempt, activity_id, create=not review)
    agent = player_lms.learner_agent(attempt)
    # Bound to the learner, the registration and the package's own activities.
    declared = [
        str(a["id"]) for a in (version.manifest or {}).get("activities") or () if a.get("id")
    ]
    credential, secret = lrs_auth.create_credential(
        f"xapi launch {attempt.registration}",
        CREDENTIAL_SCOPES,
        agent=agent,
        registration=attempt.registration,
        expires_at=attempts.now() + lrs_auth.learner_credential_ttl(),
        activity_roots=[activity_id, *(a for a in declared if a != activity_id)],
    )
    moment = attempts.now()
    if state is not None and not review:
        begin_session(state, moment)
    basic = base64.b64encode(f"{credential.key}:{secret}".encode()).decode("ascii")
    url = _with_query(
        content_url(version, entry["href"]),
        {
            "endpoint": endpoint(),
            "auth": f"Basic {basic}",
            "actor": json.dumps(agent, separators=(",", ":")),
            "registration": attempt.registration,
            "activity_id": activity_id,
        },
    )
    db.session.flush()
    session = max(1, state.session_no) if state is not None else 1
    return {"session": session, "url": url, "api": False, "window": "frame"}
