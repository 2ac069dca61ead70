"""SCORM run-time data → xAPI statements (pure: no Flask, no database).

Follows the ADL "Experience API SCORM Profile" (https://github.com/adlnet/xAPI-SCORM-Profile,
``xapi-scorm-profile.md``) where it speaks:

- verbs from http://adlnet.gov/expapi/verbs/ (§3.2 "Verb" table): initialized / resumed at
  launch, suspended / terminated at the end, completed, passed, failed, scored;
- the SCO is the object, type ``.../activities/lesson``; the course (type ``course``) and
  the attempt (type ``attempt``, ``<sco>?attemptId=<registration>``) are grouping
  activities (§5.0); the course is also the SCO's parent here, so reports can walk
  course → SCO with ``related_activities`` or ``parent`` alike;
- things inside the SCO (interactions, objectives) have the SCO as parent, with ids
  ``<sco>/interactions/<id>`` and ``<sco>/objectives/<id>`` (§3.2 "Activity IRI");
- every statement has the profile activity ``https://w3id.org/xapi/scorm`` in
  ``context.contextActivities.category`` and the attempt's ``registration``.

Interactions use the verb ``answered`` (the profile's table names ``responded`` for
``learner_response``; ``answered`` is what the rest of our content — cmi5, xAPI packages,
authoring tools — sends for questions, so reports need one verb).

Statement ids are uuid5 of (registration, SCO, session, kind, content), so translating
the same commit twice gives the same statements and the LRS stores them once (xAPI
Communication §2.1.2: same id and same content is no conflict). No ``timestamp`` is set
unless given: the LRS fills it (and ignores that difference on a resend); a timestamp
taken from the server clock would differ on a resend and turn it into a 409 conflict.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core import vocabulary
from player.cmi import (
    SCORM12,
    SCORM2004,
    SessionOutcome,
    Status,
    format_iso_duration,
    iter_interactions,
    parse_iso_duration,
    parse_scorm12_time,
    status_of,
)

#: Namespace of the deterministic statement ids (uuid5 of this IRI).
STATEMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://kompetens/player/translate")


@dataclass
class TranslateContext:
    """Who, where and which attempt the statements of one SCO session are about.

    ``session`` tells the launches of one attempt apart (e.g. the player's session id or a
    launch counter); it must stay the same for every call about one launch.
    """

    actor: dict[str, Any]
    registration: str
    course_activity_id: str
    course_title: str
    sco_activity_id: str
    sco_title: str
    version: str
    platform: str = "Kompetens"
    language: str = "en-US"
    session: str = ""


# -- building blocks --------------------------------------------------------------------


def _activity(ident: str, kind: str, name: str, language: str, **extra: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {"type": vocabulary.activity_type(kind)}
    if name:
        definition["name"] = {language: name}
    definition.update(extra)
    return {"objectType": "Activity", "id": ident, "definition": definition}


def attempt_activity_id(ctx: TranslateContext) -> str:
    """Return the attempt activity IRI, ``<sco>?attemptId=<registration>`` (profile §5.0)."""
    joiner = "&" if "?" in ctx.sco_activity_id else "?"
    return f"{ctx.sco_activity_id}{joiner}attemptId={ctx.registration}"


def _sco(ctx: TranslateContext) -> dict[str, Any]:
    return _activity(ctx.sco_activity_id, "lesson", ctx.sco_title, ctx.language)


def _course(ctx: TranslateContext) -> dict[str, Any]:
    definition = vocabulary.course_definition(ctx.course_title)
    return {"objectType": "Activity", "id": ctx.course_activity_id, "definition": definition}


def _context(ctx: TranslateContext, *, inside_sco: bool) -> dict[str, Any]:
    attempt = _activity(attempt_activity_id(ctx), "attempt", "", ctx.language)
    return {
        "registration": ctx.registration,
        "platform": ctx.platform,
        "language": ctx.language,
        "contextActivities": {
            "parent": [_sco(ctx) if inside_sco else _course(ctx)],
            "grouping": [_course(ctx), attempt],
            "category": [
                {
                    "objectType": "Activity",
                    "id": vocabulary.SCORM_PROFILE,
                    "definition": {"type": vocabulary.activity_type("profile")},
                }
            ],
        },
    }


def statement_id(ctx: TranslateContext, key: str) -> str:
    """Deterministic statement id: uuid5 of registration, SCO, session and ``key``."""
    name = "\x1f".join((ctx.registration, ctx.sco_activity_id, ctx.session, key))
    return str(uuid.uuid5(STATEMENT_NAMESPACE, name))


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _statement(
    ctx: TranslateContext,
    key: str,
    verb: str,
    obj: dict[str, Any],
    *,
    result: dict[str, Any] | None = None,
    inside_sco: bool = False,
    timestamp: str | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "id": statement_id(ctx, key),
        "actor": ctx.actor,
        "verb": vocabulary.verb(verb),
        "object": obj,
        "context": _context(ctx, inside_sco=inside_sco),
    }
    if result:
        statement["result"] = result
    if timestamp:
        statement["timestamp"] = timestamp
    return statement


def _score(status: Status) -> dict[str, float] | None:
    """Build the xAPI score (Data 2.4.5.1), dropping min/max that would make it invalid.

    Only a raw or scaled score the SCO reported makes a score: Rise and Captivate set
    ``score.min``/``score.max`` before any result, and bounds alone say nothing.
    """
    score: dict[str, float] = {}
    if status.score_scaled is not None and -1 <= status.score_scaled <= 1:
        score["scaled"] = status.score_scaled
    if status.score_raw is not None:
        score["raw"] = status.score_raw
    low, high = status.score_min, status.score_max
    if low is not None and high is not None and low < high:
        if status.score_raw is None or low <= status.score_raw <= high:
            score["min"], score["max"] = low, high
    elif low is not None and high is None and (status.score_raw or 0) >= low:
        score["min"] = low
    elif high is not None and low is None and (status.score_raw or 0) <= high:
        score["max"] = high
    return score if "raw" in score or "scaled" in score else None


def _status_result(status: Status) -> dict[str, Any]:
    result: dict[str, Any] = {}
    score = _score(status)
    if score:
        result["score"] = score
    if status.success in ("passed", "failed"):
        result["success"] = status.success == "passed"
    if status.completion == "completed":
        result["completion"] = True
    elif status.completion == "incomplete":
        result["completion"] = False
    return result


# -- launch and end ---------------------------------------------------------------------


def statements_for_launch(
    ctx: TranslateContext, entry: str, *, timestamp: str | None = None
) -> list[dict[str, Any]]:
    """Return ``initialized`` (new attempt) or ``resumed`` (``entry`` "resume"), profile §5.0."""
    verb = "resumed" if entry == "resume" else "initialized"
    return [_statement(ctx, f"launch:{verb}", verb, _sco(ctx), timestamp=timestamp)]


def statements_for_end(
    ctx: TranslateContext,
    outcome: SessionOutcome,
    cmi: Mapping[str, Any],
    *,
    timestamp: str | None = None,
) -> list[dict[str, Any]]:
    """Return the statements of a session's end: final status changes, then the exit.

    First any status change the LMS's final evaluation made (e.g. a 1.2 mastery score, a
    2004 threshold), then ``suspended`` or ``terminated``.

    ``cmi`` is the last committed tree (already translated by
    :func:`statements_for_commit`); ``outcome`` is what ``finish_session`` returned for
    it. The final statement's result carries the session time as ``duration`` and the
    attempt's completion, success and score.
    """
    final = Status(
        completion=outcome.completion,
        success=outcome.success,
        score_scaled=outcome.score_scaled,
        score_raw=outcome.score_raw,
        score_min=outcome.score_min,
        score_max=outcome.score_max,
        lesson_status=outcome.lesson_status,
    )
    before = status_of(ctx.version, cmi)
    statements = _status_statements(ctx, before, final, timestamp=timestamp)
    verb = "suspended" if outcome.suspended else "terminated"
    result = _status_result(final)
    result["duration"] = format_iso_duration(outcome.session_seconds)
    statements.append(
        _statement(ctx, f"end:{verb}", verb, _sco(ctx), result=result, timestamp=timestamp)
    )
    return statements


# -- commits ----------------------------------------------------------------------------


def statements_for_commit(
    ctx: TranslateContext,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    timestamp: str | None = None,
) -> list[dict[str, Any]]:
    """Statements for what one commit changed, from the stored tree ``before`` to ``after``.

    - each interaction newly answered (or answered differently) → ``answered``, with the
      response, the correct responses pattern, success and latency as duration;
    - each 2004 objective whose success/completion changed → passed / failed / completed
      about the objective activity;
    - a changed score → ``scored``;
    - the SCO's evaluated completion/success becoming completed / passed / failed →
      ``completed`` / ``passed`` / ``failed`` (evaluated as ``cmi.status_of`` does, so a
      2004 threshold or 1.2 mastery score counts).
    """
    statements: list[dict[str, Any]] = []
    old_interactions = dict(iter_interactions(ctx.version, before))
    for index, item in iter_interactions(ctx.version, after):
        statement = _interaction_statement(
            ctx, index, item, old_interactions.get(index), timestamp=timestamp
        )
        if statement:
            statements.append(statement)
    if ctx.version == SCORM2004:
        statements.extend(_objective_statements(ctx, before, after, timestamp=timestamp))
    old, new = status_of(ctx.version, before), status_of(ctx.version, after)
    score = _score(new)
    if score and score != _score(old):
        statements.append(
            _statement(
                ctx,
                f"scored:{_digest(score)}",
                "scored",
                _sco(ctx),
                result={"score": score},
                timestamp=timestamp,
            )
        )
    statements.extend(_status_statements(ctx, old, new, timestamp=timestamp))
    return statements


def _status_statements(
    ctx: TranslateContext, old: Status, new: Status, *, timestamp: str | None
) -> list[dict[str, Any]]:
    statements = []
    result = _status_result(new)
    if new.completion == "completed" and old.completion != "completed":
        key = f"completed:{_digest(result)}"
        statements.append(
            _statement(ctx, key, "completed", _sco(ctx), result=result, timestamp=timestamp)
        )
    if new.success in ("passed", "failed") and new.success != old.success:
        key = f"{new.success}:{_digest(result)}"
        statements.append(
            _statement(ctx, key, new.success, _sco(ctx), result=result, timestamp=timestamp)
        )
    return statements


def _objective_statements(
    ctx: TranslateContext,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    timestamp: str | None,
) -> list[dict[str, Any]]:
    def by_id(tree: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        inner = tree.get("cmi", tree)
        found: dict[str, dict[str, Any]] = {}
        objectives = inner.get("objectives") if isinstance(inner, Mapping) else None
        for obj in _items(objectives):
            if isinstance(obj, Mapping) and obj.get("id"):
                found[str(obj["id"])] = dict(obj)
        return found

    statements = []
    old = by_id(before)
    for ident, obj in by_id(after).items():
        prev = old.get(ident, {})
        activity = _activity(
            vocabulary.objective_iri(ctx.sco_activity_id, ident),
            "objective",
            _plain(str(obj.get("description") or "")) or ident,
            ctx.language,
        )
        result: dict[str, Any] = {}
        scaled = _number(_mapping(obj.get("score")).get("scaled"))
        if scaled is not None and -1 <= scaled <= 1:
            result["score"] = {"scaled": scaled}
        for field, verbs in (
            ("completion_status", ("completed",)),
            ("success_status", ("passed", "failed")),
        ):
            value = obj.get(field)
            if value in verbs and value != prev.get(field):
                statements.append(
                    _statement(
                        ctx,
                        f"objective:{ident}:{value}:{_digest(result)}",
                        str(value),
                        activity,
                        result=result or None,
                        inside_sco=True,
                        timestamp=timestamp,
                    )
                )
    return statements


# -- interactions -----------------------------------------------------------------------

#: SCORM interaction type → xAPI interactionType (Data 2.4.4.1 "Interaction Activities").
#: SCORM 1.2 "performance" is free text (CMIFeedback), not xAPI's step[.]answer list: other.
INTERACTION_TYPES = {
    "true-false": "true-false",
    "choice": "choice",
    "fill-in": "fill-in",
    "long-fill-in": "long-fill-in",
    "matching": "matching",
    "performance": "performance",
    "sequencing": "sequencing",
    "likert": "likert",
    "numeric": "numeric",
    "other": "other",
}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _plain(text: str) -> str:
    """Text of a 2004 localized string without its ``{lang=..}`` delimiter."""
    match = re.match(r"^\{lang=[^}]*\}", text)
    return text[match.end() :] if match else text


def _items(value: Any) -> list[Any]:
    """Entries of a CMI array given as a list or as an object keyed "0", "1"..."""
    if isinstance(value, Mapping):
        keys = sorted((k for k in value if str(k).isdigit()), key=lambda k: int(k))
        return [value[k] for k in keys]
    return list(value) if isinstance(value, list) else []


def _split_12(value: str) -> list[str]:
    """SCORM 1.2 list: ``a,b`` or ``{a,b}`` (1.2 RTE §3.4.2 CMIFeedback)."""
    value = value.strip()
    if value.startswith("{") and value.endswith("}"):
        value = value[1:-1]
    return [part.strip() for part in value.split(",")] if value else []


def xapi_response(version: str, kind: str, value: str, *, pattern: bool = False) -> str:
    """Format a learner response (or correct pattern) in xAPI notation for ``kind``.

    2004 notation (``[,]``, ``[.]``, ``[:]``, ``{case_matters=..}``) is xAPI's already;
    only ``{lang=..}`` is removed from responses. 1.2 lists (``a,b`` / ``{a,b}``) become
    ``a[,]b``, matching pairs ``a.1`` become ``a[.]1``, true-false ``t``/``1`` become
    ``true``.
    """
    if version == SCORM2004:
        if not pattern and kind in ("fill-in", "long-fill-in"):
            return "[,]".join(_plain(part) for part in value.split("[,]"))
        return value
    if kind == "true-false":
        lowered = value.strip().lower()
        if lowered in ("t", "1", "true"):
            return "true"
        if lowered in ("f", "0", "false"):
            return "false"
        return value
    if kind in ("choice", "sequencing"):
        return "[,]".join(_split_12(value))
    if kind == "matching":
        pairs = []
        for pair in _split_12(value):
            source, _, target = pair.partition(".")
            pairs.append(f"{source}[.]{target}")
        return "[,]".join(pairs)
    return value


def _interaction_statement(
    ctx: TranslateContext,
    index: int,
    item: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    *,
    timestamp: str | None,
) -> dict[str, Any] | None:
    v12 = ctx.version == SCORM12
    response_key = "student_response" if v12 else "learner_response"
    ident = str(item.get("id") or "")
    response = item.get(response_key)
    result_value = item.get("result")
    if not ident or (response in (None, "") and result_value in (None, "")):
        return None
    watched = ("id", "type", response_key, "result")
    if previous is not None and all(
        str(previous.get(k) or "") == str(item.get(k) or "") for k in watched
    ):
        return None  # nothing the learner did changed
    kind = str(item.get("type") or "")
    xapi_kind = INTERACTION_TYPES.get(kind, "other")
    if v12 and kind == "performance":
        xapi_kind = "other"
    extra: dict[str, Any] = {"interactionType": xapi_kind}
    patterns = [
        xapi_response(ctx.version, kind, str(_mapping(p).get("pattern")), pattern=True)
        for p in _items(item.get("correct_responses"))
        if _mapping(p).get("pattern") not in (None, "")
    ]
    if patterns:
        extra["correctResponsesPattern"] = patterns
    description = _plain(str(item.get("description") or ""))
    if description:
        extra["description"] = {ctx.language: description}
    activity = _activity(
        vocabulary.interaction_iri(ctx.sco_activity_id, ident),
        "cmi.interaction",
        ident,
        ctx.language,
        **extra,
    )
    result: dict[str, Any] = {}
    if response not in (None, ""):
        result["response"] = xapi_response(ctx.version, kind, str(response))
    if result_value == "correct":
        result["success"] = True
    elif result_value in ("incorrect", "wrong"):
        # 1.2 says "wrong", 2004 "incorrect" (SCORM_CHECKS §3.2; scorm-again #146).
        result["success"] = False
    elif _number(result_value) is not None:
        result["score"] = {"raw": _number(result_value)}
    latency = item.get("latency")
    if latency:
        try:
            seconds = parse_scorm12_time(str(latency)) if v12 else parse_iso_duration(str(latency))
            result["duration"] = format_iso_duration(seconds)
        except ValueError:
            pass  # validate_cmi reports it; the answer still counts
    when = timestamp
    if not v12 and item.get("timestamp"):
        when = _iso_timestamp(str(item["timestamp"])) or timestamp
    key = f"answered:{index}:{_digest(ident, kind, response, result_value)}"
    return _statement(
        ctx, key, "answered", activity, result=result, inside_sco=True, timestamp=when
    )


def _iso_timestamp(value: str) -> str | None:
    """Use a 2004 ``time (second,10,0)`` as xAPI timestamp if it is a full, zoned date-time.

    xAPI timestamps are ISO 8601 date-times (Data 2.4.7); a SCORM time may stop at the
    year or carry no zone, and then the LRS's own timestamp is better than a guess.
    """
    if _FULL_TIME.match(value):
        return value
    return None


_FULL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
