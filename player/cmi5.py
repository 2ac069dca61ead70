"""cmi5 and xAPI (Tin Can) launch: the AU talks to our own LRS with a learner-bound credential.

cmi5 spec (https://github.com/AICC/CMI-5_Spec_Current/blob/quartz/cmi5_spec.md):
§8.1 launch URL (endpoint, fetch, actor, registration, activityId), §8.2 fetch URL (the
auth token, once), §10 ``LMS.LaunchData`` state document, §9.3 verbs, §9.6 context
(registration, the cmi5 category, session id extension), §10 moveOn. The LMS writes
``launched`` before the AU starts, ``satisfied`` when moveOn is met (for the AU, then
blocks and the course), ``abandoned`` for a session that ended without ``terminated``
(decided at the next launch, so a late ``terminated`` from an unloading AU still counts)
and ``waived`` when it waives an AU.

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
from core.errors import BadRequest, Conflict
from lrs import auth as lrs_auth
from lrs import clock as lrs_service  # format_timestamp, utc_now (were in lrs.service)
from lrs import documents
from lrs import queries as lrs_queries
from lrs.keys import agent_key
from lrs.models import Credential, Statement
from packages.models import PackageVersion
from packages.service import content_url
from player import attempts, course_tree, outcome
from player import lms as player_lms
from player.models import Attempt, Cmi5Session, ScoState

CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"
EXT = "https://w3id.org/xapi/cmi5/context/extensions/"
SESSION_EXT = EXT + "sessionid"
REASON_EXT = "https://w3id.org/xapi/cmi5/result/extensions/reason"
VERB = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    "launched": (VERB + "launched", "launched"),
    "satisfied": ("https://w3id.org/xapi/adl/verbs/satisfied", "satisfied"),
    "abandoned": ("https://w3id.org/xapi/adl/verbs/abandoned", "abandoned"),
    "waived": ("https://w3id.org/xapi/adl/verbs/waived", "waived"),
}
COMPLETED, PASSED, FAILED, TERMINATED = (
    VERB + "completed",
    VERB + "passed",
    VERB + "failed",
    VERB + "terminated",
)
TYPE_COURSE = "https://w3id.org/xapi/cmi5/activitytype/course"
TYPE_BLOCK = "https://w3id.org/xapi/cmi5/activitytype/block"
# cmi5 §9.5.4.1 (result extension "reason" of a waived statement).
WAIVE_REASONS = ("Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative")
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


def _au(version: PackageVersion, au_id: str) -> dict[str, Any]:
    data = course_tree.item_data(version, au_id)
    if data.get("type") != "au":
        data = {**course_tree.launch_entry(version, au_id), "id": au_id}
    return data


def _course_id(version: PackageVersion) -> str:
    return course_tree.course_activity_id(version)


def _verb(name: str) -> dict[str, Any]:
    ident, display = VERBS[name]
    return {"id": ident, "display": {"en-US": display}}


def _context(
    attempt: Attempt, version: PackageVersion, session_id: str | None, **extensions: Any
) -> dict[str, Any]:
    """The cmi5 context template (§9.6; also stored in LMS.LaunchData)."""
    context: dict[str, Any] = {
        "registration": attempt.registration,
        "contextActivities": {
            "category": [{"id": CMI5_CATEGORY}],
            "grouping": [{"id": _course_id(version)}],
        },
    }
    ext = {EXT + k: v for k, v in extensions.items() if v is not None}
    if session_id:
        ext[SESSION_EXT] = session_id
    if ext:
        context["extensions"] = ext
    return context


def _statement(
    attempt: Attempt,
    version: PackageVersion,
    verb: str,
    obj: dict[str, Any],
    session_id: str | None,
    result: dict[str, Any] | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": player_lms.learner_agent(attempt),
        "verb": _verb(verb),
        "object": obj,
        "context": _context(attempt, version, session_id, **extensions),
        "timestamp": lrs_service.format_timestamp(lrs_service.utc_now()),
    }
    if result:
        statement["result"] = result
    return statement


def _au_object(au: dict[str, Any]) -> dict[str, Any]:
    title = au.get("title")
    names = title if isinstance(title, dict) else {"und": str(title or au["id"])}
    return {"objectType": "Activity", "id": au["id"], "definition": {"name": names}}


def _duration(seconds: float) -> str:
    return f"PT{max(0.0, seconds):.2f}S"


# -- launch ---------------------------------------------------------------------------


def _close_open_sessions(
    attempt: Attempt,
    version: PackageVersion,
    unloaded: str | None = None,
    *,
    abandon: bool = True,
) -> None:
    """Sessions without ``terminated`` are abandoned (cmi5 §9.3.6), checked at a new launch.

    A session that did terminate is never abandoned (§9.3.8), and its AU is evaluated
    again: its last statements may have come after the learner left it. ``unloaded``:
    the session the player unloaded for this very launch (the learner's Next, Previous
    or a choice in the contents). Its AU sends ``terminated`` while it unloads, which may
    reach the LRS after this request; it is decided at the next launch instead.
    ``abandon`` False: only end (and evaluate) the sessions that terminated.
    """
    open_sessions = db.session.scalars(
        select(Cmi5Session).where(
            Cmi5Session.attempt_id == attempt.id, Cmi5Session.ended_at.is_(None)
        )
    )
    for session in list(open_sessions):
        if _session_statements(attempt, session.au_id, session.session_id, {TERMINATED}):
            session.ended_at = attempts.now()
            if session.launch_mode == "Normal":
                evaluate(attempt, version, session.au_id)
            continue
        if session.session_id == unloaded or not abandon:
            continue
        player_lms.store_statements(
            [
                _statement(
                    attempt,
                    version,
                    "abandoned",
                    _au_object(_au(version, session.au_id)),
                    session.session_id,
                    result={"duration": _duration(_session_seconds(attempt, session))},
                )
            ]
        )
        session.ended_at = attempts.now()
        session.abandoned = True
    db.session.flush()


def open_session(attempt: Attempt, au_id: str | None) -> str | None:
    """The id of the AU's session that has not ended (the one the learner is in), if any."""
    if not au_id:
        return None
    return db.session.scalar(
        select(Cmi5Session.session_id)
        .where(
            Cmi5Session.attempt_id == attempt.id,
            Cmi5Session.au_id == au_id,
            Cmi5Session.ended_at.is_(None),
            Cmi5Session.launch_mode == "Normal",
        )
        .order_by(Cmi5Session.launched_at.desc(), Cmi5Session.id.desc())
        .limit(1)
    )


