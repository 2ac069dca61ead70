"""Realistic, varied xAPI statements for the LRS benchmark (stdlib only).

The population is deterministic from a seed, so the filtered GET scenario can ask for
agents, activities and registrations that the preload really stored:

- ``learners`` employees (default 5,000), mostly ``mbox`` agents, every seventh one an
  ``account`` agent (single sign-on id), each enrolled in a few courses;
- ``courses`` courses (default 300) of 4-12 modules each, in a dozen programmes;
- one registration (UUID) per learner x enrolled course, like a real attempt;
- ADL verbs with a realistic mix (many progressed/experienced, fewer passed/failed);
- results with scaled/raw scores, success, completion and ISO 8601 durations;
- contexts with registration, contextActivities (parent course, grouping programme,
  category profile), platform, language, an extension, sometimes an instructor;
- timestamps spread over the last year.

A statement serialises to about 1.2 KB of JSON.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ADL = "http://adlnet.gov/expapi/verbs/"
# (verb, weight, English, Swedish)
VERBS: list[tuple[str, int, str, str]] = [
    (ADL + "launched", 8, "launched", "startade"),
    (ADL + "initialized", 10, "initialized", "initierade"),
    (ADL + "progressed", 18, "progressed", "gjorde framsteg i"),
    (ADL + "experienced", 16, "experienced", "upplevde"),
    (ADL + "answered", 14, "answered", "svarade"),
    (ADL + "attempted", 6, "attempted", "försökte"),
    (ADL + "completed", 8, "completed", "slutförde"),
    (ADL + "passed", 6, "passed", "klarade"),
    (ADL + "failed", 2, "failed", "underkändes i"),
    (ADL + "suspended", 4, "suspended", "pausade"),
    (ADL + "resumed", 3, "resumed", "återupptog"),
    (ADL + "terminated", 4, "terminated", "avslutade"),
    (ADL + "attended", 1, "attended", "deltog i"),
]
VERB_IDS = [v[0] for v in VERBS]
_VERB_WEIGHTS = [v[1] for v in VERBS]
_SCORED = {ADL + "passed", ADL + "failed", ADL + "completed", ADL + "answered", ADL + "attempted"}

_FIRST = [
    "Anna",
    "Eva",
    "Maria",
    "Karin",
    "Sara",
    "Lena",
    "Emma",
    "Kerstin",
    "Johanna",
    "Malin",
    "Erik",
    "Lars",
    "Karl",
    "Anders",
    "Johan",
    "Per",
    "Nils",
    "Mikael",
    "Jan",
    "Hans",
    "Fatima",
    "Ali",
    "Mohammed",
    "Amir",
    "Noor",
    "Sofia",
    "Elsa",
    "Oskar",
    "Hugo",
    "Liam",
]
_LAST = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Lindberg",
    "Lindqvist",
    "Berg",
    "Hassan",
    "Ahmed",
]
_UNITS = [
    "Socialförvaltningen",
    "Utbildningsförvaltningen",
    "Kommunstyrelseförvaltningen",
    "Miljöförvaltningen",
    "Tekniska_förvaltningen",
    "Kultur_och_fritid",
    "Vård_och_omsorg",
    "Stadsbyggnad",
    "Räddningstjänsten",
    "Bostadsbolaget",
    "Energibolaget",
    "Hamnbolaget",
]
_TOPICS = [
    "Brandskydd",
    "Informationssäkerhet",
    "Dataskydd_GDPR",
    "Arbetsmiljö",
    "Förvaltningsrätt",
    "Upphandling",
    "Hot_och_våld",
    "HLR",
    "Ledarskap",
    "Mångfald",
    "Lex_Sarah",
    "Dokumentation",
    "Diarieföring",
    "Motiverande_samtal",
    "Första_hjälpen",
    "Hygienrutiner",
    "Demensvård",
    "Tillgänglighet",
    "Klarspråk",
    "Mutor_och_jäv",
]
_PROGRAMMES = [f"https://kompetens.example.se/programmes/p{i:02d}" for i in range(12)]
_CATEGORIES = [
    "https://w3id.org/xapi/scorm",
    "https://w3id.org/xapi/cmi5/v1.0",
    "https://w3id.org/xapi/video",
]
_HOME = "https://sso.kommun.example.se"
_EXT_UNIT = "https://kompetens.example.se/xapi/extensions/org-unit"
_EXT_ATTEMPT = "https://kompetens.example.se/xapi/extensions/attempt"


@dataclass
class Population:
    """Learners, courses, modules and enrolments, all derived from ``seed``."""

    learners: int = 5000
    courses: int = 300
    seed: int = 20261126
    agents: list[dict[str, Any]] = field(default_factory=list)
    course_ids: list[str] = field(default_factory=list)
    course_names: list[str] = field(default_factory=list)
    modules: list[list[str]] = field(default_factory=list)
    enrolments: list[list[int]] = field(default_factory=list)
    units: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        for i in range(self.courses):
            self.course_ids.append(f"https://kompetens.example.se/courses/c{i:04d}")
            topic = _TOPICS[i % len(_TOPICS)].replace("_", " ")
            self.course_names.append(f"{topic} {1 + i // len(_TOPICS)}")
            self.modules.append(
                [f"{self.course_ids[i]}/modules/m{j:02d}" for j in range(rng.randint(4, 12))]
            )
        for i in range(self.learners):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            name = f"{first} {last}"
            if i % 7 == 3:
                agent = {
                    "objectType": "Agent",
                    "name": name,
                    "account": {"homePage": _HOME, "name": f"u{i:06d}"},
                }
            else:
                mail = f"{first}.{last}.{i}@kommun.example.se".lower()
                agent = {"objectType": "Agent", "name": name, "mbox": f"mailto:{mail}"}
            self.agents.append(agent)
            self.units.append(rng.choice(_UNITS).replace("_", " "))
            # Popular mandatory courses first: a skewed, realistic catalogue.
            count = rng.randint(3, 12)
            picks = {
                min(int(rng.expovariate(1 / (self.courses / 4))), self.courses - 1)
                for _ in range(count)
            }
            self.enrolments.append(sorted(picks))

    def registration(self, learner: int, course: int) -> str:
        """The registration of one learner's attempt at one course (stable UUID)."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.seed}/{learner}/{course}"))

    def agent_param(self, learner: int) -> str:
        """The learner as the ``agent`` query parameter (identifying properties only)."""
        agent = self.agents[learner]
        ident = {k: v for k, v in agent.items() if k in ("mbox", "account")}
        ident["objectType"] = "Agent"
        return json.dumps(ident, separators=(",", ":"))


