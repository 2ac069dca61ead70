"""The validation fast path never accepts what the marshmallow schemas reject.

``lrs.fastcheck.statement_ok`` may answer False for a valid statement (marshmallow then
decides), but True must always mean "marshmallow accepts".  Checked here on the tables of
test_statement_validation.py, on statements shaped like the ADL conformance suite's
templates (built in code, with seeded random mutations), and on the benchmark's typical
statements, which must all take the fast path.  A pinned description of every schema
makes any schema change fail here until lrs/fastcheck.py has been reviewed with it.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import inspect
import json
import random
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, ValidationError
from marshmallow import fields as mm_fields
from marshmallow.decorators import VALIDATES_SCHEMA

from core.errors import BadRequest
from core.schemas import flatten_errors
from lrs import fastcheck, schemas
from lrs.schemas import objects
from lrs.schemas.fields import OneOf
from lrs.schemas.rules import _COMPONENTS_FOR, INTERACTION_TYPES
from tests.lrs.test_statement_validation import INVALID, VALID, apply, base

V1, V2 = "1.0.3", "2.0.0"
BOTH = (V1, V2)


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Override conftest's: these tests call pure functions, with no app and no rows."""


def accepted(statement: Any, version: str) -> bool:
    """The marshmallow verdict, without the fast path."""
    if not isinstance(statement, dict):
        return False
    try:
        objects._STATEMENT[version].load(statement)
    except ValidationError:
        return False
    return True


def fast_is_safe(statement: Any, version: str) -> bool:
    """``fast True => marshmallow accepts``."""
    return not fastcheck.statement_ok(statement, version) or accepted(statement, version)


# -- The tables of test_statement_validation.py ----------------------------------------


def _table(rows: list[Any]) -> list[Any]:
    return [
        pytest.param(version, row[2], id=f"{row[0]}-{version}")
        for row in rows
        for version in row[1]
    ]


@pytest.mark.parametrize(("version", "changes"), _table(INVALID))
def test_fastcheck_invalid_table_not_fast(version, changes):
    statement = apply(base(), changes)
    assert not accepted(statement, version)
    assert not fastcheck.statement_ok(statement, version)


@pytest.mark.parametrize(("version", "changes"), _table(VALID))
def test_fastcheck_valid_table_fast(version, changes):
    statement = apply(base(), changes)
    assert accepted(statement, version)
    assert fastcheck.statement_ok(statement, version)


@pytest.mark.parametrize(
    "value",
    [None, [], "statement", 42, [base()], {}, {"actor": None}],
    ids=["null", "list", "string", "number", "batch", "empty", "null_actor"],
)
def test_fastcheck_not_a_statement_not_fast(value):
    assert not fastcheck.statement_ok(value, V2)


def test_fastcheck_unknown_version_not_fast():
    assert not fastcheck.statement_ok(base(), "1.0.2")


# -- Statements shaped like the conformance suite's templates --------------------------

TAGS = ["en", "en-US", "en-GB", "sv-SE", "zh-Hant-TW", "es-419", "tlh", "de-CH-1996", "x-pig"]
DURATIONS = ["PT1H0M0S", "PT16559.14S", "P3Y1M29DT4H35M59.14S", "P4W", "PT0.5S", "P1D"]
TIMESTAMPS = {
    V1: ["2013-05-18T05:32:34.804Z", "2013-05-18T05:32:34+00:00", "2013-05-18T05:32:34.804"],
    V2: ["2013-05-18T05:32:34.804Z", "2013-05-18T07:32:34.804+02:00", "2099-01-01T00:00:00Z"],
}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