def _session_seconds(attempt: Attempt, session: Cmi5Session) -> float:
    """An abandoned session's length: from ``launched`` to the AU's last statement in it.

    cmi5 §9.5.4.2 (the duration of "abandoned" without a better measure of the LMS's).
    The session is decided at a later launch, so the time until then is not its length.
    """
    rows = _session_rows(attempt, session.au_id, session.session_id, None)
    last = max((row.stored for row in rows), default=session.launched_at)
    return max(0.0, (last - session.launched_at).total_seconds())


def _begin_session(state: ScoState, moment: datetime) -> None:
    """Count a new launch of a cmi5 AU or xAPI activity on its runtime state."""
    state.launches += 1
    state.session_no += 1
    state.session_started_at = moment
    state.session_finished = False
    state.updated_at = moment
    if state.completion_status == "not attempted":
        state.completion_status = "incomplete"


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
    the session the player just unloaded to come here (``_close_open_sessions``).
    """
    au = _au(version, au_id)
    if review:
        state = attempts.sco_state(attempt, au_id, create=False)
    else:
        _close_open_sessions(attempt, version, unloaded)
        state = attempts.sco_state(attempt, au_id)
        assert state is not None  # noqa: S101  (create=True)
    fetch_token = secrets.token_urlsafe(32)
    session_id = str(uuid.uuid4())
    mode = "Review" if review else "Normal"
    move_on = str(au.get("moveOn") or "NotApplicable")
    moment = attempts.now()
    session = Cmi5Session(
        attempt_id=attempt.id,
        au_id=au_id,
        session_id=session_id,
        fetch_hash=_hash(fetch_token),
        move_on=move_on,
        launch_mode=mode,
        launched_at=moment,
        abandoned=False,
    )
    db.session.add(session)
    if state is not None and not review:
        _begin_session(state, moment)
    agent = player_lms.learner_agent(attempt)
    token_query = request.view_args.get("token") if request.view_args else None
    return_url = _absolute(f"/player/{token_query}/returned") if token_query else None
    launch_data: dict[str, Any] = {
        "contextTemplate": _context(attempt, version, session_id),
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
    href = au.get("url") or au.get("href") or ""
    launch_url = content_url(version, href)
    player_lms.store_statements(
        [
            _statement(
                attempt,
                version,
                "launched",
                _au_object(au),
                session_id,
                launchmode=mode,
                launchurl=_absolute(launch_url),
                moveon=move_on,
                launchparameters=au.get("launchParameters") or None,
            )
        ]
    )
    if move_on == "NotApplicable" and not review:
        _satisfy(attempt, version, au, session_id)
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
        _begin_session(state, moment)
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


# -- results ---------------------------------------------------------------------------


def _session_rows(
    attempt: Attempt, activity_id: str, session_id: str | None, verbs: set[str] | None
) -> list[Statement]:
    """The stored statements about an activity in this registration (any verb if None)."""
    found = []
    for verb in sorted(verbs) if verbs is not None else [None]:
        query = lrs_queries.StatementQuery(
            registration=attempt.registration, activity=activity_id, verb=verb, limit=500
        )
        page = lrs_queries.query_statements(query, player_lms.lms_client(), 500)
        for row in page.statements:
            if session_id is not None:
                ext = (row.data.get("context") or {}).get("extensions") or {}
                if ext.get(SESSION_EXT) != session_id:
                    continue
            found.append(row)
    return found


def _session_statements(
    attempt: Attempt, activity_id: str, session_id: str | None, verbs: set[str]
) -> list[dict[str, Any]]:
    """The learner's statements about an activity in this registration with these verbs."""
    return [row.data for row in _session_rows(attempt, activity_id, session_id, verbs)]