class StatementFactory:
    """Generates statements for one client process; ``stream`` seeds differ per process."""

    def __init__(self, population: Population, stream: int) -> None:
        self.pop = population
        self.rng = random.Random(population.seed * 1000 + stream)
        # Ids from the system's entropy: runs against the same database never collide.
        self.id_rng = random.Random()
        self.now = datetime.now(UTC)

    def uuid4(self) -> str:
        """A random (version 4) UUID from this factory's generator."""
        return str(uuid.UUID(int=self.id_rng.getrandbits(128), version=4))

    def statement(self, with_id: bool = True) -> dict[str, Any]:
        """One statement, ~1.2 KB, varied in every field that an LRS indexes."""
        rng, pop = self.rng, self.pop
        learner = rng.randrange(pop.learners)
        course = rng.choice(pop.enrolments[learner])
        module = rng.choice(pop.modules[course])
        verb = rng.choices(VERBS, weights=_VERB_WEIGHTS)[0]
        when = self.now - timedelta(
            seconds=rng.randrange(365 * 86400), milliseconds=rng.randrange(1000)
        )
        module_no = module.rsplit("m", 1)[1]
        stmt: dict[str, Any] = {
            "actor": pop.agents[learner],
            "verb": {"id": verb[0], "display": {"en-US": verb[2], "sv-SE": verb[3]}},
            "object": {
                "objectType": "Activity",
                "id": module,
                "definition": {
                    "name": {
                        "sv-SE": f"{pop.course_names[course]}, modul {module_no}",
                        "en-US": f"{pop.course_names[course]}, module {module_no}",
                    },
                    "type": "http://adlnet.gov/expapi/activities/module",
                },
            },
            "context": {
                "registration": pop.registration(learner, course),
                "contextActivities": {
                    "parent": [
                        {
                            "objectType": "Activity",
                            "id": pop.course_ids[course],
                            "definition": {
                                "type": "http://adlnet.gov/expapi/activities/course",
                                "name": {"sv-SE": pop.course_names[course]},
                            },
                        }
                    ],
                    "grouping": [
                        {"objectType": "Activity", "id": _PROGRAMMES[course % len(_PROGRAMMES)]}
                    ],
                    "category": [
                        {"objectType": "Activity", "id": _CATEGORIES[course % len(_CATEGORIES)]}
                    ],
                },
                "platform": "Kompetens",
                "language": "sv-SE",
                "extensions": {_EXT_UNIT: pop.units[learner], _EXT_ATTEMPT: rng.randint(1, 3)},
            },
            "timestamp": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if with_id:
            stmt = {"id": self.uuid4(), **stmt}
        if verb[0] == ADL + "attended" or rng.random() < 0.05:
            stmt["context"]["instructor"] = pop.agents[(learner * 31 + 7) % pop.learners]
        minutes, seconds = rng.randint(0, 90), rng.randint(0, 59)
        result: dict[str, Any] = {"duration": f"PT{minutes}M{seconds}S"}
        if verb[0] in _SCORED:
            raw = rng.randint(0, 100)
            result["score"] = {"scaled": round(raw / 100, 2), "raw": raw, "min": 0, "max": 100}
            result["success"] = verb[0] != ADL + "failed" and raw >= 60
            result["completion"] = verb[0] in {ADL + "completed", ADL + "passed"}
        elif verb[0] == ADL + "progressed":
            result["extensions"] = {
                "https://w3id.org/xapi/cmi5/result/extensions/progress": rng.randint(1, 99)
            }
        stmt["result"] = result
        return stmt

    def batch(self, size: int, with_id: bool = True) -> list[dict[str, Any]]:
        """``size`` statements."""
        return [self.statement(with_id) for _ in range(size)]

    # -- query parameters that match stored statements -----------------------------

    def query(self, kind: str) -> dict[str, str]:
        """Filter parameters of one ``kind`` (agent, verb, activity, registration, ...)."""
        rng, pop = self.rng, self.pop
        learner = rng.randrange(pop.learners)
        course = rng.choice(pop.enrolments[learner])
        verb = rng.choices(VERB_IDS, weights=_VERB_WEIGHTS)[0]
        module = rng.choice(pop.modules[course])
        parts = {
            "agent": {"agent": pop.agent_param(learner)},
            "verb": {"verb": verb},
            "activity": {"activity": module},
            "registration": {"registration": pop.registration(learner, course)},
            "course+related": {"activity": pop.course_ids[course], "related_activities": "true"},
        }
        params: dict[str, str] = {}
        for piece in kind.split("&"):
            params.update(parts[piece])
        return params


QUERY_KINDS = [
    "agent",
    "verb",
    "activity",
    "registration",
    "agent&verb",
    "activity&verb",
    "agent&activity",
    "registration&verb",
    "course+related",
    "course+related&verb",
]


def state_document(rng: random.Random) -> dict[str, Any]:
    """A SCORM-like suspend state of a few hundred bytes."""
    return {
        "location": f"page-{rng.randint(1, 40)}",
        "suspend_data": "".join(
            rng.choice("abcdefghij0123456789") for _ in range(rng.randint(100, 400))
        ),
        "progress": rng.randint(0, 100),
        "answers": {f"q{i}": rng.choice("ABCD") for i in range(rng.randint(3, 12))},
    }
