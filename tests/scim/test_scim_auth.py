"""Bearer tokens: made, listed and revoked by the CLI; no other secret opens SCIM."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from tests.conftest import basic, signed_in
from tests.portal.conftest import Portal
from tests.scim.conftest import USER, ScimClient, assert_error, make_token


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "bearer  "],
)
def test_scim_auth_without_a_valid_token_is_401(
    client: FlaskClient, runner: FlaskCliRunner, authorization: str | None
) -> None:
    make_token(runner)
    headers = {"Authorization": authorization} if authorization else {}
    for path in ("/scim/v2/Users", "/scim/v2/ServiceProviderConfig", "/scim/v2/Groups/1"):
        response = client.get(path, headers=headers)
        assert_error(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_scim_auth_refused_request_changes_nothing(client: FlaskClient, scim: ScimClient) -> None:
    response = client.post(
        "/scim/v2/Users",
        data=json.dumps({"schemas": [USER], "userName": "x@example.se"}),
        content_type="application/scim+json",
        headers={"Authorization": "Bearer wrong"},
    )
    assert_error(response, 401)
    assert scim.get("Users").get_json(force=True)["totalResults"] == 0


def test_scim_auth_revoked_token_is_refused_at_once(
    client: FlaskClient, runner: FlaskCliRunner
) -> None:
    scim = ScimClient(client, make_token(runner, "entra"))
    assert scim.get("Users").status_code == 200
    result = runner.invoke(args=["scim", "token", "revoke", "entra"])
    assert result.exit_code == 0, result.output
    assert_error(scim.get("Users"), 401)
    # The name is free again; the old token stays dead.
    fresh = ScimClient(client, make_token(runner, "entra"))
    assert fresh.get("Users").status_code == 200
    assert_error(scim.get("Users"), 401)


def test_scim_auth_token_list_shows_names_never_tokens(runner: FlaskCliRunner) -> None:
    token = make_token(runner, "entra")
    runner.invoke(args=["scim", "token", "revoke", "entra"])
    make_token(runner, "other")
    result = runner.invoke(args=["scim", "token", "list", "--json"])
    rows = json.loads(result.output)
    assert [(r["name"], r["revoked"] is None) for r in rows] == [
        ("entra", False),
        ("other", True),
    ]
    assert token not in result.output
    plain = runner.invoke(args=["scim", "token", "list"])
    assert "entra" in plain.output
    assert token not in plain.output


def test_scim_auth_cli_refuses_a_second_live_token_of_one_name(runner: FlaskCliRunner) -> None:
    make_token(runner, "entra")
    result = runner.invoke(args=["scim", "token", "create", "entra", "--json"])
    assert result.exit_code != 0
    assert "exists" in result.output
    missing = runner.invoke(args=["scim", "token", "revoke", "nobody"])
    assert missing.exit_code != 0


def test_scim_auth_scim_token_is_not_an_lrs_credential(
    client: FlaskClient, scim: ScimClient
) -> None:
    headers = {"X-Experience-API-Version": "1.0.3"}
    for authorization in (f"Bearer {scim.token}", basic(scim.token, scim.token)):
        response = client.get(
            "/xapi/statements", headers={**headers, "Authorization": authorization}
        )
        assert response.status_code == 401


def test_scim_auth_lrs_credential_is_not_a_scim_token(
    client: FlaskClient, make_credential: Callable[..., tuple[str, str]]
) -> None:
    key, secret = make_credential()
    for authorization in (basic(key, secret), f"Bearer {secret}", f"Bearer {key}"):
        assert_error(client.get("/scim/v2/Users", headers={"Authorization": authorization}), 401)


def test_scim_auth_portal_session_is_not_a_scim_token(
    client: FlaskClient, scim: ScimClient
) -> None:
    created = scim.post("Users", {"schemas": [USER], "userName": "a@example.se"})
    browser = signed_in(client.application.test_client(), int(created.get_json(force=True)["id"]))
    assert_error(browser.get("/scim/v2/Users"), 401)


SEARCH = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": 5}
ROUTES = [
    ("GET", "ServiceProviderConfig", None),
    ("GET", "ResourceTypes", None),
    ("GET", "ResourceTypes/User", None),
    ("GET", "Schemas", None),
    ("GET", f"Schemas/{USER}", None),
    ("GET", "Users", None),
    ("GET", "Groups", None),
    ("POST", "Users/.search", SEARCH),
    ("POST", "Groups/.search", SEARCH),
    ("POST", ".search", SEARCH),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_scim_auth_every_route_answers_only_the_provisioning_token(
    app, client: FlaskClient, runner: FlaskCliRunner, make_credential, method, path, body
) -> None:
    """Anonymous, a signed-in admin (cookie and CSRF token: SCIM has no cookie sign-in, so
    no cross-site request can use one) and an all-scope LRS credential are refused; the
    provisioning client's bearer token is answered."""
    token = make_token(runner)
    url = f"/scim/v2/{path}"
    data = json.dumps(body) if body is not None else None
    kwargs: dict[str, Any] = {"data": data, "content_type": "application/scim+json"} if data else {}
    admin = signed_in(app.test_client(), Portal(app).user("ada@example.org", role="admin"))
    key, secret = make_credential(["all"])
    for who, sender, headers in [
        ("anonymous", client, {}),
        ("portal admin", admin, {"X-CSRF-Token": "test-csrf-token"}),
        ("LRS credential", client, {"Authorization": basic(key, secret)}),
    ]:
        response = sender.open(url, method=method, headers=headers, **kwargs)
        assert response.status_code == 401, (who, response.status_code)
    answer = ScimClient(client, token).request(method, path, body)
    assert answer.status_code == 200, answer.get_data(as_text=True)
