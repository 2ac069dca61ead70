"""Provisioning clients' bearer tokens (RFC 6750): made by the CLI, stored as SHA-256.

A SCIM token opens ``/scim/v2`` and nothing else; an LRS credential (HTTP Basic) is a
different kind of secret in a different table and never opens SCIM.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from flask import request
from sqlalchemy import select

from accounts.models import ScimToken
from core.db import db
from core.errors import Conflict, NotFound, Unauthorized


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str) -> str:
    """Make a token named ``name``; returns it (shown once, stored only hashed)."""
    name = name.strip()
    if not name:
        raise Conflict("A token needs a name")
    if _live(name) is not None:
        raise Conflict(f"A token named {name!r} exists already; revoke it first")
    token = secrets.token_urlsafe(32)
    db.session.add(ScimToken(name=name, token_hash=_hash(token), created_at=_now()))
    db.session.flush()
    return token


def _live(name: str) -> ScimToken | None:
    return db.session.scalar(
        select(ScimToken).where(ScimToken.name == name, ScimToken.revoked_at.is_(None))
    )


def list_tokens() -> list[ScimToken]:
    """All tokens, revoked ones too, oldest first."""
    return list(db.session.scalars(select(ScimToken).order_by(ScimToken.id)))


def revoke_token(name: str) -> ScimToken:
    """Revoke the live token named ``name``; requests with it get 401 from now on."""
    token = _live(name)
    if token is None:
        raise NotFound(f"No live token named {name!r}")
    token.revoked_at = _now()
    db.session.flush()
    return token


def authenticate() -> ScimToken:
    """The live token of this request's ``Authorization: Bearer``, or Unauthorized."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise Unauthorized("A bearer token is required (flask scim token create NAME)")
    digest = _hash(value)
    token = db.session.scalar(select(ScimToken).where(ScimToken.token_hash == digest))
    # The lookup is by hash, so timing tells nothing about the token; compared again
    # in constant time all the same.
    if (
        token is None
        or token.revoked_at is not None
        or not hmac.compare_digest(token.token_hash, digest)
    ):
        raise Unauthorized("Unknown or revoked bearer token")
    return token
