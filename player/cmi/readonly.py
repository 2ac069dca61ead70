"""Read-only elements: what the SCO may read but never change, checked and restored."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any

from player.cmi.times import canonical_time, format_time
from player.cmi.tree import get_path, listify, set_path, unwrap
from player.cmi.values import (
    SCORM12,
    SCORM2004,
    CmiProblem,
    as_number,
    as_object,
    as_text,
    is_blank,
    require_version,
)

#: ``total_time`` is omitted on purpose: scorm-again puts its own running total into the
#: terminate commit; the server ignores it and computes the total in finish_session.
READ_ONLY = {
    SCORM12: (
        "core.student_id",
        "core.student_name",
        "core.credit",
        "core.entry",
        "core.lesson_mode",
        "launch_data",
        "comments_from_lms",
        "student_data.mastery_score",
        "student_data.max_time_allowed",
        "student_data.time_limit_action",
    ),
    SCORM2004: (
        "learner_id",
        "learner_name",
        "credit",
        "entry",
        "mode",
        "launch_data",
        "completion_threshold",
        "scaled_passing_score",
        "max_time_allowed",
        "time_limit_action",
    ),
}
#: Values scorm-again fills in itself when the LMS sent nothing.
_CLIENT_DEFAULTS = {
    "core.credit": "credit",
    "core.lesson_mode": "normal",
    "credit": "credit",
    "mode": "normal",
    "time_limit_action": "continue,no message",
}


def same_value(a: Any, b: Any) -> bool:
    """Two values that mean the same (both blank, equal numbers or the same text)."""
    if is_blank(a) and is_blank(b):
        return True
    na, nb = as_number(a), as_number(b)
    if na is not None and nb is not None:
        return math.isclose(na, nb, abs_tol=1e-9)
    return as_text(a) == as_text(b)


def check_readonly(
    version: str, sent: Mapping[str, Any], committed: Mapping[str, Any]
) -> list[CmiProblem]:
    """Read-only values the committed tree changed compared with what the LMS sent.

    Code 403 in 1.2 ("element is read only"), 404 in 2004. Also: ``comments_from_lms``
    entries, 1.2 ``lesson_status`` set back to "not attempted" (the SCO may not set it,
    RTE §3.4.2: 405), and 2004 objective/interaction ids that changed at an index the LMS
    had sent (ids are immutable once set, RTE §4.1.5/4.1.6: 351).
    """
    require_version(version)
    sent = unwrap(sent)
    committed = unwrap(committed)
    code = 403 if version == SCORM12 else 404
    problems: list[CmiProblem] = []
    for dotted in READ_ONLY[version]:
        expected = get_path(sent, dotted)
        actual = get_path(committed, dotted)
        if dotted.endswith("max_time_allowed"):
            # scorm-again re-formats timespans ("0000:30:00.00" comes back as "00:30:00").
            expected = canonical_time(version, expected) or expected
            actual = canonical_time(version, actual) or actual
        if expected is None:
            if (
                actual is None
                or same_value(actual, "")
                or same_value(actual, _CLIENT_DEFAULTS.get(dotted))
            ):
                continue
        elif actual is None or same_value(actual, expected):
            continue
        problems.append(
            CmiProblem(f"cmi.{dotted}", code, f"read-only: sent {expected!r}, got {actual!r}")
        )
    if version == SCORM2004:
        sent_comments = sent.get("comments_from_lms") or []
        got_comments = committed.get("comments_from_lms") or []
        if listify(sent_comments) != listify(got_comments) and got_comments not in ({}, []):
            problems.append(CmiProblem("cmi.comments_from_lms", 404, "read-only array changed"))
        for name in ("objectives", "interactions"):
            before = listify(sent.get(name) or [])
            after = listify(committed.get(name) or [])
            if not isinstance(before, list) or not isinstance(after, list):
                continue
            for i, old in enumerate(before):
                old_id = as_object(old).get("id")
                new_id = as_object(after[i]).get("id") if i < len(after) else None
                if old_id and not same_value(old_id, new_id):
                    problems.append(
                        CmiProblem(
                            f"cmi.{name}.{i}.id", 351, f"id {old_id!r} changed to {new_id!r}"
                        )
                    )
    else:
        status = get_path(committed, "core.lesson_status")
        before = get_path(sent, "core.lesson_status") or "not attempted"
        if status == "not attempted" and before != "not attempted":
            problems.append(
                CmiProblem("cmi.core.lesson_status", 405, "the SCO may not set 'not attempted'")
            )
    return problems


def restore_readonly(
    version: str, sent: Mapping[str, Any], committed: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the committed tree with every read-only value put back as the LMS sent it.

    Includes ``total_time``: scorm-again's terminate commit carries its own running total
    (total + session), which must not be accumulated again; the LMS's stored total is
    the one :func:`finish_session` adds the session to. Also restores 2004
    ``comments_from_lms``. Call this on every commit before storing it.
    """
    require_version(version)
    sent_tree = unwrap(sent)
    tree = copy.deepcopy(unwrap(committed))
    total = "core.total_time" if version == SCORM12 else "total_time"
    for dotted in (*READ_ONLY[version], total):
        value = get_path(sent_tree, dotted)
        if value is None:
            if dotted == total:
                set_path(tree, dotted, format_time(version, 0.0))
            continue
        set_path(tree, dotted, value)
    if version == SCORM2004:
        tree["comments_from_lms"] = copy.deepcopy(sent_tree.get("comments_from_lms") or [])
    return tree
