"""A demo municipality, so that a newcomer sees a living portal (``flask demo load``).

Three levels of units (departments and a municipal company, their sections and units),
about 300 people in every role, e-learning (real exports from ../shared's corpus when it
is there, else small generated SCORM packages) and classroom courses with sessions,
assignments (some overdue) and a year of completions. Everything is made in one
transaction through the same services the portal uses; a second run finds the demo and
changes nothing.
"""

from __future__ import annotations

import io
import random
import secrets
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from accounts import service as accounts
from accounts.models import OrganisationUnit, User
from core import vocabulary
from core.db import db
from lrs.service import store_statements
from packages import review, review_setup
from packages.models import Course
from player.course_tree import catalogue_activity_id
from portal import bookings, catalogue, classroom, evaluation_questions, learning

ROOT_CODE = "SOC"  # the first unit made: its presence means the demo is loaded
DOMAIN = "demo.example.org"

# (code, name, kind, parent code)
UNITS = [
    ("SOC", "Socialförvaltningen", "department", None),
    ("SOC-IFO", "Individ- och familjeomsorg", "section", "SOC"),
    ("SOC-IFO-BU", "Barn och unga", "unit", "SOC-IFO"),
    ("SOC-IFO-VU", "Vuxenenheten", "unit", "SOC-IFO"),
    ("SOC-AO", "Äldreomsorg", "section", "SOC"),
    ("SOC-AO-HN", "Hemtjänst Norr", "unit", "SOC-AO"),
    ("SOC-AO-HS", "Hemtjänst Söder", "unit", "SOC-AO"),
    ("SOC-AO-EK", "Eken särskilt boende", "unit", "SOC-AO"),
    ("BUF", "Barn- och utbildningsförvaltningen", "department", None),
    ("BUF-GR", "Grundskola", "section", "BUF"),
    ("BUF-GR-BJ", "Björkskolan", "unit", "BUF-GR"),
    ("BUF-GR-EK", "Ekskolan", "unit", "BUF-GR"),
    ("BUF-FS", "Förskola", "section", "BUF"),
    ("BUF-FS-SO", "Förskolan Solen", "unit", "BUF-FS"),
    ("SBF", "Samhällsbyggnadsförvaltningen", "department", None),
    ("SBF-BL", "Bygglov", "section", "SBF"),
    ("SBF-GP", "Gata och park", "section", "SBF"),
    ("ENERGI", "Kommunens Energi AB", "company", None),
    ("ENERGI-EL", "Elnät", "section", "ENERGI"),
    ("ENERGI-KS", "Kundservice", "section", "ENERGI"),
]
FIRST = """Anna Erik Maria Lars Karin Anders Eva Johan Sara Per Lena Mikael Emma Oskar Ida Ali
Fatima Hassan Elin Nils Maja Jonas Sofia Ahmed Linnea Olle Hanna Viktor Amira Gustav"""
LAST = """Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson
Gustafsson Pettersson Jonsson Lindberg Lindqvist Berg Holm Ali Mohammed Hussein Lund Ek"""
# (title, category, owner unit code or None, corpus file)
ELEARNING = [
    ("Brandskydd grund", "Säkerhet", None, "golf_scorm12_cp_single_sco.zip"),
    ("Dataskydd (GDPR)", "Juridik", None, "golf_2004v4_seq_posttest_rollup_4thed.zip"),
    ("Informationssäkerhet", "IT", None, "golf_2004v3_seq_forced_sequential.zip"),
    ("Dokumentation i socialtjänsten", "Vård och omsorg", "SOC", None),
    ("Lex Sarah", "Vård och omsorg", "SOC", None),
    ("Första hjälpen i skolan", "Säkerhet", "BUF", None),
    ("Elsäkerhet", "Säkerhet", "ENERGI", None),
]
CLASSROOM = [
    ("Förflyttningsteknik", "Praktisk övning i att förflytta brukare säkert.", "SOC-AO"),
    ("HLR för vuxna", "Hjärt-lungräddning med övningsdockor.", None),
]
PEOPLE = 300

