"""OpenID Connect, the protocol: discovery, authorization, code exchange, ID token checks.

Authlib makes the requests, its joserfc does the cryptography and the claim rules.

Authorization code flow with PKCE (S256), ``state`` against cross-site requests and
``nonce`` against replayed ID tokens. The ID token is believed only when its signature
verifies with a key from the provider's JWKS, its issuer is the configured one, its
audience holds our client id (and ``azp`` is ours when present), it has not expired and
its nonce is the one this browser's request carried. Which account it leads to is
accounts/sso.py's business; the pages are portal/views/sso.py.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

log = logging.getLogger(__name__)

# Clocks of the provider and of this server may differ this much (seconds).
LEEWAY = 60
# Discovery documents and key sets are fetched again after this long (seconds); a token
# signed with a key not in the cached set makes one early fetch (the provider rotated).
CACHE_SECONDS = 3600
# Asymmetric signatures only: a key the provider publishes, never the client secret.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]


class OidcError(Exception):
    """The sign-in failed; ``kind`` names why, for the page the person sees."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Provider:
    """The configured provider and this service's client there."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Any) -> Provider | None:
        """The provider from the app's settings; None when single sign-on is off."""
        issuer = (config.get("OIDC_ISSUER") or "").rstrip("/")
        client_id = config.get("OIDC_CLIENT_ID") or ""
        if not issuer or not client_id:
            return None
        return cls(
            issuer=issuer,
            client_id=client_id,
            client_secret=config.get("OIDC_CLIENT_SECRET") or "",
            scopes=config.get("OIDC_SCOPES") or "openid email profile",
            timeout=float(config.get("OIDC_TIMEOUT") or 10),
        )


@dataclass
class Pending:
    """What this browser's sign-in request must be answered with (kept in its session)."""

    state: str
    nonce: str
    verifier: str
    redirect_uri: str

    def as_dict(self) -> dict[str, str]:
        """The fields, for the session."""
        return {
            "state": self.state,
            "nonce": self.nonce,
            "verifier": self.verifier,
            "redirect_uri": self.redirect_uri,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Pending | None:
        """Back from the session; None when it holds nothing usable."""
        if not isinstance(data, dict):
            return None
        values = [data.get(key) for key in ("state", "nonce", "verifier", "redirect_uri")]
        strings = [value for value in values if isinstance(value, str) and value]
        return cls(*strings) if len(strings) == len(values) else None


_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_cache_lock = threading.Lock()


def _get_json(url: str, timeout: float, fresh: bool = False) -> dict[str, Any]:
    """A JSON document from the provider, cached for CACHE_SECONDS."""
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(url)
    if cached and not fresh and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        answer = requests.get(url, timeout=timeout)
        answer.raise_for_status()
        document = answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise OidcError("unavailable", f"{url}: {exc}") from exc
    if not isinstance(document, dict):
        raise OidcError("unavailable", f"{url}: not a JSON object")
    with _cache_lock:
        _cache[url] = (now, document)
    return document


def metadata(provider: Provider) -> dict[str, Any]:
    """The provider's discovery document, which must name the configured issuer."""
    document = _get_json(f"{provider.issuer}/.well-known/openid-configuration", provider.timeout)
    if str(document.get("issuer", "")).rstrip("/") != provider.issuer:
        # OpenID Connect Discovery 1.0 §4.3: the document is for another issuer.
        raise OidcError("untrusted", f"discovery names issuer {document.get('issuer')!r}")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(key), str):
            raise OidcError("unavailable", f"discovery has no {key}")
    return document


def start(provider: Provider, redirect_uri: str) -> tuple[str, Pending]:
    """The provider's authorization URL for this browser, and what to keep until it returns."""
    document = metadata(provider)
    pending = Pending(generate_token(32), generate_token(32), generate_token(64), redirect_uri)
    client = OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope=provider.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    url, _ = client.create_authorization_url(
        document["authorization_endpoint"],
        state=pending.state,
        nonce=pending.nonce,
        code_verifier=pending.verifier,
    )
    return url, pending


def finish(provider: Provider, pending: Pending, code: str) -> tuple[dict[str, Any], str]:
    """Exchange the code for tokens; the ID token's checked claims and the token itself."""
    document = metadata(provider)
    client = OAuth2Session(
        provider.client_id,
        provider.client_secret,
        redirect_uri=pending.redirect_uri,
        code_challenge_method="S256",
    )
    try:
        token = client.fetch_token(
            document["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=pending.verifier,
            timeout=provider.timeout,
        )
    except Exception as exc:  # network, HTTP and OAuth errors alike
        raise OidcError("unavailable", f"token request failed: {exc}") from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise OidcError("untrusted", "no ID token in the token response")
    claims = verify_id_token(provider, document, id_token, pending.nonce)
    return claims, id_token


def verify_id_token(
    provider: Provider, document: dict[str, Any], id_token: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims after every check (OpenID Connect Core 1.0 §3.1.3.7)."""
    token = None
    for fresh in (False, True):
        try:
            keys = KeySet.import_key_set(
                _get_json(document["jwks_uri"], provider.timeout, fresh=fresh)  # type: ignore[arg-type]
            )
            token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            break
        except InvalidKeyIdError as exc:  # a key we do not have: fetch the set once more
            if fresh:
                raise OidcError("untrusted", f"no key for the ID token: {exc}") from exc
        except (JoseError, ValueError) as exc:
            raise OidcError("untrusted", f"ID token: {exc}") from exc
    assert token is not None  # noqa: S101  (the loop broke with a token or raised)
    claims = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY,
        # Exactly as discovery names it (metadata() checked it is the configured one).
        iss={"essential": True, "value": document["issuer"]},
        aud={"essential": True, "value": provider.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise OidcError("untrusted", f"ID token: {exc}") from exc
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if (len(audience) > 1 or "azp" in claims) and claims.get("azp") != provider.client_id:
        raise OidcError("untrusted", f"ID token authorized for {claims.get('azp')!r}")
    return claims


def logout_url(provider: Provider, id_token: str, return_to: str) -> str | None:
    """RP-initiated logout at the provider (its end_session_endpoint), when it has one."""
    try:
        endpoint = metadata(provider).get("end_session_endpoint")
    except OidcError as exc:
        log.warning("single logout skipped: %s", exc)
        return None
    if not isinstance(endpoint, str) or not endpoint:
        return None
    return str(
        add_params_to_uri(
            endpoint,
            [
                ("id_token_hint", id_token),
                ("client_id", provider.client_id),
                ("post_logout_redirect_uri", return_to),
            ],
        )
    )
