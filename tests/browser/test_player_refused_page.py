"""The author's list of refused values (player/templates/player/refused.html), checked
with axe-core in Swedish and English, with a refused value in it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.player.test_refused_page import refuse_a_value


@pytest.mark.parametrize(
    ("locale", "heading"), [("sv", "Värden som inte sparades"), ("en", "Refused values")]
)
def test_refused_page_passes_axe(
    app: Any, page: Any, live_server: Any, client: Any, locale: str, heading: str
) -> None:
    from accounts.models import User
    from core.db import db

    portal = portal_data(app)
    course = portal.course("Brandskydd")
    refuse_a_value(app, client, portal.user("lea@example.org"), course)
    author = portal.user("maja@example.org", role="author", name="Maja Författare")
    make_sign_in(live_server)(page, "maja@example.org")
    with app.app_context():
        user = db.session.get(User, author)
        assert user is not None
        user.locale = locale
        db.session.commit()
    page.goto(f"{live_server.url}/author/courses/{course}")
    page.get_by_role("link", name=heading).click()
    assert page.locator("h1").inner_text().startswith(heading)
    assert page.locator("html").get_attribute("lang") == locale
    assert "cmi.core.lesson_status" in page.locator("table").inner_text()
    make_axe()(page)