def _met(move_on: str, completed: bool, passed: bool) -> bool:
    """MoveOn criteria (cmi5 §13.1.4 moveOn)."""
    return {
        "Completed": completed,
        "Passed": passed,
        "CompletedAndPassed": completed and passed,
        "CompletedOrPassed": completed or passed,
        "NotApplicable": True,
    }.get(move_on, False)


def evaluate(attempt: Attempt, version: PackageVersion, au_id: str) -> None:
    """Read the AU's completed/passed/failed statements; record status; satisfy moveOn.

    Only what the launch reported counts (``_earned``); the score is the latest one
    reported (cmi5 §9.5.1: with passed or failed), so a pass after a fail shows.
    """
    if attempts.in_review(attempt):
        return
    state = attempts.sco_state(attempt, au_id)
    assert state is not None  # noqa: S101  (create=True)
    # What an AU sent in a Review session does not count (cmi5 §10.2.2: it must not
    # send completed/passed/failed there, and the LMS does not evaluate moveOn).
    reviewed = set(
        db.session.scalars(
            select(Cmi5Session.session_id).where(
                Cmi5Session.attempt_id == attempt.id, Cmi5Session.launch_mode == "Review"
            )
        )
    )
    rows = [
        row
        for row in _earned(
            attempt, _session_rows(attempt, au_id, None, {COMPLETED, PASSED, FAILED})
        )
        if ((row.data.get("context") or {}).get("extensions") or {}).get(SESSION_EXT)
        not in reviewed
    ]
    verbs = {row.data["verb"]["id"] for row in rows}
    completed = COMPLETED in verbs
    passed = PASSED in verbs
    if completed or passed:
        state.completion_status = "completed"
    if passed:
        state.success_status = "passed"
    elif FAILED in verbs:
        state.success_status = "failed"
    for row in sorted(rows, key=lambda r: r.stored):
        scaled = ((row.data.get("result") or {}).get("score") or {}).get("scaled")
        if isinstance(scaled, (int, float)):
            state.score_scaled = float(scaled)
    if version.kind == "xapi":
        return
    au = _au(version, au_id)
    move_on = str(au.get("moveOn") or "NotApplicable")
    if _met(move_on, completed, passed):
        _satisfy(attempt, version, au, _last_session(attempt, au_id))


