"""SCIM filters (RFC 7644 §3.4.2.2) turned into SQL conditions.

The filter is parsed by scim2-models (``ScimFilter(...).ast``); each attribute it names
maps to a column. Strings compare without regard to case except where the attribute is
case-exact (externalId, ids: RFC 7643 §3.1). An attribute that cannot be filtered on is
an ``invalidFilter`` error, not an empty answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scim2_models import SCIMException, ScimFilter
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from accounts.models import Group, GroupMember, User
from accounts.scim.attributes import core_of
from accounts.scim.errors import InvalidFilter
from accounts.scim.values import has_control, resource_id

# How a column compares: "text" (case-insensitive), "exact" (case-exact text), "bool",
# "id" (a resource id: digits).
Column = tuple[Any, str]
Special = Callable[[CompareOperator, Any], ColumnElement[bool]]


def _member(op: CompareOperator, value: Any) -> ColumnElement[bool]:
    """``members.value eq "12"``: the group has that member."""
    if op != CompareOperator.eq:
        raise InvalidFilter("members can only be compared with eq")
    user_id = resource_id(value)
    if user_id is None:
        return false()
    return exists().where(GroupMember.group_id == Group.id, GroupMember.user_id == user_id)


USER_COLUMNS: dict[str, Column] = {
    "id": (User.id, "id"),
    "username": (User.user_name, "text"),
    "externalid": (User.external_id, "exact"),
    "displayname": (User.name, "text"),
    "name.givenname": (User.given_name, "text"),
    "name.familyname": (User.family_name, "text"),
    "title": (User.title, "text"),
    "active": (User.active, "bool"),
    "emails": (User.email, "text"),
    "emails.value": (User.email, "text"),
    "emails.type": (User.email_type, "text"),
    "emails.primary": (User.email_primary, "bool"),
    "employeenumber": (User.employee_number, "text"),
    "manager": (User.manager_id, "id"),
    "manager.value": (User.manager_id, "id"),
}

GROUP_COLUMNS: dict[str, Column] = {
    "id": (Group.id, "id"),
    "displayname": (Group.display_name, "text"),
    "externalid": (Group.external_id, "exact"),
}

GROUP_SPECIAL: dict[str, Special] = {"members": _member, "members.value": _member}


def condition(resource_type: str, expression: str) -> ColumnElement[bool]:
    """The SQL condition of a filter on Users or Groups."""
    try:
        tree = ScimFilter(expression).ast
    except (SCIMException, ValueError) as exc:
        raise InvalidFilter(f"Not a valid filter: {exc}") from exc
    return _Translator(resource_type).node(tree, None)


class _Translator:
    def __init__(self, resource_type: str) -> None:
        self.resource_type = resource_type
        self.core, self.extensions = core_of(resource_type)
        self.columns = USER_COLUMNS if resource_type == "User" else GROUP_COLUMNS
        self.special = GROUP_SPECIAL if resource_type == "Group" else {}

    def node(self, tree: FilterNode, prefix: str | None) -> ColumnElement[bool]:
        if isinstance(tree, LogicalExpr):
            parts = [self.node(term, prefix) for term in tree.terms]
            return and_(*parts) if tree.op == LogicalOperator.and_ else or_(*parts)
        if isinstance(tree, Not):
            return not_(self.node(tree.expr, prefix))
        if isinstance(tree, ValuePath):
            if prefix is not None:
                raise InvalidFilter("Value filters do not nest")
            return self.node(tree.val_filter, self._name(tree.attr_path, None))
        if isinstance(tree, Present):
            column, kind = self._column(tree.attr_path, prefix)
            if kind == "text" or kind == "exact":
                return and_(column.is_not(None), column != "")
            return column.is_not(None)  # type: ignore[no-any-return]
        if isinstance(tree, Comparison):
            return self.comparison(tree, prefix)
        raise InvalidFilter("Unsupported filter")

    def _name(self, attr_path: AttrPath, prefix: str | None) -> str:
        uri = attr_path.uri.lower() if attr_path.uri else None
        if (
            uri is not None
            and uri != self.core.lower()
            and uri not in (e.lower() for e in self.extensions)
        ):
            raise InvalidFilter(f"Unknown schema {attr_path.uri}")
        name = attr_path.attr.lower()
        if attr_path.sub_attr:
            name += "." + attr_path.sub_attr.lower()
        return f"{prefix}.{name}" if prefix else name

    def _column(self, attr_path: AttrPath, prefix: str | None) -> Column:
        name = self._name(attr_path, prefix)
        if name not in self.columns:
            raise InvalidFilter(f"Cannot filter {self.resource_type}s on {attr_path}")
        return self.columns[name]

    def comparison(self, tree: Comparison, prefix: str | None) -> ColumnElement[bool]:
        name = self._name(tree.attr_path, prefix)
        if name in self.special:
            return self.special[name](tree.op, tree.value)
        column, kind = self._column(tree.attr_path, prefix)
        op, value = tree.op, tree.value
        if kind == "bool":
            return _boolean(column, op, value)
        if kind == "id":
            return _identifier(column, op, value)
        if not isinstance(value, str):
            raise InvalidFilter(f"{tree.attr_path} is compared with a string")
        if has_control(value):
            raise InvalidFilter("A filter value holds a control character")
        return _text(column, op, value, kind == "exact")


def _boolean(column: InstrumentedAttribute[Any], op: CompareOperator, value: Any) -> Any:
    if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
        raise InvalidFilter("A boolean is compared with eq or ne and true or false")
    equal = column.is_(True) if value else or_(column.is_(False), column.is_(None))
    return equal if op == CompareOperator.eq else not_(equal)


def _identifier(column: InstrumentedAttribute[Any], op: CompareOperator, value: Any) -> Any:
    if op not in (CompareOperator.eq, CompareOperator.ne):
        raise InvalidFilter("An id is compared with eq or ne")
    number = resource_id(value)
    equal = column == number if number is not None else false()
    if op == CompareOperator.eq:
        return equal
    return or_(column.is_(None), not_(equal)) if number is not None else true()


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text(column: Any, op: CompareOperator, value: str, exact: bool) -> Any:
    subject = column if exact else func.lower(column)
    value = value if exact else value.lower()
    if op == CompareOperator.eq:
        return subject == value
    if op == CompareOperator.ne:
        return or_(column.is_(None), subject != value)
    patterns = {
        CompareOperator.co: f"%{_like(value)}%",
        CompareOperator.sw: f"{_like(value)}%",
        CompareOperator.ew: f"%{_like(value)}",
    }
    if op in patterns:
        return subject.like(patterns[op], escape="\\")
    ordering = {
        CompareOperator.gt: subject > value,
        CompareOperator.ge: subject >= value,
        CompareOperator.lt: subject < value,
        CompareOperator.le: subject <= value,
    }
    return ordering[op]
