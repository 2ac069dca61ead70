"""Statement validation through HTTP (xAPI Data 2.2-2.4, 4.x; 2.0.0 deltas).

Each row of INVALID changes one thing in a valid statement and names the error path the
400 must report; VALID rows must be stored.  Rows run under both versions unless they
say otherwise.
"""

from __future__ import annotations

import copy
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.errors import BadRequest
from lrs import schemas

V1, V2 = "1.0.3", "2.0.0"
BOTH = (V1, V2)
DELETE = object()
MBOX = "mailto:ada@example.org"
OAUTH_AUTHORITY = {
    "objectType": "Group",
    "member": [
        {"account": {"homePage": "http://example.org/xAPI/OAuth/Token", "name": "consumer"}},
        {"mbox": "mailto:bob@example.org"},
    ],
}


def base() -> dict[str, Any]:
    """A valid statement using most properties (result, context, a choice interaction)."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "name": "Ada", "mbox": MBOX},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {
            "objectType": "Activity",
            "id": "http://example.org/quiz/q1",
            "definition": {
                "name": {"en-US": "Question 1"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "moreInfo": "http://example.org/quiz/q1/info",
                "interactionType": "choice",
                "correctResponsesPattern": ["foam"],
                "choices": [
                    {"id": "water", "description": {"en-US": "Water"}},
                    {"id": "foam", "description": {"en-US": "Foam"}},
                ],
                "extensions": {"http://example.org/ext/level": 2},
            },
        },
        "result": {
            "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
            "success": True,
            "completion": True,
            "response": "foam",
            "duration": "PT1M2.5S",
            "extensions": {"http://example.org/ext/tries": 1},
        },
        "context": {
            "registration": str(uuid.uuid4()),
            "instructor": {"mbox": "mailto:teacher@example.org"},
            "team": {"objectType": "Group", "member": [{"mbox": MBOX}]},
            "contextActivities": {
                "parent": [{"id": "http://example.org/quiz"}],
                "grouping": {"id": "http://example.org/course"},
            },
            "revision": "r1",
            "platform": "Kompetens",
            "language": "en-US",
            "statement": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
            "extensions": {"http://example.org/ext/seat": "12A"},
        },
        "timestamp": "2026-11-26T10:15:30.123Z",
    }


def apply(statement: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Set (or DELETE) values by path, e.g. ``object.definition.choices[1].id``."""
    out = copy.deepcopy(statement)
    for path, value in changes.items():
        keys: list[Any] = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
        target = out
        for key in keys[:-1]:
            target = target[key]
        if value is DELETE:
            del target[keys[-1]]
        else:
            target[keys[-1]] = copy.deepcopy(value)
    return out


def without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


AGENT_OBJECT = {"objectType": "Agent", "mbox": MBOX}
SUB = {
    "objectType": "SubStatement",
    "actor": {"mbox": MBOX},
    "verb": {"id": "http://example.org/verbs/plan"},
    "object": {"id": "http://example.org/a"},
}
CTX_AGENT = {
    "objectType": "contextAgent",
    "agent": {"mbox": MBOX},
    "relevantTypes": ["http://example.org/types/player"],
}
CTX_GROUP = {
    "objectType": "contextGroup",
    "group": {"objectType": "Group", "mbox": "mailto:team@example.org"},
    "relevantTypes": ["http://example.org/types/team"],
}
ATTACHMENT = {
    "usageType": "http://example.org/usage/cert",
    "display": {"en-US": "Certificate"},
    "contentType": "text/plain",
    "length": 27,
    "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
    "fileUrl": "http://example.org/cert.txt",
}

