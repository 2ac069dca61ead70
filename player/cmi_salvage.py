"""Keep the valid part of a commit: a refused element never takes the rest with it.

The browser refuses bad values at SetValue by the same rules the server checks
(player.cmi.rules), so a commit the server still finds a problem in comes from an older
runtime, a gap between the rules and scorm-again (a learner_response format), or a
client that is not ours. Either way the learner's other data (suspend_data, location,
status, score, session time, exit, the terminate) must be stored: each refused element
is put back as it was stored before the commit (or left out when it was never stored),
as a refused SetValue would have left it (SCORM 2004 RTE §3.1.7.6: on an error "the
value of the data model element is not changed"). Pure: no Flask, no database.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from player.cmi import CmiProblem

#: Rounds of putting refused elements back before whole top-level elements are reverted
#: (leaving out an entry's id can make its other values "set before the id", 408).
_ROUNDS = 3
_MISSING = object()


def _parts(path: str) -> list[str] | None:
    """``cmi.interactions.0.id`` → ["interactions", "0", "id"]; None outside ``cmi``."""
    if path == "cmi" or not path.startswith("cmi."):
        return None
    return path.split(".")[1:]


def _get(tree: Any, parts: list[str]) -> Any:
    node = tree
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _put(tree: dict[str, Any], parts: list[str], value: Any) -> None:
    """Set ``value`` at ``parts`` (``_MISSING``: remove it; a list entry is taken out)."""
    parent = _get(tree, parts[:-1])
    key = parts[-1]
    if isinstance(parent, dict):
        if value is _MISSING:
            parent.pop(key, None)
        else:
            parent[key] = copy.deepcopy(value)
    elif isinstance(parent, list) and key.isdigit() and int(key) < len(parent):
        if value is _MISSING:
            del parent[int(key)]
        else:
            parent[int(key)] = copy.deepcopy(value)


def _target(tree: dict[str, Any], previous: dict[str, Any], parts: list[str]) -> list[str]:
    """What to put back for a refused element: itself, or the array entry it identifies.

    A new entry whose ``id`` is refused cannot be kept without it (its other values would
    have no identity), so the whole entry goes.
    """
    if len(parts) >= 2 and parts[-1] == "id" and parts[-2].isdigit():
        entry = parts[:-1]
        if _get(previous, parts) is _MISSING and _get(tree, entry) is not _MISSING:
            return entry
    return parts


def _revert(tree: dict[str, Any], previous: dict[str, Any], paths: list[list[str]]) -> None:
    # Deepest and highest indices first, so taking out a list entry moves no path still
    # to be handled.
    def order(parts: list[str]) -> tuple[Any, ...]:
        return tuple((int(p), "") if p.isdigit() else (-1, p) for p in parts)

    for parts in sorted(paths, key=order, reverse=True):
        _put(tree, parts, _get(previous, parts))


def salvage(
    check: Callable[[dict[str, Any]], list[CmiProblem]],
    tree: dict[str, Any],
    previous: dict[str, Any],
) -> tuple[dict[str, Any], list[CmiProblem]]:
    """Return the commit's tree without what ``check`` refuses, and what it refused.

    ``previous``: the tree stored before this commit. The result passes ``check``.
    """
    tree = copy.deepcopy(tree)
    refused = check(tree)
    problems = refused
    for _round in range(_ROUNDS):
        if not problems:
            return tree, refused
        paths = [_parts(p.path) for p in problems]
        _revert(tree, previous, [_target(tree, previous, p) for p in paths if p])
        problems = check(tree)
    for step in ("previous", "drop"):
        if not problems:
            break
        tops = {p[0] for p in (_parts(problem.path) for problem in problems) if p}
        for top in tops:
            _put(tree, [top], _get(previous, [top]) if step == "previous" else _MISSING)
        problems = check(tree)
    return tree, refused


def value_at(tree: Any, path: str) -> Any:
    """The value at a problem's path in a tree (None when there is none)."""
    parts = _parts(path)
    found = _get(tree, parts) if parts else _MISSING
    return None if found is _MISSING else found
