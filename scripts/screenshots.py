"""Screenshots of the portal's main pages, written to docs/screenshots/*.png.

Builds a throwaway instance (SQLite in a temp directory) with demo data — units, people
in each role, e-learning and classroom courses, a session with attendance, a year of
completions — serves it on a local port and photographs the pages in headless Chromium
(the same browser the tests use).

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import io
import random
import sys
import tempfile
import threading
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "demo password"  # noqa: S105  (demo accounts in a throwaway database)

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


def package(title: str) -> io.BytesIO:
    """A one-SCO SCORM 1.2 package named ``title``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", MANIFEST.format(ident=uuid.uuid4().hex, title=title))
        archive.writestr("index.html", f"<!doctype html><title>{title}</title><h1>{title}</h1>")
    buffer.seek(0)
    return buffer


def seed(app: Any) -> dict[str, int]:
    """Fill the demo database; return the ids the shots need."""
    from accounts import service
    from core.db import db
    from lrs import service as lrs
    from portal import catalogue, classroom

    rng = random.Random(7)  # noqa: S311  (demo data)
    with app.app_context():
        units = [
            service.create_unit(c, n, k)
            for c, n, k in [
                ("social", "Socialförvaltningen", "department"),
                ("school", "Barn- och utbildningsförvaltningen", "department"),
                ("energy", "Kommunens Energi AB", "company"),
            ]
        ]
        people = {
            "admin": service.create_user("admin@example.org", "Alva Admin", PASSWORD, "admin"),
            "author": service.create_user(
                "author@example.org", "Anders Författare", PASSWORD, "author", units[0].id
            ),
            "manager": service.create_user(
                "manager@example.org", "Maria Chef", PASSWORD, "manager", units[0].id
            ),
            "learner": service.create_user(
                "learner@example.org", "Lea Lärande", PASSWORD, "learner", units[0].id
            ),
        }
        learners = [
            service.create_user(
                f"p{i}@example.org", f"Person {i}", PASSWORD, "learner", units[i % 3].id
            )
            for i in range(30)
        ]
        titles = [
            ("Brandskydd grund", "Säkerhet", None),
            ("Dataskydd (GDPR)", "Juridik", None),
            ("Dokumentation i socialtjänsten", "Vård och omsorg", "social"),
            ("Första hjälpen i skolan", "Säkerhet", "school"),
            ("Elsäkerhet", "Säkerhet", "energy"),
            ("Informationssäkerhet", "IT", None),
        ]
        courses = [
            catalogue.upload_course(package(t), "demo.zip", t, c, u, True).course
            for t, c, u in titles
        ]
        room = catalogue.create_classroom_course(
            "Förflyttningsteknik",
            "Praktisk övning i att förflytta brukare säkert.",
            "Vård och omsorg",
            None,
        )
        catalogue.set_published(room, True)
        now = datetime.now(UTC).replace(tzinfo=None)
        past = classroom.create_session(
            room, now + timedelta(days=1), "Stadshuset, sal 3", people["author"], 12
        )
        classroom.create_session(
            room, now + timedelta(days=14), "Vårdcentralen, konferensrummet", people["author"], 8
        )
        for person in [*learners[:5], people["learner"]]:
            classroom.enrol(past, person)
        db.session.flush()
        statements = results(
            app.config["AGENT_HOMEPAGE"], [*learners, people["learner"]], courses, rng
        )
        lrs.store_statements(statements, classroom.portal_client(), "1.0.3")
        db.session.commit()
        return {
            "room": room.id,
            "course": courses[0].id,
            "session": past.id,
            "learner": people["learner"].id,
        }


def results(home: str, people: list[Any], courses: list[Any], rng: random.Random) -> list[Any]:
    """A completion and a pass or fail in three random courses for each person."""
    statements = []
    for person in people:
        for course in rng.sample(courses, 3):
            registration = str(uuid.uuid4())
            actor = {"name": person.name, "account": {"homePage": home, "name": str(person.id)}}
            target = {"id": f"{home}/courses/{course.id}"}
            statements.append(
                {
                    "actor": actor,
                    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                    "object": target,
                    "context": {"registration": registration},
                }
            )
            score = round(rng.uniform(0.4, 1.0), 2)
            statements.append(
                {
                    "actor": actor,
                    "verb": {
                        "id": "http://adlnet.gov/expapi/verbs/"
                        + ("passed" if score >= 0.6 else "failed")
                    },
                    "object": target,
                    "result": {"success": score >= 0.6, "score": {"scaled": score}},
                    "context": {"registration": registration},
                }
            )
    return statements


def main() -> None:
    """Build the demo, serve it, take the screenshots."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from core import create_app

    instance = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'demo.db'}",
            "INSTANCE_PATH": str(instance),
            "STORAGE_PATH": str(instance / "storage"),
            "SECRET_KEY": "screenshots",
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    ids = seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    OUT.mkdir(parents=True, exist_ok=True)
    shots = [
        ("learner", "en", "/catalogue", "catalogue"),
        ("learner", "en", f"/catalogue/{ids['room']}", "course-classroom"),
        ("learner", "sv", "/my", "my-learning-sv"),
        ("author", "en", "/author", "authoring"),
        ("author", "en", f"/trainer/sessions/{ids['session']}", "attendance"),
        ("manager", "en", "/reports", "reports"),
        ("manager", "sv", "/reports", "reports-sv"),
        ("admin", "en", "/admin/users", "admin-users"),
        ("admin", "en", "/admin/credentials", "admin-credentials"),
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for role, lang, path, name in shots:
            context = browser.new_context(
                viewport={"width": 1200, "height": 900},
                locale=lang,
                extra_http_headers={"Accept-Language": lang},
            )
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#email", f"{role}@example.org")
            page.fill("#password", PASSWORD)
            page.click("main button[type=submit]")
            page.wait_for_selector("nav")
            page.goto(base + path)
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            print("wrote", OUT / f"{name}.png")
            context.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
