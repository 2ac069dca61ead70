"""SCORM 2004 validation: arrays, ids, dependencies and response formats (RTE §4.2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from player.cmi.checker import Checker
from player.cmi.rules import ruleset
from player.cmi.values import SCORM2004, as_number, as_text, is_blank

_LANG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
_SHORT_ID = ruleset(SCORM2004).types["short_identifier"]


def _is_identifier(value: str, limit: int) -> bool:
    """short_identifier_type (2004 RTE §4.1; player.cmi.rules): no white space, URN form."""
    return bool(value) and len(value) <= limit and re.fullmatch(_SHORT_ID, value) is not None


def _strip_lang(value: str) -> str | None:
    """Return a localized_string_type's text after an optional ``{lang=xx}`` (None if bad)."""
    if value.startswith("{lang="):
        end = value.find("}")
        if end < 0 or not _LANG.match(value[6:end]):
            return None
        return value[end + 1 :]
    return value


# 2004 RTE §4.2.9.1 / §4.2.9.2: learner_response and correct_responses.n.pattern formats.
_MAX_NODES = {"choice": 36, "fill-in": 10, "matching": 36, "performance": 250, "sequencing": 36}
_SINGLE_PATTERN = ("true-false", "likert", "numeric", "other")


def _split(value: str, delimiter: str) -> list[str]:
    return value.split(delimiter)


def _strip_cr_delimiters(value: str) -> str:
    """Drop leading ``{case_matters=..}`` / ``{order_matters=..}`` / ``{lang=..}`` (§4.2.9.1)."""
    while True:
        match = re.match(r"^\{(case_matters|order_matters)=(true|false)\}", value)
        if not match:
            return value
        value = value[match.end() :]


def response_problem(kind: str, value: str, *, pattern: bool = False) -> str | None:
    """Why ``value`` is not a valid 2004 learner_response (or correct pattern) of ``kind``.

    Returns None when it is valid (RTE §4.2.9.1 correct_responses, §4.2.9.2
    learner_response format tables).
    """

    def short(s: str) -> bool:
        return _is_identifier(s, 250)

    if pattern:
        value = _strip_cr_delimiters(value)
    if kind == "true-false":
        return None if value in ("true", "false") else "must be 'true' or 'false'"
    if kind in ("likert",):
        return None if short(value) else "must be one short_identifier_type"
    if kind == "numeric":
        if pattern:
            low, sep, high = value.partition("[:]")
            parts = [low, high] if sep else [value]
            if not all(p == "" or as_number(p) is not None for p in parts) or value in ("", "[:]"):
                return "must be a number or a 'min[:]max' range"
            if sep and low and high and float(low) > float(high):
                return "range minimum is greater than maximum"
            return None
        return None if as_number(value) is not None else "must be a real number"
    if kind == "other":
        return None
    if kind == "long-fill-in":
        return None if _strip_lang(value) is not None else "malformed {lang=} delimiter"
    nodes = _split(value, "[,]")
    if len(nodes) > _MAX_NODES.get(kind, 36):
        return f"more than {_MAX_NODES.get(kind, 36)} items"
    if kind == "choice":
        if value == "":
            return None  # no choice selected
        if not all(short(n) for n in nodes):
            return "items must be short_identifier_type separated by '[,]'"
        if len(set(nodes)) != len(nodes):
            return "choice items must be unique"
        return None
    if kind == "sequencing":
        return None if all(short(n) for n in nodes) else "items must be short identifiers"
    if kind == "fill-in":
        return None if all(_strip_lang(n) is not None for n in nodes) else "malformed {lang=}"
    if kind == "matching":
        for node in nodes:
            source, sep, target = node.partition("[.]")
            if not sep or not short(source) or not short(target):
                return "items must be 'source[.]target' short identifiers separated by '[,]'"
        return None
    if kind == "performance":
        for node in nodes:
            name, sep, answer = node.partition("[.]")
            if not sep or (name and not short(name)) or (not name and not answer):
                return "steps must be 'step_name[.]step_answer' separated by '[,]'"
        return None
    return None


