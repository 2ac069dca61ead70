"""Reviewers and authors are told when it is their turn: e-mail (read from aiosmtpd) and
the Notifications page. Messages are stored with the step, in its transaction, and sent
by a job after the commit; each person's message is in their language."""

# ruff: noqa: F811  (the fixtures imported from other modules are parameters here)

from __future__ import annotations

from sqlalchemy import select

from core import jobs
from core.db import db
from tests.portal.jobs_fixtures import queue, smtp  # noqa: F401
from tests.portal.mail_helpers import drain
from tests.portal.review_fixtures import World, checklist_refs, world  # noqa: F401


def _speaks(world: World, who: str, locale: str) -> None:
    from accounts.models import User

    with world.app.app_context():
        user = db.session.get(User, world.ids[who])
        assert user is not None
        user.locale = locale
        db.session.commit()


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_review_turns_are_mailed_to_the_reviewers_then_the_author(world, queue, smtp):
    _speaks(world, "bo", "en")  # Ann and Rita read the organisation's language, Swedish
    course = world.upload()
    v1 = world.version(course, 1)
    world.step(course, "ann", "submit", v1, note="Första versionen")
    drain(jobs.huey)
    # Rita reviews IFO's courses (her grant is on SOC); Ulf (UTB) and the admin are not asked.
    assert smtp.sink.recipients() == ["rita@example.org"]
    (asked,) = smtp.sink.to("rita@example.org")
    assert asked["Subject"] == "Att granska: Hemtjänst, version 1"
    body = _text(asked)
    assert "Ann Author har skickat version 1 av Hemtjänst till granskning." in body
    assert "Första versionen" in body
    assert asked.get_body(("html",)) is not None
    # Returned with a comment and an item's comment: Ann is told what to change.
    refs = checklist_refs(world.app)
    world.decide(
        v1, "rita", "return", comment="Lägg till målgrupp", **{f"note-{refs[1]}": "Saknas"}
    )
    drain(jobs.huey)
    (returned,) = smtp.sink.to("ann@example.org")
    assert returned["Subject"] == "Tillbaka med synpunkter: Hemtjänst, version 1"
    body = _text(returned)
    assert "Lägg till målgrupp" in body
    assert "- Målgruppen är angiven: Saknas" in body
    # Bo fixes it and submits again: Rita is asked once more; then she approves, to Bo.
    world.new_version(course, "bo")
    v2 = world.version(course, 2)
    world.step(course, "bo", "submit", v2)
    world.decide(v2, "rita", "approve", tick_all="1")
    drain(jobs.huey)
    assert len(smtp.sink.to("rita@example.org")) == 2
    (approved,) = smtp.sink.to("bo@example.org")
    assert approved["Subject"] == "Approved: Hemtjänst, version 2"
    assert "Publish it when you are ready" in _text(approved)
    # Each message once, however often the queue runs.
    drain(jobs.huey)
    assert len(smtp.sink.received) == 4


def test_review_turns_are_shown_under_notifications_and_on_the_home_page(world):
    course = world.upload()
    v1 = world.version(course, 1)
    world.step(course, "ann", "submit", v1)
    notices = world["rita"].get("/notifications").get_data(as_text=True)
    assert "Att granska: Hemtjänst, version 1" in notices
    home = world["rita"].get("/").get_data(as_text=True)
    assert f'href="/reviews/{v1}"' in home
    world.decide(v1, "rita", "return", comment="Mer text")
    assert "Tillbaka med synpunkter" in world["ann"].get("/notifications").get_data(as_text=True)
    assert f'href="/author/courses/{course}"' in world["ann"].get("/").get_data(as_text=True)
    assert f'href="/reviews/{v1}"' not in world["rita"].get("/").get_data(as_text=True)
    # A new upload overtakes the returned version: nothing waits for Ann any more.
    world.new_version(course)
    assert f'href="/author/courses/{course}"' not in world["ann"].get("/").get_data(as_text=True)


def test_review_without_a_reviewer_for_the_unit_the_admins_are_asked(world):
    from portal.notice_models import OutboxMessage

    course = world.upload(unit="KOMMUN")  # no reviewer covers KOMMUN itself
    world.step(course, "ann", "submit", world.version(course, 1))
    with world.app.app_context():
        told = db.session.scalars(
            select(OutboxMessage.user_id).where(OutboxMessage.kind == "review_requested")
        ).all()
    assert told == [world.ids["adam"]]


def test_review_a_step_rolled_back_tells_nobody(world):
    from portal.notice_models import OutboxMessage

    course = world.upload()
    v1 = world.version(course, 1)
    world.step(course, "ann", "submit", v1)
    # Approving without the checklist is refused: no decision, no message to Ann.
    assert world.decide(v1, "rita", "approve").status_code == 400
    with world.app.app_context():
        kinds = db.session.scalars(select(OutboxMessage.kind)).all()
    assert kinds == ["review_requested"]
