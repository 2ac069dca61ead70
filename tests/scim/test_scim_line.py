"""Managers set and changed over SCIM move people in the manager line's reports at once.

Each step is checked against the managers and completions (tests/line_checks.py) and
through the reports a manager reads (``/reports?by=line``, CSV per direct report).
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from flask import Flask

from core.db import db
from tests.conftest import signed_in
from tests.line_checks import assert_line_kept
from tests.scim.conftest import ENTERPRISE, ScimClient

MANAGER = f"{ENTERPRISE}:manager"


def _manager(scim_id: str) -> dict[str, Any]:
    return {ENTERPRISE: {"manager": {"value": scim_id}}}


def _make_manager(app: Flask, user_id: int) -> None:
    from accounts.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.role = "manager"
        db.session.commit()


def _per_report(app: Flask, manager: int) -> list[tuple[str, str, str]]:
    """The manager's own line, per direct report: (name, people, completions)."""
    client = signed_in(app.test_client(), manager)
    response = client.get("/reports?by=line&start=&table=unit&format=csv")
    assert response.status_code == 200
    rows = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    return [(r["Reports to the manager"], r["People"], r["Completions"]) for r in rows]


@pytest.fixture
def completed(app: Flask, make_xapi):
    xapi = make_xapi(["all"], trusted=True)
    home = app.config["AGENT_HOMEPAGE"]

    def send(person: int) -> None:
        statement = {
            "id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "account": {"homePage": home, "name": str(person)}},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"objectType": "Activity", "id": f"{home}/courses/3"},
        }
        assert xapi.post("statements", statement).status_code == 200

    return send


def test_scim_line_follows_managers_set_changed_and_removed(
    app: Flask, scim: ScimClient, make_user, completed
) -> None:
    boss = make_user("boss", displayName="Boss")
    other = make_user("other", displayName="Other")
    mid = make_user("mid", displayName="Mid", **_manager(boss["id"]))
    ann = make_user("ann", displayName="Ann", **_manager(mid["id"]))
    b, o, m, a = (int(u["id"]) for u in (boss, other, mid, ann))
    for manager in (b, o):
        _make_manager(app, manager)
    completed(a)
    assert assert_line_kept(app) == {(b, m), (b, a), (m, a)}
    assert _per_report(app, b) == [("Mid", "2", "1")]

    # Ann moves to Other (Entra ID sends the id alone).
    moved = {"op": "Replace", "path": MANAGER, "value": other["id"]}
    assert scim.patch(f"Users/{ann['id']}", [moved]).status_code == 200
    assert assert_line_kept(app) == {(b, m), (o, a)}
    assert _per_report(app, b) == [("Mid", "1", "0")]
    assert _per_report(app, o) == [("Ann", "1", "1")]

    # Mid replaced whole (PUT), now under Other too: Boss has nobody left.
    replaced = {"schemas": mid["schemas"], "userName": "mid", "displayName": "Mid"}
    assert scim.put(f"Users/{mid['id']}", {**replaced, **_manager(other["id"])}).status_code == 200
    assert assert_line_kept(app) == {(o, m), (o, a)}
    assert _per_report(app, b) == []

    # Ann's manager removed.
    assert scim.patch(f"Users/{ann['id']}", [{"op": "Remove", "path": MANAGER}]).status_code == 200
    assert assert_line_kept(app) == {(o, m)}
    assert _per_report(app, o) == [("Mid", "1", "0")]


def test_scim_line_a_loop_through_scim_is_kept_too(
    app: Flask, scim: ScimClient, make_user, completed
) -> None:
    boss = make_user("boss", displayName="Boss")
    ann = make_user("ann", displayName="Ann", **_manager(boss["id"]))
    b, a = int(boss["id"]), int(ann["id"])
    _make_manager(app, b)
    completed(a)
    completed(b)
    loop = {"op": "Replace", "path": MANAGER, "value": {"value": ann["id"]}}
    assert scim.patch(f"Users/{boss['id']}", [loop]).status_code == 200
    assert assert_line_kept(app) == {(b, a), (a, b)}
    # Boss's line is Ann alone (the loop back to Boss stops there).
    assert _per_report(app, b) == [("Ann", "1", "1")]
