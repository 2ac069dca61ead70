"""Admin → Course review: who reviews which unit's courses, and the review checklist."""

# ruff: noqa: F811  (the fixtures imported from review_fixtures are parameters here)

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from tests.portal.conftest import post
from tests.portal.review_fixtures import World, checklist_refs, world  # noqa: F401


def _grants(world: World) -> list[tuple[str, int | None]]:
    from accounts.models import User
    from packages.review_models import ReviewerGrant

    with world.app.app_context():
        rows = db.session.execute(
            select(User.email, ReviewerGrant.unit_id)
            .join(User, User.id == ReviewerGrant.user_id)
            .order_by(User.email, ReviewerGrant.unit_id)
        )
        return [(email or "", unit) for email, unit in rows]


def _audit(world: World, action: str) -> list[dict]:
    from accounts.models import AuditEvent

    with world.app.app_context():
        return [
            e.details
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        ]


def test_review_admin_adds_and_removes_reviewers(world):
    before = _grants(world)
    answer = post(
        world["adam"],
        "/admin/review",
        {"action": "reviewer", "email": "BO@example.org", "unit": str(world.units["UTB"])},
    )
    assert answer.status_code == 302
    assert _grants(world) == sorted([*before, ("bo@example.org", world.units["UTB"])])
    assert _audit(world, "reviewer.added")[-1] == {"unit": "UTB"}
    # The same grant again changes nothing.
    post(
        world["adam"],
        "/admin/review",
        {"action": "reviewer", "email": "bo@example.org", "unit": str(world.units["UTB"])},
    )
    assert len(_grants(world)) == len(before) + 1
    page = world["adam"].get("/admin/review").get_data(as_text=True)
    assert "Bo Author" in page
    assert "Utbildningsförvaltningen" in page
    assert world["bo"].get("/reviews").status_code == 200
    from packages.review_models import ReviewerGrant

    with world.app.app_context():
        grant_id = db.session.scalar(
            select(ReviewerGrant.id).where(ReviewerGrant.user_id == world.ids["bo"])
        )
    answer = post(world["adam"], "/admin/review", {"action": "remove", "grant_id": str(grant_id)})
    assert answer.status_code == 302
    assert _grants(world) == before
    assert _audit(world, "reviewer.removed") == [{"unit": "UTB"}]
    assert world["bo"].get("/reviews").status_code == 403


def test_review_admin_refuses_unknown_people_and_learners_as_reviewers(world):
    before = _grants(world)
    unknown = post(
        world["adam"], "/admin/review", {"action": "reviewer", "email": "nobody@example.org"}
    )
    assert unknown.status_code == 400
    page = unknown.get_data(as_text=True)
    assert "No such person" in page
    assert 'value="nobody@example.org"' in page  # the form again, as it was sent
    learner = post(
        world["adam"], "/admin/review", {"action": "reviewer", "email": "lea@example.org"}
    )
    assert learner.status_code == 400
    assert "author/trainer role" in learner.get_data(as_text=True)
    bad_unit = post(
        world["adam"],
        "/admin/review",
        {"action": "reviewer", "email": "bo@example.org", "unit": "9999"},
    )
    assert bad_unit.status_code == 400
    assert (
        post(world["adam"], "/admin/review", {"action": "remove", "grant_id": "x"}).status_code
        == 404
    )
    assert _grants(world) == before


def test_review_admin_edits_the_checklist_and_decisions_keep_their_text(world):
    refs = checklist_refs(world.app)
    assert refs[0] == "goals"
    assert len(refs) == 7
    page = world["adam"].get("/admin/review").get_data(as_text=True)
    assert "The learning goals are stated" in page
    # A decision made with the built-in items.
    course = world.upload()
    v1 = world.version(course, 1)
    world.step(course, "ann", "submit", v1)
    world.decide(v1, "rita", "approve", tick_all="1")
    # The admin rewords one item, takes one off and adds one.
    changed = post(
        world["adam"],
        "/admin/review",
        {"action": "change", "ref": "goals", "text": "Lärandemål enligt mallen"},
    )
    assert changed.status_code == 302
    assert (
        post(world["adam"], "/admin/review", {"action": "deactivate", "ref": "mobile"}).status_code
        == 302
    )
    added = post(world["adam"], "/admin/review", {"action": "item", "text": "Källor angivna"})
    assert added.status_code == 302
    refs = checklist_refs(world.app)
    assert "mobile" not in refs
    assert refs[0] == "goals"
    assert refs[-1].startswith("i")
    # An empty text is refused at its field; nothing changes.
    empty = post(world["adam"], "/admin/review", {"action": "change", "ref": "goals", "text": " "})
    assert empty.status_code == 400
    assert checklist_refs(world.app) == refs
    assert (
        post(
            world["adam"], "/admin/review", {"action": "change", "ref": "i999", "text": "x"}
        ).status_code
        == 404
    )
    # The reviewer's form has the new list; approving needs the new item ticked too.
    world.new_version(course)
    v2 = world.version(course, 2)
    world.step(course, "ann", "submit", v2)
    form = world["rita"].get(f"/reviews/{v2}").get_data(as_text=True)
    assert "Lärandemål enligt mallen" in form
    assert "Källor angivna" in form
    assert 'name="tick-mobile"' not in form
    assert (
        world.decide(v2, "rita", "approve", **{f"tick-{r}": "true" for r in refs[:-1]}).status_code
        == 400
    )
    assert world.decide(v2, "rita", "approve", tick_all="1").status_code == 302
    # The first decision keeps the text it was made with.
    from packages.review_models import ReviewEvent

    with world.app.app_context():
        first, second = db.session.scalars(
            select(ReviewEvent).where(ReviewEvent.action == "approved").order_by(ReviewEvent.id)
        )
        assert first.checklist[0]["label"] == "The learning goals are stated"
        assert first.checklist[-1]["label"] == "It works on a phone"
        assert second.checklist[0]["label"] == "Lärandemål enligt mallen"
        assert second.checklist[-1]["label"] == "Källor angivna"
    assert len(_audit(world, "checklist.changed")) == 3
    # Taken off is put back.
    assert (
        post(world["adam"], "/admin/review", {"action": "activate", "ref": "mobile"}).status_code
        == 302
    )
    assert "mobile" in checklist_refs(world.app)


def test_review_checklist_is_in_the_readers_language(world):
    from accounts.models import User

    with world.app.app_context():
        rita = db.session.get(User, world.ids["rita"])
        assert rita is not None
        rita.locale = "sv"
        db.session.commit()
    course = world.upload()
    v1 = world.version(course, 1)
    world.step(course, "ann", "submit", v1)
    page = world["rita"].get(f"/reviews/{v1}").get_data(as_text=True)
    assert "Lärandemålen är beskrivna" in page
    assert "Godkänn" in page
