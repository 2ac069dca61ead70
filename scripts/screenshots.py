"""Screenshots of the portal's main pages, written to docs/screenshots/*.png.

Builds a throwaway instance (SQLite in a temp directory) with the demo municipality
(``flask demo load``, portal/demo.py), serves it on a local port and photographs the
pages in headless Chromium (the same browser the tests use).

    .venv/bin/python scripts/screenshots.py            # all of them
    .venv/bin/python scripts/screenshots.py mobile-    # those whose names start so
"""

from __future__ import annotations

import sys
import tempfile
import threading
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Shot:
    """One screenshot: who (None: not signed in), language, path, file name.

    A phone's shot is of its first screen only (375 by 800 CSS px, kept small); ``menu``
    opens the folded navigation first.
    """

    role: str | None
    lang: str
    path: str
    name: str
    phone: bool = False
    menu: bool = False


def shots(ids: dict[str, int]) -> list[Shot]:
    """Every screenshot, desktop and phone."""
    return [
        Shot("learner", "en", "/catalogue", "catalogue"),
        Shot("learner", "en", f"/catalogue/{ids['room']}", "course-classroom"),
        Shot("learner", "sv", "/my", "my-learning-sv"),
        Shot("author", "en", "/author", "authoring"),
        Shot("author", "en", f"/trainer/sessions/{ids['session']}", "attendance"),
        Shot("manager", "en", "/reports", "reports"),
        Shot("manager", "sv", "/reports", "reports-sv"),
        Shot("admin", "en", "/admin/users", "admin-users"),
        Shot("admin", "en", "/admin/credentials", "admin-credentials"),
        Shot("admin", "sv", "/admin/units", "admin-units-sv"),
        Shot("admin", "en", "/admin/audit", "audit-log"),
        Shot("learner", "en", "/catalogue", "mobile-catalogue", phone=True),
        Shot("learner", "sv", "/my", "mobile-my-learning-sv", phone=True),
        Shot("manager", "en", "/reports#h-course", "mobile-reports", phone=True),
        Shot("admin", "sv", "/admin/users", "mobile-menu-sv", phone=True, menu=True),
        Shot(None, "sv", "/accessibility", "mobile-accessibility-sv", phone=True),
    ]


def photograph(browser: Any, base: str, shot: Shot, emails: dict[str, str], password: str) -> Path:
    """Sign in as the shot's role (if any), open its page, write the PNG."""
    from PIL import Image  # Pillow, which ReportLab needs anyway

    size = {"width": 375, "height": 800} if shot.phone else {"width": 1200, "height": 900}
    context = browser.new_context(
        viewport=size, locale=shot.lang, extra_http_headers={"Accept-Language": shot.lang}
    )
    page = context.new_page()
    if shot.role is not None:
        page.goto(f"{base}/login")
        page.fill("#email", emails[shot.role])
        page.fill("#password", password)
        page.click("main button[type=submit]")
        page.wait_for_selector("nav", state="attached")  # folded behind Menu on a phone
    page.goto(base + shot.path)
    if shot.menu:
        page.click("#menu-button")
    out = OUT / f"{shot.name}.png"
    page.screenshot(path=str(out), full_page=not shot.phone)
    context.close()
    if shot.phone:  # 256 colours are plenty for a page of text, at a fraction of the size
        Image.open(out).convert("RGB").quantize(256).save(out, optimize=True)
    return out


def main() -> None:
    """Build the demo, serve it, take the screenshots.

    With arguments, only those whose names start with one (``screenshots.py mobile-``).
    """
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
    wanted = [s for s in shots(ids) if not sys.argv[1:] or s.name.startswith(tuple(sys.argv[1:]))]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for shot in wanted:
            print("wrote", photograph(browser, base, shot, emails, password))
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
