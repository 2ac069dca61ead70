"""SCORM versions, caps and the value helpers every part of the CMI model shares."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

SCORM12 = "1.2"
SCORM2004 = "2004"
VERSIONS = (SCORM12, SCORM2004)

#: Hard cap on any one string value (characters), configurable per call. The SPMs in
#: the RTE are *smallest permitted maxima*; storing longer values is the friendlier choice
#: (SCORM_CHECKS §3.2), notably SCORM 1.2 ``suspend_data`` beyond 4096 characters from
#: Storyline / Rise. What others do: Articulate documents that it puts no limit on suspend
#: data and that "many LMSs don't enforce" the 4096 limit
#: (https://access.articulate.com/support/article/exceeding-scorm-suspend-data-limits);
#: Evolve recommends LMSs allow at least 64 KB; scorm-again 3.4.3 itself accepts 1.2
#: suspend_data up to 64000 characters (its ``scorm12_regex.CMIString64000`` note; checked
#: by running it). So every string is stored up to 64 KiB (never below its SPM), which is
#: at least what the browser lets through, and refused above.
DEFAULT_TEXT_CAP = 64 * 1024
#: Hard cap on the number of entries in any one CMI array.
DEFAULT_ARRAY_CAP = 1000


@dataclass(frozen=True)
class CmiProblem:
    """One rule a committed CMI tree breaks, with the SCORM error code of the version."""

    path: str
    code: int
    message: str


_DECIMAL = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")


def as_number(value: Any) -> float | None:
    """Return a CMIDecimal / real(10,7) as float, or None when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        return float(value.strip())
    return None


def is_blank(value: Any) -> bool:
    """Not set: None or the empty string."""
    return value is None or value == ""


def as_text(value: Any) -> str:
    """A CMI value as the text scorm-again stores (whole floats without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_object(value: Any) -> dict[str, Any]:
    """The value if it is an object, else an empty one."""
    return value if isinstance(value, dict) else {}


# The state vocabularies: 1.2 RTE §3.4.2 (cmi.core.lesson_status, time_limit_action),
# 2004 RTE §4.2.3 completion_status and §4.2.22 success_status.
LESSON_STATUS = ("passed", "completed", "failed", "incomplete", "browsed", "not attempted")
TIME_LIMIT_ACTIONS = ("exit,message", "exit,no message", "continue,message", "continue,no message")
COMPLETION = ("completed", "incomplete", "not attempted", "unknown")
SUCCESS = ("passed", "failed", "unknown")


def require_version(version: str) -> None:
    """Refuse a version name that is neither 1.2 nor 2004 (ValueError)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown SCORM version {version!r}; use {SCORM12!r} or {SCORM2004!r}")
