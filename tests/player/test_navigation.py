"""The player's own navigation: what Next and Previous offer, and Save and exit.

Offer only the navigation the course has (a one-SCO course has no Next; none past the
last SCO or AU), and "Save and exit" always saves and exits.
"""

# ruff: noqa: F811  (the fixtures imported from test_runtime are parameters here)
from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from tests.player.builds import cmi5_zip, slides_zip
from tests.player.test_runtime import Player, launch, make_learner  # noqa: F401


@pytest.fixture
def built(
    app: Flask, client: FlaskClient, make_learner: Callable[..., int], launch: Callable[..., str]
) -> Callable[[bytes], Player]:
    """Import a package built in the test; launch it for a new learner."""
    from packages import service as packages

    learner = make_learner()

    def make(data: bytes) -> Player:
        with app.app_context():
            result = packages.import_package(io.BytesIO(data), published=True)
            db.session.commit()
            course = result.course.id
        return Player(client, launch(learner, course))

    return make


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_navigation_one_sco_course_offers_no_next(
    built: Callable[[bytes], Player], version: str
) -> None:
    p = built(slides_zip(version))
    started = p.navigate("start").get_json()
    assert started["valid"]["offer"] == {"continue": False, "previous": False}
    committed = p.commit(
        {"location": "5"} if version == "2004" else {"core": {"lesson_location": "5"}}
    )
    assert committed.status_code == 200


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_navigation_next_only_to_a_sco_that_exists(
    built: Callable[[bytes], Player], version: str
) -> None:
    p = built(slides_zip(version, scos=2))
    first = p.navigate("start").get_json()
    assert first["valid"]["offer"] == {"continue": True, "previous": False}
    second = p.navigate("continue").get_json()
    assert second["launch"]["sco"] == "item2"
    assert second["valid"]["offer"] == {"continue": False, "previous": True}


def test_navigation_cmi5_next_only_to_an_au_that_exists(built: Callable[[bytes], Player]) -> None:
    p = built(cmi5_zip())
    first = p.navigate("start").get_json()
    assert first["valid"]["offer"] == {"continue": True, "previous": False}
    last = p.navigate("choice", p.launch["sco"].replace("au1", "au8")).get_json()
    assert last["valid"]["offer"] == {"continue": False, "previous": True}


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_navigation_save_and_exit_always_saves(
    built: Callable[[bytes], Player], version: str
) -> None:
    """The issue's sequence: Next at slide 5 of 7 in a one-SCO course, then Save and exit."""
    p = built(slides_zip(version))
    p.navigate("start")
    where = {"location": "5"} if version == "2004" else {"core": {"lesson_location": "5"}}
    assert p.commit(where).status_code == 200
    # A continue past the only SCO (the shell no longer offers it; a SCO may still ask).
    p.navigate("continue")
    saved = p.navigate("suspendAll").get_json()
    assert saved["action"] == "end"
    assert saved["message"] == "Your place is saved. You can close this window."
    assert "refused" not in saved
    state = p.attempt()
    assert (state["suspended"], state["ended"]) == (True, False)
    # The next launch resumes the SCO where the learner was.
    again = p.navigate("start").get_json()
    cmi = again["launch"]["cmi"]
    location = cmi.get("location") if version == "2004" else cmi["core"]["lesson_location"]
    assert location == "5"
