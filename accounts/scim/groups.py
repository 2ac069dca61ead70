"""SCIM Groups (RFC 7643 §4.2) over ``accounts.models.Group`` and its members.

Members are people (Users); a group in a group is not kept. A group is only a list of
people, so DELETE removes it (its members' accounts and records are untouched).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select

from accounts.models import Group, GroupMember, User
from accounts.scim import roles, values
from accounts.scim.attributes import normalise
from accounts.scim.discovery import GROUP, base_url
from accounts.scim.errors import InvalidValue
from accounts.scim.users import location as user_location
from core.db import db
from core.errors import NotFound


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def location(group_id: int) -> str:
    """The URL of a Group resource."""
    return f"{base_url()}/Groups/{group_id}"


def get(resource_id: str) -> Group:
    """A Group by SCIM id, or NotFound."""
    number = values.resource_id(resource_id)
    group = db.session.get(Group, number) if number is not None else None
    if group is None:
        raise NotFound(f"No Group {resource_id}")
    return group


def member_ids(group: Group) -> list[int]:
    """The group's members' ids, not deleted ones, in id order."""
    return list(
        db.session.scalars(
            select(GroupMember.user_id)
            .join(User, User.id == GroupMember.user_id)
            .where(GroupMember.group_id == group.id, User.deleted_at.is_(None))
            .order_by(GroupMember.user_id)
        )
    )


def to_document(group: Group) -> dict[str, Any]:
    """The Group's JSON, unassigned attributes left out (RFC 7643 §2.5)."""
    document: dict[str, Any] = {"schemas": [GROUP], "id": str(group.id)}
    if group.external_id:
        document["externalId"] = group.external_id
    document["displayName"] = group.display_name
    members = [{"value": str(i), "$ref": user_location(i)} for i in member_ids(group)]
    if members:
        document["members"] = members
    document["meta"] = {
        "resourceType": "Group",
        "created": values.timestamp(group.created_at),
        "lastModified": values.timestamp(group.updated_at or group.created_at),
        "location": location(group.id),
        "version": values.etag(group.version),
    }
    return document


def writable(group: Group) -> dict[str, Any]:
    """The Group's JSON without id, meta and schemas: PATCH's start."""
    document = to_document(group)
    for key in ("id", "meta", "schemas"):
        document.pop(key, None)
    return document


def create(body: dict[str, Any]) -> Group:
    """POST /Groups."""
    name, external_id, members = _fields(normalise("Group", body))
    now = _now()
    group = Group(display_name=name, external_id=external_id, created_at=now, updated_at=now)
    db.session.add(group)
    db.session.flush()
    _set_members(group, members)
    if roles.is_mapped(name):
        roles.apply(members)
    return group


def replace(group: Group, body: dict[str, Any]) -> Group:
    """PUT /Groups/{id}: name, externalId and the whole member list as the body says."""
    name, external_id, members = _fields(normalise("Group", body))
    before = _member_rows(group)
    changed = _set_members(group, members)
    renamed = name != group.display_name
    old_name = group.display_name
    group.display_name = name
    group.external_id = external_id
    if changed:
        # The row itself may be unchanged: touched, so the version still moves.
        group.updated_at = _now()
    db.session.flush()
    if (changed or renamed) and roles.is_mapped(name, old_name):
        roles.apply(before | set(members))
    return group


def delete(group: Group) -> None:
    """DELETE /Groups/{id}."""
    members = _member_rows(group)
    db.session.delete(group)
    db.session.flush()
    if roles.is_mapped(group.display_name):
        roles.apply(members)


def _fields(document: dict[str, Any]) -> tuple[str, str | None, list[int]]:
    name = values.text(document, "displayName", 255)
    if name is None:
        raise InvalidValue("displayName is required")
    members = document.get("members") or []
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise InvalidValue("members is a list of objects")
    ids: list[int] = []
    for member in members:
        value = str(member.get("value") or "")
        number = values.resource_id(value)
        user = db.session.get(User, number) if number is not None else None
        if user is None or user.deleted_at is not None:
            raise InvalidValue(f"members: no User {value}")
        if user.id not in ids:
            ids.append(user.id)
    return name, values.text(document, "externalId", 255), ids


def _member_rows(group: Group) -> set[int]:
    return set(
        db.session.scalars(select(GroupMember.user_id).where(GroupMember.group_id == group.id))
    )


def _set_members(group: Group, wanted: list[int]) -> bool:
    """Make the member rows the wanted people; True when anything changed."""
    current = _member_rows(group)
    gone = current - set(wanted)
    new = [i for i in wanted if i not in current]
    if gone:
        db.session.execute(
            sql_delete(GroupMember).where(
                GroupMember.group_id == group.id, GroupMember.user_id.in_(gone)
            )
        )
    db.session.add_all(GroupMember(group_id=group.id, user_id=i) for i in new)
    db.session.flush()
    return bool(gone or new)
