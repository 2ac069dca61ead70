"""``flask demo load``: a living demo municipality, made once."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db import db


def test_demo_load_builds_a_municipality_once(app, runner, tmp_path, login):
    from accounts.models import OrganisationUnit, User
    from portal.models import Assignment, Completion

    first = runner.invoke(args=["demo", "load", "--corpus", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "20 units, 300 people, 7 e-learning courses" in first.output
    assert "password:" in first.output
    with app.app_context():
        counts = [
            int(db.session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (OrganisationUnit, User, Assignment, Completion)
        ]
        depth = db.session.scalar(
            select(func.count()).where(
                OrganisationUnit.parent_id.in_(
                    select(OrganisationUnit.id).where(OrganisationUnit.parent_id.is_not(None))
                )
            )
        )
        manager = db.session.scalar(
            select(User.id)
            .join(OrganisationUnit, OrganisationUnit.id == User.unit_id)
            .where(User.role == "manager", OrganisationUnit.code == "SOC")
        )
    assert counts[0] == 20
    assert counts[1] == 300
    assert counts[2] >= 5
    assert counts[3] > 300  # a year of completions
    assert depth  # three levels
    with app.app_context():
        from portal.evaluation_questions import active_questions

        assert len(active_questions()) == 4  # the suggested evaluation questions
    second = runner.invoke(args=["demo", "load", "--corpus", str(tmp_path)])
    assert second.exit_code == 0
    assert "nothing was changed" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 300
    # A new version of a social services course waits for its reviewer.
    from packages.models import PackageVersion
    from packages.review_models import ReviewerGrant

    with app.app_context():
        waiting = db.session.scalar(
            select(PackageVersion.id).where(PackageVersion.review_state == "in_review")
        )
        reviewer = db.session.scalar(select(ReviewerGrant.user_id))
    assert f'href="/reviews/{waiting}"' in login(reviewer).get("/reviews").get_data(as_text=True)
    # A department's manager sees the sections below in the reports, with people.
    page = login(manager).get("/reports").get_data(as_text=True)
    assert "Äldreomsorg" in page
    assert "Individ- och familjeomsorg" in page
