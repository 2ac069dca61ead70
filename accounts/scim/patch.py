"""PATCH (RFC 7644 §3.5.2) applied to a resource's JSON.

Add, replace and remove with paths such as ``name.givenName``,
``emails[type eq "work"].value``, ``members`` and ``urn:...:enterprise:2.0:User:manager``.

The result is stored as a PUT of the whole resource would be, so a PATCH is checked by
the same rules and is all or nothing.
"""

from __future__ import annotations

import copy
from typing import Any

from scim2_models import SCIMException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Path,
    Present,
    ValuePath,
)

from accounts.scim.attributes import Target, core_of, normalise_value, resolve
from accounts.scim.errors import InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget

OPS = ("add", "replace", "remove")


def apply(resource_type: str, document: dict[str, Any], body: Any) -> dict[str, Any]:
    """The document after the PatchOp request ``body``'s operations, in order."""
    if not isinstance(body, dict):
        raise InvalidSyntax("A PatchOp request is a JSON object")
    operations = next((v for k, v in body.items() if k.lower() == "operations"), None)
    if not isinstance(operations, list) or not operations:
        raise InvalidSyntax("A PatchOp request needs a list of Operations")
    result = copy.deepcopy(document)
    for operation in operations:
        if not isinstance(operation, dict):
            raise InvalidSyntax("Each operation is a JSON object")
        fields = {k.lower(): v for k, v in operation.items()}
        # Entra ID writes "Replace", "Add": the op's name is compared without case.
        op = str(fields.get("op", "")).lower()
        if op not in OPS:
            raise InvalidSyntax(f"Unknown PATCH op {fields.get('op')!r}")
        path = fields.get("path")
        if path is None or path == "":
            if op == "remove":
                raise NoTarget("A remove operation needs a path (RFC 7644 §3.5.2.2)")
            _without_path(resource_type, result, op, fields.get("value"))
        elif isinstance(path, str):
            _with_path(resource_type, result, op, path, fields.get("value"), "value" in fields)
        else:
            raise InvalidPath("A path is a string")
    return result


def _without_path(resource_type: str, document: dict[str, Any], op: str, value: Any) -> None:
    """No path: the value's attributes are each added or replaced (RFC 7644 §3.5.2.1/3).

    Entra ID also puts paths as keys here (``{"name.givenName": "Ann"}``), so every key
    is read as a path.
    """
    if not isinstance(value, dict):
        raise InvalidValue("Without a path, the value is an object of attributes")
    _, extensions = core_of(resource_type)
    for key, item in value.items():
        if key.lower() in (urn.lower() for urn in extensions) and isinstance(item, dict):
            for sub_key, sub_item in item.items():
                _with_path(resource_type, document, op, f"{key}:{sub_key}", sub_item, True)
        else:
            _with_path(resource_type, document, op, key, item, True)


def _parse(path: str) -> AttrPath | ValuePath:
    try:
        node = Path(path).ast
    except (SCIMException, ValueError) as exc:
        raise InvalidPath(f"Not a valid path: {path!r}") from exc
    if not isinstance(node, AttrPath | ValuePath):
        raise InvalidPath(f"Not a valid path: {path!r}")
    return node


def _with_path(
    resource_type: str, document: dict[str, Any], op: str, path: str, value: Any, given: bool
) -> None:
    _, extensions = core_of(resource_type)
    extension = next((urn for urn in extensions if urn.lower() == path.lower()), None)
    if extension is not None:
        _at_extension(resource_type, document, extension, op, value)
        return
    node = _parse(path)
    attr_path = node.attr_path if isinstance(node, ValuePath) else node
    sub = node.sub_attr if isinstance(node, ValuePath) else attr_path.sub_attr
    target = resolve(resource_type, attr_path.uri, attr_path.attr, sub)
    if target is None:
        # Not an attribute Kompetens stores: ignored, as in POST and PUT (RFC 7644 §3.3).
        return
    if target.definition.get("mutability") == "readOnly":
        raise Mutability(f"{path} is read-only")
    if op != "remove" and not given:
        raise InvalidValue(f"The {op} operation needs a value")
    container = document if target.extension is None else document.setdefault(target.extension, {})
    if isinstance(node, ValuePath):
        _at_selection(container, target, node.val_filter, op, value)
    elif target.sub is None:
        _at_attribute(container, target, op, value)
    else:
        _at_sub_attribute(container, target, op, value)
    if target.extension is not None and not container:
        del document[target.extension]


def _at_extension(
    resource_type: str, document: dict[str, Any], extension: str, op: str, value: Any
) -> None:
    """The path is a whole extension (``urn:...:enterprise:2.0:User``)."""
    if op == "remove":
        document.pop(extension, None)
        return
    if not isinstance(value, dict):
        raise InvalidValue(f"The value for {extension} is an object")
    for key, item in value.items():
        if key.lower() != "schemas":
            _with_path(resource_type, document, op, f"{extension}:{key}", item, True)


