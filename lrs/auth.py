"""LRS clients: HTTP Basic key/secret credentials and their xAPI scopes.

xAPI 1.0.3 Communication §4 (authentication) and §4.2 (the scope vocabulary).  Secrets
are random 32-byte tokens, so a keyed SHA-256 (HMAC with a per-credential salt) is as
strong as a slow password hash here and keeps the check off the request's critical path.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app, g, request
from sqlalchemy import bindparam, select, update

from core.db import db
from core.errors import BadRequest, Forbidden, NotFound, Unauthorized
from lrs.models import Credential

# https://github.com/adlnet/xAPI-Spec/blob/1.0.3/xAPI-Communication.md#oauth-authorization-scope
SCOPES = (
    "statements/write",
    "statements/read",
    "statements/read/mine",
    "state",
    "define",
    "profile",
    "all/read",
    "all",
)

# What each kind of operation needs: any one of these scopes.
NEEDS: dict[str, frozenset[str]] = {
    "statements/write": frozenset({"statements/write", "all"}),
    "statements/read": frozenset({"statements/read", "statements/read/mine", "all/read", "all"}),
    "state/read": frozenset({"state", "all/read", "all"}),
    "state/write": frozenset({"state", "all"}),
    "profile/read": frozenset({"profile", "all/read", "all"}),
    "profile/write": frozenset({"profile", "all"}),
    "activities/read": frozenset(
        {"all", "all/read", "define", "profile", "state", "statements/read", "statements/read/mine"}
    ),
}


@dataclass(frozen=True)
class Client:
    """The authenticated caller of one request."""

    id: int
    scopes: frozenset[str]
    authority: dict[str, Any]
    agent: dict[str, Any] | None = None
    registration: str | None = None
    preferred_version: str | None = None
    # A learner-bound credential's bounds (lrs/learner_scope.py).
    activity_roots: tuple[str, ...] = ()
    session_id: str | None = None
    # Its results count in reports without a launch behind them: the LMS's own writes,
    # and credentials an admin trusts (Credential.trusted; portal/projection.py).
    trusted: bool = False

    @property
    def reads_only_own(self) -> bool:
        """statements/read/mine alone: the client sees only what it stored."""
        return "statements/read/mine" in self.scopes and not (
            self.scopes & {"statements/read", "all/read", "all"}
        )

    def can(self, need: str) -> bool:
        """True when one of the client's scopes allows ``need``."""
        return bool(self.scopes & NEEDS[need])


# A learner-bound credential (one the player gives a cmi5 AU or xAPI activity: agent,
# registration and an expiry) lives like the launch token it came with: PLAYER_TOKEN_TTL,
# at most a day, after its last request. Its expiry moves at most once a step, so an AU
# that sends a statement every few seconds does not add a write to each request.
LEARNER_CREDENTIAL_MAX_TTL = timedelta(days=1)
RENEW_STEP = timedelta(minutes=1)


def learner_credential_ttl() -> timedelta:
    """How long a learner-bound credential stays valid after its creation or last use."""
    seconds = current_app.config.get("PLAYER_TOKEN_TTL")
    ttl = timedelta(seconds=int(seconds)) if seconds else timedelta(hours=12)
    return min(ttl, LEARNER_CREDENTIAL_MAX_TTL)


def _hash_secret(salt: str, secret: str) -> str:
    # hmac.digest: OpenSSL's one-shot HMAC, the same value as hmac.new(...).hexdigest()
    # at a fraction of its cost (it runs in every request).
    return hmac.digest(salt.encode(), secret.encode(), "sha256").hex()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def create_credential(
    name: str,
    scopes: list[str],
    authority: dict[str, Any] | None = None,
    agent: dict[str, Any] | None = None,
    registration: str | None = None,
    expires_at: datetime | None = None,
    activity_roots: list[str] | None = None,
    session_id: str | None = None,
    trusted: bool = False,
) -> tuple[Credential, str]:
    """Create a credential; returns it and the secret, which is never stored in clear.

    ``agent``, ``registration``, ``activity_roots`` and ``session_id`` bind it to one
    launch (lrs/learner_scope.py); ``trusted``: its results count in reports.
    """
    if agent is not None and not activity_roots:
        raise ValueError("a learner-bound credential needs the activities it may report on")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise BadRequest(
            f"Unknown scope(s): {', '.join(unknown)}"
            if unknown
            else "At least one scope is needed",
            errors=[{"path": "scopes", "message": f"allowed: {', '.join(SCOPES)}"}],
        )
    key = secrets.token_hex(16)
    # Hex, not base64url: a secret starting with "-" reads as an option to command-line
    # tools (the conformance runner among them).
    secret = secrets.token_hex(24)
    salt = secrets.token_hex(16)
    credential = Credential(
        name=name,
        key=key,
        secret_salt=salt,
        secret_hash=_hash_secret(salt, secret),
        scopes=sorted(set(scopes)),
        authority=authority
        or {
            "objectType": "Agent",
            "name": name,
            "account": {"homePage": "urn:kompetens:lrs", "name": key},
        },
        agent=agent,
        registration=registration,
        activity_roots=activity_roots,
        session_id=session_id,
        trusted=trusted,
        created_at=_now(),
        expires_at=expires_at,
    )
    db.session.add(credential)
    db.session.flush()
    return credential, secret


