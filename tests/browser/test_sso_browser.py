"""Single sign-on in Chromium through a real OpenID provider (oidc-provider, in node).

The provider runs for this module (tests/sso/oidc_provider.mjs, started by
tests/sso/providers.py); a person signs in on its login form and consent page, comes
back signed in to an account made just in time, signs out at both ends. The failures a
real provider can be made to produce are here too (a replayed callback, a deactivated
account, an abandoned sign-in); the ones it cannot (bad signatures, wrong audiences, expired
tokens) are driven through the same callback in tests/portal/test_sso_oidc.py. The pages
pass axe in Swedish and English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest_portal import make_axe, portal_data
from tests.sso.providers import CLIENT_ID, CLIENT_SECRET, real_provider


@pytest.fixture(scope="module")
def issuer(live_server: Any) -> Iterator[str]:
    settings = {
        "redirect_uris": [f"{live_server.url}/sso/callback"],
        "post_logout_redirect_uris": [f"{live_server.url}/login"],
        "accounts": {
            "ada": {
                "email": "ada@example.org",
                "name": "Ada Lovelace",
                "groups": ["staff", "kompetens-authors"],
                "unit": "social",
            },
            "gone": {"email": "gone@example.org", "name": "Gone"},
        },
    }
    with real_provider(settings) as url:
        yield url


@pytest.fixture
def sso(app: Any, issuer: str) -> Iterator[str]:
    settings = {
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_NAME": "Kommunens inloggning",
        "OIDC_ROLE_CLAIM": "groups",
        "OIDC_ROLES": "kompetens-admins=admin,kompetens-authors=author",
        "OIDC_UNIT_CLAIM": "unit",
    }
    before = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    yield issuer
    app.config.update(before)


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


# oidc-provider's development pages load a web font from the internet; nothing leaves
# this machine (the request is answered by the browser itself with an error).
ELSEWHERE = re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/])")


def local_only(context: Any) -> None:
    context.route(ELSEWHERE, lambda route: route.abort())


@pytest.fixture(autouse=True)
def _local_only(page: Any) -> None:
    local_only(page.context)


def at_provider(page: Any, login: str, issuer: str) -> None:
    """Sign in on the provider's pages (its login form, then its consent page)."""
    page.wait_for_url(lambda url: url.startswith(f"{issuer}/"), wait_until="domcontentloaded")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def accounts(app: Any) -> list[tuple[str | None, str, str, str | None]]:
    from accounts.models import User
    from core.db import db

    with app.app_context():
        rows = [
            (u.email, u.name, u.role, u.unit.code if u.unit else None)
            for u in db.session.query(User).order_by(User.id)
        ]
        db.session.remove()
        return rows


def test_sso_browser_sign_in_just_in_time_and_single_logout(
    page: Any, live_server: Any, sso: str, portal: Any, app: Any
) -> None:
    portal.unit("social", "Socialförvaltningen")
    page.goto(f"{live_server.url}/my")
    page.get_by_role("link", name="Kommunens inloggning").click()
    at_provider(page, "ada", sso)
    page.wait_for_selector("nav[aria-label='Main']")
    assert page.url == f"{live_server.url}/my"
    assert accounts(app) == [("ada@example.org", "Ada Lovelace", "author", "social")]
    # Sign out: here, and at the provider (RP-initiated logout), back to the sign-in page.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda url: url.startswith(f"{sso}/"))
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{live_server.url}/login")
    page.goto(f"{live_server.url}/my")
    assert page.url.startswith(f"{live_server.url}/login")
    # Signing in again asks the provider again and finds the same account.
    page.get_by_role("link", name="Kommunens inloggning").click()
    at_provider(page, "ada", sso)
    page.wait_for_selector("nav[aria-label='Main']")
    assert len(accounts(app)) == 1


def test_sso_browser_replayed_callback_is_refused(
    page: Any, browser: Any, live_server: Any, sso: str, app: Any
) -> None:
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/sso/callback" in r.url else None)
    page.goto(f"{live_server.url}/login")
    page.get_by_role("link", name="Kommunens inloggning").click()
    at_provider(page, "ada", sso)
    page.wait_for_selector("nav[aria-label='Main']")
    assert len(callbacks) == 1
    # The same answer in another browser (a stolen or replayed URL) signs nobody in.
    other = browser.new_context()
    local_only(other)
    try:
        thief = other.new_page()
        thief.goto(callbacks[0])
        assert thief.get_by_role("heading", level=1).inner_text() == "You have not been signed in"
        assert "already used" in thief.get_by_role("alert").inner_text()
        thief.goto(f"{live_server.url}/")
        assert thief.url.startswith(f"{live_server.url}/login")
    finally:
        other.close()
    # And in the same browser, once more.
    page.goto(callbacks[0])
    assert "already used" in page.get_by_role("alert").inner_text()
    assert len(accounts(app)) == 1


def test_sso_browser_deactivated_account_is_refused(
    page: Any, live_server: Any, sso: str, portal: Any, app: Any
) -> None:
    from accounts.models import User
    from core.db import db

    portal.user("gone@example.org", name="Gone")
    with app.app_context():
        db.session.query(User).filter_by(email="gone@example.org").one().active = False
        db.session.commit()
    page.goto(f"{live_server.url}/login")
    page.get_by_role("link", name="Kommunens inloggning").click()
    at_provider(page, "gone", sso)
    page.wait_for_selector("h1")
    assert page.get_by_role("heading", level=1).inner_text() == "You have not been signed in"
    assert "deactivated" in page.get_by_role("alert").inner_text()
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/login")


def test_sso_browser_abandoned_sign_in_with_local_passwords_off(
    page: Any, live_server: Any, sso: str, app: Any
) -> None:
    app.config["LOCAL_PASSWORDS"] = False
    try:
        page.goto(f"{live_server.url}/login")
        assert page.locator("input[type=password]").count() == 0
        page.get_by_role("link", name="Kommunens inloggning").click()
        page.wait_for_url(lambda url: url.startswith(f"{sso}/"))
        page.locator("input[name=login]").fill("ada")
        page.locator("input[name=password]").fill("any password")
        page.get_by_role("button", name="Sign-in").click()
        # Left at the consent page; an answer to another sign-in signs nobody in.
        page.goto(f"{live_server.url}/sso/callback?error=access_denied&state=x")
        assert "another window" in page.get_by_role("alert").inner_text()
        assert accounts(app) == []
    finally:
        app.config["LOCAL_PASSWORDS"] = True


@pytest.mark.parametrize("language", ["sv", "en"])
def test_sso_pages_pass_axe(page: Any, live_server: Any, sso: str, language: str) -> None:
    axe = make_axe()
    page.goto(f"{live_server.url}/login")
    if language == "sv":
        page.get_by_label("Language").select_option("sv")
        page.get_by_role("button", name="Change").click()
        page.wait_for_selector("html[lang='sv']")
        page.get_by_role("link", name="Kommunens inloggning").wait_for()
    axe(page)
    # The failure page, as a stale callback shows it.
    page.goto(f"{live_server.url}/sso/callback?state=stale&code=x")
    heading = {"sv": "Du har inte loggats in", "en": "You have not been signed in"}[language]
    assert page.get_by_role("heading", level=1).inner_text() == heading
    axe(page)
