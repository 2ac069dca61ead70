"""A course's owning unit by id: it follows the unit through renames, new codes and moves.

The API and the CLI still name the unit by its code; a course owned by a unit is for the
people of that unit's subtree (the catalogue, the course page and launching).
"""

from __future__ import annotations

import io
import json

import pytest
from flask import Flask

from tests.conftest import basic
from tests.portal.conftest import Portal, package_zip, post

# An author's API upload published at once: without course review (COURSE_REVIEW off).
pytestmark = pytest.mark.usefixtures("review_off")

API = "/api/packages"
PASSWORD = "correct horse"


@pytest.fixture
def tree(portal: Portal) -> dict[str, int]:
    """KOMMUN > SOC > IFO, and KOMMUN > UTB."""
    top = portal.unit("KOMMUN", "Kommunen")
    soc = portal.unit("SOC", "Socialförvaltningen", parent=top)
    return {
        "KOMMUN": top,
        "SOC": soc,
        "IFO": portal.unit("IFO", "Individ- och familjeomsorg", parent=soc),
        "UTB": portal.unit("UTB", "Utbildningsförvaltningen", parent=top),
    }


def _api_upload(client, headers: dict[str, str], **form: str):
    data = {"file": (io.BytesIO(package_zip("Hemtjänst")), "c.zip"), "publish": "true", **form}
    return client.post(
        f"{API}/courses", headers=headers, data=data, content_type="multipart/form-data"
    )


@pytest.fixture
def author_api(portal: Portal) -> dict[str, str]:
    portal.user("author@example.org", role="author", password=PASSWORD)
    return {"Authorization": basic("author@example.org", PASSWORD)}


def _sees(client, course_id: int) -> bool:
    listed = f"/catalogue/{course_id}" in client.get("/catalogue").get_data(as_text=True)
    opened = client.get(f"/catalogue/{course_id}").status_code == 200
    launched = client.get(f"/courses/{course_id}/launch").status_code == 303
    assert listed == opened == launched, (listed, opened, launched)
    return listed


def test_course_owner_follows_the_unit_through_a_new_code_a_new_name_and_a_move(
    client, portal: Portal, login, tree, author_api
):
    created = _api_upload(client, author_api, owner_unit="SOC")
    assert created.status_code == 201, created.get_json()
    course = created.get_json()["course"]
    ifo = login(portal.user("ifo@example.org", unit_id=tree["IFO"]))
    utb = login(portal.user("utb@example.org", unit_id=tree["UTB"]))
    top = login(portal.user("top@example.org", unit_id=tree["KOMMUN"]))
    nowhere = login(portal.user("none@example.org"))
    assert [_sees(c, course) for c in (ifo, utb, top, nowhere)] == [True, False, False, False]

    admin = login(portal.user("admin@example.org", role="admin"))
    response = post(
        admin,
        "/admin/units",
        {
            "unit_id": tree["SOC"],
            "form": f"unit-{tree['SOC']}",
            "code": "SOC-VO",
            "name": "Vård och omsorg",
            "kind": "department",
            "active": "true",
            "parent_id": tree["UTB"],
        },
    )
    assert response.status_code == 302
    body = client.get(f"{API}/courses/{course}", headers=author_api).get_json()
    assert body["owner_unit"] == "SOC-VO"
    # IFO is still below the owner; UTB is now above it, which does not make it UTB's.
    assert [_sees(c, course) for c in (ifo, utb, top, nowhere)] == [True, False, False, False]
    assert "Vård och omsorg" in ifo.get(f"/catalogue/{course}").get_data(as_text=True)

    # IFO moved out of the owner's subtree: its people no longer have the course.
    post(
        admin,
        "/admin/units",
        {
            "unit_id": tree["IFO"],
            "form": f"unit-{tree['IFO']}",
            "name": "Individ- och familjeomsorg",
            "kind": "unit",
            "active": "true",
            "parent_id": tree["KOMMUN"],
        },
    )
    assert not _sees(ifo, course)
    listed = client.get(f"{API}/courses?unit=SOC-VO", headers=author_api).get_json()
    assert [c["owner_unit"] for c in listed["courses"]] == ["SOC-VO"]


