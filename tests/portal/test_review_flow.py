"""Course review through the portal's pages: draft → in review → approved → published.

Every step is a form on the author's course page or the reviewer's page; what is kept
(who, when, why, the checklist as ticked) is read back from the database and the pages,
and what learners get from the launch they make.
"""

# ruff: noqa: F811  (the fixtures imported from review_fixtures are parameters here)

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from tests.portal.conftest import post
from tests.portal.review_fixtures import World, checklist_refs, world  # noqa: F401


def _launched_version(world: World, who: str, course: int) -> int | None:
    """Launch as ``who``; the version their attempt runs on (None: not launchable)."""
    from player.models import Attempt

    answer = world[who].get(f"/courses/{course}/launch")
    if answer.status_code != 303:
        return None
    with world.app.app_context():
        attempt = db.session.scalar(
            select(Attempt)
            .where(Attempt.user_id == world.ids[who], Attempt.course_id == course)
            .order_by(Attempt.id.desc())
        )
        return attempt.version_id if attempt is not None else None


def _audit(world: World, action: str) -> list[tuple[str, dict]]:
    from accounts.models import AuditEvent

    with world.app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return [(e.actor_name, e.details) for e in rows]


def test_review_an_authors_upload_is_a_draft_that_learners_never_see(world):
    course = world.upload()
    v1 = world.version(course, 1)
    assert world.state(v1) == ("draft", False)
    # Publishing the course itself is refused while no version is published.
    refused = post(world["ann"], f"/author/courses/{course}", {"action": "publish"})
    assert refused.status_code == 400
    assert "submit one for review" in refused.get_data(as_text=True)
    # Nor may an author publish the version, or tick "Publish at once" on upload.
    assert world.step(course, "ann", "publish_version", v1).status_code == 403
    assert world.state(v1) == ("draft", False)
    assert world["lea"].get(f"/catalogue/{course}").status_code == 404
    assert _launched_version(world, "lea", course) is None


def test_review_submit_approve_publish_keeps_who_when_and_why(world):
    course = world.upload()
    v1 = world.version(course, 1)
    done = world.step(course, "ann", "submit", v1, note="Ny kurs om hemtjänst")
    assert done.status_code == 302
    assert world.state(v1) == ("in_review", False)
    # The reviewer finds it on their list and opens it.
    listed = world["rita"].get("/reviews").get_data(as_text=True)
    assert f'href="/reviews/{v1}"' in listed
    page = world["rita"].get(f"/reviews/{v1}").get_data(as_text=True)
    assert "Ny kurs om hemtjänst" in page
    assert "no errors and no warnings" in page
    assert f"/reviews/{v1}/preview" in page
    # Approving needs every item ticked: refused, nothing kept, the ticks shown again.
    refs = checklist_refs(world.app)
    half = {f"tick-{ref}": "true" for ref in refs[:3]}
    refused = world.decide(v1, "rita", "approve", **half)
    assert refused.status_code == 400
    assert "Tick every item" in refused.get_data(as_text=True)
    assert f'id="tick-{refs[0]}" name="tick-{refs[0]}" type="checkbox" value="true" checked' in (
        refused.get_data(as_text=True)
    )
    assert world.state(v1) == ("in_review", False)
    approved = world.decide(
        v1, "rita", "approve", tick_all="1", comment="Bra!", **{f"note-{refs[0]}": "Tydliga mål"}
    )
    assert approved.status_code == 302
    assert world.state(v1) == ("approved", False)
    # Approved is not yet published: learners still get nothing.
    assert _launched_version(world, "lea", course) is None
    assert world.step(course, "ann", "publish_version", v1).status_code == 302
    assert world.state(v1) == ("published", True)
    assert _launched_version(world, "lea", course) == v1
    # Every step is kept, with who and why, and shown on the course's page.
    assert world.events(course) == [
        ("uploaded", "Ann Author", ""),
        ("submitted", "Ann Author", "Ny kurs om hemtjänst"),
        ("approved", "Rita Reviewer", "Bra!"),
        ("published", "Ann Author", ""),
    ]
    from packages.review_models import ReviewEvent

    with world.app.app_context():
        decision = db.session.scalar(select(ReviewEvent).where(ReviewEvent.action == "approved"))
        assert decision is not None
        assert decision.at is not None
        assert [row["ref"] for row in decision.checklist] == refs
        assert all(row["ticked"] for row in decision.checklist)
        assert decision.checklist[0]["comment"] == "Tydliga mål"
    shown = world["ann"].get(f"/author/courses/{course}").get_data(as_text=True)
    assert "Rita Reviewer" in shown
    assert "Bra!" in shown
    assert "Tydliga mål" in shown
    assert [a for a, _d in _audit(world, "review.submitted")] == ["ann@example.org"]
    assert _audit(world, "review.approved") == [
        ("rita@example.org", {"version": 1, "comment": "Bra!"})
    ]
    assert _audit(world, "version.published") == [
        ("ann@example.org", {"version": 1, "reviewed": True})
    ]


