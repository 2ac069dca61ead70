"""LRS credentials an admin manages from the portal (lrs.auth does the work)."""

from __future__ import annotations

from accounts import audit
from lrs import auth as lrs_auth
from lrs.models import Credential


def create_lrs_credential(
    name: str, scopes: list[str], trusted: bool = False
) -> tuple[Credential, str]:
    """Create an LRS key/secret with ``scopes``; the secret is returned once, never stored.

    ``trusted``: its results count in reports without a launch of ours behind them.
    """
    credential, secret = lrs_auth.create_credential(name.strip(), scopes, trusted=trusted)
    details = {"scopes": scopes, "trusted": trusted}  # never the secret
    audit.record(
        "credential.created", "credential", credential.key, credential.name, details=details
    )
    return credential, secret


def list_lrs_credentials() -> list[Credential]:
    """Credentials an admin manages: the named ones, not the player's per-launch ones."""
    return [c for c in lrs_auth.list_credentials() if c.agent is None]


def revoke_lrs_credential(key: str) -> Credential:
    """Revoke a credential; later requests with it are refused."""
    credential = lrs_auth.revoke_credential(key)
    audit.record("credential.revoked", "credential", credential.key, credential.name)
    return credential
