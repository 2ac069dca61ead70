"""SCIM fixtures: a bearer token made by the CLI, and a client that sends it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

MEDIA_TYPE = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def make_token(runner: FlaskCliRunner, name: str = "entra") -> str:
    """``flask scim token create NAME --json`` -> the token."""
    result = runner.invoke(args=["scim", "token", "create", name, "--json"])
    assert result.exit_code == 0, result.output
    return str(json.loads(result.output)["token"])


class ScimClient:
    """A test client that sends the bearer token and SCIM's media type."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        """``path`` is relative to /scim/v2 unless it starts with '/'."""
        url = path if path.startswith("/") else "/scim/v2/" + path
        sent = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = MEDIA_TYPE
        return self.client.open(url, method=method, headers=sent, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> TestResponse:
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, operations: list[dict[str, Any]], **kwargs: Any) -> TestResponse:
        body = {"schemas": [PATCH_OP], "Operations": operations}
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def scim(client: FlaskClient, runner: FlaskCliRunner) -> ScimClient:
    """A SCIM client with a fresh token."""
    return ScimClient(client, make_token(runner))


@pytest.fixture
def make_user(scim: ScimClient) -> Callable[..., dict[str, Any]]:
    """POST a User (``userName`` and anything else given); returns the created JSON."""

    def make(user_name: str = "ann.berg@example.se", **attributes: Any) -> dict[str, Any]:
        body = {"schemas": [USER], "userName": user_name, "active": True, **attributes}
        body.setdefault("displayName", "Ann Berg")
        response = scim.post("Users", body)
        assert response.status_code == 201, response.get_data(as_text=True)
        return dict(response.get_json(force=True))

    return make


def assert_error(response: TestResponse, status: int, scim_type: str | None = None) -> None:
    """A SCIM error JSON (RFC 7644 §3.12) with this status and scimType."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == MEDIA_TYPE
    body = response.get_json(force=True)
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The app on a live local server (a thread), for clients that speak HTTP."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