MANIFEST = """<?xml version="1.0"?>
<manifest identifier="{ident}" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>{title}</title>
    <item identifier="i" identifierref="r"><title>{title}</title></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html">
    <file href="index.html"/></resource></resources>
</manifest>"""
PAGE = """<!doctype html><html lang="sv"><meta charset="utf-8"><title>{title}</title>
<h1>{title}</h1><p>En kort övningskurs i demonstrationsportalen.</p>
<button id="done">Klar</button>
<script>
var api = window.parent && window.parent.API;
if (api) api.LMSInitialize("");
document.getElementById("done").onclick = function () {{
  if (api) {{ api.LMSSetValue("cmi.core.lesson_status", "completed"); api.LMSFinish(""); }}
}};
</script>"""


def package(title: str) -> io.BytesIO:
    """A one-SCO SCORM 1.2 package named ``title`` that completes on its button."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", MANIFEST.format(ident=uuid.uuid4().hex, title=title))
        archive.writestr("index.html", PAGE.format(title=title))
    buffer.seek(0)
    return buffer


@dataclass
class Demo:
    """What ``load`` made (or found), for the command's summary."""

    created: bool
    units: int = 0
    people: int = 0
    courses: int = 0
    completions: int = 0
    password: str | None = None


def load(corpus: Path | None = None, seed: int = 7) -> Demo:
    """Build the demo municipality unless it is there; the caller commits."""
    existing = db.session.scalar(select(OrganisationUnit).where(OrganisationUnit.code == ROOT_CODE))
    if existing is not None:
        return Demo(created=False)
    rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
    password = secrets.token_urlsafe(12)
    units = _units()
    people = _people(units, password, rng)
    courses = _courses(corpus, units)
    _review(people, courses, units)
    _classroom(people, rng, units)
    _assignments(people, courses)
    completions = _completions(people, courses, rng)
    if not evaluation_questions.all_questions():
        evaluation_questions.add_suggested()  # so that learners are asked to evaluate
    return Demo(True, len(units), len(people), len(courses), completions, password)


def _units() -> dict[str, OrganisationUnit]:
    made: dict[str, OrganisationUnit] = {}
    for code, name, kind, parent in UNITS:
        parent_id = made[parent].id if parent else None
        made[code] = accounts.create_unit(code, name, kind, parent_id)
    return made


def _people(units: dict[str, OrganisationUnit], password: str, rng: random.Random) -> list[User]:
    """A manager for each unit with sections below it, trainers, and learners."""
    leaves = [code for code, *_rest in UNITS if not any(p == code for *_x, p in UNITS)]
    people: list[User] = []
    hashed = generate_password_hash(password)  # one hash for all: 300 would take half a minute
    plan: list[tuple[str, str]] = [("admin", UNITS[0][0])]
    plan += [("manager", code) for code, *_rest in UNITS]
    plan += [("author", rng.choice(leaves)) for _ in range(8)]
    plan += [("learner", rng.choice(leaves)) for _ in range(PEOPLE - len(plan))]
    for n, (role, code) in enumerate(plan):
        first, last = rng.choice(FIRST.split()), rng.choice(LAST.split())
        email = f"{first}.{last}.{n}@{DOMAIN}".lower()
        user = accounts.create_user(
            email, f"{first} {last}", password, role, units[code].id, password_hash=hashed
        )
        people.append(user)
    return people


def _courses(corpus: Path | None, units: dict[str, OrganisationUnit]) -> list[Course]:
    made = []
    for title, category, unit, corpus_file in ELEARNING:
        source = corpus / corpus_file if corpus and corpus_file else None
        stream = source.open("rb") if source and source.is_file() else package(title)
        with stream:
            owner = units[unit].id if unit else None
            result = catalogue.upload_course(stream, "demo.zip", title, category, owner, True)
        made.append(result.course)
    return made


