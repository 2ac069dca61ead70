"""The small helper that turns marshmallow validation errors into our BadRequest."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from marshmallow import Schema, ValidationError

from core.errors import BadRequest
from core.jsoncodec import JSONTooDeep, check_depth


def flatten_errors(messages: Any, path: str = "") -> list[dict[str, str]]:
    """Turn marshmallow's nested error dict into ``[{"path", "message"}]`` rows."""
    rows: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                sub = path
            elif isinstance(key, int):
                sub = f"{path}[{key}]"
            else:
                sub = f"{path}.{key}" if path else str(key)
            rows.extend(flatten_errors(value, sub))
    elif isinstance(messages, list):
        for item in messages:
            if isinstance(item, (dict, list)):
                rows.extend(flatten_errors(item, path))
            else:
                rows.append({"path": path or "$", "message": str(item)})
    else:
        rows.append({"path": path or "$", "message": str(messages)})
    return rows


def load(schema: Schema, data: Any, what: str = "request") -> Any:
    """Validate ``data`` with ``schema``; raise BadRequest naming every bad field."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        rows = flatten_errors(exc.messages)
        first = rows[0] if rows else {"path": "$", "message": "invalid"}
        raise BadRequest(
            f"Invalid {what}: {first['path']}: {first['message']}", errors=rows
        ) from None


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate property {key!r}")
        seen[key] = value
    return seen


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# A number that may be too large for a float (an exponent of three digits, or 309 digits).
_HUGE_NUMBER = re.compile(r"[eE]\+?0*[1-9]\d{2}|\d{309}")


# A \\u escape of a surrogate: paired ones make one character, a lone one is checked.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _without_lone_surrogates(value: Any) -> None:
    """Refuse strings with an unpaired surrogate (RFC 8259 §8.2: not Unicode text).

    Neither UTF-8 nor PostgreSQL's jsonb can hold one, so it would fail at storage.
    """
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string holds an unpaired surrogate (\\uD800-\\uDFFF)") from None


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:24]} is too large")
    return value


def too_deep(path: str, exc: JSONTooDeep) -> BadRequest:
    """The 400 for JSON nested deeper than ``core.jsoncodec.MAX_DEPTH``, at ``path``."""
    return BadRequest(f"The {path} {exc}", errors=[{"path": path, "message": str(exc)}])


def parse_json(raw: bytes, path: str = "body") -> Any:
    """Parse a request body as strict JSON: UTF-8, no duplicate keys, no NaN/Infinity.

    A number too large for a float is refused too: Python would read it as infinity,
    which no JSON (nor PostgreSQL's jsonb) can hold.  So is JSON nested deeper than
    ``core.jsoncodec.MAX_DEPTH`` (a RecursionError in the parser or in a walker later).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"The {path} is not valid UTF-8 (byte {exc.start})",
            errors=[{"path": path, "message": "invalid UTF-8"}],
        ) from None
    try:
        check_depth(raw)
    except JSONTooDeep as exc:
        raise too_deep(path, exc) from None
    try:
        # The float check only where a huge number may be: it costs a call per number.
        value = json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
            parse_float=_finite if _HUGE_NUMBER.search(text) else None,
        )
        if _SURROGATE_ESCAPE.search(text):
            _without_lone_surrogates(value)
        return value
    except ValueError as exc:
        raise BadRequest(
            f"The {path} is not valid JSON: {exc}",
            errors=[{"path": path, "message": "invalid JSON"}],
        ) from None
