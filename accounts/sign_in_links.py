"""The links between an account and its identities at the organisation's sign-in.

A link (OIDC issuer and subject, or SAML IdP and NameID) is how a sign-in finds its
account; it is made on the first sign-in and never changed by one. When it is wrong —
an address that moved to another person was linked, or a person got a new identity at
the provider — an admin removes it: the next sign-in through the provider links (or
makes) the account again by the rules of accounts/sso.py and accounts/saml_accounts.py.
Removing a link ends the person's sessions, as a sign-in by the wrong person may be
why it is removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from accounts import audit, login_sessions
from accounts.models import SsoLink, User
from accounts.saml_models import SamlLink
from core.db import db
from core.errors import NotFound


@dataclass(frozen=True)
class Link:
    """One identity that signs in to the account."""

    kind: str  # "oidc" or "saml"
    id: int
    provider: str  # the OIDC issuer or the SAML IdP's entity id
    subject: str  # the OIDC subject or the SAML NameID
    created_at: datetime
    last_used_at: datetime | None


def links_of(user: User) -> list[Link]:
    """The account's links, oldest first."""
    oidc = db.session.scalars(select(SsoLink).where(SsoLink.user_id == user.id))
    saml = db.session.scalars(select(SamlLink).where(SamlLink.user_id == user.id))
    found = [Link("oidc", o.id, o.issuer, o.subject, o.created_at, None) for o in oidc]
    found += [
        Link("saml", s.id, s.idp_entity_id, s.name_id, s.created_at, s.last_used_at) for s in saml
    ]
    return sorted(found, key=lambda link: (link.created_at, link.kind, link.id))


def remove_link(user: User, kind: str, link_id: int) -> None:
    """Remove one of the account's links and end the account's sessions (caller commits)."""
    link: SsoLink | SamlLink | None = None
    if kind == "oidc":
        link = db.session.get(SsoLink, link_id)
    elif kind == "saml":
        link = db.session.get(SamlLink, link_id)
    if link is None or link.user_id != user.id:
        raise NotFound("No such sign-in link for this account")
    provider = link.issuer if isinstance(link, SsoLink) else link.idp_entity_id
    db.session.delete(link)
    login_sessions.end_all(user.id)
    audit.record(
        "user.sso_unlinked",
        "user",
        user.id,
        user.email or user.user_name,
        details={"protocol": kind, "provider": provider},
    )
    db.session.flush()
