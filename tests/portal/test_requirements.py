"""Mandatory training: requirements through their pages, people's status, compliance.

SOC (boss, a manager) has IFO below it, where lea and per work; UTB (olle, a manager)
has sam. Completions are real statements through the LRS (a trusted client), so they
reach the projection the statuses read.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from core.db import db
from tests.portal.conftest import CSRF, post
from tests.portal.test_reports import VERB


@pytest.fixture
def org(portal):
    soc = portal.unit("SOC", "Socialförvaltningen")
    ifo = portal.unit("IFO", "Individ- och familjeomsorg", parent=soc)
    utb = portal.unit("UTB", "Utbildningsförvaltningen")
    people = {
        "admin": portal.user("admin@example.org", role="admin", name="Ada Admin"),
        "boss": portal.user("boss@example.org", role="manager", unit_id=soc, name="Boss"),
        "lea": portal.user("lea@example.org", unit_id=ifo, name="Lea"),
        "per": portal.user("per@example.org", unit_id=ifo, name="Per"),
        "olle": portal.user("olle@example.org", role="manager", unit_id=utb, name="Olle"),
        "sam": portal.user("sam@example.org", unit_id=utb, name="Sam"),
    }
    portal.manage(people["lea"], people["boss"])
    fire = portal.course("Brandskydd")
    fire_room = portal.course("Brandskydd i lokal", kind="classroom")
    return {"soc": soc, "ifo": ifo, "utb": utb, "fire": fire, "fire_room": fire_room, **people}


def _complete(app, make_xapi, user_id: int, course_id: int, verb: str = "completed") -> None:
    home = app.config["AGENT_HOMEPAGE"]
    statement = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": str(user_id)}},
        "verb": {"id": VERB + verb},
        "object": {"objectType": "Activity", "id": f"{home}/courses/{course_id}"},
    }
    assert make_xapi(["all"], trusted=True).post("statements", [statement]).status_code == 200


def _form(org, **changes):
    data = {
        "name": "Brandskydd vart tredje år",
        "course_ids": [str(org["fire"]), str(org["fire_room"])],
        "audience_unit": [str(org["soc"])],
        "due_kind": "days",
        "due_days": "30",
        "validity_months": "36",
        "renewal_days": "60",
    }
    data.update(changes)
    return data


def _create(login, org, who="admin", **changes):
    response = post(login(org[who]), "/manage/requirements", _form(org, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    from portal.models import Requirement

    newest = db.session.query(Requirement).order_by(Requirement.id.desc()).first()
    assert newest is not None
    return newest.id


def _csv(response, delimiter=","):
    assert response.status_code == 200, response.status_code
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def test_an_admin_creates_a_requirement_and_its_audience_gets_it(app, login, org):
    with app.app_context():
        _create(login, org)
    # Lea and Per (IFO is below SOC) and Boss have it; Sam in UTB does not.
    page = login(org["lea"]).get("/my").get_data(as_text=True)
    assert "Brandskydd vart tredje år" in page
    assert "Not started" in page
    due = date.today() + timedelta(days=30)
    assert f"{due:%b} {due.day}, {due.year}" in page
    assert "Brandskydd vart tredje år" not in login(org["sam"]).get("/my").get_data(as_text=True)


def test_the_same_requirement_twice_is_refused_with_the_form_again(app, login, org):
    with app.app_context():
        _create(login, org)
    again = post(login(org["admin"]), "/manage/requirements", _form(org, name="Again"))
    assert again.status_code == 409
    page = again.get_data(as_text=True)
    assert 'value="Again"' in page  # the input kept
    # Another due rule is another requirement.
    other = post(login(org["admin"]), "/manage/requirements", _form(org, due_days="60"))
    assert other.status_code == 302


def test_incomplete_forms_are_refused_and_nothing_is_stored(app, login, org):
    client = login(org["admin"])
    changes: dict[str, Any]
    for changes in (
        {"course_ids": []},
        {"audience_unit": []},
        {"validity_months": "0"},
        {"due_kind": "date", "due_date": ""},
        {"audience_person": "nobody@example.org"},
    ):
        response = post(client, "/manage/requirements", _form(org, **changes))
        assert response.status_code == 400, changes
    with app.app_context():
        from portal.models import Requirement

        assert db.session.query(Requirement).count() == 0


def test_status_follows_completions_validity_and_the_renewal_window(app, login, org, make_xapi):
    from accounts.models import User
    from portal import compliance, requirements

    with app.app_context():
        rid = _create(login, org, validity_months="12", renewal_days="30")
    _complete(app, make_xapi, org["lea"], org["fire_room"])  # the classroom course counts
    _complete(app, make_xapi, org["per"], org["fire"], "failed")
    with app.app_context():
        requirement = requirements.get(rid)
        today = date.today()

        def status(person, day):
            return compliance.people(requirement, [User.id == org[person]], today=day)[0]

        lea = status("lea", today)
        assert lea.status == "completed"
        assert lea.valid_until == compliance.add_months(today, 12)
        assert status("lea", today + timedelta(days=340)).status == "expiring"
        expired = status("lea", today + timedelta(days=370))
        assert expired.status == "overdue"
        assert expired.since == lea.valid_until + timedelta(1)
        assert status("per", today).status == "in_progress"
        assert status("per", today + timedelta(days=31)).status == "overdue"
        assert status("boss", today).status == "not_started"
    # Completing again extends the validity.
    _complete(app, make_xapi, org["lea"], org["fire"], "passed")
    with app.app_context():
        later = compliance.people(requirements.get(rid), [User.id == org["lea"]])[0]
        assert later.valid_until == compliance.add_months(date.today(), 12)


def test_each_requirement_reads_only_its_own_courses(app, login, org, make_xapi, portal):
    from portal import compliance, requirements
    from portal.models import RequirementMember

    gdpr = portal.course("GDPR")
    with app.app_context():
        fire = _create(login, org)
        data = _create(login, org, name="GDPR varje år", course_ids=[str(gdpr)])
    _complete(app, make_xapi, org["lea"], org["fire"])
    _complete(app, make_xapi, org["per"], org["fire"], "failed")
    with app.app_context():
        found = compliance.counts(
            [requirements.get(fire), requirements.get(data)],
            [RequirementMember.user_id.in_([org["lea"], org["per"]])],
        )
        assert found[fire].counts == {"completed": 1, "in_progress": 1}
        assert found[data].counts == {"not_started": 2}


def test_people_who_join_later_get_their_own_due_date(app, login, org):
    with app.app_context():
        rid = _create(login, org)
    admin = login(org["admin"])
    created = post(
        admin,
        "/admin/users",
        {
            "email": "nya@example.org",
            "name": "Nya",
            "password": "long enough",
            "unit_id": org["ifo"],
        },
    )
    assert created.status_code == 302
    moved = post(
        admin,
        f"/admin/users/{org['sam']}",
        {"name": "Sam", "role": "learner", "unit_id": org["ifo"], "active": "true"},
    )
    assert moved.status_code == 302
    with app.app_context():
        from portal.models import RequirementMember

        members = {
            m.user_id for m in db.session.query(RequirementMember).filter_by(requirement_id=rid)
        }
        nya = db.session.execute(
            text("SELECT id FROM portal_user WHERE email='nya@example.org'")
        ).scalar()
        assert {nya, org["sam"], org["lea"], org["per"], org["boss"]} <= members
    # Leaving the audience leaves the requirement.
    post(
        admin,
        f"/admin/users/{org['sam']}",
        {"name": "Sam", "role": "learner", "unit_id": org["utb"], "active": "true"},
    )
    with app.app_context():
        from portal.models import RequirementMember

        assert db.session.get(RequirementMember, (rid, org["sam"])) is None


def test_compliance_counts_with_the_denominator_and_drills_down(app, login, org, make_xapi):
    with app.app_context():
        rid = _create(login, org, due_days="0")
    _complete(app, make_xapi, org["lea"], org["fire"])
    boss = login(org["boss"])
    with app.app_context():
        # Due on the day they joined: tomorrow everyone without a completion is overdue.
        db.session.execute(
            text("UPDATE portal_requirement_member SET joined_at = :t"),
            {"t": date.today() - timedelta(days=2)},
        )
        db.session.commit()
    page = boss.get("/compliance").get_data(as_text=True)
    # Boss, Lea, Per: 1 of 3 compliant, 2 of 3 overdue.
    assert "1 of 3" in page
    assert "2 of 3" in page
    detail = boss.get(f"/compliance/requirements/{rid}").get_data(as_text=True)
    assert "Per" in detail
    assert "Boss" in detail
    assert ">Lea<" not in detail
    assert "Individ- och familjeomsorg" in detail  # one level down
    below = boss.get(f"/compliance/requirements/{rid}?unit_id={org['ifo']}&status=all")
    assert below.status_code == 200
    assert "Lea" in below.get_data(as_text=True)
    rows = _csv(boss.get(f"/compliance/requirements/{rid}?format=csv"))
    assert sorted(r["Name"] for r in rows) == ["Boss", "Per"]
    assert all(r["Overdue since"] for r in rows)
    overview = _csv(boss.get("/compliance?format=csv"))
    assert overview[0]["Must complete"] == "3"
    assert overview[0]["Share compliant"] == "33.3"


def test_the_excel_file_is_semicolon_separated_with_a_bom_and_swedish_forms(
    app, login, org, make_xapi
):
    with app.app_context():
        _create(login, org)
    _complete(app, make_xapi, org["lea"], org["fire"])
    boss = login(org["boss"])
    response = boss.get("/compliance?format=excel", headers={"Accept-Language": "sv"})
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = _csv(response, ";")
    assert rows[0]["Andel som följer kravet"] == "33,3"


def test_managers_see_only_their_subtree_and_learners_nothing(app, login, org):
    with app.app_context():
        rid = _create(login, org)
    olle = login(org["olle"])
    assert olle.get(f"/compliance?unit_id={org['soc']}").status_code == 403
    assert olle.get(f"/compliance/requirements/{rid}?unit_id={org['ifo']}").status_code == 403
    assert (
        olle.get(f"/compliance/requirements/{rid}?format=csv&unit_id={org['soc']}").status_code
        == 403
    )
    # In his own subtree nobody has it: the people list is empty.
    assert _csv(olle.get(f"/compliance/requirements/{rid}?format=csv&status=all")) == []
    assert olle.get(f"/manage/requirements/{rid}").status_code == 403
    lea = login(org["lea"])
    for path in (
        "/compliance",
        f"/compliance/requirements/{rid}",
        "/manage/requirements",
        f"/manage/requirements/{rid}",
    ):
        assert lea.get(path).status_code == 403, path


def test_a_manager_makes_requirements_only_for_their_own_units(app, login, org):
    boss = login(org["boss"])
    refused = post(boss, "/manage/requirements", _form(org, audience_unit=[str(org["utb"])]))
    assert refused.status_code == 403
    with app.app_context():
        rid = _create(login, org, who="boss", owner_unit_id=str(org["soc"]))
    assert login(org["olle"]).get(f"/manage/requirements/{rid}").status_code == 403
    hostile = post(login(org["olle"]), f"/manage/requirements/{rid}", {"action": "deactivate"})
    assert hostile.status_code == 403
    # A role audience of a manager's requirement stays inside the manager's subtree.
    with app.app_context():
        rid2 = _create(login, org, who="boss", audience_unit=[], audience_role=["learner"])
        from portal.models import RequirementMember

        members = {
            m.user_id for m in db.session.query(RequirementMember).filter_by(requirement_id=rid2)
        }
        assert members == {org["lea"], org["per"]}


def test_deactivating_takes_the_requirement_off_pages(app, login, org):
    with app.app_context():
        rid = _create(login, org)
    admin = login(org["admin"])
    assert post(admin, f"/manage/requirements/{rid}", {"action": "deactivate"}).status_code == 302
    assert "Brandskydd vart tredje år" not in login(org["lea"]).get("/my").get_data(as_text=True)
    assert "Brandskydd vart tredje år" not in admin.get("/compliance").get_data(as_text=True)


def test_editing_keeps_the_input_and_saves(app, login, org):
    with app.app_context():
        rid = _create(login, org)
    admin = login(org["admin"])
    page = admin.get(f"/manage/requirements/{rid}").get_data(as_text=True)
    assert 'value="Brandskydd vart tredje år"' in page
    saved = post(
        admin, f"/manage/requirements/{rid}", _form(org, name="Brandskydd", validity_months="")
    )
    assert saved.status_code == 302
    with app.app_context():
        from portal import requirements

        found = requirements.get(rid)
        assert found.name == "Brandskydd"
        assert found.validity_months is None


def test_a_manager_exempts_their_person_with_a_reason_and_it_is_audited(app, login, org):
    with app.app_context():
        rid = _create(login, org)
    boss = login(org["boss"])
    url = f"/compliance/requirements/{rid}/exemptions?status=all"
    assert post(boss, url, {"user_id": org["lea"], "reason": ""}).status_code == 400
    assert post(boss, url, {"user_id": org["lea"], "reason": "Föräldraledig"}).status_code == 302
    assert post(login(org["olle"]), url, {"user_id": org["per"], "reason": "x"}).status_code == 403
    assert post(login(org["lea"]), url, {"user_id": org["per"], "reason": "x"}).status_code == 403
    page = login(org["lea"]).get("/my").get_data(as_text=True)
    assert "Exempt" in page
    assert "Föräldraledig" in page
    with app.app_context():
        from accounts.models import AuditEvent

        event = db.session.query(AuditEvent).filter_by(action="requirement.exempted").one()
        assert event.actor_name == "boss@example.org"
        assert event.details["reason"] == "Föräldraledig"
    figures = _csv(boss.get("/compliance?format=csv"))[0]
    assert figures["Exempt"] == "1"
    assert figures["Must complete"] == "2"


def test_forms_without_the_csrf_token_are_refused(app, login, org):
    with app.app_context():
        rid = _create(login, org)
    admin = login(org["admin"])
    assert admin.post("/manage/requirements", data=_form(org)).status_code == 400
    assert (
        admin.post(f"/manage/requirements/{rid}", data={"action": "deactivate"}).status_code == 400
    )
    exempt = admin.post(
        f"/compliance/requirements/{rid}/exemptions", data={"user_id": org["lea"], "reason": "x"}
    )
    assert exempt.status_code == 400
    assert CSRF


def test_the_refresh_command_brings_audiences_up_to_date(app, login, org, runner):
    with app.app_context():
        rid = _create(login, org)
        db.session.execute(text("DELETE FROM portal_requirement_member"))
        db.session.commit()
    result = runner.invoke(args=["requirements", "refresh"])
    assert result.exit_code == 0
    assert "3 memberships changed" in result.output
    with app.app_context():
        from portal.models import RequirementMember

        assert db.session.query(RequirementMember).filter_by(requirement_id=rid).count() == 3


def test_people_imported_from_hr_join_a_title_audience(app, login, org):
    from tests.accounts.test_people_import import SWEDISH
    from tests.portal.test_people_import_page import send

    portal_unit = org["soc"]
    with app.app_context():
        from accounts.models import OrganisationUnit

        db.session.add(OrganisationUnit(code="SOC-AO", name="Äldreomsorg", parent_id=portal_unit))
        db.session.commit()
        rid = _create(login, org, audience_unit=[], audience_title="undersköterska, Sjuksköterska")
    assert send(login(org["admin"]), SWEDISH, "import").status_code == 200
    with app.app_context():
        from portal.models import RequirementMember

        emails = set(
            db.session.scalars(
                text(
                    "SELECT u.email FROM portal_requirement_member m"
                    " JOIN portal_user u ON u.id = m.user_id WHERE m.requirement_id = :r"
                ),
                {"r": rid},
            )
        )
        assert emails == {"lea.lund@kommun.se", "ali.hassan@kommun.se"}
        assert db.session.query(RequirementMember).count() == 2


def test_booking_a_classroom_session_is_in_progress(app, login, org, portal):
    from accounts.models import User
    from portal import compliance, requirements

    trainer = portal.user("trainer@example.org", role="author", name="Tina Trainer")
    session = portal.session(org["fire_room"], trainer)
    with app.app_context():
        rid = _create(login, org)
    assert post(login(org["per"]), f"/sessions/{session}/enrol").status_code == 302
    with app.app_context():
        found = compliance.people(requirements.get(rid), [User.id == org["per"]])
        assert found[0].status == "in_progress"


def test_launching_a_required_course_is_in_progress(app, login, org):
    # The launch starts an attempt (player.signals.attempt_started); no result is stored.
    from accounts.models import User
    from portal import compliance, requirements
    from tests.player.builds import slides_zip
    from tests.portal.test_course_results import upload

    course = upload(app, slides_zip("2004"), "Informationssäkerhet")
    with app.app_context():
        rid = _create(login, org, course_ids=[str(course)])
    learner = login(org["per"])
    assert learner.get(f"/courses/{course}/launch").status_code == 303
    with app.app_context():
        found = compliance.people(requirements.get(rid), [User.id.in_([org["per"], org["lea"]])])
        assert {p.person.id: p.status for p in found} == {
            org["per"]: "in_progress",
            org["lea"]: "not_started",
        }
