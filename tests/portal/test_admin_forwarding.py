"""Admin → Forwarding: who may reach it, its forms (CSRF, refusals), and the secret's keeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from accounts.models import AuditEvent
from core import jobs
from core.db import db
from lrs import forward_delivery, forwarding
from lrs.forward_models import ForwardOutbox, ForwardTarget
from tests.conftest import XapiClient
from tests.portal.conftest import CSRF, Portal, post
from tests.portal.mail_helpers import drain

SECRET = "Very-Secret-Value-42"
NEW = {
    "name": "Regionens LRS",
    "endpoint": "https://lrs.example.org/xapi",
    "key": "region-key",
    "secret": SECRET,
    "version": "1.0.3",
    "verbs": "http://adlnet.gov/expapi/verbs/completed\n",
    "activities": "http://example.org/courses/*",
}


@pytest.fixture(autouse=True)
def _fresh_targets(app: Flask) -> Iterator[None]:
    with app.app_context():
        forwarding.forget_targets()
    yield
    with app.app_context():
        forwarding.forget_targets()


@pytest.fixture
def admin(portal: Portal, login: Callable[[int], FlaskClient]) -> FlaskClient:
    return login(portal.user("ada@example.org", role="admin"))


def _target(app: Flask) -> ForwardTarget:
    with app.app_context():
        target = db.session.scalars(select(ForwardTarget)).one()
        db.session.expunge(target)
        db.session.rollback()
        return target


@pytest.mark.parametrize(
    ("role", "status"), [("learner", 403), ("author", 403), ("manager", 403), ("admin", 200)]
)
def test_admin_forwarding_only_admins_reach_it(
    portal: Portal, login: Callable[[int], FlaskClient], role: str, status: int
) -> None:
    client = login(portal.user(f"{role}@example.org", role=role))
    assert client.get("/admin/forwarding").status_code == status
    assert post(client, "/admin/forwarding", NEW).status_code == (302 if status == 200 else 403)


def test_admin_forwarding_anonymous_is_sent_to_sign_in_and_forms_need_csrf(
    client: FlaskClient, admin: FlaskClient
) -> None:
    answer = client.get("/admin/forwarding")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login")
    refused = admin.post("/admin/forwarding", data={**NEW, "csrf_token": "guess"})
    assert refused.status_code == 400
    assert admin.get("/admin/forwarding").status_code == 200
    assert "Regionens LRS" not in admin.get("/admin/forwarding").get_data(as_text=True)


def test_admin_forwarding_add_edit_pause_replay_remove(
    app: Flask,
    admin: FlaskClient,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
) -> None:
    added = post(admin, "/admin/forwarding", NEW)
    assert added.status_code == 302
    target = _target(app)
    page_url = f"/admin/forwarding/{target.id}"
    assert added.headers["Location"] == page_url
    assert target.endpoint == "https://lrs.example.org/xapi/"
    assert target.verbs == ["http://adlnet.gov/expapi/verbs/completed"]
    assert SECRET not in target.secret_sealed
    for page in ("/admin/forwarding", page_url):
        html = admin.get(page).get_data(as_text=True)
        assert "Regionens LRS" in html
        assert SECRET not in html
    assert admin.get(page_url).headers["Cache-Control"] == "no-store"

    # A refused change shows the form again, keeps the input and stores nothing.
    bad = post(admin, page_url, {**NEW, "action": "save", "endpoint": "ftp://x", "name": "Ny"})
    assert bad.status_code == 400
    assert 'value="Ny"' in bad.get_data(as_text=True)
    assert SECRET not in bad.get_data(as_text=True)
    assert _target(app).name == "Regionens LRS"
    # An empty secret keeps the stored one.
    kept = post(admin, page_url, {**NEW, "action": "save", "secret": "", "name": "Region"})
    assert kept.status_code == 302
    assert _target(app).name == "Region"
    assert _target(app).secret_sealed == target.secret_sealed

    assert post(admin, page_url, {"action": "pause"}).status_code == 302
    assert _target(app).paused
    assert "Resume delivery" in admin.get(page_url).get_data(as_text=True)
    assert post(admin, page_url, {"action": "resume"}).status_code == 302
    assert not _target(app).paused

    statements = [
        make_statement(object={"objectType": "Activity", "id": f"http://example.org/courses/{n}"})
        for n in range(3)
    ]
    assert xapi.post("statements", statements).status_code == 200
    with app.app_context():
        db.session.execute(delete(ForwardOutbox))
        db.session.commit()
    replay = post(admin, page_url, {"action": "replay", "statement_id": statements[1]["id"]})
    assert replay.status_code == 302
    # A job queues them; until it has run, the page says the replay is under way.
    queuing = admin.get(page_url).get_data(as_text=True)
    assert "being queued again" in queuing
    assert "Sending again" in queuing
    again = post(admin, page_url, {"action": "replay", "statement_id": statements[0]["id"]})
    assert again.status_code == 400  # one replay at a time
    assert "already being queued again" in again.get_data(as_text=True)
    drain(jobs.huey)
    assert "Sending again" not in admin.get(page_url).get_data(as_text=True)
    with app.app_context():
        # From the statement's ``stored``: the whole batch has the same one.
        queued = db.session.scalars(select(ForwardOutbox.statement_id)).all()
        db.session.rollback()
    assert sorted(queued) == sorted(s["id"] for s in statements)
    unknown = post(admin, page_url, {"action": "replay", "statement_id": str(target.id) * 0})
    assert unknown.status_code == 400
    not_stored = post(
        admin,
        page_url,
        {"action": "replay", "statement_id": "00000000-0000-4000-8000-000000000000"},
    )
    assert not_stored.status_code == 400

    assert post(admin, page_url, {"action": "remove"}).status_code == 302
    assert admin.get(page_url).status_code == 404
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        details = db.session.scalars(select(AuditEvent.details)).all()
        db.session.rollback()
    assert [a for a in actions if a.startswith("forwarding.")] == [
        "forwarding.created",
        "forwarding.changed",
        "forwarding.paused",
        "forwarding.resumed",
        "forwarding.replayed",
        "forwarding.removed",
    ]
    assert SECRET not in repr(details)


def test_admin_forwarding_a_new_target_needs_its_secret_and_iris(admin: FlaskClient) -> None:
    no_secret = post(admin, "/admin/forwarding", {**NEW, "secret": ""})
    assert no_secret.status_code == 400
    not_iri = post(admin, "/admin/forwarding", {**NEW, "verbs": "completed"})
    assert not_iri.status_code == 400
    assert "one verb IRI a line" in not_iri.get_data(as_text=True)
    with_user = post(
        admin, "/admin/forwarding", {**NEW, "endpoint": "https://u:p@lrs.example.org/"}
    )
    assert with_user.status_code == 400


def test_admin_forwarding_shows_lag_and_the_last_error_in_the_readers_language(
    app: Flask, admin: FlaskClient, xapi: XapiClient, make_statement: Callable[..., dict[str, Any]]
) -> None:
    assert post(admin, "/admin/forwarding", NEW).status_code == 302
    target = _target(app)
    statements = [
        make_statement(object={"objectType": "Activity", "id": "http://example.org/courses/a"})
        for _ in range(3)
    ]
    assert xapi.post("statements", statements).status_code == 200
    with app.app_context():
        row = db.session.get(ForwardTarget, target.id)
        assert row is not None
        row.failures, row.last_error = 3, forward_delivery.UNREACHABLE
        row.last_error_at = datetime(2026, 12, 7, 10, 0)
        db.session.commit()
    listed = admin.get("/admin/forwarding").get_data(as_text=True)
    assert "The other LRS could not be reached." in listed
    assert "<td>3</td>" in listed  # waiting, and failed attempts
    admin.post("/settings", data={"csrf_token": CSRF, "locale": "sv"})
    swedish = admin.get(f"/admin/forwarding/{target.id}").get_data(as_text=True)
    assert "Den andra LRS:en gick inte att nå." in swedish
    with app.app_context():
        row = db.session.get(ForwardTarget, target.id)
        assert row is not None
        row.last_error = f"{forward_delivery.HTTP_ERROR} 503: busy"
        db.session.commit()
    swedish = admin.get(f"/admin/forwarding/{target.id}").get_data(as_text=True)
    assert "Den andra LRS:en svarade HTTP 503. busy" in swedish


def _refused_head(app: Flask, xapi: XapiClient, make_statement: Callable[..., Any]) -> list[str]:
    """A target whose delivery failed on its first statement (as after a 400); the ids queued."""
    statements = [
        make_statement(object={"objectType": "Activity", "id": f"http://example.org/courses/{n}"})
        for n in range(3)
    ]
    assert xapi.post("statements", statements).status_code == 200
    with app.app_context():
        target = db.session.scalars(select(ForwardTarget)).one()
        target.failures = 4
        target.last_error = f"{forward_delivery.HTTP_ERROR} 400: bad context"
        target.next_attempt_at = datetime(2099, 1, 1)
        db.session.commit()
    return [s["id"] for s in statements]


def _queue(app: Flask) -> list[tuple[int, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(ForwardOutbox.id, ForwardOutbox.statement_id).order_by(
                ForwardOutbox.lane, ForwardOutbox.id
            )
        ).all()
        db.session.rollback()
    return [(row[0], row[1]) for row in rows]


def test_admin_forwarding_skips_the_refused_statement_first_in_line(
    app: Flask,
    admin: FlaskClient,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
) -> None:
    assert post(admin, "/admin/forwarding", NEW).status_code == 302
    page_url = f"/admin/forwarding/{_target(app).id}"
    ids = _refused_head(app, xapi, make_statement)
    queue = _queue(app)
    page = admin.get(page_url).get_data(as_text=True)
    assert "First in line" in page
    assert ids[0] in page
    assert "answered HTTP 400" in page
    # Without the CSRF token, or for a row no longer first: nothing is skipped.
    no_csrf = admin.post(page_url, data={"action": "skip", "outbox_id": str(queue[0][0])})
    assert no_csrf.status_code == 400
    not_first = post(admin, page_url, {"action": "skip", "outbox_id": str(queue[1][0])})
    assert not_first.status_code == 400
    assert "no longer first" in not_first.get_data(as_text=True)
    assert post(admin, page_url, {"action": "skip", "outbox_id": "x"}).status_code == 400
    assert _queue(app) == queue

    skipped = post(admin, page_url, {"action": "skip", "outbox_id": str(queue[0][0])})
    assert skipped.status_code == 302
    assert [sid for _, sid in _queue(app)] == ids[1:]
    target = _target(app)
    assert (target.failures, target.next_attempt_at) == (0, None)
    assert "First in line" not in admin.get(page_url).get_data(as_text=True)
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "forwarding.skipped")
        ).one()
        details = dict(event.details or {})
        db.session.rollback()
    assert details == {"statement_id": ids[0], "last_error": target.last_error}


@pytest.mark.parametrize("role", ["learner", "manager"])
def test_admin_forwarding_only_admins_skip(
    app: Flask,
    admin: FlaskClient,
    portal: Portal,
    login: Callable[[int], FlaskClient],
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    role: str,
) -> None:
    assert post(admin, "/admin/forwarding", NEW).status_code == 302
    page_url = f"/admin/forwarding/{_target(app).id}"
    _refused_head(app, xapi, make_statement)
    queue = _queue(app)
    other = login(portal.user(f"{role}@example.org", role=role))
    refused = post(other, page_url, {"action": "skip", "outbox_id": str(queue[0][0])})
    assert refused.status_code == 403
    assert _queue(app) == queue