# (case id, versions, changes, expected error path)
INVALID: list[tuple[str, tuple[str, ...], dict[str, Any], str]] = [
    # Statement (Data 2.2, 2.4)
    ("missing_actor", BOTH, {"actor": DELETE}, "actor"),
    ("missing_verb", BOTH, {"verb": DELETE}, "verb"),
    ("missing_object", BOTH, {"object": DELETE}, "object"),
    ("key_wrong_case", BOTH, {"Result": {}}, "Result"),
    ("additional_property", BOTH, {"objectType": "Statement"}, "objectType"),
    ("null_outside_extensions", BOTH, {"context": None}, "context"),
    ("null_name", BOTH, {"actor.name": None}, "actor.name"),
    ("id_not_uuid", BOTH, {"id": "MA97B177-9383-4934-8543-0F91A7A02836"}, "id"),
    ("id_too_long", BOTH, {"id": "AA97B177-9383-4934-8543-0F91A7A028368"}, "id"),
    ("id_empty", BOTH, {"id": ""}, "id"),
    ("id_number", BOTH, {"id": 12345}, "id"),
    ("version_0_9", BOTH, {"version": "0.9.9"}, "version"),
    ("version_1_1", BOTH, {"version": "1.1.0"}, "version"),
    ("version_2_under_1", (V1,), {"version": "2.0.0"}, "version"),
    ("version_number", BOTH, {"version": 1.0}, "version"),
    ("timestamp_string", BOTH, {"timestamp": "should fail"}, "timestamp"),
    ("timestamp_date", BOTH, {"timestamp": "01/011/2015"}, "timestamp"),
    ("timestamp_minus_00", BOTH, {"timestamp": "2008-09-15T15:53:00.601-00"}, "timestamp"),
    ("timestamp_minus_0000", BOTH, {"timestamp": "2008-09-15T15:53:00.601-0000"}, "timestamp"),
    ("timestamp_minus_00_00", BOTH, {"timestamp": "2008-09-15T15:53:00.601-00:00"}, "timestamp"),
    ("timestamp_feb_30", BOTH, {"timestamp": "2026-02-30T10:00:00Z"}, "timestamp"),
    ("timestamp_no_zone_2_0", (V2,), {"timestamp": "2026-11-26T10:15:30.123"}, "timestamp"),
    ("stored_invalid", BOTH, {"stored": "yesterday"}, "stored"),
    ("attachments_not_list", BOTH, {"attachments": ATTACHMENT}, "attachments"),
    # Actor (Data 2.4.2)
    ("actor_two_ifis", BOTH, {"actor.openid": "http://openid.example.org/1"}, "actor"),
    ("actor_no_ifi", BOTH, {"actor.mbox": DELETE}, "actor"),
    ("actor_mbox_no_at", BOTH, {"actor.mbox": "mailto:should.fail.com"}, "actor.mbox"),
    ("actor_mbox_not_mailto", BOTH, {"actor.mbox": "http://should.fail.com"}, "actor.mbox"),
    ("actor_sha1_not_hex", BOTH, {"actor": {"mbox_sha1sum": "z" * 40}}, "actor.mbox_sha1sum"),
    ("actor_openid_no_scheme", BOTH, {"actor": {"openid": "open.id.com/u"}}, "actor.openid"),
    ("actor_openid_bad_scheme", BOTH, {"actor": {"openid": "ab=c://x.com"}}, "actor.openid"),
    (
        "actor_homepage_no_scheme",
        BOTH,
        {"actor": {"account": {"homePage": "homePage.com/u", "name": "1"}}},
        "actor.account.homePage",
    ),
    (
        "actor_account_name_number",
        BOTH,
        {"actor": {"account": {"homePage": "http://x.org", "name": 1}}},
        "actor.account.name",
    ),
    (
        "actor_account_no_name",
        BOTH,
        {"actor": {"account": {"homePage": "http://x.org"}}},
        "actor.account.name",
    ),
    ("actor_object_type_case", BOTH, {"actor.objectType": "agent"}, "actor.objectType"),
    ("actor_name_number", BOTH, {"actor.name": 123}, "actor.name"),
    (
        "group_anonymous_no_member",
        BOTH,
        {"actor": {"objectType": "Group", "name": "g"}},
        "actor.member",
    ),
    (
        "group_member_not_list",
        BOTH,
        {"actor": {"objectType": "Group", "member": {"mbox": MBOX}}},
        "actor.member",
    ),
    (
        "group_nested_group",
        BOTH,
        {"actor": {"objectType": "Group", "member": [{"objectType": "Group", "member": []}]}},
        "actor.member[0].objectType",
    ),
    ("group_without_object_type", BOTH, {"actor": {"member": [{"mbox": MBOX}]}}, "actor.member"),
    (
        "team_is_agent",
        BOTH,
        {"context.team": {"objectType": "Agent", "mbox": MBOX}},
        "context.team.objectType",
    ),
    ("instructor_string", BOTH, {"context.instructor": "teacher"}, "context.instructor"),
    (
        "authority_three_members",
        BOTH,
        {"authority": {**OAUTH_AUTHORITY, "member": [*OAUTH_AUTHORITY["member"], {"mbox": MBOX}]}},
        "authority.member",
    ),
    (
        "authority_identified_group",
        BOTH,
        {"authority": {**OAUTH_AUTHORITY, "mbox": MBOX}},
        "authority",
    ),
    (
        "authority_not_oauth",
        BOTH,
        {
            "authority": {
                "objectType": "Group",
                "member": [{"mbox": MBOX}, {"mbox": "mailto:b@x.org"}],
            }
        },
        "authority.member",
    ),
    # Verb (Data 2.4.3)
    ("verb_no_id", BOTH, {"verb.id": DELETE}, "verb.id"),
    ("verb_id_no_scheme", BOTH, {"verb.id": "adlnet.gov/expapi/verbs/answered"}, "verb.id"),
    ("verb_display_string", BOTH, {"verb.display": "answered"}, "verb.display"),
    ("verb_display_bad_tag", BOTH, {"verb.display": {"a12345": "x"}}, "verb.display.a12345"),
    ("verb_display_long_tag", BOTH, {"verb.display": {"a12345678": "x"}}, "verb.display.a12345678"),
    ("verb_display_value_number", BOTH, {"verb.display": {"en-US": 1}}, "verb.display.en-US"),
    (
        "voided_object_activity",
        BOTH,
        {"verb": {"id": "http://adlnet.gov/expapi/verbs/voided"}, "context.revision": DELETE},
        "object",
    ),
    # Object (Data 2.4.4)
    ("object_type_case", BOTH, {"object.objectType": "activity"}, "object.objectType"),
    (
        "object_agent_without_type",
        BOTH,
        {"object": {"mbox": MBOX}, "context": DELETE},
        "object.objectType",
    ),
    ("activity_no_id", BOTH, {"object.id": DELETE}, "object.id"),
    ("activity_id_no_scheme", BOTH, {"object.id": "example.org/quiz/q1"}, "object.id"),
    (
        "activity_type_no_scheme",
        BOTH,
        {"object.definition.type": "example.org/t"},
        "object.definition.type",
    ),
    (
        "activity_more_info",
        BOTH,
        {"object.definition.moreInfo": "example.org/i"},
        "object.definition.moreInfo",
    ),
    ("activity_name_string", BOTH, {"object.definition.name": "Q1"}, "object.definition.name"),
    (
        "activity_unknown_definition_key",
        BOTH,
        {"object.definition.Name": {}},
        "object.definition.Name",
    ),
    (
        "interaction_type_case",
        BOTH,
        {"object.definition.interactionType": "Choice"},
        "object.definition.interactionType",
    ),
    (
        "interaction_type_iri",
        BOTH,
        {"object.definition.interactionType": "http://example.org/choice"},
        "object.definition.interactionType",
    ),
    (
        "choices_without_interaction_type",
        BOTH,
        {
            "object.definition.interactionType": DELETE,
            "object.definition.correctResponsesPattern": DELETE,
        },
        "object.definition.choices",
    ),
    (
        "pattern_without_interaction_type",
        BOTH,
        {"object.definition.interactionType": DELETE, "object.definition.choices": DELETE},
        "object.definition.correctResponsesPattern",
    ),
    (
        "choices_duplicate_ids",
        BOTH,
        {"object.definition.choices[1].id": "water"},
        "object.definition.choices",
    ),
    (
        "choice_id_number",
        BOTH,
        {"object.definition.choices[1].id": 2},
        "object.definition.choices[1].id",
    ),
    (
        "choice_description_bad_tag",
        BOTH,
        {"object.definition.choices[0].description": {"en_US": "Water"}},
        "object.definition.choices[0].description.en_US",
    ),
    (
        "scale_for_choice",
        BOTH,
        {"object.definition.scale": [{"id": "1"}]},
        "object.definition.scale",
    ),
    (
        "pattern_not_list",
        BOTH,
        {"object.definition.correctResponsesPattern": "foam"},
        "object.definition.correctResponsesPattern",
    ),
    (
        "pattern_item_number",
        BOTH,
        {"object.definition.correctResponsesPattern": [1]},
        "object.definition.correctResponsesPattern[0]",
    ),
    (
        "extension_key_not_iri",
        BOTH,
        {"object.definition.extensions": {"not.valid.com/ext": 1}},
        "object.definition.extensions.not.valid.com/ext",
    ),
    (
        "statement_ref_bad_id",
        BOTH,
        {"object": {"objectType": "StatementRef", "id": "x"}, "context": DELETE},
        "object.id",
    ),
    (
        "statement_ref_extra",
        BOTH,
        {
            "object": {"objectType": "StatementRef", "id": str(uuid.uuid4()), "definition": {}},
            "context": DELETE,
        },
        "object.definition",
    ),
    (
        "substatement_with_id",
        BOTH,
        {"object": {**SUB, "id": str(uuid.uuid4())}, "context": DELETE},
        "object.id",
    ),
    (
        "substatement_with_stored",
        BOTH,
        {"object": {**SUB, "stored": "2026-01-01T00:00:00Z"}, "context": DELETE},
        "object.stored",
    ),
    (
        "substatement_with_version",
        BOTH,
        {"object": {**SUB, "version": "1.0.0"}, "context": DELETE},
        "object.version",
    ),
    (
        "substatement_with_authority",
        BOTH,
        {"object": {**SUB, "authority": {"mbox": MBOX}}, "context": DELETE},
        "object.authority",
    ),
    (
        "substatement_nested",
        BOTH,
        {"object": {**SUB, "object": SUB}, "context": DELETE},
        "object.object.objectType",
    ),
    (
        "substatement_bad_timestamp",
        BOTH,
        {"object": {**SUB, "timestamp": "-00:00"}, "context": DELETE},
        "object.timestamp",
    ),
    (
        "substatement_revision_not_activity",
        BOTH,
        {
            "object": {**SUB, "object": AGENT_OBJECT, "context": {"revision": "1"}},
            "context": DELETE,
        },
        "object.context.revision",
    ),
    # Result (Data 2.4.5)
    ("score_scaled_above_1", BOTH, {"result.score.scaled": 1.00001}, "result.score.scaled"),
    ("score_scaled_below_minus_1", BOTH, {"result.score.scaled": -1.00001}, "result.score.scaled"),
    ("score_scaled_string", BOTH, {"result.score.scaled": "0.5"}, "result.score.scaled"),
    ("score_raw_bool", BOTH, {"result.score.raw": True}, "result.score.raw"),
    ("score_raw_above_max", BOTH, {"result.score.raw": 11}, "result.score.raw"),
    ("score_raw_below_min", BOTH, {"result.score.raw": -1}, "result.score.raw"),
    (
        "score_min_not_below_max",
        BOTH,
        {"result.score.min": 10, "result.score.raw": 10},
        "result.score.min",
    ),
    ("score_string", BOTH, {"result.score": "5"}, "result.score"),
    ("success_string", BOTH, {"result.success": "true"}, "result.success"),
    ("completion_number", BOTH, {"result.completion": 1}, "result.completion"),
    ("response_number", BOTH, {"result.response": 5}, "result.response"),
    ("duration_invalid", BOTH, {"result.duration": "PA1H0M0S"}, "result.duration"),
    ("duration_weeks_and_days", BOTH, {"result.duration": "P4W1D"}, "result.duration"),
    ("duration_empty", BOTH, {"result.duration": "PT"}, "result.duration"),
    (
        "duration_alternative_format",
        BOTH,
        {"result.duration": "P0001-02-03T04:05:06"},
        "result.duration",
    ),
    ("duration_number", BOTH, {"result.duration": 12345}, "result.duration"),
    ("result_extensions_string", BOTH, {"result.extensions": "x"}, "result.extensions"),
    # Context (Data 2.4.6)
    ("registration_not_uuid", BOTH, {"context.registration": "wrong"}, "context.registration"),
    (
        "context_activities_key",
        BOTH,
        {"context.contextActivities.Parent": []},
        "context.contextActivities.Parent",
    ),
    (
        "context_activity_bad_id",
        BOTH,
        {"context.contextActivities.parent[0].id": "quiz"},
        "context.contextActivities.parent[0].id",
    ),
    (
        "context_activities_string",
        BOTH,
        {"context.contextActivities.other": "http://example.org/x"},
        "context.contextActivities.other",
    ),
    ("revision_number", BOTH, {"context.revision": 1}, "context.revision"),
    ("platform_object", BOTH, {"context.platform": {}}, "context.platform"),
    (
        "revision_with_agent_object",
        BOTH,
        {"object": AGENT_OBJECT, "context.platform": DELETE},
        "context.revision",
    ),
    (
        "platform_with_statement_ref",
        BOTH,
        {
            "object": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
            "context.revision": DELETE,
        },
        "context.platform",
    ),
    ("language_invalid", BOTH, {"context.language": "a12345678"}, "context.language"),
    ("context_statement_bad_id", BOTH, {"context.statement.id": "x"}, "context.statement.id"),
    (
        "context_statement_type_case",
        BOTH,
        {"context.statement.objectType": "statementref"},
        "context.statement.objectType",
    ),
    (
        "context_agents_in_1_0",
        (V1,),
        {"context.contextAgents": [CTX_AGENT]},
        "context.contextAgents",
    ),
    (
        "context_groups_in_1_0",
        (V1,),
        {"context.contextGroups": [CTX_GROUP]},
        "context.contextGroups",
    ),
    (
        "context_agent_object_type",
        (V2,),
        {"context.contextAgents": [{**CTX_AGENT, "objectType": "Should fail"}]},
        "context.contextAgents[0].objectType",
    ),
    (
        "context_agent_invalid_agent",
        (V2,),
        {"context.contextAgents": [{**CTX_AGENT, "agent": {"key": "x"}}]},
        "context.contextAgents[0].agent.key",
    ),
    (
        "context_agent_relevant_types_empty",
        (V2,),
        {"context.contextAgents": [{**CTX_AGENT, "relevantTypes": []}]},
        "context.contextAgents[0].relevantTypes",
    ),
    (
        "context_agent_relevant_type_not_iri",
        (V2,),
        {"context.contextAgents": [{**CTX_AGENT, "relevantTypes": ["abc"]}]},
        "context.contextAgents[0].relevantTypes[0]",
    ),
    (
        "context_group_is_agent",
        (V2,),
        {"context.contextGroups": [{**CTX_GROUP, "group": {"mbox": MBOX}}]},
        "context.contextGroups[0].group.objectType",
    ),
    (
        "context_groups_in_1_0_substatement",
        (V1,),
        {"object": {**SUB, "context": {"contextGroups": [CTX_GROUP]}}, "context": DELETE},
        "object.context.contextGroups",
    ),
    (
        "context_extension_key",
        BOTH,
        {"context.extensions": {"example.com/x": 1}},
        "context.extensions.example.com/x",
    ),
    # Attachments (Data 2.4.11, 2.6)
    (
        "attachment_usage_no_scheme",
        BOTH,
        {"attachments": [{**ATTACHMENT, "usageType": "example.org/u"}]},
        "attachments[0].usageType",
    ),
    (
        "attachment_file_url_no_scheme",
        BOTH,
        {"attachments": [{**ATTACHMENT, "fileUrl": "over.there/f"}]},
        "attachments[0].fileUrl",
    ),
    (
        "attachment_length_string",
        BOTH,
        {"attachments": [{**ATTACHMENT, "length": "27"}]},
        "attachments[0].length",
    ),
    (
        "attachment_length_fraction",
        BOTH,
        {"attachments": [{**ATTACHMENT, "length": 2.5}]},
        "attachments[0].length",
    ),
    (
        "attachment_no_display",
        BOTH,
        {"attachments": [without(ATTACHMENT, "display")]},
        "attachments[0].display",
    ),
    (
        "attachment_no_sha2",
        BOTH,
        {"attachments": [without(ATTACHMENT, "sha2")]},
        "attachments[0].sha2",
    ),
    (
        "attachment_bad_description",
        BOTH,
        {"attachments": [{**ATTACHMENT, "description": {"a12345678": "x"}}]},
        "attachments[0].description.a12345678",
    ),
    (
        "signature_not_octet_stream",
        BOTH,
        {
            "attachments": [
                {**ATTACHMENT, "usageType": "http://adlnet.gov/expapi/attachments/signature"}
            ]
        },
        "attachments[0].contentType",
    ),
]