class Maker:
    """Valid statements of every shape the suite's templates use, from one seeded RNG."""

    def __init__(self, seed: int, version: str) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data
        self.version = version
        self.serial = 0

    def chance(self, p: float = 0.5) -> bool:
        return self.rng.random() < p

    def iri(self, kind: str = "x") -> str:
        self.serial += 1
        host = self.rng.choice(["http://www.example.com", "https://example.org", "urn:example"])
        return f"{host}/{kind}/{self.serial}"

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def language_map(self) -> dict[str, str]:
        return {tag: f"text {tag}" for tag in self.rng.sample(TAGS, self.rng.randint(1, 3))}

    def agent(self, tagged: bool | None = None) -> dict[str, Any]:
        self.serial += 1
        ifi: dict[str, Any] = self.rng.choice(
            [
                {"mbox": f"mailto:user{self.serial}@example.com"},
                {"mbox_sha1sum": hashlib.sha1(str(self.serial).encode()).hexdigest()},  # noqa: S324
                {"openid": self.iri("openid")},
                {"account": {"homePage": "http://www.example.com", "name": f"u{self.serial}"}},
            ]
        )
        agent = {"objectType": "Agent"} if (self.chance() if tagged is None else tagged) else {}
        if self.chance():
            agent["name"] = f"Agent {self.serial}"
        return {**agent, **ifi}

    def group(self, anonymous: bool | None = None) -> dict[str, Any]:
        anonymous = self.chance() if anonymous is None else anonymous
        group: dict[str, Any] = {"objectType": "Group"}
        if self.chance():
            group["name"] = "Group"
        if not anonymous:
            group.update({k: v for k, v in self.agent(False).items() if k != "name"})
        if anonymous or self.chance():
            group["member"] = [self.agent() for _ in range(self.rng.randint(1, 3))]
        return group

    def actor(self) -> dict[str, Any]:
        return self.group() if self.chance(0.25) else self.agent()

    def verb(self) -> dict[str, Any]:
        verb: dict[str, Any] = {"id": self.iri("verbs")}
        if self.chance(0.8):
            verb["display"] = self.language_map()
        return verb

    def components(self, count: int) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for index in range(count):
            item: dict[str, Any] = {"id": f"c{index}"}
            if self.chance():
                item["description"] = self.language_map()
            items.append(item)
        return items

    def definition(self) -> dict[str, Any]:
        definition: dict[str, Any] = {}
        if self.chance():
            definition["name"] = self.language_map()
        if self.chance():
            definition["description"] = self.language_map()
        if self.chance():
            definition["type"] = "http://adlnet.gov/expapi/activities/cmi.interaction"
        if self.chance(0.3):
            definition["moreInfo"] = self.iri("info")
        if self.chance(0.6):
            kind = self.rng.choice(INTERACTION_TYPES)
            definition["interactionType"] = kind
            if self.chance(0.8):
                definition["correctResponsesPattern"] = ["c0[,]c1"]
            for key in sorted(_COMPONENTS_FOR.get(kind, ())):
                definition[key] = self.components(self.rng.randint(1, 4))
        if self.chance():
            definition["extensions"] = self.extensions()
        return definition

    def activity(self) -> dict[str, Any]:
        activity: dict[str, Any] = {"objectType": "Activity"} if self.chance() else {}
        activity["id"] = self.iri("activities")
        if self.chance(0.7):
            activity["definition"] = self.definition()
        return activity

    def statement_ref(self) -> dict[str, Any]:
        return {"objectType": "StatementRef", "id": self.uuid()}

    def extensions(self) -> dict[str, Any]:
        values = [1, "600mph", None, {"name": "Thomas", "id": "http://openid.com/342"}, [1, 2]]
        return {self.iri("ext"): self.rng.choice(values) for _ in range(self.rng.randint(0, 2))}

    def result(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if self.chance(0.7):
            low = self.rng.choice([0, -5, 0.5])
            high = low + self.rng.choice([1, 10, 100.5])
            score: dict[str, Any] = {
                "scaled": self.rng.choice([-1, 0, 0.95, 1]),
                "raw": self.rng.choice([low, high]),
                "min": low,
                "max": high,
            }
            result["score"] = {k: v for k, v in score.items() if self.chance(0.8)}
        for key in ("success", "completion"):
            if self.chance():
                result[key] = self.chance()
        if self.chance():
            result["response"] = "We agreed on some example actions."
        if self.chance():
            result["duration"] = self.rng.choice(DURATIONS)
        if self.chance(0.3):
            result["extensions"] = self.extensions()
        return result

    def context(self, object_is_activity: bool) -> dict[str, Any]:
        context: dict[str, Any] = {}
        if self.chance():
            context["registration"] = self.uuid()
        if self.chance(0.3):
            context["instructor"] = self.actor()
        if self.chance(0.3):
            context["team"] = self.group()
        if self.chance():
            context["contextActivities"] = {
                key: self.activity() if self.chance(0.3) else [self.activity()]
                for key in ("parent", "grouping", "category", "other")
                if self.chance()
            }
        if object_is_activity:
            for key in ("revision", "platform"):
                if self.chance():
                    context[key] = f"{key} 1"
        if self.chance():
            context["language"] = self.rng.choice(TAGS)
        if self.chance(0.3):
            context["statement"] = self.statement_ref()
        if self.chance(0.3):
            context["extensions"] = self.extensions()
        if self.version == V2 and self.chance(0.3):
            context["contextAgents"] = [
                {"objectType": "contextAgent", "agent": self.agent(), "relevantTypes": [self.iri()]}
            ]
        if self.version == V2 and self.chance(0.3):
            context["contextGroups"] = [{"objectType": "contextGroup", "group": self.group()}]
        return context

    def attachment(self) -> dict[str, Any]:
        signature = self.chance(0.2)
        attachment: dict[str, Any] = {
            "usageType": (
                "http://adlnet.gov/expapi/attachments/signature" if signature else self.iri("usage")
            ),
            "display": self.language_map(),
            "contentType": "application/octet-stream" if signature else "text/plain; charset=ascii",
            "length": self.rng.randint(0, 5000),
            "sha2": hashlib.sha256(str(self.serial).encode()).hexdigest(),
        }
        if self.chance():
            attachment["description"] = self.language_map()
        if self.chance(0.3):
            attachment["fileUrl"] = self.iri("files")
        return attachment

    def body(self, object_choices: list[Callable[[], dict[str, Any]]]) -> dict[str, Any]:
        """Properties shared by Statements and SubStatements."""
        target = self.rng.choice(object_choices)()
        statement: dict[str, Any] = {"actor": self.actor(), "verb": self.verb(), "object": target}
        if self.chance():
            statement["result"] = self.result()
        if self.chance(0.6):
            statement["context"] = self.context(target.get("objectType", "Activity") == "Activity")
        if self.chance():
            statement["timestamp"] = self.rng.choice(TIMESTAMPS[self.version])
        if self.chance(0.3):
            statement["attachments"] = [self.attachment() for _ in range(self.rng.randint(0, 2))]
        return statement

    def substatement(self) -> dict[str, Any]:
        choices = [self.activity, lambda: self.agent(True), self.group, self.statement_ref]
        return {"objectType": "SubStatement", **self.body(choices)}

    def statement(self) -> dict[str, Any]:
        choices = [self.activity] * 4 + [
            lambda: self.agent(True),
            lambda: self.group(),
            self.statement_ref,
            self.substatement,
        ]
        statement = self.body(choices)
        if self.chance(0.1):
            statement["verb"] = {"id": VOIDED, "display": {"en-US": "voided"}}
            statement["object"] = self.statement_ref()
            statement.get("context", {}).pop("revision", None)
            statement.get("context", {}).pop("platform", None)
        if self.chance(0.7):
            statement["id"] = self.uuid()
        if self.chance(0.2):
            statement["stored"] = self.rng.choice(TIMESTAMPS[self.version])
        if self.chance(0.2):
            statement["authority"] = self.rng.choice(
                [
                    self.agent(),
                    {
                        "objectType": "Group",
                        "member": [
                            {
                                "account": {
                                    "homePage": "http://example.com/xAPI/OAuth/Token",
                                    "name": "oauth_consumer_x75db",
                                }
                            },
                            self.agent(),
                        ],
                    },
                ]
            )
        if self.chance(0.2):
            statement["version"] = self.rng.choice(
                ["1.0", "1.0.0", "1.0.3"] + (["2.0.0"] if self.version == V2 else [])
            )
        return statement


@pytest.mark.parametrize("version", BOTH)
def test_fastcheck_generated_statements_fast(version):
    maker = Maker(1, version)
    for _ in range(300):
        statement = maker.statement()
        assert accepted(statement, version), json.dumps(statement)
        assert fastcheck.statement_ok(statement, version), json.dumps(statement)


# -- Random mutations ------------------------------------------------------------------

BAD_VALUES: list[Any] = [
    None,
    0,
    -1,
    1.5,
    1e300 * 10,  # inf: JSON cannot say it, the Python API can
    float("nan"),
    True,
    False,
    "",
    " ",
    "x",
    "1",
    "true",
    "not an iri",
    "example.com/no/scheme",
    "http://example.com/with space",
    "mailto:nobody",
    "mailto:a@example.com",
    "ab=c://x.com",
    "MA97B177-9383-4934-8543-0F91A7A02836",
    "AA97B177-9383-4934-8543-0F91A7A028368",
    "c5bb6ee5-c84c-41c2-8d3c-6d5e6e0d4e1c",
    "2008-09-15T15:53:00.601-00:00",
    "2008-09-15T15:53:00",
    "2026-02-30T10:00:00Z",
    "2008-09-15T15:53:00.601+24:00",
    "PT",
    "P4W1D",
    "P1.5DT1H",
    "PA1H0M0S",
    "a12345678",
    "en_US",
    "application/octet-stream",
    "text",
    "zz" * 20,
    "cd9b00a5611f94eaa7b1661edab976068e364975",
    "0.9.9",
    "1.0.9",
    "2.0.1",
    "Agent",
    "Group",
    "Activity",
    "StatementRef",
    "SubStatement",
    "contextAgent",
    "contextGroup",
    "agent",
    "choice",
    "likert",
    "Choice",
    [],
    [None],
    [1],
    ["x"],
    [{}],
    {},
    {"en-US": 1},
    {"a12345678": "x"},
    {"en-US": "x"},
    {"not.an.iri/x": 1},
    {"id": "http://example.com/a"},
    {"mbox": "mailto:a@example.com"},
    {"objectType": "Group", "member": []},
    10**30,
    -(10**30),
    2.0,
    27.0,
    -0.5,
    1.00001,
    -1.00001,
]
EXTRA_KEYS = [
    "foo",
    "id",
    "objectType",
    "name",
    "member",
    "mbox",
    "openid",
    "account",
    "definition",
    "display",
    "revision",
    "platform",
    "contextAgents",
    "contextGroups",
    "stored",
    "version",
    "authority",
    "relevantTypes",
    "interactionType",
    "choices",
    "scale",
    "correctResponsesPattern",
    "description",
    "length",
    "raw",
    "min",
    "max",
    "scaled",
]


def nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a dict value or list item, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from nodes(item, (*path, index))


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def mutate(statement: dict[str, Any], maker: Maker) -> str:
    """Change one thing somewhere in ``statement`` (in place); describe the change."""
    rng = maker.rng
    paths = list(nodes(statement))
    if rng.random() < 0.5:  # half the time a scalar, where the format rules are
        paths = [p for p in paths if not isinstance(_at(statement, p), (dict, list))] or paths
    path = rng.choice(paths)
    parent: Any = statement
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    value = parent[key]
    ops = ["value", "value", "value", "replace", "extra", "duplicate"]
    if isinstance(parent, dict):
        ops += ["delete", "rename"]
    if isinstance(value, str):
        ops += ["string"]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        ops += ["number"]
    if isinstance(parent, list):
        ops += ["delete"]
    op = rng.choice(ops)
    if op == "delete":
        del parent[key]
    elif op == "rename":
        new = rng.choice([key.upper(), key.capitalize(), f"{key}x", rng.choice(EXTRA_KEYS)])
        parent[new] = parent.pop(key)
    elif op == "value":
        parent[key] = copy.deepcopy(rng.choice(BAD_VALUES))
    elif op == "replace":
        parent[key] = rng.choice(
            [
                maker.agent,
                maker.group,
                maker.activity,
                maker.statement_ref,
                maker.substatement,
                maker.result,
                maker.attachment,
                lambda: maker.context(True),
                lambda: [maker.agent()],
                lambda: [maker.activity()],
            ]
        )()
    elif op == "extra":
        target = value if isinstance(value, dict) else parent
        if isinstance(target, dict):
            target[rng.choice(EXTRA_KEYS)] = copy.deepcopy(rng.choice(BAD_VALUES[:40]))
        else:
            target.append(copy.deepcopy(rng.choice(BAD_VALUES)))
    elif op == "duplicate":
        if isinstance(parent, list):
            parent.append(copy.deepcopy(value))
        elif isinstance(value, list) and value:
            value.append(copy.deepcopy(value[0]))
        else:
            parent[key] = [copy.deepcopy(value)]
    elif op == "string":
        parent[key] = rng.choice(
            [
                value.upper(),
                value.lower(),
                value + " ",
                value + "x",
                value[1:],
                value[:-1],
                value.partition(":")[2],
                "-" + value,
            ]
        )
    else:  # number
        parent[key] = rng.choice([value + 1, value - 1, -value, value * 1000, float(value), 0])
    return f"{op} at {'.'.join(map(str, path))}"


MUTANTS = 400  # per seed and version: 8 seeds x 2 versions x 400 = 6,400 mutants


@pytest.mark.parametrize("version", BOTH)
@pytest.mark.parametrize("seed", range(8))
def test_fastcheck_mutants_fast_only_if_valid(version, seed):
    maker = Maker(1000 + seed, version)
    counts = {"fast": 0, "valid": 0, "invalid": 0}
    for _ in range(MUTANTS):
        statement = maker.statement()
        changes = [mutate(statement, maker) for _ in range(maker.rng.choice([1, 1, 1, 2, 3]))]
        fast = fastcheck.statement_ok(statement, version)
        valid = accepted(statement, version)
        assert valid or not fast, f"{changes}: {json.dumps(statement)}"
        counts["fast"] += fast
        counts["valid" if valid else "invalid"] += 1
    # The mutations really break statements, and many still-valid ones stay on the fast path.
    assert counts["invalid"] > MUTANTS // 2, counts
    assert counts["fast"] > counts["valid"] * 0.9, counts


@pytest.mark.parametrize("version", BOTH)
def test_fastcheck_every_leaf_every_bad_value(version):
    # Each scalar of a few rich statements, replaced in turn by each of BAD_VALUES.
    maker = Maker(99, version)
    checked = 0
    for _ in range(3):
        statement = maker.statement()
        for path in list(nodes(statement)):
            parent = _at(statement, path[:-1])
            key = path[-1]
            original = parent[key]
            if isinstance(original, (dict, list)):
                continue
            for value in BAD_VALUES:
                parent[key] = value
                assert fast_is_safe(statement, version), f"{path}={value!r}: {statement}"
                checked += 1
            parent[key] = original
    assert checked > 2000, checked


def test_fastcheck_nested_substatement_cases():
    maker = Maker(7, V2)
    sub = maker.substatement()
    cases = [
        {"object": {**sub, "object": maker.substatement()}},  # nesting
        {"object": {**sub, "id": maker.uuid()}},
        {"object": {**sub, "stored": "2026-01-01T00:00:00Z"}},
        {"object": {**sub, "authority": maker.agent()}},
        {"object": {**sub, "version": "1.0.0"}},
        {"object": {k: v for k, v in sub.items() if k != "objectType"}},
        {"object": {**sub, "objectType": "substatement"}},
        {"object": {**sub, "verb": {"id": VOIDED}, "object": maker.activity()}},
        {"object": {**sub, "object": maker.agent(True), "context": {"platform": "p"}}},
    ]
    for changes in cases:
        for version in BOTH:
            statement = {"actor": maker.agent(), "verb": maker.verb(), **changes}
            assert not accepted(statement, version)
            assert not fastcheck.statement_ok(statement, version)


# -- The benchmark's typical statements all take the fast path --------------------------


def _bench_data() -> Any:
    path = Path(__file__).resolve().parents[2] / "bench" / "lrs_data.py"
    spec = importlib.util.spec_from_file_location("lrs_bench_data", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("version", BOTH)
def test_fastcheck_bench_statements_fast(version):
    data = _bench_data()
    factory = data.StatementFactory(data.Population(learners=300, courses=40), 0)
    for statement in factory.batch(300) + factory.batch(100, with_id=False):
        assert fastcheck.statement_ok(statement, version), json.dumps(statement)
        assert accepted(statement, version)


def test_fastcheck_valid_batch_skips_marshmallow(monkeypatch):
    def refuse(data: Any) -> None:
        raise AssertionError("marshmallow ran for a valid statement")

    batch = [base() for _ in range(20)]
    monkeypatch.setattr(objects._STATEMENT[V2], "load", refuse)
    assert schemas.validate_statements(batch, V2) == batch
    schemas.validate_statement(batch[0], V2)


def test_fastcheck_invalid_statement_keeps_marshmallow_errors():
    statement = apply(base(), {"result.success": "true", "actor.mbox": "ada@example.org"})
    with pytest.raises(BadRequest) as caught:
        schemas.validate_statements([base(), statement], V2)
    try:
        objects._STATEMENT[V2].load(statement)
    except ValidationError as exc:
        expected = flatten_errors(exc.messages, "[1]")
    assert caught.value.errors == expected


# -- The schemas the fast path mirrors -------------------------------------------------


def _statement_schema(version: str) -> Schema:
    return objects._STATEMENT[version]


def _substatement_schema(version: str) -> Schema:
    field = _statement_schema(version).fields["object"]
    assert isinstance(field, OneOf)
    return field.choices["SubStatement"]


def _context_schema(version: str) -> Schema:
    field = _statement_schema(version).fields["context"]
    assert isinstance(field, mm_fields.Nested)
    schema = field.schema
    assert isinstance(schema, Schema)
    return schema


fc = fastcheck
# (schema, the fast path's property checks, its required properties)
MIRRORS: dict[str, tuple[Schema, dict[str, Any], frozenset[str]]] = {
    "AccountSchema": (objects.AccountSchema(), fc._ACCOUNT, fc._ACCOUNT_REQUIRED),
    "AgentSchema": (objects.AgentSchema(), fc._AGENT, fc._NONE),
    "GroupSchema": (objects.GroupSchema(), fc._GROUP, fc._GROUP_REQUIRED),
    "AuthorityGroupSchema": (objects.AuthorityGroupSchema(), fc._GROUP, fc._GROUP_REQUIRED),
    "VerbSchema": (objects.VerbSchema(), fc._VERB, fc._VERB_REQUIRED),
    "InteractionComponentSchema": (
        objects.InteractionComponentSchema(),
        fc._COMPONENT,
        fc._COMPONENT_REQUIRED,
    ),
    "ActivityDefinitionSchema": (objects.ActivityDefinitionSchema(), fc._DEFINITION, fc._NONE),
    "ActivitySchema": (objects.ActivitySchema(), fc._ACTIVITY, fc._ACTIVITY_REQUIRED),
    "StatementRefSchema": (
        objects.StatementRefSchema(),
        fc._STATEMENT_REF,
        fc._STATEMENT_REF_REQUIRED,
    ),
    "ScoreSchema": (objects.ScoreSchema(), fc._SCORE, fc._NONE),
    "ResultSchema": (objects.ResultSchema(), fc._RESULT, fc._NONE),
    "ContextActivitiesSchema": (
        objects.ContextActivitiesSchema(),
        fc._CONTEXT_ACTIVITIES,
        fc._NONE,
    ),
    "ContextAgentSchema": (
        objects.ContextAgentSchema(),
        fc._CONTEXT_AGENT,
        fc._CONTEXT_AGENT_REQUIRED,
    ),
    "ContextGroupSchema": (
        objects.ContextGroupSchema(),
        fc._CONTEXT_GROUP,
        fc._CONTEXT_GROUP_REQUIRED,
    ),
    "ContextSchema": (_context_schema(V1), fc._CONTEXT_1, fc._NONE),
    "ContextSchema2": (_context_schema(V2), fc._CONTEXT_2, fc._NONE),
    "AttachmentSchema": (objects.AttachmentSchema(), fc._ATTACHMENT, fc._ATTACHMENT_REQUIRED),
    **{
        f"StatementSchema {version}": (
            _statement_schema(version),
            fc._STATEMENT[version],
            fc._STATEMENT_BASE_REQUIRED,
        )
        for version in BOTH
    },
    **{
        f"SubStatementSchema {version}": (
            _substatement_schema(version),
            fc._SUBSTATEMENT[version],
            fc._SUBSTATEMENT_REQUIRED,
        )
        for version in BOTH
    },
}


@pytest.mark.parametrize("name", MIRRORS)
def test_fastcheck_properties_match_schema(name):
    schema, checks, required = MIRRORS[name]
    assert set(checks) == set(schema.fields)
    assert required == {key for key, field in schema.fields.items() if field.required}


def _describe_field(field: mm_fields.Field) -> list[str]:
    kind = type(field)
    parts = [kind.__name__, f"required={field.required}", f"allow_none={field.allow_none}"]
    # Our strict fields (and their bases): their code is the rule.
    parts.extend(inspect.getsource(k) for k in kind.__mro__ if k.__module__.startswith("lrs."))
    for attr in ("what", "integer", "default", "allowed"):
        if hasattr(field, attr):
            parts.append(f"{attr}={getattr(field, attr)!r}")
    check = getattr(field, "check", None)
    if check is not None:
        parts.append(check.__qualname__)
        parts.extend(repr(cell.cell_contents) for cell in check.__closure__ or ())
    parts.extend(repr(validator) for validator in field.validators)
    if isinstance(field, mm_fields.Nested):
        parts.append(type(field.schema).__name__)
    if isinstance(field, OneOf):
        parts.extend(f"{tag}={type(schema).__name__}" for tag, schema in field.choices.items())
    if isinstance(field, mm_fields.List):
        parts.extend(_describe_field(field.inner))
    return parts


def describe(schema: Schema) -> str:
    """Every field's type, options and checks, and the source of every schema validator."""
    parts = [f"unknown={schema.unknown}"]
    for name, field in sorted(schema.fields.items()):
        parts.append(name)
        parts.extend(_describe_field(field))
    for attr_name, _many, _kwargs in schema._hooks[VALIDATES_SCHEMA]:
        parts.append(inspect.getsource(getattr(type(schema), attr_name)))
    if type(schema).__name__ in ("StatementSchema", "SubStatementSchema"):
        parts.append(inspect.getsource(objects._statement_rules))
    return "\n".join(parts)


# When a schema changes, this fails: change lrs/fastcheck.py the same way (a new rule, a
# new property), run this file, then paste the new fingerprint here.
FINGERPRINTS = {
    "AccountSchema": "c45ff2d5be588809",
    "AgentSchema": "3a92d1f6a53dc4fe",
    "GroupSchema": "f860f0f4492881d9",
    "AuthorityGroupSchema": "657f8f0c074dd7e8",
    "VerbSchema": "011830c65e51f3ad",
    "InteractionComponentSchema": "5f3043d198ec61bb",
    "ActivityDefinitionSchema": "3c01b09b37e0d64c",
    "ActivitySchema": "7121922d8e417e22",
    "StatementRefSchema": "8aa82172ee03db5b",
    "ScoreSchema": "9355637eaf455af0",
    "ResultSchema": "2a674b3f20b2c3a1",
    "ContextActivitiesSchema": "efbf129d9389510a",
    "ContextAgentSchema": "ee95359916a84b92",
    "ContextGroupSchema": "6dcd3b8725324f5f",
    "ContextSchema": "dd4b7dcc1d751c8f",
    "ContextSchema2": "7134775ec39c820a",
    "AttachmentSchema": "db3943404d13d300",
    "StatementSchema 1.0.3": "8214c9f4c9575404",
    "StatementSchema 2.0.0": "56d59290b9dcf116",
    "SubStatementSchema 1.0.3": "0b3c58ba362d9e03",
    "SubStatementSchema 2.0.0": "74daa2384bf28ab8",
}


@pytest.mark.parametrize("name", MIRRORS)
def test_fastcheck_schema_unchanged(name):
    fingerprint = hashlib.sha256(describe(MIRRORS[name][0]).encode()).hexdigest()[:16]
    assert fingerprint == FINGERPRINTS[name], (
        f"{name} changed: make lrs/fastcheck.py follow it, then pin {fingerprint!r}"
    )
