"""Admin → Forwarding in Chromium: add a target, see its lag, pause, replay, a refused form.

Every state passes axe-core in Swedish and in English; the secret typed is never in a
page again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from lrs import forwarding
from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data

SECRET = "Browser-Secret-17"

TEXTS = {
    "sv": {
        "nav": "Vidarebefordran",
        "name": "Namn",
        "endpoint": "Adress (endpoint)",
        "key": "Nyckel",
        "secret": "Hemlighet",
        "verbs": "Verb",
        "add": "Lägg till",
        "added": "Vidarebefordran har lagts till.",
        "pause": "Pausa leveransen",
        "paused": "Leveransen är pausad.",
        "statement": "Eller från uttalandet (dess id)",
        "again": "Skicka på nytt",
        "queued": "Uttalandena köas för att skickas på nytt.",
        "waiting": "Väntar",
    },
    "en": {
        "nav": "Forwarding",
        "name": "Name",
        "endpoint": "Endpoint",
        "key": "Key",
        "secret": "Secret",
        "verbs": "Verbs",
        "add": "Add",
        "added": "Forwarding added.",
        "pause": "Pause delivery",
        "paused": "Delivery is paused.",
        "statement": "Or from the statement (its id)",
        "again": "Send again",
        "queued": "The statements are being queued again",
        "waiting": "Waiting",
    },
}


@pytest.fixture(autouse=True)
def _fresh_targets(app: Flask) -> Iterator[None]:
    with app.app_context():
        forwarding.forget_targets()
    yield
    with app.app_context():
        forwarding.forget_targets()


def _in_language(page: Any, locale: str) -> None:
    page.get_by_label("Language").select_option(locale)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{locale}']")


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_portal_forwarding_add_pause_and_replay(
    app: Flask, page: Any, live_server: Any, locale: str
) -> None:
    axe, text = make_axe(), TEXTS[locale]
    portal_data(app).user("ada@example.org", role="admin", name="Ada Admin")
    make_sign_in(live_server)(page, "ada@example.org")
    _in_language(page, locale)
    page.get_by_role("link", name=text["nav"]).first.click()
    page.wait_for_selector("h1")
    axe(page)

    page.get_by_label(text["name"], exact=True).fill("Regionens LRS")
    page.get_by_label(text["endpoint"]).fill("https://lrs.example.org/xapi/")
    page.get_by_label(text["key"], exact=True).fill("region")
    page.get_by_label(text["secret"]).fill(SECRET)
    page.get_by_label(text["verbs"], exact=True).fill("not an iri")
    page.get_by_role("button", name=text["add"]).click()
    page.wait_for_selector(".field-error")
    assert SECRET not in page.content()
    assert page.get_by_label(text["name"], exact=True).input_value() == "Regionens LRS"
    axe(page)

    page.get_by_label(text["secret"]).fill(SECRET)
    page.get_by_label(text["verbs"], exact=True).fill("http://adlnet.gov/expapi/verbs/completed")
    page.get_by_role("button", name=text["add"]).click()
    page.wait_for_selector(f"text={text['added']}")
    assert SECRET not in page.content()
    assert page.get_by_text(text["waiting"], exact=True).count() == 1
    axe(page)

    page.get_by_role("button", name=text["pause"]).click()
    page.wait_for_selector(f"text={text['paused']}")
    axe(page)

    page.get_by_label(text["statement"]).fill("not-a-uuid")
    page.get_by_role("button", name=text["again"]).click()
    page.wait_for_selector(".field-error")
    axe(page)
    page.get_by_label(text["statement"]).fill("")
    page.locator("#since").fill("2020-01-01T00:00:00")
    page.get_by_role("button", name=text["again"]).click()
    page.wait_for_selector(f"text={text['queued']}")
    axe(page)
