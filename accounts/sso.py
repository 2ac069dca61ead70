"""Single sign-on's accounts: which account a provider's checked claims lead to.

An account is found by its link, the provider's issuer and subject (``iss``, ``sub``:
they name one person for good, while an e-mail address can be reassigned). Without a
link, the e-mail address is used only when the provider vouches for it
(``email_verified`` true, or OIDC_TRUST_EMAIL for a provider whose addresses only its
administrators set, such as a municipality's own Entra ID tenant): then an existing
account is linked, or a new one made just in time with the role and unit the claims map
to (learner, no unit, when nothing maps). Only the configured issuer's tokens get here
(accounts/oidc.py), so another provider cannot reach a local account. Role and unit are
set when the account is made; after that they are the admins' (or provisioning's),
unless SSO_UPDATE_ACCOUNTS says the provider is the source of truth: then every sign-in
brings the name, role and unit its claims carry now (``update_from_provider``, which
SAML sign-in uses too).
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accounts import audit, service
from accounts.models import ROLES, OrganisationUnit, SsoLink, User
from accounts.oidc import OidcError
from core.db import db
from core.errors import Conflict

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def parse_roles(setting: str) -> dict[str, str]:
    """``"kompetens-admins=admin,kompetens-authors=author"`` as {claim value: role}."""
    mapping: dict[str, str] = {}
    for pair in setting.split(","):
        value, _, role = pair.strip().rpartition("=")
        role = role.strip()
        if value.strip() and role in ROLES:
            mapping[value.strip()] = role
    return mapping


def _values(claim: Any) -> list[str]:
    """A claim as a list of strings (a string, or a list of them)."""
    if isinstance(claim, str):
        return [claim]
    if isinstance(claim, list):
        return [item for item in claim if isinstance(item, str)]
    return []


def role_for(claims: dict[str, Any], config: Any) -> str:
    """The highest role the claims map to; learner when none does."""
    claim = config.get("OIDC_ROLE_CLAIM") or ""
    mapping = parse_roles(config.get("OIDC_ROLES") or "")
    mapped = [mapping[value] for value in _values(claims.get(claim)) if value in mapping]
    return max(mapped, key=ROLES.index, default="learner")


def unit_for(claims: dict[str, Any], config: Any) -> int | None:
    """The active unit whose code the unit claim holds, or None."""
    claim = config.get("OIDC_UNIT_CLAIM") or ""
    codes = _values(claims.get(claim)) if claim else []
    if not codes:
        return None
    unit = db.session.scalar(
        select(OrganisationUnit).where(
            OrganisationUnit.code == codes[0].strip(), OrganisationUnit.active.is_(True)
        )
    )
    if unit is None:
        log.warning("single sign-on: no active unit with code %r", codes[0])
    return unit.id if unit else None


def _email_of(claims: dict[str, Any], config: Any) -> str:
    value = claims.get(config.get("OIDC_EMAIL_CLAIM") or "email")
    email = value.strip().lower() if isinstance(value, str) else ""
    if "@" not in email:
        raise OidcError("no_email", "the ID token has no e-mail address")
    return email


def _email_vouched(claims: dict[str, Any], config: Any) -> bool:
    return claims.get("email_verified") is True or bool(config.get("OIDC_TRUST_EMAIL"))


def account_for(claims: dict[str, Any], issuer: str, config: Any) -> User:
    """The account these checked claims sign in to; made or linked when needed.

    Raises OidcError (nothing stored) when the account is deactivated, when there is no
    usable e-mail address, or when the address is not vouched for.
    """
    subject = str(claims["sub"])
    link = _link(issuer, subject)
    if link is not None:
        user = db.session.get(User, link.user_id)
    else:
        user = _first_sign_in(claims, issuer, subject, config)
    if user is None or not user.active:
        raise OidcError("deactivated", f"account for subject {subject} is deactivated")
    if link is not None and config.get("SSO_UPDATE_ACCOUNTS"):
        update_from_provider(user, _claimed(claims, config))
    return user


def _claimed(claims: dict[str, Any], config: Any) -> dict[str, Any]:
    """The name, role and unit these claims carry; a field without its claim is left out.

    A configured role claim that is present but names no mapped group means learner (the
    person left the groups); a unit code that names no active unit changes nothing.
    """
    found: dict[str, Any] = {}
    name = claims.get(config.get("OIDC_NAME_CLAIM") or "name")
    if isinstance(name, str) and name.strip():
        found["name"] = name.strip()[:200]
    role_claim = config.get("OIDC_ROLE_CLAIM") or ""
    if role_claim and role_claim in claims:
        found["role"] = role_for(claims, config)
    unit_claim = config.get("OIDC_UNIT_CLAIM") or ""
    if unit_claim and _values(claims.get(unit_claim)):
        unit_id = unit_for(claims, config)
        if unit_id is not None:
            found["unit_id"] = unit_id
    return found


def update_from_provider(user: User, claimed: dict[str, Any]) -> None:
    """Bring the account's name, role and unit to what the provider says now.

    Each change is audited with the organisation's sign-in as its actor. The last active
    admin keeps the role (accounts.service refuses it) and the rest is still applied.
    """
    changes = {key: value for key, value in claimed.items() if getattr(user, key) != value}
    if not changes:
        return
    with audit.acting_as("single sign-on"):
        try:
            service.update_user(user, **changes)
        except Conflict:
            log.warning("single sign-on: account %s is the last admin; its role is kept", user.id)
            changes.pop("role")
            if changes:
                service.update_user(user, **changes)


def _link(issuer: str, subject: str) -> SsoLink | None:
    return db.session.scalar(
        select(SsoLink).where(SsoLink.issuer == issuer, SsoLink.subject == subject)
    )


def _first_sign_in(claims: dict[str, Any], issuer: str, subject: str, config: Any) -> User | None:
    """Link (or make) the account on a first sign-in.

    Two first sign-ins of one person at the same moment (two tabs) race: the loser's
    insert breaks a unique constraint, its savepoint is undone, and it takes the link the
    winner made.
    """
    try:
        with db.session.begin_nested():
            return _link_account(claims, issuer, subject, config)
    except (IntegrityError, Conflict):
        link = _link(issuer, subject)
        if link is None:
            raise OidcError("state", f"first sign-in of {subject} raced and lost") from None
        return db.session.get(User, link.user_id)


def _link_account(claims: dict[str, Any], issuer: str, subject: str, config: Any) -> User:
    """The account a vouched-for e-mail address leads to (made if none), linked."""
    email = _email_of(claims, config)
    if not _email_vouched(claims, config):
        raise OidcError("unverified", f"e-mail {email} not verified by the provider")
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None and db.session.scalar(
        select(SsoLink.id).where(SsoLink.user_id == user.id, SsoLink.issuer == issuer)
    ):
        # The account belongs to another person at this provider (the address moved).
        raise OidcError("taken", f"{email} is linked to another subject")
    if user is None:
        user = _create(claims, email, config)
    db.session.add(SsoLink(issuer=issuer, subject=subject, user_id=user.id, created_at=_now()))
    db.session.flush()
    return user


def _create(claims: dict[str, Any], email: str, config: Any) -> User:
    """A new account just in time: name, role and unit from the claims."""
    name_claim = claims.get(config.get("OIDC_NAME_CLAIM") or "name")
    name = name_claim.strip() if isinstance(name_claim, str) and name_claim.strip() else email
    # No password anyone knows: this account signs in through the provider.
    return service.create_user(
        email,
        name[:200],
        secrets.token_urlsafe(32),
        role=role_for(claims, config),
        unit_id=unit_for(claims, config),
    )
