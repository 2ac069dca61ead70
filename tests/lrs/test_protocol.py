"""Cross-cutting LRS protocol rules: versions, CORS, alternate syntax, credentials CLI."""

from __future__ import annotations

import json

import pytest

from tests.conftest import basic


@pytest.mark.parametrize(
    ("sent", "status", "answered"),
    [
        ("1.0", 200, "1.0.3"),
        ("1.0.0", 200, "1.0.3"),
        ("1.0.3", 200, "1.0.3"),
        ("1.0.9", 200, "1.0.3"),
        ("2.0.0", 200, "2.0.0"),
        ("0.9.5", 400, None),
        ("1.1.0", 400, None),
        ("3.0.0", 400, None),
        ("", 400, None),
        (None, 400, None),
    ],
)
def test_lrs_version_header_negotiation(make_xapi, sent, status, answered):
    client = make_xapi()
    client.version = None
    headers = {} if sent is None else {"X-Experience-API-Version": sent}
    response = client.get("statements", headers=headers)
    assert response.status_code == status
    assert "X-Experience-API-Version" in response.headers
    if answered:
        assert response.headers["X-Experience-API-Version"] == answered
    else:
        assert response.json["errors"][0]["path"] == "header:X-Experience-API-Version"


PREFLIGHT = {
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "authorization, x-experience-api-version",
}
CONTENT = "https://content.example.org"


def test_lrs_cors_preflight_needs_no_credentials(client):
    response = client.options("/xapi/statements", headers={"Origin": CONTENT, **PREFLIGHT})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Experience-API-Version" in response.headers["Access-Control-Allow-Headers"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]


def test_lrs_cors_exposes_xapi_headers(xapi):
    response = xapi.get("statements", headers={"Origin": CONTENT})
    assert response.status_code == 200
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "X-Experience-API-Consistent-Through" in exposed
    assert "ETag" in exposed


@pytest.mark.parametrize("origin", [CONTENT, "https://evil.example.net", "null"])
def test_lrs_cors_wildcard_never_allows_credentials(xapi, client, origin):
    # The LRS authenticates with the Authorization header, never cookies: with "*" any
    # page may call it with its own credentials, none may ride on the user's.
    for response in (
        xapi.get("statements", headers={"Origin": origin}),
        client.options("/xapi/statements", headers={"Origin": origin, **PREFLIGHT}),
        client.get("/xapi/statements", headers={"Origin": origin}),  # a 401 is readable too
    ):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers


def test_lrs_cors_listed_origins_only(app, xapi, client, monkeypatch):
    monkeypatch.setitem(app.config, "XAPI_CORS_ORIGINS", f"{CONTENT} https://lms.example.org")
    listed = xapi.get("statements", headers={"Origin": CONTENT})
    assert listed.headers["Access-Control-Allow-Origin"] == CONTENT
    # Listed origins may send credentials (xAPIWrapper's withCredentials option).
    assert listed.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in listed.headers["Vary"]
    preflight = client.options("/xapi/statements", headers={"Origin": CONTENT, **PREFLIGHT})
    assert preflight.headers["Access-Control-Allow-Origin"] == CONTENT
    for origin in ("https://evil.example.net", "https://content.example.org.evil.net", "null"):
        other = xapi.get("statements", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in other.headers
        assert "Access-Control-Allow-Credentials" not in other.headers
        assert "Origin" in other.headers["Vary"]


def test_lrs_credentials_cli_json_and_scopes(runner, client):
    result = runner.invoke(
        args=[
            "credentials",
            "create",
            "tool",
            "--scope",
            "statements/read",
            "--scope",
            "state",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert set(created) == {"key", "secret"}
    # Hex secrets never start with "-", which command-line tools would take for an option.
    int(created["secret"], 16)
    whoami = client.get(
        "/xapi/extensions/whoami",
        headers={
            "Authorization": basic(created["key"], created["secret"]),
            "X-Experience-API-Version": "1.0.3",
        },
    )
    assert whoami.status_code == 200
    assert whoami.json["scopes"] == ["state", "statements/read"]
    listed = runner.invoke(args=["credentials", "list", "--json"])
    assert json.loads(listed.output)[0]["key"] == created["key"]


def test_lrs_credentials_cli_rejects_unknown_scope(runner):
    result = runner.invoke(args=["credentials", "create", "tool", "--scope", "everything"])
    assert result.exit_code != 0


def test_lrs_too_large_body_is_413(app, xapi):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = xapi.request(
            "POST",
            "statements",
            data=b"[" + b" " * 2000 + b"]",
            headers={"Content-Type": "application/json"},
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 512 * 1024 * 1024
    assert response.status_code == 413
    assert response.json["status"] == 413