def _at_attribute(container: dict[str, Any], target: Target, op: str, value: Any) -> None:
    name, definition = target.attr, target.definition
    multi = definition.get("multiValued", False)
    if op == "remove":
        if multi and isinstance(value, list) and container.get(name):
            # Remove these values only (Entra ID removes members so, RFC 7644 §3.5.2.2).
            gone = {_key(v) for v in normalise_value(definition, value)}
            kept = [v for v in container[name] if _key(v) not in gone]
            container[name] = kept
            if not kept:
                del container[name]
        else:
            container.pop(name, None)
        return
    value = normalise_value(definition, value)
    if multi:
        items = value if isinstance(value, list) else [value]
        if op == "add":
            # Added values join the attribute; one that is there already is not doubled.
            present = list(container.get(name) or [])
            keys = {_key(v) for v in present}
            present.extend(v for v in items if _key(v) not in keys)
            items = present
        container[name] = items
    elif definition.get("type") == "complex" and isinstance(value, dict):
        # Sub-attributes not in the value stay as they were (RFC 7644 §3.5.2.3).
        merged = dict(container.get(name) or {})
        merged.update(value)
        container[name] = merged
    else:
        container[name] = value


def _at_sub_attribute(container: dict[str, Any], target: Target, op: str, value: Any) -> None:
    name, sub = target.attr, target.sub or ""
    current = container.get(name)
    if target.definition.get("multiValued", False):
        # Without a filter, every value's sub-attribute (RFC 7644 §3.5.2.3).
        for item in current or []:
            if isinstance(item, dict):
                if op == "remove":
                    item.pop(sub, None)
                else:
                    item[sub] = value
        return
    if op == "remove":
        if isinstance(current, dict):
            current.pop(sub, None)
            if not current:
                del container[name]
        return
    merged = dict(current) if isinstance(current, dict) else {}
    merged[sub] = value
    container[name] = merged


def _at_selection(
    container: dict[str, Any], target: Target, condition: FilterNode, op: str, value: Any
) -> None:
    """``emails[type eq "work"]`` and ``emails[type eq "work"].value``."""
    name, sub = target.attr, target.sub
    items = [i for i in container.get(name) or [] if isinstance(i, dict)]
    chosen = [i for i in items if matches(condition, i)]
    if op == "remove":
        if sub is None:
            items = [i for i in items if i not in chosen]
        else:
            for item in chosen:
                item.pop(sub, None)
    elif chosen:
        for item in chosen:
            if sub is None:
                if not isinstance(value, dict):
                    raise InvalidValue(f"The value for {name}[...] is an object")
                item.clear()
                item.update(normalise_value(target.definition, value))
            else:
                item[sub] = value
    else:
        # Nothing matched. Entra ID sets a new address so (replace
        # emails[type eq "work"].value); a filter of equalities says what to add.
        seed = _equalities(condition)
        if seed is None or sub is None:
            raise NoTarget(f"No value of {name} matches the filter")
        seed[sub] = value
        items.append(normalise_value(target.definition, seed))
    if items:
        container[name] = items
    else:
        container.pop(name, None)


def _key(value: Any) -> Any:
    """What identifies a value of a multi-valued attribute: its ``value``, else itself."""
    if isinstance(value, dict):
        inner = next((v for k, v in value.items() if k.lower() == "value"), None)
        return str(inner).lower() if inner is not None else repr(sorted(value.items()))
    return value


def _equalities(condition: FilterNode) -> dict[str, Any] | None:
    if isinstance(condition, Comparison) and condition.op == CompareOperator.eq:
        return {condition.attr_path.attr: condition.value}
    if isinstance(condition, LogicalExpr) and condition.op == LogicalOperator.and_:
        seed: dict[str, Any] = {}
        for term in condition.terms:
            part = _equalities(term)
            if part is None:
                return None
            seed.update(part)
        return seed
    return None


def _field(item: dict[str, Any], name: str) -> Any:
    return next((v for k, v in item.items() if k.lower() == name.lower()), None)


def matches(condition: FilterNode, item: dict[str, Any]) -> bool:
    """Whether one value of a multi-valued attribute matches a value filter.

    Strings compare without regard to case (RFC 7643 §2.1, caseExact false).
    """
    if isinstance(condition, LogicalExpr):
        results = (matches(term, item) for term in condition.terms)
        return all(results) if condition.op == LogicalOperator.and_ else any(results)
    if isinstance(condition, Not):
        return not matches(condition.expr, item)
    if isinstance(condition, Present):
        return _field(item, condition.attr_path.attr) not in (None, "", [])
    if isinstance(condition, Comparison):
        return _compare(_field(item, condition.attr_path.attr), condition.op, condition.value)
    raise InvalidPath("Nested value filters are not supported")


def _compare(actual: Any, op: CompareOperator, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        actual, expected = actual.lower(), expected.lower()
    elif op in (CompareOperator.eq, CompareOperator.ne) and actual is not None:
        actual, expected = str(actual).lower(), str(expected).lower()
    if op == CompareOperator.eq:
        return bool(actual == expected)
    if op == CompareOperator.ne:
        return bool(actual != expected)
    if not isinstance(actual, str) or not isinstance(expected, str):
        return False
    checks = {
        CompareOperator.co: lambda: expected in actual,
        CompareOperator.sw: lambda: actual.startswith(expected),
        CompareOperator.ew: lambda: actual.endswith(expected),
        CompareOperator.gt: lambda: actual > expected,
        CompareOperator.ge: lambda: actual >= expected,
        CompareOperator.lt: lambda: actual < expected,
        CompareOperator.le: lambda: actual <= expected,
    }
    return bool(checks[op]())
