"""Admin → Forwarding in Chromium: add a target, see its lag, pause, replay, skip, a refused form.

Every state passes axe-core in Swedish and in English; the secret typed is never in a
page again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, select

from core.db import db
from lrs import forward_replay, forwarding
from lrs.forward_models import ForwardOutbox, ForwardTarget
from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data

SECRET = "Browser-Secret-17"
REFUSED = "5f0c7a1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b"

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
        "skip": "Hoppa över uttalandet",
        "skipped": "Uttalandet har hoppats över.",
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
        "skip": "Skip this statement",
        "skipped": "The statement is skipped;",
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

    # The target refuses the statement first in line for good: it can be skipped.
    with app.app_context():
        target = db.session.scalars(select(ForwardTarget)).one()
        forward_replay.run(target.id)  # the replay's job, done
        db.session.execute(
            insert(ForwardOutbox).values(
                target_id=target.id, statement_id=REFUSED, queued_at=datetime(2026, 1, 1)
            )
        )
        target.failures, target.last_error = 3, "The target answered HTTP 400: bad statement"
        db.session.commit()
    page.reload()
    page.wait_for_selector(f"text={REFUSED}")
    axe(page)
    page.get_by_role("button", name=text["skip"]).click()
    page.wait_for_selector(f"text={text['skipped']}")
    assert page.get_by_text(REFUSED).count() == 0
    axe(page)
