"""The player page's footer links to the accessibility statement (issue 15), in the
learner's language, below the course's frame (never over the content), also on a phone,
and opens it in a tab of its own so the course is not left."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest_portal import make_sign_in, portal_data


@pytest.mark.parametrize(
    ("locale", "text", "width"),
    [("sv", "Tillgänglighetsredogörelse", 1280), ("en", "Accessibility statement", 375)],
)
def test_player_footer_links_to_the_accessibility_statement(
    app: Any, page: Any, live_server: Any, locale: str, text: str, width: int
) -> None:
    from accounts.models import User
    from core.db import db

    portal = portal_data(app)
    course = portal.course("Brandskydd")
    learner = portal.user("lea@example.org")
    page.set_viewport_size({"width": width, "height": 800})
    make_sign_in(live_server)(page, "lea@example.org")
    with app.app_context():  # after signing in: the sign-in helper reads English labels
        user = db.session.get(User, learner)
        assert user is not None
        user.locale = locale
        db.session.commit()
    page.goto(f"{live_server.url}/courses/{course}/launch")
    link = page.locator("footer #a11y-link")
    link.wait_for()
    assert link.inner_text().startswith(text)
    frame = page.locator("#runtime").bounding_box()
    box = link.bounding_box()
    assert frame is not None
    assert box is not None
    assert box["y"] >= frame["y"] + frame["height"]  # below the content, not over it
    assert box["y"] + box["height"] <= 800  # on the screen
    with page.context.expect_page() as opened:
        link.click()
    statement = opened.value
    statement.wait_for_load_state()
    assert statement.url == f"{live_server.url}/accessibility"
    assert statement.locator("html").get_attribute("lang") == locale
    assert page.url.startswith(f"{live_server.url}/player/")  # the course is still open
