"""Browser fixtures: the app on a live local server, and headless Chromium via Playwright.

The Debian ``chromium`` package is used (``make setup-test`` installs it when
``/usr/bin/chromium`` is missing). Without it, browser tests are skipped with a reason,
except under CI (``CI=true``), where they must run.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.conftest import SHARED, require_corpus

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _skip_reason() -> str | None:
    if os.environ.get("CI") == "true":
        return None
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (make setup-test installs Debian's chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements.txt)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip this folder's tests when there is no browser to run them (never under CI)."""
    reason = _skip_reason()
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


class LiveServer:
    """The test app served over HTTP on 127.0.0.1 in a background thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._busy = 0
        self._changed = threading.Condition()
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self._counting, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _counting(self, environ: dict[str, Any], start_response: Any) -> Any:
        """The app, counting requests in flight (see wait_idle)."""
        with self._changed:
            self._busy += 1
            self._changed.notify_all()
        try:
            yield from self.app(environ, start_response)
        finally:
            with self._changed:
                self._busy -= 1
                self._changed.notify_all()

    def wait_idle(self, quiet: float = 0.2, timeout: float = 10.0) -> None:
        """Wait until no request has been in flight for ``quiet`` seconds.

        A closed page still sends its pagehide beacon; the next test's table clean-up
        must not race the request that stores it.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while time.monotonic() < deadline:
                if self._busy == 0 and not self._changed.wait(timeout=quiet):
                    return
                if self._busy:
                    self._changed.wait(timeout=0.05)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The app (the suite's session app and database) on a live local server."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def split_origin(app: Flask, live_server: LiveServer) -> Iterator[str]:
    """Content on another origin: ``CONTENT_ORIGIN=http://localhost:PORT`` for this test.

    The portal and the player page stay at ``http://127.0.0.1:PORT``; the runtime frame,
    ``/content`` and ``/player/api`` move to ``localhost``: two origins, one server, as in
    development (README, security). Yields the content origin.
    """
    origin = live_server.url.replace("127.0.0.1", "localhost")
    app.config.update(CONTENT_ORIGIN=origin, PORTAL_URL=live_server.url)
    yield origin
    live_server.wait_idle()
    app.config.update(CONTENT_ORIGIN="", PORTAL_URL="")


@pytest.fixture
def content_port(app: Flask, live_server: LiveServer) -> Iterator[str]:
    """What ``make run`` sets up: content on a second port of the same server.

    The portal stays at ``http://127.0.0.1:PORT``; a second server for the same app
    answers ``CONTENT_PORT``, which core/origins.py makes the content origin (at
    ``localhost``, the loopback twin). Yields the content origin.
    """
    second = LiveServer(app)
    second.start()
    app.config.update(CONTENT_PORT=second.server.server_port, PORT=live_server.server.server_port)
    yield f"http://localhost:{second.server.server_port}"
    second.wait_idle()
    live_server.wait_idle()
    app.config.update(CONTENT_PORT=0, PORT=5000)
    second.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (the system build) driven by Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context and page per test (no shared cookies or storage)."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
    live_server.wait_idle()


# -- player helpers (a learner, a corpus course, a launch token) -----------------------

CORPUS = SHARED / "corpus" / "scorm"


@pytest.fixture
def learner_id(app: Flask) -> int:
    """A learner account (no password sign-in needed: launches go through the service)."""
    from datetime import datetime

    from werkzeug.security import generate_password_hash

    from accounts.models import User
    from core.db import db

    with app.app_context():
        user = User(
            email="grace@example.org",
            name="Grace Hopper",
            password_hash=generate_password_hash("correct horse battery", "pbkdf2:sha256:1000"),
            role="learner",
            active=True,
            created_at=datetime(2026, 1, 1),
        )
        db.session.add(user)
        db.session.commit()
        return user.id


@pytest.fixture
def course_from_corpus(app: Flask) -> Any:
    """Import a corpus package as a published course; return its id."""
    from core.db import db
    from packages import service as packages

    require_corpus()

    def make(name: str) -> int:
        with app.app_context():
            result = packages.import_package(CORPUS / name, published=True, label=name)
            packages.set_published(result.course, True)
            db.session.commit()
            return result.course.id

    return make


@pytest.fixture
def launch_url(app: Flask, live_server: LiveServer, learner_id: int) -> Any:
    """Create or resume the learner's attempt; return the player URL on the live server."""
    from accounts.models import User
    from core.db import db
    from packages.service import get_course
    from player import attempts

    def make(course_id: int) -> str:
        with app.app_context():
            user = db.session.get(User, learner_id)
            assert user is not None
            _attempt, token = attempts.launch(user, get_course(course_id))
            db.session.commit()
        return f"{live_server.url}/player/{token}"

    return make