def test_review_a_new_version_is_reviewed_while_the_published_one_stays_live(world):
    course = world.upload()
    v1 = world.version(course, 1)
    world.step(course, "ann", "submit", v1)
    world.decide(v1, "rita", "approve", tick_all="1")
    world.step(course, "ann", "publish_version", v1)
    assert _launched_version(world, "lea", course) == v1
    # Bo uploads version 2: a draft; learners keep version 1.
    assert world.new_version(course, "bo").status_code == 302
    v2 = world.version(course, 2)
    assert world.state(v2) == ("draft", False)
    assert world.step(course, "bo", "submit", v2).status_code == 302
    # Returning needs a comment; then it goes back to draft with it.
    assert world.decide(v2, "rita", "return").status_code == 400
    assert world.state(v2) == ("in_review", False)
    refs = checklist_refs(world.app)
    returned = world.decide(
        v2, "rita", "return", comment="Målgruppen saknas", **{f"note-{refs[1]}": "Vem är den för?"}
    )
    assert returned.status_code == 302
    assert world.state(v2) == ("draft", False)
    # Bo fixes the details and submits the same version again; Rita approves.
    details = {"action": "metadata", "title": "Hemtjänst", "unit": str(world.units["IFO"])}
    assert post(world["bo"], f"/author/courses/{course}", details).status_code == 302
    assert world.step(course, "bo", "submit", v2, note="Målgrupp tillagd").status_code == 302
    assert world.decide(v2, "rita", "approve", tick_all="1").status_code == 302
    # Approved, not published: a new attempt still gets version 1.
    assert world["lea"].get(f"/courses/{course}/launch").status_code == 303
    assert _launched_version(world, "lea", course) == v1
    assert world.step(course, "bo", "publish_version", v2).status_code == 302
    assert world.state(v1) == ("published", True)  # old attempts keep it
    # Lea's open attempt stays on version 1; someone starting now gets version 2.
    world.person("nils", "nils@example.org", unit="IFO")
    assert _launched_version(world, "nils", course) == v2
    actions = [(a, who) for a, who, _c in world.events(course)]
    assert ("returned", "Rita Reviewer") in actions
    assert actions[-1] == ("published", "Bo Author")
    page = world["bo"].get(f"/author/courses/{course}").get_data(as_text=True)
    assert "Målgruppen saknas" in page
    assert "Vem är den för?" in page