VALID: list[tuple[str, tuple[str, ...], dict[str, Any]]] = [
    ("base", BOTH, {}),
    (
        "minimal",
        BOTH,
        {"result": DELETE, "context": DELETE, "object": {"id": "http://example.org/a"}},
    ),
    ("no_id", BOTH, {"id": DELETE}),
    ("uppercase_uuid", BOTH, {"id": str(uuid.uuid4()).upper()}),
    ("version_1_0", BOTH, {"version": "1.0"}),
    ("version_1_0_9", BOTH, {"version": "1.0.9"}),
    ("version_2_0_0", (V2,), {"version": "2.0.0"}),
    ("timestamp_offset", BOTH, {"timestamp": "2008-09-15T15:53:00.601+00:00"}),
    ("timestamp_negative_offset", BOTH, {"timestamp": "2008-09-15T10:53:00-05:00"}),
    ("timestamp_nanoseconds", BOTH, {"timestamp": "2008-09-15T15:53:00.123456789Z"}),
    ("timestamp_no_zone_1_0", (V1,), {"timestamp": "2008-09-15T15:53:00.601"}),
    ("timestamp_future", BOTH, {"timestamp": "2999-01-01T00:00:00Z"}),
    ("stored_and_authority", BOTH, {"stored": "2026-01-01T00:00:00Z", "authority": {"mbox": MBOX}}),
    ("authority_oauth_group", BOTH, {"authority": OAUTH_AUTHORITY}),
    ("actor_sha1", BOTH, {"actor": {"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"}}),
    ("actor_openid", BOTH, {"actor": {"openid": "http://openid.example.org/12345"}}),
    (
        "actor_account",
        BOTH,
        {"actor": {"account": {"homePage": "http://example.org", "name": "ada"}}},
    ),
    ("actor_anonymous_group", BOTH, {"actor": {"objectType": "Group", "member": [{"mbox": MBOX}]}}),
    (
        "actor_identified_group",
        BOTH,
        {"actor": {"objectType": "Group", "openid": "http://example.org/g"}},
    ),
    ("unicode", BOTH, {"verb.display": {"ja-JP": "答えた", "zh-Hans-CN": "回答了"}}),
    (
        "language_tags",
        BOTH,
        {
            "object.definition.name": {
                "sr-Latn-RS": "a",
                "es-419": "b",
                "ase": "c",
                "cmn": "d",
                "de-CH-1996": "e",
                "x-private": "f",
                "i-klingon": "g",
            }
        },
    ),
    ("language_cmn", BOTH, {"context.language": "cmn"}),
    ("empty_extensions", BOTH, {"result.extensions": {}}),
    (
        "null_extension_values",
        BOTH,
        {"context.extensions": {"http://example.org/a": None, "http://example.org/b": ""}},
    ),
    ("score_bounds", BOTH, {"result.score": {"scaled": -1.0, "raw": 0, "min": 0, "max": 0.5}}),
    ("score_scaled_one", BOTH, {"result.score": {"scaled": 1}}),
    ("duration_seconds", BOTH, {"result.duration": "PT16559.14S"}),
    ("duration_full", BOTH, {"result.duration": "P3Y1M29DT4H35M59.14S"}),
    ("duration_years", BOTH, {"result.duration": "P3Y"}),
    ("duration_weeks", BOTH, {"result.duration": "P4W"}),
    ("duration_fine_precision", BOTH, {"result.duration": "PT0.0001S"}),
    (
        "object_agent",
        BOTH,
        {"object": AGENT_OBJECT, "context.revision": DELETE, "context.platform": DELETE},
    ),
    (
        "object_group",
        BOTH,
        {"object": {"objectType": "Group", "member": [{"mbox": MBOX}]}, "context": DELETE},
    ),
    (
        "object_statement_ref",
        BOTH,
        {"object": {"objectType": "StatementRef", "id": str(uuid.uuid4())}, "context": DELETE},
    ),
    (
        "object_substatement",
        BOTH,
        {"object": {**SUB, "timestamp": "2999-01-01T00:00:00Z"}, "context": DELETE},
    ),
    (
        "voiding_missing_target",
        BOTH,
        {
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
            "object": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
            "result": DELETE,
            "context": DELETE,
        },
    ),
    (
        "context_activities_single",
        BOTH,
        {"context.contextActivities": {"category": {"id": "http://example.org/c"}}},
    ),
    ("context_activities_empty", BOTH, {"context.contextActivities": {}}),
    (
        "context_agents",
        (V2,),
        {"context.contextAgents": [CTX_AGENT], "context.contextGroups": [CTX_GROUP]},
    ),
    (
        "context_agent_no_relevant_types",
        (V2,),
        {"context.contextAgents": [without(CTX_AGENT, "relevantTypes")]},
    ),
    (
        "substatement_context_agents",
        (V2,),
        {"object": {**SUB, "context": {"contextAgents": [CTX_AGENT]}}, "context": DELETE},
    ),
    ("attachment_file_url", BOTH, {"attachments": [ATTACHMENT]}),
    ("attachments_empty", BOTH, {"attachments": []}),
    (
        "interaction_likert",
        BOTH,
        {
            "object.definition": {
                "interactionType": "likert",
                "scale": [{"id": "1"}, {"id": "2"}],
                "correctResponsesPattern": ["1"],
            }
        },
    ),
    (
        "interaction_matching",
        BOTH,
        {
            "object.definition": {
                "interactionType": "matching",
                "source": [{"id": "a"}],
                "target": [{"id": "b"}],
                "correctResponsesPattern": ["a[.]b"],
            }
        },
    ),
    (
        "interaction_performance",
        BOTH,
        {"object.definition": {"interactionType": "performance", "steps": [{"id": "s"}]}},
    ),
    (
        "interaction_true_false",
        BOTH,
        {
            "object.definition": {
                "interactionType": "true-false",
                "correctResponsesPattern": ["true"],
            }
        },
    ),
    (
        "interaction_long_pattern",
        BOTH,
        {"object.definition.correctResponsesPattern": ["x" * 5000] * 50},
    ),
]


