"""SAML sign-in in headless Chromium, through the test IdP (tests/sso/saml_idp.py).

The browser follows the real flow: the portal's button, the IdP's redirect, the IdP's
form posted to our ACS. Each wrong answer ends on the refusal page, with no account and
no session; the pages pass axe-core in Swedish and English.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from accounts.models import User
from core.db import db
from tests.browser.conftest_portal import make_axe
from tests.sso.fixtures import person, saml_idp, saml_settings, sp_keys
from tests.sso.saml_idp import SamlIdp

__all__ = ["saml_idp", "sp_keys"]  # fixtures used here


@pytest.fixture
def saml_live(
    app: Flask, live_server: Any, saml_idp: SamlIdp, sp_keys: tuple[Path, Path]
) -> Iterator[SamlIdp]:
    """SAML on for the live server; the IdP trusts its metadata (at the live server's URL)."""
    settings = saml_settings(saml_idp, sp_keys)
    before = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    with urllib.request.urlopen(f"{live_server.url}/saml/metadata") as answer:  # noqa: S310
        saml_idp.trust_sp(answer.read().decode(), f"{live_server.url}/saml/sls")
    saml_idp.mode = "ok"
    saml_idp.person = person()
    yield saml_idp
    live_server.wait_idle()
    app.config.update(before)
    saml_idp.mode = "ok"


def _users(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(User)) or 0)


def _start(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/login")
    page.get_by_role("link", name="Sign in through your organisation").click()


def test_saml_browser_signin_and_single_logout(
    page: Any, live_server: Any, saml_live: SamlIdp, app: Flask
) -> None:
    _start(page, live_server)
    page.wait_for_selector("nav[aria-label='Main']")
    assert "Lea Larsson" in page.locator("header").inner_text()
    assert _users(app) == 1
    page.get_by_role("button", name="Sign out").click()
    # Here, then at the IdP, which answers our SLS, which shows the sign-in page.
    page.wait_for_url(f"{live_server.url}/login")
    assert saml_live.logouts[-1] == "a1b2c3-lea"
    page.goto(f"{live_server.url}/")
    assert "/login" in page.url


def test_saml_browser_idp_logout_ends_the_session(
    page: Any, live_server: Any, saml_live: SamlIdp
) -> None:
    _start(page, live_server)
    page.wait_for_selector("nav[aria-label='Main']")
    page.goto(f"{saml_live.url}/logout-everywhere")
    page.wait_for_url(f"{saml_live.url}/slo?SAMLResponse=*")
    page.goto(f"{live_server.url}/")
    assert "/login" in page.url


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("audience", "meant for another service"),
        ("expired", "has expired"),
        ("bad_signature", "signature of the answer"),
        ("unsigned", "was not signed"),
        ("unknown_issuer", "does not trust"),
    ],
)
def test_saml_browser_refusals(
    page: Any, live_server: Any, saml_live: SamlIdp, app: Flask, mode: str, words: str
) -> None:
    saml_live.mode = mode
    _start(page, live_server)
    heading = page.get_by_role("heading", name="Sign-in through your organisation failed")
    heading.wait_for()
    assert words in page.get_by_role("alert").inner_text()
    assert _users(app) == 0
    page.goto(f"{live_server.url}/")
    assert "/login" in page.url


def test_saml_browser_replayed_answer(
    browser: Any, page: Any, live_server: Any, saml_live: SamlIdp, app: Flask
) -> None:
    _start(page, live_server)
    page.wait_for_selector("nav[aria-label='Main']")
    # Another browser posts the same answer again (the IdP's page, replayed).
    other = browser.new_context()
    try:
        thief = other.new_page()
        thief.goto(f"{saml_live.url}/replay")
        thief.get_by_role("heading", name="Sign-in through your organisation failed").wait_for()
        assert "used already" in thief.get_by_role("alert").inner_text()
        thief.goto(f"{live_server.url}/")
        assert "/login" in thief.url
    finally:
        other.close()
    assert _users(app) == 1


@pytest.mark.parametrize(
    ("locale", "heading", "button"),
    [
        (
            "sv-SE",
            "Inloggningen via din organisation misslyckades",
            "Logga in via din organisation",
        ),
        ("en-GB", "Sign-in through your organisation failed", "Sign in through your organisation"),
    ],
)
def test_saml_browser_pages_pass_axe(
    browser: Any,
    live_server: Any,
    saml_live: SamlIdp,
    locale: str,
    heading: str,
    button: str,
) -> None:
    axe = make_axe()
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        axe(page)  # the sign-in page with its SAML button
        saml_live.mode = "expired"
        page.get_by_role("link", name=button).click()
        page.get_by_role("heading", name=heading).wait_for()
        assert page.locator("html").get_attribute("lang") == locale[:2]
        axe(page)  # the refusal page
        saml_live.mode = "ok"
        page.goto(f"{live_server.url}/login")
        page.get_by_role("link", name=button).click()
        page.wait_for_selector("nav")
        sign_out = "Logga ut" if locale.startswith("sv") else "Sign out"
        # The page between our sign-out and the IdP's: held there to be checked.
        page.route(f"{saml_live.url}/slo*", lambda route: route.fulfill(status=204))
        page.get_by_role("button", name=sign_out).click()
        page.get_by_role(
            "heading", name="Loggar ut" if locale.startswith("sv") else "Signing out"
        ).wait_for()
        axe(page)
    finally:
        context.close()
        live_server.wait_idle()
