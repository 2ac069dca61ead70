"""Reading attribute values from a request: types checked, Entra ID's habits understood."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts.scim.errors import InvalidValue

# The largest id a resource can have (the id columns are 32-bit integers).
MAX_ID = 2**31 - 1
# C0 control characters other than tab and line breaks: nobody's name holds them, and
# PostgreSQL refuses NUL in text.
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


def resource_id(value: Any) -> int | None:
    """A resource id given as text ("12"), or None when it cannot be one."""
    text_ = str(value)
    if not text_.isascii() or not text_.isdigit() or len(text_) > 10:
        return None
    number = int(text_)
    return number if 0 < number <= MAX_ID else None


def has_control(value: str) -> bool:
    """Whether a string holds a control character that is never stored."""
    return any(c in _CONTROL for c in value)


def text(document: dict[str, Any], name: str, limit: int, label: str | None = None) -> str | None:
    """A string attribute (None when unassigned), at most ``limit`` characters."""
    value = document.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidValue(f"{label or name} is a string")
    if has_control(value):
        raise InvalidValue(f"{label or name} holds a control character")
    value = value.strip()
    if len(value) > limit:
        raise InvalidValue(f"{label or name} is longer than {limit} characters")
    return value or None


def boolean(value: Any, name: str) -> bool:
    """A boolean; Entra ID sends "True"/"False" as strings in PATCH, so those count too."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidValue(f"{name} is true or false")


def complex_value(document: dict[str, Any], name: str) -> dict[str, Any]:
    """A complex attribute's object ({} when unassigned)."""
    value = document.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidValue(f"{name} is an object")
    return value


def timestamp(moment: datetime) -> str:
    """A SCIM dateTime (RFC 7643 §2.3.5): xsd:dateTime in UTC."""
    return moment.isoformat(timespec="milliseconds") + "Z"


def etag(version: int) -> str:
    """A weak ETag of a resource's version (RFC 7644 §3.14)."""
    return f'W/"{version}"'
