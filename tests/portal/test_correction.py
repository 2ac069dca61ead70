"""Correcting recorded attendance is a two-step action: a page says what is voided, then confirm."""

from __future__ import annotations

import pytest

from tests.conftest import match
from tests.portal.conftest import post

SV = {"Accept-Language": "sv"}


@pytest.fixture
def recorded(portal, login):
    """A session whose trainer recorded Lea as attended, completed and failed (40 %)."""
    trainer = portal.user("tom@example.org", role="author", name="Tom Trainer")
    room = portal.course("Lifting technique", kind="classroom")
    session = portal.session(room, trainer, seats=2)
    lea = portal.user("lea@example.org", name="Lea Learner")
    post(login(lea), f"/sessions/{session}/enrol")
    client = login(trainer)
    url = f"/trainer/sessions/{session}"
    enrolment = match(r'name="e(\d+)-attended"', client.get(url).get_data(as_text=True))
    enrolment_id = enrolment.group(1)
    post(
        client,
        url,
        {
            f"e{enrolment_id}-attended": "true",
            f"e{enrolment_id}-completed": "true",
            f"e{enrolment_id}-outcome": "failed",
            f"e{enrolment_id}-score": "40",
        },
    )
    return {
        "trainer": trainer,
        "lea": lea,
        "session": session,
        "enrolment": enrolment_id,
        "url": url,
        "confirm": f"{url}/correct/{enrolment_id}",
    }


def live_verbs(xapi) -> list[str]:
    statements = xapi.get("statements").get_json()["statements"]
    return sorted(s["verb"]["id"].rsplit("/", 1)[1] for s in statements)


def test_portal_correction_single_post_voids_nothing(recorded, login, xapi):
    trainer = login(recorded["trainer"])
    # The old one-click form: now it only leads to the confirmation.
    response = post(trainer, recorded["url"], {"correct": recorded["enrolment"]})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(recorded["confirm"])
    # A POST to the confirmation without its confirm field voids nothing either.
    response = post(trainer, recorded["confirm"], {})
    assert response.status_code == 400
    assert live_verbs(xapi) == ["attended", "completed", "failed"]
    assert "Failed" in login(recorded["lea"]).get("/my").get_data(as_text=True)


def test_portal_correction_confirmed_voids_and_allows_recording_again(recorded, login, xapi):
    trainer = login(recorded["trainer"])
    response = post(trainer, recorded["confirm"], {"confirm": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(recorded["url"])
    assert "Results voided: 3 statements" in trainer.get(recorded["url"]).get_data(as_text=True)
    assert live_verbs(xapi) == ["voided", "voided", "voided"]
    assert "Failed" not in login(recorded["lea"]).get("/my").get_data(as_text=True)
    # Recorded again, then a second correction of the unrecorded row is a conflict.
    enrolment = recorded["enrolment"]
    post(
        trainer,
        recorded["url"],
        {f"e{enrolment}-attended": "true", f"e{enrolment}-outcome": "passed"},
    )
    assert "Passed" in login(recorded["lea"]).get("/my").get_data(as_text=True)
    post(trainer, recorded["confirm"], {"confirm": "1"})
    assert post(trainer, recorded["confirm"], {"confirm": "1"}).status_code == 409


def test_portal_correction_page_says_what_is_voided(recorded, login):
    page = login(recorded["trainer"]).get(recorded["confirm"], headers=SV)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Lea Learner" in text
    assert "Underkänd" in text  # the recorded result, in Swedish
    assert "40" in text
    assert "3" in text  # statements to void
    # One form: POST with the CSRF token and the confirm field; cancel is a link back.
    assert text.count('method="post"') == text.count('name="csrf_token"')
    assert 'name="confirm" value="1"' in text
    assert f'href="{recorded["url"]}"' in text


def test_portal_correction_session_page_links_to_the_confirmation(recorded, login):
    page = login(recorded["trainer"]).get(recorded["url"]).get_data(as_text=True)
    assert f'href="{recorded["confirm"]}"' in page
    assert 'name="correct"' not in page  # no one-click voiding form left


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("learner", 403),
        ("other author", 403),
        ("manager", 403),
        ("trainer", 200),
        ("admin", 200),
    ],
)
def test_portal_correction_who_may_open_and_confirm(
    recorded, portal, login, client, xapi, who, status
):
    users = {
        "learner": recorded["lea"],
        "other author": portal.user("ann@example.org", role="author"),
        "manager": portal.user("maja@example.org", role="manager"),
        "trainer": recorded["trainer"],
        "admin": portal.user("boss@example.org", role="admin"),
    }
    visitor = client if who == "anonymous" else login(users[who])
    response = visitor.get(recorded["confirm"])
    assert response.status_code == status
    if who == "anonymous":
        assert "/login" in response.headers["Location"]
    confirm = post(visitor, recorded["confirm"], {"confirm": "1"})
    if status == 200:
        assert confirm.status_code == 302
        assert live_verbs(xapi) == ["voided", "voided", "voided"]
    else:
        assert confirm.status_code in (302, 400, 403)
        assert live_verbs(xapi) == ["attended", "completed", "failed"]


def test_portal_correction_unknown_enrolment_is_404(recorded, login):
    trainer = login(recorded["trainer"])
    url = f"{recorded['url']}/correct/999999"
    assert trainer.get(url).status_code == 404
    assert post(trainer, url, {"confirm": "1"}).status_code == 404


def test_portal_correction_needs_the_csrf_token(recorded, login, xapi):
    trainer = login(recorded["trainer"])
    response = trainer.post(recorded["confirm"], data={"confirm": "1"})
    assert response.status_code == 400
    assert live_verbs(xapi) == ["attended", "completed", "failed"]