def _earned(attempt: Attempt, rows: list[Statement]) -> list[Statement]:
    """The statements the launch itself reported: by the LMS or a credential of the attempt.

    The player gives each cmi5 AU or xAPI activity launch a credential bound to the
    attempt's registration (``fetch``, ``launch_activity``); lrs/learner_scope.py keeps it
    to that launch. A statement some other client wrote in the registration (one that
    learned it, with ``statements/write``) satisfies nothing.
    """
    lms = player_lms.lms_agent()
    keys = {
        str(account.get("name"))
        for row in rows
        if isinstance(account := (row.data.get("authority") or {}).get("account"), dict)
    }
    bound = (
        set(
            db.session.scalars(
                select(Credential.key).where(
                    Credential.key.in_(keys), Credential.registration == attempt.registration
                )
            )
        )
        if keys
        else set()
    )
    return [
        row
        for row in rows
        if row.data.get("authority") == lms
        or str(((row.data.get("authority") or {}).get("account") or {}).get("name")) in bound
    ]


def _last_session(attempt: Attempt, au_id: str) -> str | None:
    """The id of the AU's latest session in Normal mode (satisfied is sent in it, §9.3.9)."""
    return db.session.scalar(
        select(Cmi5Session.session_id)
        .where(
            Cmi5Session.attempt_id == attempt.id,
            Cmi5Session.au_id == au_id,
            Cmi5Session.launch_mode == "Normal",
        )
        .order_by(Cmi5Session.launched_at.desc(), Cmi5Session.id.desc())
        .limit(1)
    )


def _satisfied_ids(attempt: Attempt) -> set[str]:
    rows = lrs_queries.query_statements(
        lrs_queries.StatementQuery(
            registration=attempt.registration, verb=VERBS["satisfied"][0], limit=500
        ),
        player_lms.lms_client(),
        500,
    )
    return {r.data["object"]["id"] for r in rows.statements}


def _satisfy(
    attempt: Attempt, version: PackageVersion, au: dict[str, Any], session_id: str | None
) -> None:
    """``satisfied`` for the AU, then every block and the course whose AUs all are (§9.3.9).

    An AU whose moveOn is NotApplicable is met without a launch (§9.6.1). ``session_id``:
    the AU session that met the criteria; None outside one, which gets a session id of
    its own (§9.3.9). With the course's ``satisfied`` goes the course's result
    (player/outcome.py), which My learning and the reports count.
    """
    session_id = session_id or str(uuid.uuid4())
    done = _satisfied_ids(attempt)
    statements = []
    if au["id"] not in done:
        statements.append(_statement(attempt, version, "satisfied", _au_object(au), session_id))
        done.add(au["id"])

    def walk(children: list[dict[str, Any]]) -> bool:
        all_done = True
        for child in children:
            if child.get("type") == "block":
                ok = walk(child.get("children") or [])
                if ok and child["id"] not in done:
                    statements.append(
                        _statement(
                            attempt,
                            version,
                            "satisfied",
                            {
                                "objectType": "Activity",
                                "id": child["id"],
                                "definition": {"type": TYPE_BLOCK},
                            },
                            session_id,
                        )
                    )
                    done.add(child["id"])
                all_done = all_done and ok
            else:
                met = child["id"] in done or child.get("moveOn") == "NotApplicable"
                all_done = all_done and met
        return all_done

    if walk((version.manifest or {}).get("children") or []) and _course_id(version) not in done:
        course = _statement(
            attempt,
            version,
            "satisfied",
            {
                "objectType": "Activity",
                "id": _course_id(version),
                "definition": {"type": TYPE_COURSE},
            },
            session_id,
        )
        statements.append(course)
        statements.extend(outcome.cmi5_course_statements(attempt, version, course["context"]))
    player_lms.store_statements(statements)


def course_rollup(attempt: Attempt, version: PackageVersion) -> None:
    """The attempt's status from the course's ``satisfied`` (cmi5 §9.3.9), after simple_rollup.

    Completed only when the course is satisfied (every AU, not each); passed then when
    an AU had to be passed; the score as player/outcome.py defines it.
    """
    satisfied = _course_id(version) in _satisfied_ids(attempt)
    if satisfied:
        attempt.completion_status = "completed"
        attempt.success_status = "passed" if outcome.must_pass(version) else "unknown"
    elif attempt.completion_status == "completed":
        attempt.completion_status = "incomplete"
    score = outcome.cmi5_score(attempt, version)
    if score is not None:
        attempt.score_scaled = score