def test_review_withdraw_and_one_version_in_review_at_a_time(world):
    course = world.upload()
    v1 = world.version(course, 1)
    world.step(course, "ann", "submit", v1)
    world.new_version(course)
    v2 = world.version(course, 2)
    refused = world.step(course, "ann", "submit", v2)
    assert refused.status_code == 409
    assert world.state(v2) == ("draft", False)
    assert world.step(course, "ann", "withdraw", v1).status_code == 302
    assert world.state(v1) == ("draft", False)
    assert world.step(course, "ann", "withdraw", v1).status_code == 409  # not in review now
    assert world.step(course, "ann", "submit", v2).status_code == 302
    # Approving or returning what is not in review is a conflict.
    assert world.decide(v1, "rita", "approve", tick_all="1").status_code == 409
    assert world.decide(v2, "rita", "approve", tick_all="1").status_code == 302
    assert world.step(course, "ann", "submit", v2).status_code == 409  # approved, not draft
    assert world.step(course, "ann", "publish_version", v2).status_code == 302
    assert world.step(course, "ann", "publish_version", v2).status_code == 409  # published
    # Version 1 is older than the published version 2: it cannot be published now.
    assert world.step(course, "adam", "publish_version", v1).status_code == 409
    assert world.state(v1) == ("draft", False)


def test_review_admins_publish_without_review_and_it_is_audited(world):
    course = world.upload()
    v1 = world.version(course, 1)
    assert "Publish version 1 without review" in (
        world["adam"].get(f"/author/courses/{course}").get_data(as_text=True)
    )
    assert "without review" not in world["ann"].get(f"/author/courses/{course}").get_data(
        as_text=True
    )
    assert world.step(course, "adam", "publish_version", v1).status_code == 302
    assert world.state(v1) == ("published", True)
    assert world.events(course)[-1] == ("published_directly", "Adam Admin", "")
    assert _audit(world, "version.published") == [
        ("adam@example.org", {"version": 1, "reviewed": False})
    ]
    assert _launched_version(world, "lea", course) == v1


def test_review_without_course_review_authors_publish_themselves(world, review_off):
    course = world.upload()
    v1 = world.version(course, 1)
    assert world.state(v1) == ("published", True)  # as before review existed
    world.new_version(course)
    v2 = world.version(course, 2)
    assert world.state(v2) == ("published", True)
    assert world.events(course)[-1] == ("published_directly", "Ann Author", "")


def test_review_the_reviewer_tries_the_version_under_review_in_a_preview(world):
    from player.models import Attempt

    course = world.upload()
    v1 = world.version(course, 1)
    world.step(course, "ann", "submit", v1)
    world.new_version(course)  # version 2, a newer draft, is not what is reviewed
    answer = world["rita"].get(f"/reviews/{v1}/preview")
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/player/")
    assert world["ann"].get(f"/courses/{course}/preview").status_code == 303
    with world.app.app_context():
        rows = db.session.execute(
            select(Attempt.user_id, Attempt.version_id, Attempt.preview).order_by(Attempt.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (world.ids["rita"], v1, True),
        (world.ids["ann"], world.version(course, 2), True),
    ]
    # A preview counts for nobody: the reviewer has nothing in progress.
    assert "Hemtjänst" not in world["rita"].get("/my").get_data(as_text=True)


def test_review_publish_at_once_is_the_admins_alone(world):
    import io

    from tests.portal.conftest import package_zip

    assert 'name="publish"' not in world["ann"].get("/author").get_data(as_text=True)
    assert 'name="publish"' in world["adam"].get("/author").get_data(as_text=True)
    form = {"action": "upload", "publish": "true"}
    refused = post(
        world["ann"],
        "/author",
        {**form, "file": (io.BytesIO(package_zip("Brand")), "b.zip")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 403
    assert "Courses are reviewed before they are published" in refused.get_data(as_text=True)
    from packages.models import Course

    with world.app.app_context():
        assert db.session.scalars(select(Course)).all() == []
    done = post(
        world["adam"],
        "/author",
        {**form, "file": (io.BytesIO(package_zip("Brand")), "b.zip")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    course = int(done.headers["Location"].split("?")[0].rsplit("/", 1)[1])
    assert world.state(world.version(course, 1)) == ("published", True)
    assert world.events(course)[-1] == ("published_directly", "Adam Admin", "")
    assert "Brand" in world["lea"].get("/catalogue").get_data(as_text=True)
