"""The small helper that turns marshmallow validation errors into our BadRequest."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError

from core.errors import BadRequest


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


def parse_json(raw: bytes, path: str = "body") -> Any:
    """Parse a request body as strict JSON: UTF-8, no duplicate keys, no NaN/Infinity."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"The {path} is not valid UTF-8 (byte {exc.start})",
            errors=[{"path": path, "message": "invalid UTF-8"}],
        ) from None
    try:
        return json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except ValueError as exc:
        raise BadRequest(
            f"The {path} is not valid JSON: {exc}",
            errors=[{"path": path, "message": "invalid JSON"}],
        ) from None
