"""Screenshots of the portal's main pages, written to docs/screenshots/*.png.

Builds a throwaway instance (SQLite in a temp directory) with the demo municipality
(``flask demo load``, portal/demo.py), serves it on a local port and photographs the
pages in headless Chromium (the same browser the tests use).

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
import threading
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
CORPUS = ROOT.parent / "shared" / "corpus" / "scorm"


def seed(app: Any) -> tuple[dict[str, int], dict[str, str], str]:
    """Load the demo municipality (portal/demo.py); return ids, sign-ins and password."""
    from sqlalchemy import select

    from accounts.models import OrganisationUnit, User
    from core.db import db
    from packages.models import Course
    from portal import demo
    from portal.models import ClassroomSession

    with app.app_context():
        made = demo.load(CORPUS if CORPUS.is_dir() else None)
        db.session.commit()
        assert made.password is not None  # noqa: S101  (made just now)
        room = db.session.scalar(select(Course).where(Course.title == "Förflyttningsteknik"))
        assert room is not None  # noqa: S101  (the demo has it)
        held = db.session.scalars(
            select(ClassroomSession)
            .where(ClassroomSession.course_id == room.id)
            .order_by(ClassroomSession.starts_at)
        ).first()
        assert held is not None  # noqa: S101  (the demo has it)
        emails = {}
        for role in ("learner", "author", "manager", "admin"):
            emails[role] = (
                db.session.scalars(
                    select(User.email)
                    .join(OrganisationUnit, OrganisationUnit.id == User.unit_id)
                    .where(User.role == role)
                    .order_by(OrganisationUnit.parent_id.is_not(None), User.id)
                ).first()
                or ""
            )
        return {"room": room.id, "session": held.id}, emails, made.password


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
    ids, emails, password = seed(app)
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
        ("admin", "sv", "/admin/units", "admin-units-sv"),
        ("admin", "en", "/admin/audit", "audit-log"),
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
            page.fill("#email", emails[role])
            page.fill("#password", password)
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
