"""Query answers (RFC 7644 §3.4.2): filter, pagination and the ListResponse.

GET with query parameters and POST ``/.search`` (§3.4.3) both come here. Results are in
id order, so pages are stable while nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select, true

from accounts.models import Group, User
from accounts.scim import filters, groups, users
from accounts.scim.attributes import project
from accounts.scim.discovery import LIST, MAX_RESULTS
from accounts.scim.errors import InvalidFilter, InvalidValue
from core.db import db

RESOURCE_TYPES = ("User", "Group")


@dataclass
class Query:
    """What a client asked for."""

    filter: str | None = None
    start_index: int = 1
    count: int = MAX_RESULTS
    attributes: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)


def _integer(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidValue(f"{name} is an integer") from None


def _names(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise InvalidValue(f"{name} is a list of attribute names")


def query(parameters: dict[str, Any]) -> Query:
    """Read the query parameters or a SearchRequest's body (names compared without case).

    A startIndex below 1 counts as 1, a negative count as 0 (RFC 7644 §3.4.2.4); a count
    past ``MAX_RESULTS`` is cut to it.
    """
    given = {k.lower(): v for k, v in parameters.items()}
    expression = given.get("filter")
    if expression is not None and not isinstance(expression, str):
        raise InvalidValue("filter is a string")
    start = _integer(given.get("startindex", 1), "startIndex")
    count = _integer(given.get("count", MAX_RESULTS), "count")
    return Query(
        filter=expression or None,
        # Past the largest id there is nothing; the cap keeps the offset a SQL integer.
        start_index=min(max(start, 1), 2**31),
        count=min(max(count, 0), MAX_RESULTS),
        attributes=_names(given.get("attributes"), "attributes"),
        excluded=_names(given.get("excludedattributes"), "excludedAttributes"),
    )


@dataclass(frozen=True)
class _Kind:
    model: type[User] | type[Group]
    visible: Callable[[], ColumnElement[bool]]
    document: Callable[[Any], dict[str, Any]]


KINDS = {
    "User": _Kind(User, lambda: User.deleted_at.is_(None), users.to_document),
    "Group": _Kind(Group, lambda: true(), groups.to_document),
}


def _condition(resource_type: str, asked: Query) -> ColumnElement[bool]:
    where = KINDS[resource_type].visible()
    if asked.filter:
        where = where & filters.condition(resource_type, asked.filter)
    return where


def _total(resource_type: str, where: ColumnElement[bool]) -> int:
    model = KINDS[resource_type].model
    return int(db.session.scalar(select(func.count()).select_from(model).where(where)) or 0)


def _page(
    resource_type: str, where: ColumnElement[bool], offset: int, limit: int, asked: Query
) -> list[dict[str, Any]]:
    kind = KINDS[resource_type]
    if limit <= 0:
        return []
    rows = db.session.scalars(
        select(kind.model).where(where).order_by(kind.model.id).offset(offset).limit(limit)
    )
    return [
        project(resource_type, kind.document(row), asked.attributes, asked.excluded) for row in rows
    ]


def search(resource_types: tuple[str, ...], asked: Query) -> dict[str, Any]:
    """One page of the resources of these types that match (in that order of types)."""
    conditions: dict[str, ColumnElement[bool]] = {}
    refusal: InvalidFilter | None = None
    for name in resource_types:
        try:
            conditions[name] = _condition(name, asked)
        except InvalidFilter as exc:
            # Across several types, an attribute one of them lacks matches none of its
            # resources (RFC 7644 §3.4.2.1); an error only when no type can answer.
            refusal = exc
    if refusal is not None and (len(resource_types) == 1 or not conditions):
        raise refusal
    offset, remaining, total = asked.start_index - 1, asked.count, 0
    resources: list[dict[str, Any]] = []
    for name in conditions:
        count = _total(name, conditions[name])
        total += count
        page = _page(name, conditions[name], offset, remaining, asked)
        resources.extend(page)
        remaining -= len(page)
        offset = max(offset - count, 0)
    return {
        "schemas": [LIST],
        "totalResults": total,
        "startIndex": asked.start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
