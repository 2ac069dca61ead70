"""SCORM times: 1.2 CMITimespan and 2004 timeinterval (ISO 8601 duration).

SCORM 1.2 RTE §3.4.2 (``cmi.core.session_time``, ``total_time``) and SCORM 2004 RTE §4.1
("timeinterval (second,10,2)"), §4.2.21 session_time, §4.2.25 total_time.
"""

from __future__ import annotations

import math
import re
from typing import Any

from player.cmi.values import SCORM12, is_blank

# SCORM 1.2 CMITimespan: HHHH:MM:SS.SS, hours 2-4 digits, optional 1-2 decimals (RTE §3.4.2).
_TIMESPAN_12 = re.compile(r"^(\d{2,4}):([0-5]\d):([0-5]\d)(?:\.(\d{1,2}))?$")
# SCORM 2004 timeinterval (second,10,2), ISO 8601 duration P[nY][nM][nD][T[nH][nM][n[.n]S]]
# (RTE §4.1 data types, "timeinterval"); weeks are not part of SCORM's ISO 8601 profile.
_ISO_DURATION = re.compile(
    r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?"
    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def parse_scorm12_time(value: str) -> float:
    """Seconds in a SCORM 1.2 CMITimespan ``HHHH:MM:SS(.SS)``; malformed → ValueError."""
    match = _TIMESPAN_12.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"not a SCORM 1.2 CMITimespan (HHHH:MM:SS.SS): {value!r}")
    hours, minutes, seconds, fraction = match.groups()
    total = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    return total + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)


def format_scorm12_time(seconds: float) -> str:
    """Format seconds as SCORM 1.2 ``HHHH:MM:SS.SS`` (hours capped at 9999:59:59.99)."""
    if seconds < 0 or math.isnan(seconds):
        raise ValueError(f"negative or NaN duration: {seconds!r}")
    hundredths = min(round(seconds * 100), (9999 * 3600 + 59 * 60 + 59) * 100 + 99)
    whole, frac = divmod(hundredths, 100)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:04d}:{minutes:02d}:{secs:02d}.{frac:02d}"


def parse_iso_duration(value: str) -> float:
    """Seconds in a SCORM 2004 timeinterval (ISO 8601 duration, RTE §4.1 "timeinterval").

    Years count 365 days and months 30 days (SCORM content uses neither in practice).
    Malformed (``P``, ``PT``, ``PT1H30``, ``P1W``, negative) → ValueError.
    """
    match = _ISO_DURATION.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"not an ISO 8601 duration (timeinterval): {value!r}")
    years, months, days, hours, minutes, seconds = match.groups()
    total = float(seconds) if seconds else 0.0
    for part, factor in (
        (years, 365 * 86400),
        (months, 30 * 86400),
        (days, 86400),
        (hours, 3600),
        (minutes, 60),
    ):
        if part:
            total += int(part) * factor
    return total


def format_iso_duration(seconds: float) -> str:
    """Format seconds as ``PT#H#M#S`` with at most 2 decimals (2004 timeinterval)."""
    if seconds < 0 or math.isnan(seconds):
        raise ValueError(f"negative or NaN duration: {seconds!r}")
    hundredths = round(seconds * 100)
    whole, frac = divmod(hundredths, 100)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if frac:
        out += f"{secs}.{frac:02d}".rstrip("0") + "S"
    elif secs or out == "PT":
        out += f"{secs}S"
    return out


def time_seconds(version: str, value: str) -> float:
    """Seconds in a duration of the version's type; malformed → ValueError."""
    return parse_scorm12_time(value) if version == SCORM12 else parse_iso_duration(value)


def format_time(version: str, seconds: float) -> str:
    """Seconds as a duration of the version's type."""
    return format_scorm12_time(seconds) if version == SCORM12 else format_iso_duration(seconds)


def canonical_time(version: str, value: Any) -> str | None:
    """Return a duration in the version's canonical format, or None if blank/malformed."""
    if is_blank(value):
        return None
    try:
        return format_time(version, time_seconds(version, str(value)))
    except ValueError:
        return None