def waive(attempt: Attempt, version: PackageVersion, au_id: str, reason: str) -> None:
    """Waive an AU (cmi5 §9.3.7): ``waived`` with success and completion, then moveOn.

    ``waived`` gets a session id of its own, which no other statement uses (§9.3.7).
    """
    au = _au(version, au_id)
    if reason not in WAIVE_REASONS:
        raise ValueError(f"not a cmi5 waive reason: {reason!r}")
    player_lms.store_statements(
        [
            _statement(
                attempt,
                version,
                "waived",
                _au_object(au),
                str(uuid.uuid4()),
                result={"success": True, "completion": True, "extensions": {REASON_EXT: reason}},
            )
        ]
    )
    state = attempts.sco_state(attempt, au_id)
    assert state is not None  # noqa: S101
    state.completion_status = "completed"
    state.success_status = "passed"
    _satisfy(attempt, version, au, None)


def waived_reasons(attempt: Attempt) -> dict[str, str]:
    """AU id → reason of the ``waived`` statements in the attempt's registration."""
    rows = lrs_queries.query_statements(
        lrs_queries.StatementQuery(
            registration=attempt.registration, verb=VERBS["waived"][0], limit=500
        ),
        player_lms.lms_client(),
        500,
    )
    return {
        r.data["object"]["id"]: str(
            ((r.data.get("result") or {}).get("extensions") or {}).get(REASON_EXT) or ""
        )
        for r in rows.statements
    }


def au_overview(attempt: Attempt) -> list[dict[str, Any]]:
    """Each AU of a cmi5 attempt: title, stored status, satisfied, waived (and why)."""
    version = attempts.version_of(attempt)
    if version.kind != "cmi5":
        return []
    satisfied = _satisfied_ids(attempt)
    waived = waived_reasons(attempt)
    by_id = {s.sco_id: s for s in attempt.scos}
    rows = []
    for node in course_tree.nodes(version):
        if not node.launchable:
            continue
        state = by_id.get(node.id)
        rows.append(
            {
                "id": node.id,
                "title": node.title,
                "move_on": str(node.data.get("moveOn") or "NotApplicable"),
                "completion_status": state.completion_status if state else "not attempted",
                "success_status": state.success_status if state else "unknown",
                "score_scaled": state.score_scaled if state else None,
                "satisfied": node.id in satisfied,
                "waived": waived.get(node.id),
            }
        )
    return rows


def waive_au(attempt: Attempt, au_id: str, reason: str) -> None:
    """Waive one AU of a cmi5 attempt for the learner and re-evaluate moveOn.

    cmi5 §9.3.8: the LMS may decide an AU's requirements were met another way, and must
    not send ``waived`` twice for an AU in a registration; §9.5.4.1 lists the reasons.
    The caller rolls the attempt up (player.rollup.waive_au).
    """
    version = attempts.version_of(attempt)
    if version.kind != "cmi5":
        raise Conflict("Only the AUs of a cmi5 course can be waived")
    if reason not in WAIVE_REASONS:
        raise BadRequest(
            f"Not a cmi5 waive reason: {reason!r}",
            errors=[{"path": "reason", "message": f"one of {', '.join(WAIVE_REASONS)}"}],
        )
    if not any(n.id == au_id and n.launchable for n in course_tree.nodes(version)):
        raise BadRequest(
            f"No AU {au_id!r} in this course", errors=[{"path": "au_id", "message": "unknown AU"}]
        )
    if au_id in waived_reasons(attempt):
        raise Conflict("This AU has been waived already")
    if au_id in _satisfied_ids(attempt):
        raise Conflict("This AU is satisfied already; there is nothing to waive")
    waive(attempt, version, au_id, reason)


def end_session(
    attempt: Attempt, version: PackageVersion, au_id: str, *, closing: bool = False
) -> None:
    """The learner left an AU (or an xAPI activity): record what its statements say.

    AUs left earlier whose sessions have terminated since are evaluated too: what an AU
    sends as the player unloads it may come after the request that left it.
    """
    state = attempts.sco_state(attempt, au_id, create=False)
    if state is None:
        return
    evaluate(attempt, version, au_id)
    if version.kind == "cmi5" and not attempts.in_review(attempt):
        _close_open_sessions(attempt, version, abandon=False)
    if not state.session_finished and state.session_started_at is not None:
        state.total_seconds += max(0.0, (attempts.now() - state.session_started_at).total_seconds())
        state.wall_seconds = state.total_seconds
    state.session_finished = True
    state.updated_at = attempts.now()
    db.session.flush()
