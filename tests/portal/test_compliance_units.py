"""Compliance by unit follows people's home units: the member rows keep a copy of each
person's unit (so a unit's counts read no accounts), and it must never go stale.

A requirement for every learner: Lea and Per in IFO (below SOC), Sam in UTB. People
move through the admin pages, a unit moves in the tree, and an account changed behind
the application's back is put right by ``flask requirements refresh``.
"""

# ruff: noqa: F811  (the fixture imported from test_requirements is a parameter here)
from __future__ import annotations

from datetime import date

from sqlalchemy import text

from core.db import db
from tests.portal.conftest import post
from tests.portal.test_requirements import _create, _csv, org  # noqa: F401


def _covered(client, unit_id: int) -> str:
    rows = _csv(client.get(f"/compliance?format=csv&unit_id={unit_id}"))
    return rows[0]["People covered"] if rows else "0"


def _people(client, rid: int, unit_id: int) -> list[str]:
    rows = _csv(
        client.get(f"/compliance/requirements/{rid}?format=csv&status=all&unit_id={unit_id}")
    )
    return sorted(r["Name"] for r in rows)


def _member_units(app, rid: int) -> dict[int, int | None]:
    with app.app_context():
        rows = db.session.execute(
            text(
                "SELECT user_id, unit_id FROM portal_requirement_member WHERE requirement_id = :r"
            ),
            {"r": rid},
        )
        return {int(u): unit for u, unit in rows}


def _everyone(login, org):
    return _create(login, org, audience_unit=[], audience_role=["learner"])


def test_a_person_who_moves_is_counted_in_their_new_unit(app, login, org):
    with app.app_context():
        rid = _everyone(login, org)
    admin = login(org["admin"])
    assert _member_units(app, rid) == {
        org["lea"]: org["ifo"],
        org["per"]: org["ifo"],
        org["sam"]: org["utb"],
    }
    assert (_covered(admin, org["ifo"]), _covered(admin, org["utb"])) == ("2", "1")
    moved = post(
        admin,
        f"/admin/users/{org['per']}",
        {"name": "Per", "role": "learner", "unit_id": org["utb"], "active": "true"},
    )
    assert moved.status_code == 302
    # Still in the audience (every learner), with the same joining date, in UTB now.
    assert _member_units(app, rid)[org["per"]] == org["utb"]
    assert (_covered(admin, org["ifo"]), _covered(admin, org["utb"])) == ("1", "2")
    assert _covered(admin, org["soc"]) == "1"
    assert _people(admin, rid, org["utb"]) == ["Per", "Sam"]
    assert _people(admin, rid, org["soc"]) == ["Lea"]
    page = admin.get(f"/compliance/requirements/{rid}?unit_id={org['utb']}&status=all")
    assert page.status_code == 200
    assert "Per" in page.get_data(as_text=True)


def test_a_unit_moved_in_the_tree_brings_its_people_along(app, login, org):
    with app.app_context():
        rid = _everyone(login, org)
    admin = login(org["admin"])
    moved = post(
        admin,
        "/admin/units",
        {
            "unit_id": org["ifo"],
            "code": "IFO",
            "name": "Individ- och familjeomsorg",
            "kind": "department",
            "active": "true",
            "parent_id": org["utb"],
        },
    )
    assert moved.status_code == 302, moved.get_data(as_text=True)[:2000]
    assert _covered(admin, org["utb"]) == "3"
    assert _covered(admin, org["soc"]) == "0"
    assert _people(admin, rid, org["utb"]) == ["Lea", "Per", "Sam"]


def test_the_refresh_command_puts_right_a_unit_changed_outside_the_application(
    app,
    login,
    org,
    runner,
):
    with app.app_context():
        rid = _everyone(login, org)
        db.session.execute(
            text("UPDATE portal_user SET unit_id = :u WHERE id = :p"),
            {"u": org["utb"], "p": org["lea"]},
        )
        db.session.commit()
    assert runner.invoke(args=["requirements", "refresh"]).exit_code == 0
    assert _member_units(app, rid)[org["lea"]] == org["utb"]
    admin = login(org["admin"])
    assert _people(admin, rid, org["utb"]) == ["Lea", "Sam"]


def test_the_nightly_snapshot_counts_people_in_their_home_units(app, login, org):
    from portal import compliance, requirements

    with app.app_context():
        rid = _everyone(login, org)
        per_unit = compliance.counts_per_unit([requirements.get(rid)], date.today())
        assert {unit: sum(c.values()) for (_r, unit), c in per_unit.items()} == {
            org["ifo"]: 2,
            org["utb"]: 1,
        }
