"""The organisation as a tree: units nest, a manager's scope is their unit's subtree,
reports roll the tree up and drill down, assignments and courses follow the tree."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import match
from tests.portal.conftest import post
from tests.portal.test_reports import outcome

SV = {"Accept-Language": "sv"}


@pytest.fixture
def xapi(make_xapi):
    return make_xapi(["all"], trusted=True)


@pytest.fixture
def tree(portal, app):
    """Social services (IFO and Elderly care, which has Home care) and Schools."""
    social = portal.unit("SOC", "Social services")
    ifo = portal.unit("SOC-IFO", "Individual and family care", parent=social)
    elderly = portal.unit("SOC-AO", "Elderly care", parent=social)
    home = portal.unit("SOC-AO-HT", "Home care", parent=elderly)
    school = portal.unit("BUF", "Schools")
    people = {
        "boss": portal.user("boss@example.org", role="manager", unit_id=social, name="Boss"),
        "ella": portal.user("ella@example.org", role="manager", unit_id=elderly, name="Ella"),
        "sam": portal.user("sam@example.org", role="manager", unit_id=school, name="Sam"),
        "ida": portal.user("ida@example.org", unit_id=ifo, name="Ida"),
        "hugo": portal.user("hugo@example.org", unit_id=home, name="Hugo"),
        "olle": portal.user("olle@example.org", unit_id=elderly, name="Olle"),
        "bea": portal.user("bea@example.org", unit_id=school, name="Bea"),
        "admin": portal.user("admin@example.org", role="admin", name="Ada"),
    }
    return {
        "social": social,
        "ifo": ifo,
        "elderly": elderly,
        "home": home,
        "school": school,
        "course": portal.course("Fire safety"),
        "home_url": app.config["AGENT_HOMEPAGE"],
        **people,
    }


def _org(tree):
    return {**tree, "home": tree["home_url"]}


def _unit_rows(client, unit_id=None):
    query = "?format=csv&table=unit&start=" + ("" if unit_id is None else f"&unit_id={unit_id}")
    response = client.get("/reports" + query)
    assert response.status_code == 200, response.status_code
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return {row[0]: row[1:3] for row in list(csv.reader(io.StringIO(text)))[1:]}


def test_unit_tree_admin_builds_and_shows_the_tree(portal, login):
    admin = login(portal.user(role="admin"))
    assert (
        post(
            admin, "/admin/units", {"form": "new", "code": "KS", "name": "Kommunstyrelsen"}
        ).status_code
        == 302
    )
    page = admin.get("/admin/units").get_data(as_text=True)
    top = match(r'<option value="(\d+)" >Kommunstyrelsen', page).group(1)
    form = {
        "form": "new",
        "code": "KS-HR",
        "name": "HR-avdelningen",
        "kind": "section",
        "parent_id": top,
    }
    assert post(admin, "/admin/units", form).status_code == 302
    page = admin.get("/admin/units", headers=SV).get_data(as_text=True)
    assert "Ingår i" in page
    assert 'class="filters depth-1"' in page
    assert page.index("Kommunstyrelsen") < page.index("HR-avdelningen")


def test_unit_tree_refuses_a_loop_and_keeps_the_tree(tree, login, app):
    admin = login(tree["admin"])
    form = {
        "unit_id": tree["social"],
        "form": f"unit-{tree['social']}",
        "name": "Social services",
        "kind": "department",
        "active": "true",
        "parent_id": tree["home"],
    }
    response = post(admin, "/admin/units", form, headers=SV)
    assert response.status_code == 400
    assert "under sig själv" in response.get_data(as_text=True)
    from accounts.models import OrganisationUnit
    from core.db import db

    with app.app_context():
        assert db.session.get_one(OrganisationUnit, tree["social"]).parent_id is None


def test_unit_tree_moving_a_unit_keeps_its_people_and_their_history(tree, login, xapi, app):
    xapi.post("statements", [outcome(_org(tree), "hugo", "completed")])
    admin = login(tree["admin"])
    form = {
        "unit_id": tree["home"],
        "form": f"unit-{tree['home']}",
        "name": "Home care",
        "kind": "unit",
        "active": "true",
        "parent_id": tree["ifo"],
    }
    assert post(admin, "/admin/units", form).status_code == 302
    # Home care (with Hugo and his completion) now counts under IFO, not Elderly care.
    rows = _unit_rows(login(tree["boss"]))
    assert rows["Individual and family care"] == ["2", "1"]
    assert rows["Elderly care"] == ["2", "0"]


def test_unit_tree_report_rows_count_whole_subtrees_and_people(tree, login, xapi):
    org = _org(tree)
    xapi.post(
        "statements",
        [
            outcome(org, "hugo", "completed"),
            outcome(org, "ida", "completed"),
            outcome(org, "bea", "completed"),
        ],
    )
    boss = login(tree["boss"])
    rows = _unit_rows(boss)
    # One level down from Social services; Home care's figure is inside Elderly care's.
    assert rows == {
        "Social services": ["1", "0"],  # Boss himself, in the department's own unit
        "Elderly care": ["3", "1"],  # Ella, Olle and Hugo (Home care)
        "Individual and family care": ["1", "1"],
    }
    # Drilling down: Elderly care's own people, then Home care.
    assert _unit_rows(boss, tree["elderly"]) == {
        "Elderly care": ["2", "0"],
        "Home care": ["1", "1"],
    }
    # The whole organisation (admin): the top units.
    rows = _unit_rows(login(tree["admin"]))
    assert rows["Social services"] == ["5", "2"]
    assert rows["Schools"] == ["2", "1"]


@pytest.mark.parametrize(
    ("manager", "unit", "status"),
    [
        ("boss", "home", 200),
        ("boss", "elderly", 200),
        ("ella", "home", 200),
        ("ella", "social", 403),
        ("ella", "ifo", 403),
        ("sam", "elderly", 403),
        ("boss", "school", 403),
    ],
)
def test_unit_tree_a_manager_drills_down_only_inside_their_subtree(
    tree, login, manager, unit, status
):
    client = login(tree[manager])
    assert client.get(f"/reports?unit_id={tree[unit]}").status_code == status
    assert (
        client.get(f"/reports?format=csv&table=course&unit_id={tree[unit]}").status_code == status
    )


@pytest.mark.parametrize(
    ("manager", "learner", "status"),
    [
        ("boss", "hugo", 200),
        ("boss", "ida", 200),
        ("ella", "hugo", 200),
        ("ella", "ida", 403),
        ("sam", "hugo", 403),
        ("boss", "bea", 403),
    ],
)
def test_unit_tree_transcripts_follow_the_subtree(tree, login, xapi, manager, learner, status):
    xapi.post("statements", [outcome(_org(tree), learner, "completed")])
    response = login(tree[manager]).get(f"/reports/learners/{tree[learner]}")
    assert response.status_code == status


def test_unit_tree_course_report_counts_the_subtree_only(tree, login, xapi):
    org = _org(tree)
    xapi.post(
        "statements",
        [outcome(org, "hugo", "passed", score=0.9), outcome(org, "bea", "passed", score=0.5)],
    )
    text = (
        login(tree["ella"])
        .get(f"/reports/courses/{tree['course']}?format=csv")
        .get_data(as_text=True)
    )
    assert "hugo@example.org" in text
    assert "bea@example.org" not in text


def test_unit_tree_assignment_to_a_department_reaches_its_units(tree, login):
    boss = login(tree["boss"])
    form = {"course_id": tree["course"], "unit_id": tree["social"], "due_date": "2030-01-31"}
    assert post(boss, "/manage/assignments", form).status_code == 302
    assert "Fire safety" in login(tree["hugo"]).get("/my").get_data(as_text=True)
    assert "Fire safety" not in login(tree["bea"]).get("/my").get_data(as_text=True)
    # A manager below sees it among the assignments of their people too, but cannot make
    # one for a unit above their own or for another department's people.
    ella = login(tree["ella"])
    form = {"course_id": tree["course"], "unit_id": tree["social"]}
    assert post(ella, "/manage/assignments", form).status_code == 403
    form = {"course_id": tree["course"], "user_id": tree["bea"]}
    assert post(ella, "/manage/assignments", form).status_code == 403
    form = {"course_id": tree["course"], "user_id": tree["hugo"]}
    assert post(ella, "/manage/assignments", form).status_code == 302


def test_unit_tree_department_courses_reach_its_units_not_the_other_way(portal, tree, login):
    portal.course("Dokumentation i socialtjänsten", unit="SOC")
    portal.course("Hemtjänstens rutiner", unit="SOC-AO-HT")
    hugo = login(tree["hugo"]).get("/catalogue").get_data(as_text=True)
    assert "Dokumentation i socialtjänsten" in hugo
    assert "Hemtjänstens rutiner" in hugo
    olle = login(tree["olle"]).get("/catalogue").get_data(as_text=True)
    assert "Dokumentation i socialtjänsten" in olle
    assert "Hemtjänstens rutiner" not in olle
    bea = login(tree["bea"]).get("/catalogue").get_data(as_text=True)
    assert "Dokumentation i socialtjänsten" not in bea


def test_unit_tree_report_page_links_down_and_shows_the_way_up(tree, login):
    page = login(tree["boss"]).get(f"/reports?unit_id={tree['elderly']}", headers=SV)
    html = page.get_data(as_text=True)
    # The trail: the manager's own unit (a link), then where they are.
    assert f"unit_id={tree['social']}" in html
    assert '<span aria-current="page">Elderly care</span>' in html
    # Home care, one level down, is a link that drills down.
    assert match(rf'<a href="[^"]*unit_id={tree["home"]}[^"]*">Home care</a>', html)
    assert "Personer" in html
    # Nothing above the manager's own unit, and no "whole organisation" for a manager.
    assert "Hela organisationen" not in html


@pytest.mark.parametrize(
    ("manager", "learner", "status"),
    [("boss", "hugo", 200), ("ella", "hugo", 200), ("ella", "ida", 403), ("sam", "hugo", 403)],
)
def test_unit_tree_attempt_lists_follow_the_subtree(tree, login, manager, learner, status):
    response = login(tree[manager]).get(f"/reports/learners/{tree[learner]}/attempts")
    assert response.status_code == status


def test_unit_tree_a_managers_csv_exports_hold_only_their_subtree(tree, login, xapi):
    org = _org(tree)
    xapi.post(
        "statements",
        [
            outcome(org, "hugo", "completed"),
            outcome(org, "ida", "completed"),
            outcome(org, "bea", "completed"),
        ],
    )
    ella = login(tree["ella"])
    months = ella.get("/reports?format=csv&table=month&start=").get_data(as_text=True)
    assert sum(int(line.split(",")[1]) for line in months.strip().splitlines()[1:]) == 1
    courses = ella.get("/reports?format=csv&table=course&start=").get_data(as_text=True)
    assert courses.strip().splitlines()[1].split(",")[1] == "1"


def test_unit_tree_the_same_assignment_twice_is_refused(tree, login):
    boss = login(tree["boss"])
    form = {"course_id": tree["course"], "unit_id": tree["elderly"], "due_date": "2030-01-31"}
    assert post(boss, "/manage/assignments", form).status_code == 302
    again = post(boss, "/manage/assignments", form, headers=SV)
    assert again.status_code == 409
    page = again.get_data(as_text=True)
    assert "Kursen är redan tilldelad med det slutdatumet" in page
    assert 'value="2030-01-31"' in page  # the form again, with what was typed
    # Another due date, or the same course for one person, are other assignments.
    assert post(boss, "/manage/assignments", {**form, "due_date": "2030-06-30"}).status_code == 302
    person = {"course_id": tree["course"], "user_id": tree["hugo"], "due_date": "2029-12-31"}
    assert post(boss, "/manage/assignments", person).status_code == 302


def test_unit_tree_a_course_assigned_several_ways_is_one_row_for_the_learner(tree, login):
    boss = login(tree["boss"])
    course = tree["course"]
    for form in (
        {"course_id": course, "unit_id": tree["social"], "due_date": "2030-06-30"},
        {"course_id": course, "unit_id": tree["elderly"], "due_date": "2030-03-31"},
        {"course_id": course, "user_id": tree["hugo"], "due_date": "2030-09-30"},
    ):
        assert post(boss, "/manage/assignments", form).status_code == 302
    page = login(tree["hugo"]).get("/my", headers=SV).get_data(as_text=True)
    assert page.count("Fire safety") == 1
    assert "31 mars 2030" in page  # the earliest due date of the three
    assert "30 juni 2030" not in page