def _rows(table: list[Any]) -> list[Any]:
    return [
        pytest.param(version, *row[2:], id=f"{row[0]}-{version}")
        for row in table
        for version in row[1]
    ]


def error_paths(response: Any) -> list[str]:
    return [error["path"] for error in response.json.get("errors", [])]


@pytest.mark.parametrize(("version", "changes", "path"), _rows(INVALID))
def test_lrs_statement_invalid_rejected(xapi, version, changes, path):
    xapi.version = version
    response = xapi.post("statements", apply(base(), changes))
    assert response.status_code == 400, response.json
    assert path in error_paths(response)


@pytest.mark.parametrize(("version", "changes"), _rows(VALID))
def test_lrs_statement_valid_accepted(xapi, version, changes):
    xapi.version = version
    statement = apply(base(), changes)
    response = xapi.post("statements", statement)
    assert response.status_code == 200, response.json
    if "id" in statement:
        assert response.json == [statement["id"]]


@pytest.mark.parametrize("version", BOTH)
def test_lrs_statement_put_invalid_rejected(xapi, version):
    xapi.version = version
    statement = apply(base(), {"result.success": "true"})
    response = xapi.put("statements", statement, query={"statementId": statement["id"]})
    assert response.status_code == 400
    assert [path.rpartition("]")[2].lstrip(".") for path in error_paths(response)] == [
        "result.success"
    ]


