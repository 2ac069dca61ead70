"""The account an IdP's subject signs in to: linked, matched by e-mail if allowed, or new.

An account is found by its link (IdP entity id, NameID), made when a SAML sign-in
first comes (just in time, with the role and unit the attributes map to), and never
taken over on a claim: an existing account with the asserted e-mail is linked only when
``SAML_LINK_BY_EMAIL`` says the IdP's e-mail addresses are verified.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import func, select

from accounts import login_sessions, service, sso
from accounts.models import ROLES, User
from accounts.saml_models import SamlLink
from core.db import db
from core.errors import AppError

# No password matches this hash (werkzeug reads no method from it): SSO accounts have
# no local password until an admin sets one.
NO_PASSWORD = "!saml"  # noqa: S105  (not a password: a hash nothing matches)


class AccountRefused(AppError):
    """The subject may not sign in (``reason`` is one of accounts.saml.REASONS)."""

    status_code = 403

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _first(attributes: dict[str, list[str]], setting: str) -> str:
    name = str(current_app.config.get(setting) or "")
    values = attributes.get(name, []) if name else []
    return values[0] if values else ""


def roles_map() -> dict[str, str]:
    """``SAML_ROLES`` ("value=role,...") as a mapping; unknown roles are left out."""
    mapping: dict[str, str] = {}
    for part in str(current_app.config.get("SAML_ROLES") or "").split(","):
        value, _, role = part.strip().rpartition("=")
        if value and role.strip() in ROLES:
            mapping[value.strip()] = role.strip()
    return mapping


def _role(attributes: dict[str, list[str]]) -> str:
    """The highest role any of the person's group values maps to (else learner)."""
    name = str(current_app.config.get("SAML_ATTR_ROLES") or "")
    mapping = roles_map()
    roles = [mapping[v] for v in attributes.get(name, []) if v in mapping] if name else []
    return max(roles, key=ROLES.index) if roles else "learner"


def account_for(issuer: str, name_id: str, attributes: dict[str, list[str]]) -> User:
    """The active account of the subject (IdP ``issuer``, ``name_id``), made if new."""
    link = db.session.scalar(
        select(SamlLink).where(SamlLink.idp_entity_id == issuer, SamlLink.name_id == name_id)
    )
    if link is not None:
        user = link.user
    else:
        user = _matched_or_new(attributes)
        db.session.add(
            SamlLink(
                idp_entity_id=issuer,
                name_id=name_id[:255],
                user_id=user.id,
                created_at=_now(),
                last_used_at=_now(),
            )
        )
    if not user.active or user.deleted_at is not None:
        raise AccountRefused("deactivated")
    if link is not None:
        link.last_used_at = _now()
        if current_app.config.get("SSO_UPDATE_ACCOUNTS"):
            sso.update_from_provider(user, _claimed(attributes))
    db.session.flush()
    return user


def _claimed(attributes: dict[str, list[str]]) -> dict[str, object]:
    """The name, role and unit the attributes carry (see accounts.sso._claimed)."""
    found: dict[str, object] = {}
    name = _first(attributes, "SAML_ATTR_NAME").strip()
    if name:
        found["name"] = name[:200]
    roles_attribute = str(current_app.config.get("SAML_ATTR_ROLES") or "")
    if roles_attribute and roles_attribute in attributes:
        found["role"] = _role(attributes)
    unit = service.unit_by_code(_first(attributes, "SAML_ATTR_UNIT") or None)
    if unit is not None and unit.active:
        found["unit_id"] = unit.id
    return found


def _matched_or_new(attributes: dict[str, list[str]]) -> User:
    email = _first(attributes, "SAML_ATTR_EMAIL").strip().lower()
    if "@" not in email:
        raise AccountRefused("no_email")
    existing = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if existing is not None or service.user_named(email) is not None:
        if existing is not None and current_app.config.get("SAML_LINK_BY_EMAIL"):
            return existing
        raise AccountRefused("email_taken")
    unit = service.unit_by_code(_first(attributes, "SAML_ATTR_UNIT") or None)
    name = _first(attributes, "SAML_ATTR_NAME") or email.split("@")[0]
    return service.create_user(
        email,
        name[:200],
        "",
        _role(attributes),
        unit.id if unit is not None else None,
        password_hash=NO_PASSWORD,
    )


def end_sessions(issuer: str, name_id: str) -> None:
    """End every session of the subject's account (the IdP's single logout)."""
    link = db.session.scalar(
        select(SamlLink).where(SamlLink.idp_entity_id == issuer, SamlLink.name_id == name_id)
    )
    if link is not None:
        login_sessions.end_all(link.user_id)
