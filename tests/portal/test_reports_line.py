"""Reports that follow the manager line (``by=line``): who may see what, page and CSV.

boss (manager in SOC) has anna (in UTB) reporting to her; anna has bo (in IFO, below
SOC), bo has cilla (in UTB). bo is also boss's manager: a loop the line must survive.
olle (manager in UTB) has per (in IFO). sam (UTB) reports to nobody.
"""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from tests.line_checks import assert_line_kept
from tests.portal.test_reports import VERB

PAGES = ["", "/learners/{person}", "/courses/{course}"]


@pytest.fixture
def org(portal, app, make_xapi):
    soc = portal.unit("SOC", "Socialförvaltningen")
    ifo = portal.unit("IFO", "Individ- och familjeomsorg", parent=soc)
    utb = portal.unit("UTB", "Utbildningsförvaltningen")
    people = {
        "boss": portal.user("boss@example.org", role="manager", unit_id=soc, name="Boss"),
        "anna": portal.user("anna@example.org", unit_id=utb, name="Anna"),
        "bo": portal.user("bo@example.org", unit_id=ifo, name="Bo"),
        "cilla": portal.user("cilla@example.org", unit_id=utb, name="Cilla"),
        "olle": portal.user("olle@example.org", role="manager", unit_id=utb, name="Olle"),
        "per": portal.user("per@example.org", unit_id=ifo, name="Per"),
        "sam": portal.user("sam@example.org", unit_id=utb, name="Sam"),
        "admin": portal.user("admin@example.org", role="admin", name="Ada Admin"),
    }
    for person, manager in (
        ("anna", "boss"),
        ("bo", "anna"),
        ("cilla", "bo"),
        ("boss", "bo"),
        ("per", "olle"),
    ):
        portal.manage(people[person], people[manager])
    course = portal.course("Brandskydd")
    home = app.config["AGENT_HOMEPAGE"]
    statements = [
        {
            "id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "account": {"homePage": home, "name": str(pid)}},
            "verb": {"id": VERB + "completed"},
            "object": {"objectType": "Activity", "id": f"{home}/courses/{course}"},
        }
        for pid in people.values()
    ]
    assert make_xapi(["all"], trusted=True).post("statements", statements).status_code == 200
    return {"course": course, "soc": soc, **people}


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_reports_line_manager_sees_direct_and_indirect_reports_in_any_unit(org, login):
    boss = login(org["boss"])
    page = boss.get("/reports?by=line&start=").get_data(as_text=True)
    assert 'aria-current="page">My staff' in page
    per_report = _csv(boss.get("/reports?by=line&start=&table=unit&format=csv"))
    # anna's row counts anna, bo and cilla (bo's loop back to boss stops there).
    assert [(r["Reports to the manager"], r["People"], r["Completions"]) for r in per_report] == [
        ("Anna", "3", "3")
    ]
    month = _csv(boss.get("/reports?by=line&start=&table=month&format=csv"))
    assert sum(int(r["Completions"]) for r in month) == 3
    course = _csv(boss.get(f"/reports/courses/{org['course']}?by=line&format=csv"))
    assert sorted(r["Learner"] for r in course) == ["Anna", "Bo", "Cilla"]
    # By unit the same manager sees SOC's subtree: herself, bo and per.
    by_unit = _csv(boss.get(f"/reports/courses/{org['course']}?format=csv"))
    assert sorted(r["Learner"] for r in by_unit) == ["Bo", "Boss", "Per"]


@pytest.mark.parametrize("who", ["anna", "bo", "cilla"])
def test_reports_line_manager_opens_transcripts_of_their_line_outside_their_unit(org, login, who):
    boss = login(org["boss"])
    url = f"/reports/learners/{org[who]}?by=line"
    page = boss.get(url)
    assert page.status_code == 200
    rows = _csv(boss.get(url + "&format=csv"))
    assert [r["Course"] for r in rows] == ["Brandskydd"]
    # Only the reports: attempts stay with the unit scope (bo is in the unit subtree).
    has_attempts = f"/reports/learners/{org[who]}/attempts" in page.get_data(as_text=True)
    assert has_attempts == (who == "bo")


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("fmt", ["", "&format=csv"])
def test_reports_line_hostile_manager_cannot_follow_another_line(org, login, page, fmt):
    olle = login(org["olle"])
    path = "/reports" + page.format(person=org["anna"], course=org["course"])
    for target in ("boss", "anna", "admin"):
        url = f"{path}?by=line&manager_id={org[target]}{fmt}"
        if not page:
            url += "&table=course"
        assert olle.get(url).status_code == 403, url


@pytest.mark.parametrize("who", ["anna", "cilla", "boss", "sam"])
@pytest.mark.parametrize("fmt", ["", "?format=csv"])
def test_reports_line_manager_cannot_open_transcripts_outside_line_and_unit(org, login, who, fmt):
    olle = login(org["olle"])  # UTB: anna, cilla and sam are in his unit, not his line
    line = f"/reports/learners/{org[who]}?by=line" + fmt.replace("?", "&")
    assert olle.get(line).status_code == 403
    by_unit = olle.get(f"/reports/learners/{org[who]}{fmt}").status_code
    assert by_unit == (200 if who != "boss" else 403)


