"""The course reports count people as well as completions, and say "of N".

The organisation of test_reports: Social services (Lea; Maja, a manager) and Schools
(Sam; Max, a manager), and Ada Admin in no unit. Lea completed and passed Fire safety;
Sam completed and failed it, and completed Data protection.
"""
# ruff: noqa: F811  (the fixtures imported from test_reports are parameters here)

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from core.db import db
from tests.portal.conftest import post
from tests.portal.test_reports import filled, org, outcome, xapi  # noqa: F401


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _per_course(client, query: str = "") -> dict[str, tuple[str, str, str]]:
    rows = _csv(client.get(f"/reports?table=course&format=csv{query}"))
    return {
        r["Course"]: (r["Completions"], r["People who completed or passed"], r["People in scope"])
        for r in rows
    }


def test_report_people_per_course_count_each_person_once_of_the_scope(filled, login, xapi):
    xapi.post("statements", outcome(filled, "lea", "completed"))  # Lea a third time
    admin = login(filled["admin"])
    # Five active people in the organisation; Lea counts once for three completions.
    assert _per_course(admin) == {
        "Fire safety": ("3", "2", "5"),
        "Data protection": ("1", "1", "5"),
    }
    page = admin.get("/reports").get_data(as_text=True)
    assert "2 of 5" in page
    assert "1 of 5" in page
    # Maja's unit: Lea and Maja.
    maja = login(filled["maja"])
    assert _per_course(maja) == {"Fire safety": ("2", "1", "2")}
    assert "1 of 2" in maja.get("/reports").get_data(as_text=True)
    # The chosen months count too: nothing in 2001.
    assert _per_course(admin, "&start=2001-01&end=2001-12") == {}


def test_report_people_follow_the_manager_line(filled, login, portal):
    portal.manage(filled["lea"], filled["maja"])
    portal.manage(filled["sam"], filled["maja"])
    maja = login(filled["maja"])
    # Her line is Lea and Sam, whichever unit they are in.
    assert _per_course(maja, "&by=line") == {
        "Fire safety": ("2", "2", "2"),
        "Data protection": ("1", "1", "2"),
    }
    page = maja.get(f"/reports/courses/{filled['other']}?by=line").get_data(as_text=True)
    assert "People in the manager's line" in page
    assert "1 of 2" in page


def test_report_people_who_left_or_were_deactivated_are_not_counted(filled, login, app):
    from accounts.models import User

    with app.app_context():
        sam = db.session.get(User, filled["sam"])
        assert sam is not None
        sam.active = False
        db.session.commit()
    assert _per_course(login(filled["admin"])) == {
        "Fire safety": ("2", "1", "4"),
        "Data protection": ("1", "0", "4"),
    }


def test_report_people_on_a_course_page_of_the_assigned(filled, login, app):
    maja = login(filled["maja"])
    response = post(
        maja,
        "/manage/assignments",
        {"course_id": str(filled["course"]), "unit_id": str(filled["social"]), "due_date": ""},
    )
    assert response.status_code == 302
    page = maja.get(f"/reports/courses/{filled['course']}").get_data(as_text=True)
    facts = page.split('<dl class="facts">')[1].split("</dl>")[0]
    # Lea and Maja are in Social services, both assigned by the unit; Lea completed it.
    assert "1 of 2 assigned" in facts
    assert "People in this part of the organisation" in facts
    rows = _csv(maja.get(f"/reports/courses/{filled['course']}?format=csv"))
    assert [(r["Learner"], r["Assigned or required"]) for r in rows] == [("Lea Social", "yes")]
    # The admin: Sam is not assigned; a requirement for Schools makes Sam and Max required.
    admin = login(filled["admin"])
    rows = _csv(admin.get(f"/reports/courses/{filled['course']}?format=csv"))
    assert [(r["Learner"], r["Assigned or required"]) for r in rows] == [
        ("Lea Social", "yes"),
        ("Sam School", "no"),
    ]
    assert "1 of 2 assigned" in admin.get(f"/reports/courses/{filled['course']}").get_data(
        as_text=True
    )
    _require(app, filled, filled["other"], filled["school"])
    other = admin.get(f"/reports/courses/{filled['other']}").get_data(as_text=True)
    facts = other.split('<dl class="facts">')[1].split("</dl>")[0]
    assert "1 of 5" in facts  # Sam, of everyone
    assert "1 of 2 assigned" in facts  # Sam and Max must; Sam has
    assert "Sam School" in other


def test_report_people_exempt_people_are_not_required(filled, login, app):
    rid = _require(app, filled, filled["other"], filled["school"])
    admin = login(filled["admin"])
    response = post(
        admin,
        f"/compliance/requirements/{rid}/exemptions",
        {"user_id": str(filled["max"]), "reason": "Tjänstledig"},
    )
    assert response.status_code == 302
    page = admin.get(f"/reports/courses/{filled['other']}").get_data(as_text=True)
    assert "1 of 1 assigned" in page.split('<dl class="facts">')[1]


def _require(app, org, course_id: int, unit_id: int) -> int:
    from accounts.models import User
    from portal import requirements

    with app.app_context():
        admin = db.session.get(User, org["admin"])
        assert admin is not None
        made = requirements.create(
            admin,
            requirements.Draft(
                "Dataskydd",
                [course_id],
                [("unit", str(unit_id))],
                due_date=date.today() + timedelta(days=30),
            ),
        )
        db.session.commit()
        return made.id
