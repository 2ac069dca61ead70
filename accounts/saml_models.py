"""The SAML service provider's tables (accounts/saml.py).

Whose account an identity provider's subject is, which sign-ins we started, and which
assertions were used.

Kept in the database, not in memory or the session cookie, so that every worker and
node sees the same: the IdP's answer is a cross-site POST that carries no SameSite=Lax
cookie, and an assertion replayed to another node must be refused there too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.db import Model


class SamlLink(Model):
    """A person's account as known to one identity provider: (IdP entity id, NameID)."""

    __tablename__ = "accounts_saml_link"
    __table_args__ = (UniqueConstraint("idp_entity_id", "name_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idp_entity_id: Mapped[str] = mapped_column(String(255))
    name_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class SamlRequest(Model):
    """An AuthnRequest we sent: the IdP's answer must be InResponseTo one, once."""

    __tablename__ = "accounts_saml_request"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # Where to go after sign-in (a path on this site, checked when it was stored).
    next_path: Mapped[str] = mapped_column(String(1000), default="")
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SamlAssertion(Model):
    """An assertion that signed someone in: its id is never accepted again."""

    __tablename__ = "accounts_saml_assertion"

    # (issuer, assertion id): ids are unique per issuer (SAML core §1.3.4).
    issuer: Mapped[str] = mapped_column(String(255), primary_key=True)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Kept until the assertion would have expired anyway (then it is refused by time).
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
