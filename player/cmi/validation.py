"""Every rule a committed CMI tree breaks, for either SCORM version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from player.cmi.checker import Checker
from player.cmi.scorm12 import validate_12
from player.cmi.scorm2004 import validate_2004
from player.cmi.values import (
    DEFAULT_ARRAY_CAP,
    DEFAULT_TEXT_CAP,
    SCORM12,
    CmiProblem,
    require_version,
)


def validate_cmi(
    version: str,
    cmi: Mapping[str, Any],
    *,
    text_cap: int = DEFAULT_TEXT_CAP,
    array_cap: int = DEFAULT_ARRAY_CAP,
    edition: str | None = None,
) -> list[CmiProblem]:
    """Every rule a committed CMI tree breaks, with the version's SCORM error code.

    The value of each element is checked by the version's and edition's rules
    (player.cmi.rules, the same the browser applies at SetValue); here also the arrays
    (gaps, duplicate ids, ids before data) and learner_response formats. Read-only values
    are compared separately by :func:`check_readonly`. Codes: 1.2 — 401 undefined
    element, 405 type or range (ADL 1.2 CTS reports out-of-range as 405), 201 array gap or
    too many entries; 2004 — 401, 406 type mismatch, 407 out of range, 408 dependency not
    established, 351 general set failure (duplicate objective id, array gap, too many
    patterns or entries).

    Strings over their SPM are accepted up to ``text_cap`` characters (SCORM_CHECKS §3.2).
    ``edition``: "2nd", "3rd" or "4th" for 2004 (default 4th: its rules are the strictest).
    """
    require_version(version)
    c = Checker(version, text_cap, array_cap, edition)
    tree = cmi.get("cmi", cmi) if isinstance(cmi.get("cmi"), Mapping) else cmi
    if version == SCORM12:
        validate_12(c, tree)
    else:
        validate_2004(c, tree)
    return c.problems