def test_reports_line_own_line_only_even_with_unit_params(org, login):
    olle = login(org["olle"])
    # A unit outside his subtree does not widen the line; the line ignores it.
    rows = _csv(
        olle.get(f"/reports/courses/{org['course']}?by=line&unit_id={org['soc']}&format=csv")
    )
    assert [r["Learner"] for r in rows] == ["Per"]
    assert olle.get(f"/reports?unit_id={org['soc']}").status_code == 403


def test_reports_line_manager_drills_down_their_line_but_not_up(org, login):
    boss = login(org["boss"])
    rows = _csv(boss.get(f"/reports?by=line&manager_id={org['anna']}&start=&table=unit&format=csv"))
    # Bo, Cilla, and (through the loop: boss reports to bo) Boss herself.
    assert [(r["Reports to the manager"], r["People"]) for r in rows] == [("Bo", "3")]
    page = boss.get(f"/reports?by=line&manager_id={org['bo']}&start=").get_data(as_text=True)
    assert "Cilla" in page
    # bo is boss's own manager too; the line below bo still never includes bo himself.
    assert (
        boss.get(f"/reports/learners/{org['bo']}?by=line&manager_id={org['bo']}").status_code == 403
    )
    anna = login(org["anna"])
    assert anna.get("/reports?by=line").status_code == 403  # a learner has no reports


def test_reports_line_admin_picks_a_manager_to_follow(org, login):
    admin = login(org["admin"])
    page = admin.get("/reports?by=line").get_data(as_text=True)
    assert "A manager&#39;s staff" in page or "A manager's staff" in page
    assert f'<option value="{org["olle"]}"' in page
    rows = _csv(
        admin.get(f"/reports?by=line&manager_id={org['olle']}&start=&table=unit&format=csv")
    )
    assert [(r["Reports to the manager"], r["People"], r["Completions"]) for r in rows] == [
        ("Per", "1", "1")
    ]
    assert (
        admin.get(f"/reports/learners/{org['per']}?by=line&manager_id={org['olle']}").status_code
        == 200
    )
    refused = admin.get(f"/reports/learners/{org['sam']}?by=line&manager_id={org['olle']}")
    assert refused.status_code == 403


def test_reports_line_exports_are_in_the_audit_log(org, login, app):
    from sqlalchemy import select

    from accounts.models import AuditEvent
    from core.db import db

    login(org["boss"]).get("/reports?by=line&table=course&format=csv")
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.exported")
        ).one()
        assert entry.details["by"] == "line"


def test_reports_line_follows_a_change_of_manager_at_once(org, portal, login, app):
    portal.manage(org["bo"], org["olle"])  # bo (with cilla, and boss below him) moves to olle
    assert_line_kept(app)
    boss, olle = login(org["boss"]), login(org["olle"])
    per_report = "/reports?by=line&start=&table=unit&format=csv"
    rows = _csv(boss.get(per_report))
    assert [(r["Reports to the manager"], r["People"], r["Completions"]) for r in rows] == [
        ("Anna", "1", "1")
    ]
    rows = _csv(olle.get(per_report))
    # bo's row: bo, cilla, and boss (who reports to bo) with anna below her.
    assert [(r["Reports to the manager"], r["People"], r["Completions"]) for r in rows] == [
        ("Bo", "4", "4"),
        ("Per", "1", "1"),
    ]
    courses = _csv(olle.get("/reports?by=line&start=&table=course&format=csv"))
    assert [(r["Course"], r["Completions"]) for r in courses] == [("Brandskydd", "5")]
    months = _csv(olle.get("/reports?by=line&start=&table=month&format=csv"))
    assert sum(int(r["Completions"]) for r in months) == 5
    learners = _csv(olle.get(f"/reports/courses/{org['course']}?by=line&format=csv"))
    assert sorted(r["Learner"] for r in learners) == ["Anna", "Bo", "Boss", "Cilla", "Per"]
    assert olle.get(f"/reports/learners/{org['anna']}?by=line").status_code == 200
    assert boss.get(f"/reports/learners/{org['cilla']}?by=line").status_code == 403


def test_reports_line_a_deactivated_person_is_not_counted_but_their_results_are(org, login, app):
    from accounts.models import User
    from core.db import db

    with app.app_context():
        cilla = db.session.get(User, org["cilla"])
        assert cilla is not None
        cilla.active = False
        db.session.commit()
    rows = _csv(login(org["boss"]).get("/reports?by=line&start=&table=unit&format=csv"))
    assert [(r["Reports to the manager"], r["People"], r["Completions"]) for r in rows] == [
        ("Anna", "2", "3")
    ]
