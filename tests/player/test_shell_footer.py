"""The player page's footer links to the accessibility statement, in the learner's language."""

# ruff: noqa: F811  (the fixtures imported from test_runtime are parameters here)
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import User
from core.db import db
from tests.conftest import signed_in
from tests.player.test_runtime import (  # noqa: F401  (fixtures)
    GOLF_12,
    launch,
    make_course,
    make_learner,
)


@pytest.mark.parametrize(
    ("locale", "text"),
    [("sv", "Tillgänglighetsredogörelse"), ("en", "Accessibility statement")],
)
def test_player_shell_footer_links_to_accessibility_statement(
    app: Flask,
    client: FlaskClient,
    make_learner: Callable[..., int],
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
    locale: str,
    text: str,
) -> None:
    learner = make_learner()
    with app.app_context():
        user = db.session.get(User, learner)
        assert user is not None
        user.locale = locale
        db.session.commit()
    token = launch(learner, make_course(GOLF_12))
    page = signed_in(client, learner).get(f"/player/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    footer = html[html.index('<footer class="bar controls">') : html.index("</footer>")]
    assert 'href="/accessibility"' in footer
    assert text in footer
    assert 'target="_blank" rel="noopener"' in footer
    # The statement itself opens for the learner (and for anyone).
    assert client.get("/accessibility").status_code == 200
