"""Course review (COURSE_REVIEW on, the default) and the ways packages come in besides the
portal: the JSON API and ``flask packages import``."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from core.db import db
from packages.models import Course, PackageVersion
from packages.review_models import ReviewEvent
from tests.packages.conftest import MANIFEST_12, zip_bytes

API = "/api/packages"
ZIP = zip_bytes({"imsmanifest.xml": MANIFEST_12, "index.html": "x"})


def _upload(client, headers, url: str = f"{API}/courses", **form: str):
    return client.post(
        url,
        headers=headers,
        data={"file": (io.BytesIO(ZIP), "course.zip"), **form},
        content_type="multipart/form-data",
    )


def _audit(app, action: str) -> list[tuple[str, dict]]:
    from accounts.models import AuditEvent

    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        return [(e.actor_name, e.details) for e in rows]


def test_review_api_an_authors_upload_is_a_draft_for_review(client, app, make_user):
    author = {"Authorization": make_user("author")}
    created = _upload(client, author)
    assert created.status_code == 201
    body = created.get_json()
    assert body["review_state"] == "draft"
    version = client.get(f"{API}/versions/{body['version_id']}", headers=author).get_json()
    assert (version["published"], version["review_state"]) == (False, "draft")
    course = client.get(f"{API}/courses/{body['course']}", headers=author).get_json()
    assert course["latest_published_version"] is None
    with app.app_context():
        (event,) = db.session.scalars(select(ReviewEvent)).all()
        assert (event.action, event.actor_name) == ("uploaded", "Author")


def test_review_api_an_author_asking_to_publish_is_refused_and_nothing_stored(
    client, app, make_user
):
    author = {"Authorization": make_user("author")}
    refused = _upload(client, author, publish="true")
    assert refused.status_code == 403
    assert refused.get_json()["errors"] == [{"path": "publish", "message": "review required"}]
    with app.app_context():
        assert db.session.scalars(select(Course)).all() == []
        assert db.session.scalars(select(PackageVersion)).all() == []


def test_review_api_an_admin_publishes_at_once_and_it_is_audited(client, app, make_user):
    admin = {"Authorization": make_user("admin")}
    created = _upload(client, admin, publish="true").get_json()
    assert created["review_state"] == "published"
    course = client.get(f"{API}/courses/{created['course']}", headers=admin).get_json()
    assert (course["published"], course["latest_published_version"]) == (True, 1)
    assert _audit(app, "version.published") == [
        ("admin@example.org", {"version": 1, "reviewed": False})
    ]
    # With draft=true even an admin's version waits (for review, or to be published).
    draft = _upload(client, admin, f"{API}/courses/{created['course']}/versions", draft="true")
    assert draft.get_json()["review_state"] == "draft"


def test_review_cli_publishes_at_once_as_the_command_line(runner, app, tmp_path):
    package = tmp_path / "c.zip"
    package.write_bytes(ZIP)
    result = runner.invoke(args=["packages", "import", str(package), "--publish", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["review_state"] == "published"
    assert _audit(app, "version.published") == [("command line", {"version": 1, "reviewed": False})]
    with app.app_context():
        steps = db.session.scalars(select(ReviewEvent).order_by(ReviewEvent.id)).all()
        assert [(e.action, e.actor_id, e.actor_name) for e in steps] == [
            ("uploaded", None, "command line"),
            ("published_directly", None, "command line"),
        ]
    drafted = runner.invoke(
        args=["packages", "import", str(package), "--course", str(out["course"]), "--draft"]
    )
    assert drafted.exit_code == 0, drafted.output
    with app.app_context():
        states = db.session.scalars(
            select(PackageVersion.review_state).order_by(PackageVersion.number)
        ).all()
    assert states == ["published", "draft"]