def test_course_owner_unknown_code_is_400_naming_owner_unit(client, tree, author_api, app):
    refused = _api_upload(client, author_api, owner_unit="SOC-OLD")
    assert refused.status_code == 400
    assert refused.get_json()["errors"] == [{"path": "owner_unit", "message": "unknown unit"}]
    created = _api_upload(client, author_api, owner_unit="IFO").get_json()["course"]
    patched = client.patch(
        f"{API}/courses/{created}", headers=author_api, json={"owner_unit": "nowhere"}
    )
    assert patched.status_code == 400
    assert patched.get_json()["errors"] == [{"path": "owner_unit", "message": "unknown unit"}]
    body = client.get(f"{API}/courses/{created}", headers=author_api).get_json()
    assert body["owner_unit"] == "IFO"  # nothing half-changed
    listed = client.get(f"{API}/courses?unit=nowhere", headers=author_api)
    assert listed.status_code == 400
    assert listed.get_json()["errors"][0]["path"] == "unit"
    url = f"{API}/courses/{created}"
    cleared = client.patch(url, headers=author_api, json={"owner_unit": None})
    assert cleared.get_json()["owner_unit"] is None


def test_course_owner_cli_takes_the_code_and_keeps_it_through_a_new_one(
    app: Flask, runner, tree, tmp_path
):
    from accounts import service as accounts
    from core.db import db
    from packages import service

    zipped = tmp_path / "c.zip"
    zipped.write_bytes(package_zip("Brandskydd"))
    result = runner.invoke(args=["packages", "import", str(zipped), "--unit", "IFO", "--json"])
    assert result.exit_code == 0, result.output
    course_id = json.loads(result.output)["course"]
    with app.app_context():
        unit = accounts.get_unit(tree["IFO"])
        accounts.update_unit(unit, unit.name, unit.kind, True, code="IFO-2")
        db.session.commit()
        assert service.get_course(course_id).owner_unit == "IFO-2"
    refused = runner.invoke(args=["packages", "import", str(zipped), "--unit", "IFO", "--json"])
    assert refused.exit_code == 1
    assert "IFO" in json.loads(refused.output)["errors"][0]["message"]


def test_course_owner_edit_form_picks_a_unit_of_the_tree_by_its_path(
    app: Flask, portal: Portal, login, tree
):
    author = login(portal.user("ann@example.org", role="author"))
    course = portal.course("Hemtjänst", unit="SOC")
    page = author.get(f"/author/courses/{course}").get_data(as_text=True)
    assert (
        f'<option value="{tree["IFO"]}" >Kommunen / Socialförvaltningen / '
        "Individ- och familjeomsorg</option>" in page
    )
    assert f'<option value="{tree["SOC"]}" selected>' in page
    saved = post(
        author,
        f"/author/courses/{course}",
        {"action": "metadata", "title": "Hemtjänst", "unit": str(tree["UTB"])},
    )
    assert saved.status_code == 302
    from packages import service

    with app.app_context():
        assert service.get_course(course).owner_unit_id == tree["UTB"]


def test_course_owner_inactive_owner_stays_chosen_in_the_form(app, portal: Portal, login, tree):
    from accounts import service as accounts
    from core.db import db

    course = portal.course("Hemtjänst", unit="IFO")
    with app.app_context():
        unit = accounts.get_unit(tree["IFO"])
        accounts.update_unit(unit, unit.name, unit.kind, False)
        db.session.commit()
    author = login(portal.user("ann@example.org", role="author"))
    page = author.get(f"/author/courses/{course}").get_data(as_text=True)
    assert f'<option value="{tree["IFO"]}" selected>' in page
    other = portal.course("Annan")
    other_page = author.get(f"/author/courses/{other}").get_data(as_text=True)
    assert f'<option value="{tree["IFO"]}"' not in other_page


def test_course_owner_unit_with_courses_cannot_be_deleted(app: Flask, portal: Portal, tree):
    from sqlalchemy import delete
    from sqlalchemy.exc import IntegrityError

    from accounts.models import OrganisationUnit
    from core.db import db

    portal.course("Hemtjänst", unit="IFO")
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(delete(OrganisationUnit).where(OrganisationUnit.id == tree["IFO"]))
        db.session.rollback()


def test_course_owner_manager_assigns_courses_of_units_above_at_and_below(
    portal: Portal, login, tree
):
    manager = login(portal.user("boss@example.org", role="manager", unit_id=tree["SOC"]))
    for code, title in (("KOMMUN", "Top"), ("SOC", "Soc"), ("IFO", "Ifo"), ("UTB", "Utb")):
        portal.course(title, unit=code)
    page = manager.get("/manage/assignments").get_data(as_text=True)
    offered = {t for t in ("Top", "Soc", "Ifo", "Utb") if f">{t}</option>" in page}
    assert offered == {"Top", "Soc", "Ifo"}