def list_credentials() -> list[Credential]:
    """All credentials, newest first."""
    return list(db.session.scalars(select(Credential).order_by(Credential.id.desc())))


def revoke_credential(key: str) -> Credential:
    """Revoke by key; later requests with it get 401."""
    credential = db.session.scalar(select(Credential).where(Credential.key == key))
    if credential is None:
        raise NotFound(f"No credential with key {key}")
    credential.revoked_at = credential.revoked_at or _now()
    db.session.flush()
    return credential


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return key, secret


def authenticate(header: str | None = None) -> Client:
    """Check the request's Basic credentials; raise Unauthorized unless they are valid.

    The credential's row is read in every request, in the request's own transaction, so
    a revocation, a changed scope or a deactivated learner counts from the next request
    on, on every worker and every node sharing the database, whoever changed the row
    (the portal, ``flask credentials revoke``, another node, plain SQL).  What a process
    keeps is only the work after that read: the ``Client`` built from a row equal to the
    one just read (docs/ARCHITECTURE.md, "LRS credentials").
    """
    pair = _basic_auth(header if header is not None else request.headers.get("Authorization"))
    challenge = {"WWW-Authenticate": 'Basic realm="xAPI"'}
    if pair is None:
        raise Unauthorized(
            "HTTP Basic credentials (LRS key and secret) are required", headers=challenge
        )
    key, secret = pair
    row = db.session.connection().execute(_row_by_key(), {"key": key}).first()
    if row is None or not hmac.compare_digest(
        row.secret_hash, _hash_secret(row.secret_salt, secret)
    ):
        raise Unauthorized("Unknown key or wrong secret", headers=challenge)
    now = _now()
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise Unauthorized("This credential is revoked or expired", headers=challenge)
    if row.expires_at is not None and row.agent is not None:
        _renew(row.id, row.expires_at, now)
    return _client_for(key, row)


@cache
def _row_by_key() -> Any:
    """The credential's columns by key: Core, built once (the ORM's object is not needed)."""
    table: Any = Credential.__table__
    return select(*(table.c[name] for name in _ROW_COLUMNS)).where(table.c.key == bindparam("key"))


_ROW_COLUMNS = (
    "id",
    "secret_salt",
    "secret_hash",
    "scopes",
    "authority",
    "agent",
    "registration",
    "activity_roots",
    "session_id",
    "trusted",
    "preferred_version",
    "expires_at",
    "revoked_at",
)

# key -> (the row it was built from, the Client): reused only for an equal row.
_clients: dict[str, tuple[Any, Client]] = {}
_CLIENTS_LIMIT = 10_000


def _client_for(key: str, row: Any) -> Client:
    """The Client of a verified, valid row; the one built before if the row is unchanged."""
    known = _clients.get(key)
    if known is not None and known[0] == tuple(row):
        return known[1]
    client = Client(
        id=row.id,
        scopes=frozenset(row.scopes),
        authority=row.authority,
        agent=row.agent,
        registration=row.registration,
        preferred_version=row.preferred_version,
        activity_roots=tuple(row.activity_roots or ()),
        session_id=row.session_id,
        trusted=row.trusted,
    )
    if len(_clients) >= _CLIENTS_LIMIT:
        _clients.clear()
    _clients[key] = (tuple(row), client)
    return client


def _renew(credential_id: int, expires_at: datetime, now: datetime) -> None:
    """Slide a learner-bound credential's expiry: valid for the TTL after this request.

    Written only when the stored expiry is more than a step (a minute, less for a very
    short TTL) behind, and outside the request's transaction like ``remember_version``:
    reads (an AU's state and statements GETs) commit nothing, and they count as use too.
    The guard on the old value makes overlapping requests write it once.
    """
    ttl = learner_credential_ttl()
    renewed = now + ttl
    if renewed - expires_at < min(RENEW_STEP, ttl / 2):
        return
    with db.engine.begin() as connection:
        connection.execute(
            update(Credential)
            .where(Credential.id == credential_id, Credential.expires_at < renewed)
            .values(expires_at=renewed)
        )


def remember_version(client: Client, version: str) -> None:
    """Keep the version a client speaks, to answer its requests that name none (§3.3).

    Written only when it changes, outside the request's transaction.
    """
    if client.preferred_version == version:
        return
    with db.engine.begin() as connection:
        connection.execute(
            update(Credential).where(Credential.id == client.id).values(preferred_version=version)
        )


def current_client() -> Client:
    """The client of this request, authenticating it on first use."""
    client: Client | None = g.get("lrs_client")
    if client is None:
        client = authenticate()
        g.lrs_client = client
    return client


def require(need: str) -> Client:
    """Authenticate and check that the client may do ``need`` (403 otherwise)."""
    client = current_client()
    if not client.can(need):
        raise Forbidden(f"This credential's scopes do not allow {need}")
    return client
