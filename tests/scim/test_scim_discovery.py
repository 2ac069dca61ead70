"""Discovery (RFC 7644 §4) and what the whole of /scim/v2 answers in SCIM's format."""

from __future__ import annotations

from tests.scim.conftest import ENTERPRISE, GROUP, MEDIA_TYPE, USER, ScimClient, assert_error


def test_scim_discovery_service_provider_config(scim: ScimClient) -> None:
    response = scim.get("ServiceProviderConfig")
    assert response.status_code == 200
    assert response.mimetype == MEDIA_TYPE
    body = response.get_json(force=True)
    assert body["patch"]["supported"] is True
    assert body["filter"]["supported"] is True
    assert body["etag"]["supported"] is True
    assert body["bulk"]["supported"] is False
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_scim_discovery_resource_types_and_schemas(scim: ScimClient) -> None:
    types = scim.get("ResourceTypes").get_json(force=True)
    assert {t["id"]: t["endpoint"] for t in types["Resources"]} == {
        "User": "/Users",
        "Group": "/Groups",
    }
    user = scim.get("ResourceTypes/User").get_json(force=True)
    assert user["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    schemas = scim.get("Schemas").get_json(force=True)
    assert [s["id"] for s in schemas["Resources"]] == [USER, ENTERPRISE, GROUP]
    core = scim.get(f"Schemas/{USER}").get_json(force=True)
    # Only what Kompetens stores is published.
    assert [a["name"] for a in core["attributes"]] == [
        "userName",
        "name",
        "displayName",
        "title",
        "active",
        "emails",
    ]
    user_name = core["attributes"][0]
    assert (user_name["uniqueness"], user_name["caseExact"]) == ("server", False)
    assert_error(scim.get("Schemas/urn:example:nothing"), 404)
    assert_error(scim.get("ResourceTypes/Device"), 404)


def test_scim_discovery_unknown_url_and_method_answer_scim_errors(scim: ScimClient) -> None:
    assert_error(scim.get("Devices"), 404)
    assert_error(scim.request("DELETE", "ServiceProviderConfig"), 405)
    assert_error(scim.request("PATCH", "Users"), 405)