# -- Batches (Communication 2.1.2) -----------------------------------------------------


@pytest.mark.parametrize("version", BOTH)
def test_lrs_statement_batch_error_path_has_index(xapi, version):
    xapi.version = version
    batch = [base(), apply(base(), {"actor.mbox": "ada@example.org"})]
    response = xapi.post("statements", batch)
    assert response.status_code == 400
    assert error_paths(response) == ["[1].actor.mbox"]
    # Nothing of a rejected batch is stored (Communication 3.2).
    got = xapi.get("statements", query={"statementId": batch[0]["id"]})
    assert got.status_code == 404


@pytest.mark.parametrize("version", BOTH)
def test_lrs_statement_batch_duplicate_ids_rejected(xapi, version):
    xapi.version = version
    first = base()
    second = apply(base(), {"id": first["id"].upper()})
    response = xapi.post("statements", [first, second])
    assert response.status_code == 400
    assert error_paths(response) == ["[1].id"]


@pytest.mark.parametrize(
    ("body", "path"),
    [(["not a statement"], "[0]"), ("a string", "$"), (42, "$")],
    ids=["item_not_object", "string", "number"],
)
def test_lrs_statement_batch_bad_shape_rejected(xapi, body, path):
    response = xapi.post("statements", body)
    assert response.status_code == 400
    assert path in error_paths(response)


