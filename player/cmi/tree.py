"""The shape of a CMI tree: commit bodies in any ``dataCommitFormat``, paths, arrays."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from player.cmi.values import require_version


def listify(node: Any) -> Any:
    """Objects whose keys are all array indices become lists (gaps stay as ``None``)."""
    if isinstance(node, list):
        return [listify(v) for v in node]
    if not isinstance(node, dict):
        return node
    # _count / _children / _version are keywords, not data (1.2 RTE §3.4.3, 2004 §4.1).
    data_keys = [k for k in node if not (isinstance(k, str) and k.startswith("_"))]
    if not data_keys and "_count" in node:
        return []
    if data_keys and all(isinstance(k, str) and k.isdigit() for k in data_keys):
        size = max(int(k) for k in data_keys) + 1
        if size > 100_000:
            raise ValueError("array index out of range")
        items: list[Any] = [None] * size
        for key in data_keys:
            items[int(key)] = listify(node[key])
        return items
    return {k: listify(v) for k, v in node.items()}


def _unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in flat.items():
        parts = str(key).split(".")
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"conflicting keys at {key!r}")
            node = child
        if parts[-1] in node and isinstance(node[parts[-1]], dict) and value == {}:
            continue
        node[parts[-1]] = value
    return root


def normalise_commit(body: Any) -> dict[str, Any]:
    """Return the CMI tree of a scorm-again commit body in any ``dataCommitFormat``.

    - ``json``: ``{"cmi": {"core": {...}, "interactions": {"0": {...}}}}``;
    - ``flattened``: ``{"cmi.core.exit": "suspend", "cmi.interactions.0.id": "q1", ...}``;
    - ``params``: ``["cmi.core.exit=suspend", ...]``;
    - ``renderCommonCommitFields``: the above under ``"runtimeData"``.

    Array objects keyed ``"0"``, ``"1"``... become lists. A tree already without the
    ``cmi`` wrapper is returned normalised. Malformed bodies → ValueError.
    """
    if isinstance(body, list):
        flat: dict[str, Any] = {}
        for item in body:
            if not isinstance(item, str) or "=" not in item:
                raise ValueError("params commit items must be 'name=value' strings")
            name, _, value = item.partition("=")
            flat[name] = value
        body = flat
    if not isinstance(body, Mapping):
        raise ValueError("commit body must be a JSON object or a list of params")
    if "runtimeData" in body and isinstance(body["runtimeData"], (Mapping, list)):
        return normalise_commit(body["runtimeData"])
    if any(isinstance(k, str) and k.startswith("cmi.") for k in body):
        body = _unflatten(body)
    tree = body.get("cmi", body) if "cmi" in body else body
    if not isinstance(tree, Mapping):
        raise ValueError("'cmi' must be an object")
    result = listify(dict(tree))
    assert isinstance(result, dict)  # noqa: S101 - a Mapping stays a dict
    return result


def unwrap(tree: Mapping[str, Any]) -> dict[str, Any]:
    """The tree under ``cmi`` (or the tree itself), arrays as lists."""
    inner = tree.get("cmi")
    result = listify(dict(inner if isinstance(inner, Mapping) else tree))
    return result if isinstance(result, dict) else {}


def get_path(tree: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path (array entries by index), or None."""
    node: Any = tree
    for part in dotted.split("."):
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def set_path(tree: dict[str, Any], dotted: str, value: Any) -> None:
    """Set the value at a dotted path, making the objects on the way."""
    parts = dotted.split(".")
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def iter_interactions(version: str, cmi: Mapping[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, interaction) pairs of a tree, skipping holes and non-objects."""
    require_version(version)
    items = unwrap(cmi).get("interactions") or []
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item
