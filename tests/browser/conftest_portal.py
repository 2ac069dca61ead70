"""Helpers for the portal's browser tests (tests/browser/test_portal_*.py).

They build on tests/browser/conftest.py (``live_server``, ``page``) and the portal's
data helpers (tests/portal/conftest.py).  ``check_axe`` runs axe-core (npm
devDependency, node_modules/axe-core) in the page and fails on any WCAG 2.0/2.1 A or AA
violation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.portal.conftest import Portal

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def portal_data(app: Flask) -> Portal:
    """Build units, users and courses in the shared test database."""
    return Portal(app)


def make_sign_in(live_server: Any) -> Any:
    """Sign in through the login form, as a person would."""

    def run(page: Any, email: str, password: str = "correct horse") -> None:
        page.goto(f"{live_server.url}/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        # Attached, not visible: on a phone the navigation is folded behind its Menu button.
        page.wait_for_selector("nav[aria-label='Main']", state="attached")

    return run


def make_axe() -> Any:
    """Check the page with axe-core; fail with a readable list of violations."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci installs the devDependencies)")

    def run(page: Any) -> None:
        # Evaluated through the DevTools protocol, which the pages' Content-Security-Policy
        # does not govern (an injected <script> tag would be refused, as it should be).
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.evaluate(AXE.read_text())
        violations = page.evaluate(
            """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))
                 .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""",
            WCAG_TAGS,
        )
        assert violations == [], f"{page.url}: {violations}"

    return run
