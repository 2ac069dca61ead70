"""The Activities, Agents and About resources (xAPI Communication §2.4, §2.5, §2.8)."""

from __future__ import annotations

import json

import pytest

from core.db import db
from lrs.keys import sha256_hex
from lrs.models import Activity

ACTIVITY = "http://example.org/activities/fire-safety"
VERSIONS = ["1.0.3", "2.0.0"]
by_version = pytest.mark.parametrize("version", VERSIONS)


# -- About ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [None, *VERSIONS])
def test_lrs_about_without_credentials(client, version):
    headers = {"X-Experience-API-Version": version} if version else {}
    response = client.get("/xapi/about", headers=headers)
    assert response.status_code == 200
    assert response.json == {"version": ["1.0.3", "2.0.0"], "extensions": {}}
    assert response.headers["X-Experience-API-Version"] == (version or "2.0.0")


def test_lrs_about_head(client):
    response = client.head("/xapi/about")
    assert response.status_code == 200
    assert response.get_data() == b""


def test_lrs_about_unknown_param_is_400(client):
    response = client.get("/xapi/about?foo=1")
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == "query:foo"


# -- Activities -------------------------------------------------------------------------


@pytest.fixture
def stored_activity(app):
    definition = {
        "name": {"en-US": "Fire safety", "sv-SE": "Brandskydd"},
        "type": "http://adlnet.gov/expapi/activities/course",
    }
    with app.app_context():
        db.session.add(
            Activity(id_hash=sha256_hex(ACTIVITY), activity_id=ACTIVITY, definition=definition)
        )
        db.session.commit()
    return definition


@by_version
def test_lrs_activities_returns_canonical_definition(make_xapi, stored_activity, version):
    response = make_xapi(["all"], version).get("activities", query={"activityId": ACTIVITY})
    assert response.status_code == 200
    assert response.json == {
        "objectType": "Activity",
        "id": ACTIVITY,
        "definition": stored_activity,
    }


@by_version
def test_lrs_activities_unknown_id_still_returns_activity(make_xapi, version):
    unknown = "http://example.org/activities/never-seen"
    response = make_xapi(["all"], version).get("activities", query={"activityId": unknown})
    assert response.status_code == 200
    assert response.json == {"objectType": "Activity", "id": unknown}


def test_lrs_activities_head(xapi, stored_activity):
    response = xapi.request("HEAD", "activities", query={"activityId": ACTIVITY})
    assert response.status_code == 200
    assert response.get_data() == b""


def test_lrs_activities_from_stored_statements(xapi, make_statement):
    """Definitions written by the statement service are what /activities returns."""
    first = make_statement()
    second = make_statement()
    second["object"] = {
        "objectType": "Activity",
        "id": first["object"]["id"],
        "definition": {"name": {"sv-SE": "Brandskydd"}},
    }
    assert xapi.post("statements", [first, second]).status_code == 200
    got = xapi.get("activities", query={"activityId": first["object"]["id"]})
    assert got.json["definition"]["name"] == {"en-US": "Fire safety", "sv-SE": "Brandskydd"}


ACTIVITY_ERRORS = [
    ({}, "query:activityId"),
    ({"activityId": ""}, "query:activityId"),
    ({"activityId": "not an iri"}, "query:activityId"),
    ({"activityId": ACTIVITY, "activityID": ACTIVITY}, "query:activityID"),
    ({"activityId": ACTIVITY, "agent": "{}"}, "query:agent"),
]


@pytest.mark.parametrize(("query", "path"), ACTIVITY_ERRORS)
def test_lrs_activities_bad_query_is_400(xapi, query, path):
    response = xapi.get("activities", query=query)
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == path


# -- Agents -----------------------------------------------------------------------------


PERSONS = [
    (
        {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.org"},
        {"objectType": "Person", "name": ["Ada"], "mbox": ["mailto:ada@example.org"]},
    ),
    (
        {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
        {"objectType": "Person", "mbox_sha1sum": ["ebd31e95054c018b10727ccffd2ef2ec3a016ee9"]},
    ),
    (
        {"openid": "http://openid.example.org/ada"},
        {"objectType": "Person", "openid": ["http://openid.example.org/ada"]},
    ),
    (
        {"name": "Ada", "account": {"homePage": "http://example.org", "name": "ada"}},
        {
            "objectType": "Person",
            "name": ["Ada"],
            "account": [{"homePage": "http://example.org", "name": "ada"}],
        },
    ),
]


@by_version
@pytest.mark.parametrize(("agent", "person"), PERSONS)
def test_lrs_agents_returns_person(make_xapi, agent, person, version):
    response = make_xapi(["all"], version).get("agents", query={"agent": json.dumps(agent)})
    assert response.status_code == 200
    assert response.json == person


def test_lrs_agents_head(xapi):
    agent = json.dumps({"mbox": "mailto:ada@example.org"})
    response = xapi.request("HEAD", "agents", query={"agent": agent})
    assert response.status_code == 200
    assert response.get_data() == b""


AGENT_ERRORS = [
    {},
    {"agent": "mailto:ada@example.org"},
    {"agent": json.dumps({"name": "no identifier"})},
    {"agent": json.dumps({"objectType": "Group", "mbox": "mailto:team@example.org"})},
    {"agent": json.dumps({"mbox": "mailto:a@example.org", "openid": "http://x.org/a"})},
]


@pytest.mark.parametrize("query", AGENT_ERRORS)
def test_lrs_agents_bad_agent_is_400(xapi, query):
    response = xapi.get("agents", query=query)
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == "query:agent"


def test_lrs_agents_unknown_param_is_400(xapi):
    agent = json.dumps({"mbox": "mailto:ada@example.org"})
    response = xapi.get("agents", query={"agent": agent, "Agent": agent})
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == "query:Agent"


# -- Scopes -----------------------------------------------------------------------------

SCOPES = [
    (["statements/read"], True),
    (["statements/read/mine"], True),
    (["state"], True),
    (["profile"], True),
    (["define"], True),
    (["all/read"], True),
    (["statements/write"], False),
]


@pytest.mark.parametrize(("scopes", "allowed"), SCOPES)
@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("activities", {"activityId": ACTIVITY}),
        ("agents", {"agent": json.dumps({"mbox": "mailto:ada@example.org"})}),
    ],
    ids=["activities", "agents"],
)
def test_lrs_activities_and_agents_scopes(make_xapi, scopes, allowed, path, query):
    response = make_xapi(scopes, "2.0.0").get(path, query=query)
    assert response.status_code == (200 if allowed else 403)


@pytest.mark.parametrize("path", ["activities", "agents"])
def test_lrs_activities_and_agents_need_credentials(client, path):
    response = client.get(f"/xapi/{path}", headers={"X-Experience-API-Version": "1.0.3"})
    assert response.status_code == 401