def _review(people: list[User], courses: list[Course], units: dict[str, OrganisationUnit]) -> None:
    """A trainer reviews the social services' courses; another's new version waits for them."""
    reviewer, author = [p for p in people if p.role == "author"][:2]
    review_setup.add_reviewer(reviewer.email or "", units["SOC"].id)
    course = next(c for c in courses if c.owner_unit_id == units["SOC"].id)
    result = catalogue.upload_version(course, package(course.title), "demo-v2.zip", by=author)
    review.submit(result.version, author, "Nya exempel från verksamheten; gamla rutiner borttagna.")


def _classroom(people: list[User], rng: random.Random, units: dict[str, OrganisationUnit]) -> None:
    """Each classroom course gets a past session (attendance recorded) and a coming one."""
    trainer = next(p for p in people if p.role == "author")
    learners = [p for p in people if p.role == "learner"]
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    for title, description, unit in CLASSROOM:
        owner = units[unit].id if unit else None
        course = catalogue.create_classroom_course(title, description, "Vård och omsorg", owner)
        catalogue.set_published(course, True)
        held = classroom.create_session(
            course, now + timedelta(hours=1), "Stadshuset, sal 3", trainer, 12
        )
        for person in rng.sample(learners, 8):
            bookings.enrol(held, person)
        # Held already: attendance can be recorded.
        held.starts_at = now - timedelta(days=20)
        held.ends_at = held.starts_at + timedelta(hours=3)
        rows = {
            e.id: {"attended": True, "completed": True, "outcome": "passed", "score": None}
            for e in classroom.enrolments(held)
        }
        classroom.record_attendance(held, trainer, rows)
        coming = classroom.create_session(
            course, now + timedelta(days=21), "Vårdcentralen, konferensrummet", trainer, 10
        )
        for person in rng.sample(learners, 4):
            bookings.enrol(coming, person)


def _assignments(people: list[User], courses: list[Course]) -> None:
    """Fire safety for every department, GDPR for social services.

    Fire safety was due last month (overdue for those who have not done it), GDPR is due
    in two months.
    """
    admin = next(p for p in people if p.role == "admin")
    today = date.today()
    for code, _name, _kind, parent in UNITS:
        if parent is None:
            unit = accounts.unit_by_code(code)
            assert unit is not None  # noqa: S101  (made above)
            learning.create_assignment(
                admin, courses[0].id, None, unit.id, today - timedelta(days=30), ""
            )
    social = accounts.unit_by_code("SOC")
    assert social is not None  # noqa: S101
    learning.create_assignment(
        admin, courses[1].id, None, social.id, today + timedelta(days=60), ""
    )


def _completions(people: list[User], courses: list[Course], rng: random.Random) -> int:
    """A year of results: most people did fire safety, many GDPR, some the rest."""
    home = current_app.config["AGENT_HOMEPAGE"]
    now = datetime.now(UTC)
    statements: list[dict[str, Any]] = []
    for person in people:
        for index, course in enumerate(courses):
            chance = (0.7, 0.5)[index] if index < 2 else 0.15
            if rng.random() > chance:
                continue
            when = now - timedelta(days=rng.randint(1, 365), minutes=rng.randint(0, 600))
            statements.extend(_result(home, person, course, when, rng))
    store_statements(statements, classroom.portal_client(), "1.0.3")
    return len(statements) // 2


def _result(
    home: str, person: User, course: Course, when: datetime, rng: random.Random
) -> list[dict[str, Any]]:
    actor = {"name": person.name, "account": {"homePage": home, "name": str(person.id)}}
    target = {"id": catalogue_activity_id(course.id)}
    context = {"registration": str(uuid.uuid4())}
    score = round(rng.uniform(0.5, 1.0), 2)
    passed = score >= 0.6
    verb = vocabulary.PASSED if passed else vocabulary.FAILED
    stamp = when.isoformat()
    return [
        {
            "actor": actor,
            "verb": {"id": vocabulary.COMPLETED},
            "object": target,
            "context": context,
            "timestamp": stamp,
        },
        {
            "actor": actor,
            "verb": {"id": verb},
            "object": target,
            "result": {"success": passed, "score": {"scaled": score}},
            "context": context,
            "timestamp": stamp,
        },
    ]