def validate_2004(c: Checker, cmi: Mapping[str, Any]) -> None:
    """SCORM 2004 RTE §4.2: every element's value, the arrays, their ids and dependencies."""
    c.group("cmi", cmi)
    for name in ("comments_from_learner", "comments_from_lms"):
        c.entries(f"cmi.{name}", cmi.get(name))
    c.group("cmi.learner_preference", cmi.get("learner_preference"))
    c.group("cmi.score", cmi.get("score"))
    seen: dict[str, int] = {}
    for i, (path, obj) in enumerate(c.entries("cmi.objectives", cmi.get("objectives"))):
        ident = obj.get("id")
        if is_blank(ident):
            # Any other value set without an id: dependency not established (RTE §4.2.17).
            touched = [
                k for k, v in obj.items() if k != "id" and not _is_default_objective_value(k, v)
            ]
            if touched:
                c.add(f"{path}.{touched[0]}", 408, "objective data set before its id")
        elif as_text(ident) in seen:
            # Objective ids are unique within cmi.objectives (RTE §4.2.17 / §4.1.5).
            first = seen[as_text(ident)]
            c.add(f"{path}.id", 351, f"duplicate objective id {ident!r} (also at {first})")
        else:
            seen[as_text(ident)] = i
        c.group(f"{path}.score", obj.get("score"))
    for path, item in c.entries("cmi.interactions", cmi.get("interactions")):
        _validate_interaction_2004(c, path, item)


def _is_default_objective_value(key: str, value: Any) -> bool:
    if key in ("success_status", "completion_status"):
        return value in ("", None, "unknown")
    if key == "score":
        return not isinstance(value, dict) or all(is_blank(v) for v in value.values())
    return is_blank(value)


def _valid_text(c: Checker, path: str, value: Any) -> str | None:
    """The value as text when its element rule holds (the problem is reported once)."""
    if is_blank(value) or c.rules.check(path, value, text_cap=c.text_cap) is not None:
        return None
    return as_text(value)


def _validate_interaction_2004(c: Checker, path: str, item: Mapping[str, Any]) -> None:
    ident = item.get("id")
    if is_blank(ident):
        touched = [k for k, v in item.items() if k != "id" and v not in ("", None, {}, [])]
        if touched:
            # RTE §4.2.9: the id must be set before any other interaction element.
            c.add(f"{path}.{touched[0]}", 408, "interaction data set before its id")
        return
    refs: set[str] = set()
    for ref_path, ref in c.entries(f"{path}.objectives", item.get("objectives")):
        c.required_id(f"{ref_path}.id", ref.get("id"))
        if as_text(ref.get("id")) in refs:
            c.add(f"{ref_path}.id", 351, "duplicate interaction objective id")
        refs.add(as_text(ref.get("id")))
    patterns = c.entries(f"{path}.correct_responses", item.get("correct_responses"))
    response = item.get("learner_response")
    kind = _valid_text(c, f"{path}.type", item.get("type")) or ""
    if (patterns or not is_blank(response)) and is_blank(item.get("type")):
        # learner_response and correct_responses need the type (RTE §4.2.9, 408).
        where = "learner_response" if not is_blank(response) else "correct_responses"
        c.add(f"{path}.{where}", 408, "set before the interaction type")
        return
    if not kind:
        return
    if kind in _SINGLE_PATTERN and len(patterns) > 1:
        c.add(f"{path}.correct_responses", 351, f"a {kind} interaction has one correct pattern")
    seen: set[str] = set()
    for ppath, resp in patterns:
        text = _valid_text(c, f"{ppath}.pattern", resp.get("pattern"))
        if text is None:
            continue
        why = response_problem(kind, text, pattern=True)
        if why:
            c.add(f"{ppath}.pattern", 406, why)
        if kind == "choice" and text in seen:
            c.add(f"{ppath}.pattern", 351, "duplicate choice pattern")
        seen.add(text)
    text = _valid_text(c, f"{path}.learner_response", response)
    why = response_problem(kind, text) if text is not None else None
    if why:
        c.add(f"{path}.learner_response", 406, why)
