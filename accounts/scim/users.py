"""SCIM Users (RFC 7643 §4.1, enterprise extension §4.3) over ``accounts.models.User``.

A person is read as the JSON of a User and written from one: POST creates, PUT and PATCH
(accounts/scim/patch.py) replace what the published schemas name. Deactivation goes
through ``accounts.service.update_user``, which ends sessions and sends
``accounts.signals.deactivated``. DELETE deactivates and hides the person (RFC 7644
§3.6: later requests for them answer 404); their learning records stay.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from accounts import service, signals
from accounts.models import User
from accounts.scim import values
from accounts.scim.attributes import normalise
from accounts.scim.discovery import ENTERPRISE, USER, base_url
from accounts.scim.errors import InvalidValue, Uniqueness
from core.db import db
from core.errors import NotFound


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def location(user_id: int) -> str:
    """The URL of a User resource."""
    return f"{base_url()}/Users/{user_id}"


def get(resource_id: str) -> User:
    """A User by SCIM id; NotFound for a deleted one or an unknown id."""
    number = values.resource_id(resource_id)
    user = db.session.get(User, number) if number is not None else None
    if user is None or user.deleted_at is not None:
        raise NotFound(f"No User {resource_id}")
    return user


def to_document(user: User) -> dict[str, Any]:
    """The User's JSON, unassigned attributes left out (RFC 7643 §2.5)."""
    document: dict[str, Any] = {"schemas": [USER], "id": str(user.id)}
    if user.external_id:
        document["externalId"] = user.external_id
    document["userName"] = user.user_name
    names = {"givenName": user.given_name, "familyName": user.family_name}
    if any(names.values()):
        document["name"] = {k: v for k, v in names.items() if v}
    document["displayName"] = user.name
    if user.title:
        document["title"] = user.title
    document["active"] = user.active
    if user.email:
        email: dict[str, Any] = {"value": user.email}
        if user.email_type:
            email["type"] = user.email_type
        if user.email_primary is not None:
            email["primary"] = user.email_primary
        document["emails"] = [email]
    enterprise: dict[str, Any] = {}
    if user.employee_number:
        enterprise["employeeNumber"] = user.employee_number
    if user.manager_id is not None:
        enterprise["manager"] = {"value": str(user.manager_id), "$ref": location(user.manager_id)}
    if enterprise:
        document["schemas"] = [USER, ENTERPRISE]
        document[ENTERPRISE] = enterprise
    document["meta"] = {
        "resourceType": "User",
        "created": values.timestamp(user.created_at),
        "lastModified": values.timestamp(user.updated_at or user.created_at),
        "location": location(user.id),
        "version": values.etag(user.version),
    }
    return document


def writable(user: User) -> dict[str, Any]:
    """The User's JSON without what no client writes (id, meta, schemas): PATCH's start."""
    document = to_document(user)
    for key in ("id", "meta", "schemas"):
        document.pop(key, None)
    return document


def create(body: dict[str, Any]) -> User:
    """POST /Users (RFC 7644 §3.3): a learner with an unusable password (SSO later)."""
    fields = _fields(normalise("User", body), None)
    active = fields.pop("active")
    user = User(
        # Random and never shown: nobody can sign in with it, only by SSO later.
        password_hash=generate_password_hash(secrets.token_urlsafe(32)),
        role="learner",
        active=True if active is None else active,
        created_at=_now(),
        updated_at=_now(),
        **fields,
    )
    db.session.add(user)
    db.session.flush()
    signals.people_changed.send(None, user_ids=[user.id])
    return user


def replace(user: User, body: dict[str, Any]) -> User:
    """PUT /Users/{id} (RFC 7644 §3.5.1): every published attribute as the body says."""
    fields = _fields(normalise("User", body), user)
    active = fields.pop("active")
    for name, value in fields.items():
        setattr(user, name, value)
    changes: dict[str, Any] = {}
    if active is not None and active != user.active:
        changes["active"] = active
    # Through the service: the last admin stays, deactivation ends sessions and launches.
    service.update_user(user, **changes)
    return user


def delete(user: User) -> None:
    """DELETE /Users/{id}: deactivated and hidden; the e-mail address is freed."""
    if user.active:
        service.update_user(user, active=False)
    user.deleted_at = _now()
    user.email = None
    db.session.flush()


def _fields(document: dict[str, Any], user: User | None) -> dict[str, Any]:
    """The columns a User document sets, checked; ``active`` None when it is absent."""
    user_name = values.text(document, "userName", 255)
    if user_name is None:
        raise InvalidValue("userName is required")
    taken = service.user_named(user_name)
    if taken is not None and taken is not user:
        raise Uniqueness(f"The userName {user_name} is taken")
    names = values.complex_value(document, "name")
    given = values.text(names, "givenName", 200, "name.givenName")
    family = values.text(names, "familyName", 200, "name.familyName")
    display = values.text(document, "displayName", 200)
    # A person in the portal has a name: displayName, else the names, else userName.
    display = display or " ".join(n for n in (given, family) if n) or user_name[:200]
    active = document.get("active")
    enterprise = values.complex_value(document, ENTERPRISE)
    return {
        "user_name": user_name,
        "external_id": values.text(document, "externalId", 255),
        "given_name": given,
        "family_name": family,
        "name": display,
        "title": values.text(document, "title", 200),
        "active": None if active is None else values.boolean(active, "active"),
        **_email(document, user),
        "employee_number": values.text(enterprise, "employeeNumber", 100),
        "manager_id": _manager(enterprise, user),
    }


def _email(document: dict[str, Any], user: User | None) -> dict[str, Any]:
    emails = document.get("emails") or []
    if not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails):
        raise InvalidValue("emails is a list of objects")
    if len(emails) > 1:
        raise InvalidValue("Kompetens keeps one e-mail address per person")
    if not emails:
        return {"email": None, "email_type": None, "email_primary": None}
    email = values.text(emails[0], "value", 255, "emails.value")
    if email is None or "@" not in email:
        raise InvalidValue("emails.value is an e-mail address")
    email = email.lower()
    taken = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if taken is not None and taken is not user:
        raise Uniqueness(f"Another person has the e-mail address {email}")
    primary = emails[0].get("primary")
    return {
        "email": email,
        "email_type": values.text(emails[0], "type", 50, "emails.type"),
        "email_primary": None if primary is None else values.boolean(primary, "emails.primary"),
    }


def _manager(enterprise: dict[str, Any], user: User | None) -> int | None:
    if isinstance(enterprise.get("manager"), str | int):
        # Entra ID sends the manager's id alone as the value of ...:manager.
        enterprise = {**enterprise, "manager": {"value": str(enterprise["manager"])}}
    manager = values.complex_value(enterprise, "manager")
    if not manager:
        return None
    value = manager.get("value")
    if value is None and isinstance(manager.get("$ref"), str):
        value = manager["$ref"].rstrip("/").rpartition("/")[2]
    if value is None or value == "":
        return None
    try:
        found = get(str(value))
    except NotFound:
        raise InvalidValue(f"manager: no User {value}") from None
    if user is not None and found.id == user.id:
        raise InvalidValue("A person is not their own manager")
    return found.id