def test_lrs_statement_batch_ids_in_order(xapi):
    batch = [base(), base(), apply(base(), {"id": DELETE})]
    response = xapi.post("statements", batch)
    assert response.status_code == 200
    assert response.json[:2] == [batch[0]["id"], batch[1]["id"]]
    assert len(response.json) == 3


# -- Stored as received ----------------------------------------------------------------


def test_lrs_statement_stored_unchanged(xapi):
    statement = apply(
        base(),
        {"result.score": {"scaled": 0.12123434, "raw": 12.125, "min": 0.12123434, "max": 45.45}},
    )
    assert xapi.post("statements", statement).status_code == 200
    got = xapi.get("statements", query={"statementId": statement["id"]}).json
    assert got["result"] == statement["result"]
    assert got["object"] == statement["object"]
    assert got["verb"] == statement["verb"]


# -- Query parameters validated like statement values (Data 2.2) ----------------------


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ({"agent": "wrong"}, "query:agent"),
        ({"agent": '{"mbox": "ada@example.org"}'}, "query:agent"),
        (
            {"agent": '{"objectType": "Group", "member": [{"mbox": "mailto:a@b.org"}]}'},
            "query:agent",
        ),
        ({"verb": "not.a.valid.iri.com/verb"}, "query:verb"),
        ({"activity": "not.a.valid.iri.com/activity"}, "query:activity"),
        ({"registration": "wrong"}, "query:registration"),
        ({"since": "2008-09-15T15:53:00.601-00:00"}, "query:since"),
        ({"until": "yesterday"}, "query:until"),
        ({"statementId": "wrong"}, "query:statementId"),
    ],
    ids=[
        "agent_not_json",
        "agent_bad_mbox",
        "agent_anonymous_group",
        "verb",
        "activity",
        "registration",
        "since",
        "until",
        "statement_id",
    ],
)
def test_lrs_statement_query_param_invalid_rejected(xapi, query, path):
    response = xapi.get("statements", query=query)
    assert response.status_code == 400
    assert path in error_paths(response)


