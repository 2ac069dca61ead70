"""Canonical activity definitions: which definition was merged last is the database's.

xAPI 1.0.3 Data §2.4.4.1: the LRS keeps one canonical definition per activity, and
the newest value a trusted source sends wins (lrs.formats.merge_definitions). Several
nodes write to one database, so what was merged last cannot be remembered per process.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, update

from core.db import db
from lrs.keys import sha256_hex
from lrs.models import Activity

ACTIVITY = "http://example.org/courses/fire-safety"


def _named(make_statement: Any, name: str) -> dict[str, Any]:
    return make_statement(
        object={"objectType": "Activity", "id": ACTIVITY, "definition": {"name": {"sv-SE": name}}}
    )


def _name(xapi: Any) -> str:
    response = xapi.get("activities", query={"activityId": ACTIVITY})
    assert response.status_code == 200
    return str(response.json["definition"]["name"]["sv-SE"])


@pytest.fixture
def activity_writes(app: Any) -> Iterator[list[str]]:
    """The SQL statements that write lrs_activity while the test runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE")) and "lrs_activity" in sql:
            seen.append(sql)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def test_lrs_definitions_newest_wins_when_an_older_one_comes_back(xapi, make_statement):
    for name in ("Brandskydd", "Brandskydd 2027", "Brandskydd"):
        assert xapi.post("statements", [_named(make_statement, name)]).status_code == 200
        assert _name(xapi) == name


def test_lrs_definitions_merged_on_another_node_counts(app, xapi, make_statement):
    """Another node merged a newer name (its row says so): sending ours again wins again."""
    assert xapi.post("statements", [_named(make_statement, "Brandskydd")]).status_code == 200
    other = {"name": {"sv-SE": "Brandskydd (ny)"}}
    with app.app_context():
        db.session.execute(
            update(Activity)
            .where(Activity.id_hash == sha256_hex(ACTIVITY))
            .values(definition=other, merged_digest=b"another node's!!")
        )
        db.session.commit()
    assert _name(xapi) == "Brandskydd (ny)"
    assert xapi.post("statements", [_named(make_statement, "Brandskydd")]).status_code == 200
    assert _name(xapi) == "Brandskydd"


def test_lrs_definitions_repeated_one_is_not_written_again(xapi, make_statement, activity_writes):
    batch = [_named(make_statement, "Brandskydd") for _ in range(3)]
    assert xapi.post("statements", batch).status_code == 200
    assert len(activity_writes) == 1  # the first insert
    assert xapi.post("statements", [_named(make_statement, "Brandskydd")]).status_code == 200
    assert len(activity_writes) == 1
    assert xapi.post("statements", [_named(make_statement, "Brandväxling")]).status_code == 200
    assert len(activity_writes) == 2
    assert _name(xapi) == "Brandväxling"


def test_lrs_definitions_batch_merges_in_order(xapi, make_statement):
    batch = [_named(make_statement, n) for n in ("Ett", "Två", "Ett", "Tre")]
    assert xapi.post("statements", batch).status_code == 200
    assert _name(xapi) == "Tre"
    again = [_named(make_statement, n) for n in ("Ett", "Två", "Ett")]
    assert xapi.post("statements", again).status_code == 200
    assert _name(xapi) == "Ett"
