"""OpenID providers for the tests: the real one (oidc-provider, in node) and one whose
tokens the test signs itself, for the failures a real provider will not produce.

Both listen on 127.0.0.1 at a free port and stop when the test module is done.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parent / "oidc_provider.mjs"
CLIENT_ID = "kompetens-test"
CLIENT_SECRET = "tests-only-client-secret-0123456789"


@contextmanager
def real_provider(settings: dict[str, Any]) -> Iterator[str]:
    """oidc-provider in node with these settings (tests/sso/oidc_provider.mjs); the issuer."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").exists():
        missing = "node or oidc-provider is missing (npm ci installs the devDependencies)"
        if os.environ.get("CI") == "true":  # CI must sign in through the real provider
            raise RuntimeError(missing)
        pytest.skip(missing)
    settings = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **settings}
    process = subprocess.Popen(  # noqa: S603  (our script, our arguments)
        [node, str(SCRIPT), json.dumps(settings)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if not first:
            raise RuntimeError("the OpenID provider did not start")
        yield str(json.loads(first)["issuer"])
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class FakeProvider:
    """A provider whose ID tokens the test signs: discovery, JWKS and a token endpoint."""

    url: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))
    # What the token endpoint answers next: (status, JSON body); and what it was sent.
    answer: tuple[int, dict[str, Any]] = (500, {})
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "end_session_endpoint": f"{self.url}/logout",
        }

    def claims(self, expected_nonce: str, /, **changes: Any) -> dict[str, Any]:
        """Good ID token claims for this nonce, with ``changes`` (None removes a claim)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "sub": "subject-1",
            "iat": now,
            "exp": now + 300,
            "nonce": expected_nonce,
            "email": "ada@example.org",
            "email_verified": True,
            "name": "Ada Lovelace",
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None, alg: str = "RS256") -> str:
        return jwt.encode({"alg": alg, "kid": "k1"}, claims, key or self.key)

    def issue(self, id_token: str) -> None:
        """The token endpoint answers the next code with this ID token."""
        self.answer = (200, {"access_token": "at", "token_type": "Bearer", "id_token": id_token})


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    """A FakeProvider served on 127.0.0.1 in a thread."""
    provider = FakeProvider()

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                self._send(200, provider.document())
            elif self.path == "/jwks":
                self._send(200, {"keys": [provider.key.as_dict(private=False)]})
            else:
                self._send(404, {})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            form["authorization"] = [self.headers.get("Authorization", "")]
            provider.token_requests.append(form)
            self._send(*provider.answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
