"""The ``format`` parameter of statement GETs: ids, exact, canonical.

xAPI 1.0.3 Communication §2.1.3 (format parameter) and Data §2.4.4.1 (canonical
definitions).  ``exact`` returns the stored JSON; the others are derived from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
LANGUAGE_MAP_KEYS = ("display", "name", "description")


def _agent_ids(agent: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "objectType" in agent:
        out["objectType"] = agent["objectType"]
    for key in IFI_KEYS:
        if key in agent:
            out[key] = agent[key]
    if (
        agent.get("objectType") == "Group"
        and "member" in agent
        and not any(k in agent for k in IFI_KEYS)
    ):
        out["member"] = [_agent_ids(m) for m in agent["member"]]
    return out


def _object_ids(obj: dict[str, Any]) -> dict[str, Any]:
    kind = obj.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        return _agent_ids(obj)
    if kind == "SubStatement":
        return _statement_ids(obj)
    if kind == "StatementRef":
        return {"objectType": "StatementRef", "id": obj["id"]}
    return {"id": obj["id"]}


def _statement_ids(statement: dict[str, Any]) -> dict[str, Any]:
    out = dict(statement)
    out["actor"] = _agent_ids(statement["actor"])
    out["verb"] = {"id": statement["verb"]["id"]}
    out["object"] = _object_ids(statement["object"])
    if "authority" in statement:
        out["authority"] = _agent_ids(statement["authority"])
    context = statement.get("context")
    if isinstance(context, dict):
        context = dict(context)
        for key in ("instructor", "team"):
            if key in context:
                context[key] = _agent_ids(context[key])
        activities = context.get("contextActivities")
        if isinstance(activities, dict):
            context["contextActivities"] = {
                k: [_object_ids(a) for a in (v if isinstance(v, list) else [v])]
                for k, v in activities.items()
            }
        for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
            if key in context:
                context[key] = [
                    {**item, inner: _agent_ids(item[inner])} if inner in item else item
                    for item in context[key]
                ]
        out["context"] = context
    return out


def to_ids(statement: dict[str, Any]) -> dict[str, Any]:
    """format=ids: only identifiers for agents, groups, activities and verbs."""
    return _statement_ids(statement)


def pick_language(value: dict[str, str], languages: list[str]) -> dict[str, str]:
    """Reduce a language map to the one entry that best fits Accept-Language."""
    if not value:
        return value
    lowered = {k.lower(): k for k in value}
    for lang in languages:
        lang = lang.lower()
        if lang in lowered:
            key = lowered[lang]
            return {key: value[key]}
        prefix = lang.split("-")[0]
        for low, key in lowered.items():
            if low.split("-")[0] == prefix:
                return {key: value[key]}
    for fallback in ("en-us", "en"):
        if fallback in lowered:
            key = lowered[fallback]
            return {key: value[key]}
    key = next(iter(value))
    return {key: value[key]}


def _canonical_value(
    value: Any,
    languages: list[str],
    definitions: Callable[[str], dict[str, Any] | None],
    parent_key: str = "",
) -> Any:
    if isinstance(value, list):
        return [_canonical_value(v, languages, definitions, parent_key) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    is_activity = (
        parent_key in ("object", "parent", "grouping", "category", "other")
        and "id" in value
        and value.get("objectType", "Activity") == "Activity"
    )
    for key, item in value.items():
        if key == "extensions":
            out[key] = item
        elif (
            key in LANGUAGE_MAP_KEYS
            and isinstance(item, dict)
            and all(isinstance(v, str) for v in item.values())
        ):
            out[key] = pick_language(item, languages)
        else:
            out[key] = _canonical_value(item, languages, definitions, key)
    if is_activity:
        canonical = definitions(value["id"])
        if canonical:
            out["definition"] = _canonical_value(canonical, languages, definitions, "definition")
    return out


def to_canonical(
    statement: dict[str, Any],
    languages: list[str],
    definitions: Callable[[str], dict[str, Any] | None],
) -> dict[str, Any]:
    """format=canonical: canonical activity definitions, one language per language map."""
    result: dict[str, Any] = _canonical_value(statement, languages, definitions)
    return result


def merge_definitions(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Merge an activity definition seen in a statement into the canonical one.

    Language maps and extensions are merged key by key (so every language ever sent is
    kept, xAPI Communication §2.5); other properties take the newest value.
    """
    merged = dict(old)
    for key, value in new.items():
        if (
            key in ("name", "description", "extensions")
            and isinstance(value, dict)
            and isinstance(merged.get(key), dict)
        ):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged
