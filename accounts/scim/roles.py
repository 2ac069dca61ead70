"""Roles from group membership: ``SCIM_GROUP_ROLES`` maps group names to roles.

With ``SCIM_GROUP_ROLES="Kompetens-admins=admin,Kompetens-authors=author"``, a person
in a mapped group has the highest role of their mapped groups; one who leaves the last
of them becomes a learner again. People in no mapped group keep the role an admin gave
them. Group names compare without regard to case; a malformed setting stops the app
from starting (``accounts.scim.init_app``) rather than being ignored.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import func, select

from accounts import service
from accounts.auth import ROLE_RANK
from accounts.models import ROLES, Group, GroupMember, User
from core.db import db


def parse(setting: str) -> dict[str, str]:
    """The setting as {lower-case group name: role}; ValueError when it is malformed."""
    result: dict[str, str] = {}
    for part in setting.split(","):
        if not part.strip():
            continue
        name, sep, role = part.rpartition("=")
        if not sep or not name.strip() or role.strip() not in ROLES:
            raise ValueError(f"SCIM_GROUP_ROLES: {part.strip()!r} is not 'group name=role'")
        result[name.strip().lower()] = role.strip()
    return result


def mapping() -> dict[str, str]:
    """The app's ``SCIM_GROUP_ROLES`` (checked when the app was made)."""
    return parse(str(current_app.config.get("SCIM_GROUP_ROLES") or ""))


def is_mapped(*names: str) -> bool:
    """Whether any of these group names gives a role."""
    roles = mapping()
    return any(name.lower() in roles for name in names)


def apply(user_ids: Iterable[int]) -> None:
    """Give these people the role their mapped groups say (flushes)."""
    roles = mapping()
    if not roles:
        return
    for user_id in sorted(set(user_ids)):
        user = db.session.get(User, user_id)
        if user is None or user.deleted_at is not None:
            continue
        names = db.session.scalars(
            select(func.lower(Group.display_name))
            .join(GroupMember, GroupMember.group_id == Group.id)
            .where(GroupMember.user_id == user_id)
        )
        given = [roles[name] for name in names if name in roles]
        role = max(given, key=ROLE_RANK.__getitem__) if given else "learner"
        if role != user.role:
            # Through the service: the last admin keeps the role (409 otherwise).
            service.update_user(user, role=role)