def test_lrs_statement_query_identified_group_accepted(xapi):
    response = xapi.get(
        "statements", query={"agent": '{"objectType": "Group", "mbox": "mailto:g@example.org"}'}
    )
    assert response.status_code == 200


# -- Helpers used by other modules -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2008-09-15T15:53:00.601Z", datetime(2008, 9, 15, 15, 53, 0, 601000, UTC)),
        ("2008-09-15T17:53:00.601+02:00", datetime(2008, 9, 15, 15, 53, 0, 601000, UTC)),
        ("2008-09-15T10:53:00-0500", datetime(2008, 9, 15, 15, 53, tzinfo=UTC)),
        ("2008-09-15T15:53:00", datetime(2008, 9, 15, 15, 53, tzinfo=UTC)),
    ],
    ids=["zulu", "offset", "basic_offset", "no_zone"],
)
def test_lrs_parse_timestamp_returns_utc(value, expected):
    parsed = schemas.parse_timestamp(value, "query:since")
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_lrs_parse_timestamp_strict_needs_zone():
    with pytest.raises(BadRequest) as caught:
        schemas.parse_timestamp("2008-09-15T15:53:00", "timestamp", strict=True)
    assert caught.value.errors == [
        {"path": "timestamp", "message": caught.value.errors[0]["message"]}
    ]


@pytest.mark.parametrize(
    ("tag", "valid"),
    [
        ("en", True),
        ("en-US", True),
        ("zh-Hant-TW", True),
        ("es-419", True),
        ("sgn-BE-FR", True),
        ("de-CH-x-phonebk", True),
        ("en-a-bbb-x-a-ccc", True),
        ("", False),
        ("a12345", False),
        ("en_US", False),
        ("en-", False),
        ("toolongtag", False),
        ("en-US-", False),
        (1, False),
    ],
)
def test_lrs_language_tag_validity(tag, valid):
    assert schemas.is_valid_language_tag(tag) is valid


def test_lrs_statement_batch_empty_accepted(xapi):
    # "An array of Statements" (Communication 2.1.2) includes the empty one: nothing to store.
    response = xapi.post("statements", [])
    assert response.status_code == 200
    assert response.json == []
