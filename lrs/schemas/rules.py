"""The xAPI rules that both statement validators share (no marshmallow here).

The strict marshmallow schemas (``lrs.schemas.objects``) and the fast path
(``lrs.fastcheck``) both check formatted strings with these compiled patterns and
helpers, and both read the rule tables below, so a rule changed here changes in both.
The underscored names are shared only inside ``lrs``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from core.errors import BadRequest
from core.iri import is_iri

DATA = "https://github.com/adlnet/xAPI-Spec/blob/master/xAPI-Data.md"
VERSION_1 = "1.0.3"
VERSION_2 = "2.0.0"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"

# -- Formatted strings (Data 2.2, 4.2-4.6) ---------------------------------------------

_MAILTO = re.compile(r"^mailto:[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_MEDIA_TYPE = re.compile(r"^[\w!#$&^.+\-]+/[\w!#$&^.+\-]+\s*(?:;.*)?$", re.DOTALL)
# Statement "version" (Data 2.4.10, Communication 3.3): any 1.0.x; 2.0.x under 2.0.0.
_VERSION_1 = re.compile(r"^1\.0(?:\.\d+)?$")
_VERSION_2 = re.compile(r"^2\.0\.\d+$")

# RFC 5646 section 2.1 grammar (Data 4.2: "at least validate the sequence of token lengths").
_LANGTAG = re.compile(
    r"""^(?:
      (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})   # language (+ extlang)
      (?:-[a-z]{4})?                               # script
      (?:-(?:[a-z]{2}|[0-9]{3}))?                  # region
      (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*     # variants
      (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*          # extensions
      (?:-x(?:-[a-z0-9]{1,8})+)?                   # private use
    | x(?:-[a-z0-9]{1,8})+                         # private use only
    | en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo
    | i-navajo|i-pwn|i-tao|i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de
    | art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# ISO 8601 / RFC 3339 date-times (Data 4.5).  2.0.0 requires the RFC 3339 profile with a
# time zone; 1.0.3 also accepts the ISO basic format, +hhmm / +hh offsets and no zone
# (then UTC).  Both reject a negative zero offset, which RFC 3339 section 4.3 reserves for
# "unknown local offset" (conformance suite, configs/timestamps.js).
_TS_STRICT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)
_TS_LOOSE = re.compile(
    r"^(\d{4})-?(\d{2})-?(\d{2})[Tt](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$"
)
# ISO 8601:2004 4.4.3.2 durations (Data 4.6); weeks cannot be combined with other units.
_DURATION = re.compile(
    r"^P(?:(?P<w>\d+(?:[.,]\d+)?W)|(?=\d|T\d)(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?"
    r"(?:\d+(?:[.,]\d+)?D)?(?:T(?=\d)(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?"
    r"(?:\d+(?:[.,]\d+)?S)?)?)$"
)
_FRACTION = re.compile(r"[.,]\d+[A-Z]")


def is_valid_language_tag(tag: Any) -> bool:
    """Tell whether ``tag`` is a well-formed RFC 5646 language tag (Data 4.2)."""
    return isinstance(tag, str) and _LANGTAG.match(tag) is not None


def _is_iri(value: str) -> bool:
    """Tell whether ``value`` is an RFC 3987 IRI, scheme included (``core.iri``).

    Verb ids, activity ids and types, extension keys, usageTypes... are IRIs (Data 2.2,
    4.1); one without a scheme is refused (Data 2.2).
    """
    return is_iri(value)


def _fail(path: str, message: str) -> BadRequest:
    return BadRequest(f"{path}: {message}", errors=[{"path": path, "message": message}])


def check_uuid(value: Any, path: str) -> str:
    """Return ``value`` if it is a UUID in standard string form (Data 4.4), else 400."""
    if not isinstance(value, str) or not _UUID.match(value):
        raise _fail(path, "Not a valid UUID.")
    return value


def check_iri(value: Any, path: str) -> str:
    """Return ``value`` if it is an RFC 3987 IRI (Data 2.2, 4.3), else 400."""
    if not isinstance(value, str) or not _is_iri(value):
        raise _fail(path, "Not a valid IRI.")
    return value


def _timestamp(value: str, strict: bool) -> datetime | None:
    match = (_TS_STRICT if strict else _TS_LOOSE).match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, frac, _zulu, sign, off_h, off_m = match.groups()
    if sign == "-" and int(off_h) == 0 and int(off_m or 0) == 0:
        return None  # "-00:00", "-0000", "-00": unknown offset
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        tz: timezone = UTC
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
            tz = timezone(-offset if sign == "-" else offset)
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
        )
    except ValueError:  # month 13, Feb 30, offset >= 24 h ...
        return None
    return moment.astimezone(UTC)


def parse_timestamp(value: str, path: str, *, strict: bool = False) -> datetime:
    """Parse an ISO 8601 timestamp (Data 4.5) into an aware UTC datetime, else 400.

    ``strict`` asks for the RFC 3339 profile with a time zone (xAPI 2.0.0); otherwise the
    1.0.3 forms are accepted too and a timestamp without zone is taken as UTC.
    """
    moment = _timestamp(value, strict) if isinstance(value, str) else None
    if moment is None:
        raise _fail(path, "Not a valid ISO 8601 timestamp with a time zone.")
    return moment


def _is_duration(value: str) -> bool:
    if _DURATION.match(value) is None:
        return False
    # Only the lowest-order component may carry a decimal fraction (ISO 8601 4.4.3.2).
    fraction = _FRACTION.search(value)
    return fraction is None or fraction.end() == len(value)


# -- Actors (Data 2.4.2) ---------------------------------------------------------------

_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


def _ifi_count(data: Mapping[str, Any]) -> int:
    return sum(1 for key in _IFIS if key in data)


# As an object, these keys mean an Agent or a Group (Data 2.4.4.2).
_ACTOR_KEYS = ("mbox", "mbox_sha1sum", "openid", "account", "member")


# -- Interaction activities (Data 2.4.4.1) ---------------------------------------------

INTERACTION_TYPES = (
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
)
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
# Which component lists each interaction type uses ("Interaction Components" table).
_COMPONENTS_FOR = {
    "choice": {"choices"},
    "sequencing": {"choices"},
    "likert": {"scale"},
    "matching": {"source", "target"},
    "performance": {"steps"},
}
