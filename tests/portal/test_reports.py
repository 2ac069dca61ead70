"""Reports: the completions projection in step with the LRS, unit isolation, CSV, charts."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from tests.portal.conftest import post

VERB = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def xapi(make_xapi):
    """A source of results an admin trusts (an HR system, another LMS): its outcomes count.

    Untrusted clients' results count only inside a launch of ours (test_result_trust.py).
    """
    return make_xapi(["all"], trusted=True)


@pytest.fixture
def org(portal, app):
    social = portal.unit("social", "Social services")
    school = portal.unit("school", "Schools")
    course = portal.course("Fire safety")
    other = portal.course("Data protection")
    people = {
        "lea": portal.user("lea@example.org", unit_id=social, name="Lea Social"),
        "sam": portal.user("sam@example.org", unit_id=school, name="Sam School"),
        "maja": portal.user(
            "maja@example.org", role="manager", unit_id=social, name="Maja Manager"
        ),
        "max": portal.user("max@example.org", role="manager", unit_id=school, name="Max Manager"),
        "admin": portal.user("admin@example.org", role="admin", name="Ada Admin"),
    }
    return {
        "social": social,
        "school": school,
        "course": course,
        "other": other,
        "home": app.config["AGENT_HOMEPAGE"],
        **people,
    }


def outcome(org, user: str, verb: str, course: str = "course", score: float | None = None) -> dict:
    statement = {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "name": user,
            "account": {"homePage": org["home"], "name": str(org[user])},
        },
        "verb": {"id": VERB + verb},
        "object": {"objectType": "Activity", "id": f"{org['home']}/courses/{org[course]}"},
    }
    if score is not None:
        statement["result"] = {"score": {"scaled": score}, "success": verb == "passed"}
    return statement


def rows(app):
    from sqlalchemy import select

    from core.db import db
    from portal.models import Completion

    with app.app_context():
        return [
            (c.user_id, c.course_id, c.unit_id, c.verb, c.score)
            for c in db.session.scalars(select(Completion))
        ]


def test_portal_projection_follows_statements_and_voiding(org, xapi, app):
    completed = outcome(org, "lea", "completed")
    passed = outcome(org, "lea", "passed", score=0.9)
    assert xapi.post("statements", [completed, passed]).status_code == 200
    assert sorted(rows(app)) == sorted(
        [
            (org["lea"], org["course"], org["social"], "completed", None),
            (org["lea"], org["course"], org["social"], "passed", 0.9),
        ]
    )
    # Statements that are not outcomes are not projected.
    xapi.post("statements", {**outcome(org, "lea", "experienced"), "id": str(uuid.uuid4())})
    assert len(rows(app)) == 2
    voiding = {
        "actor": {"mbox": "mailto:admin@example.org"},
        "verb": {"id": VERB + "voided"},
        "object": {"objectType": "StatementRef", "id": passed["id"]},
    }
    assert xapi.post("statements", voiding).status_code == 200
    assert rows(app) == [(org["lea"], org["course"], org["social"], "completed", None)]


def test_portal_projection_keeps_foreign_actors_without_a_user(org, xapi, app):
    statement = outcome(org, "lea", "completed")
    statement["actor"] = {"mbox": "mailto:someone@elsewhere.org", "name": "Someone"}
    xapi.post("statements", statement)
    assert rows(app) == [(None, org["course"], None, "completed", None)]


@pytest.fixture
def filled(org, xapi):
    xapi.post(
        "statements",
        [
            outcome(org, "lea", "completed"),
            outcome(org, "lea", "passed", score=0.8),
            outcome(org, "sam", "completed"),
            outcome(org, "sam", "failed", score=0.3),
            outcome(org, "sam", "completed", course="other"),
        ],
    )
    return org


@pytest.mark.parametrize(
    ("role", "status"), [("learner", 403), ("author", 403), ("manager", 200), ("admin", 200)]
)
def test_portal_reports_need_manager_or_admin(portal, login, role, status):
    assert login(portal.user(role=role)).get("/reports").status_code == status


def test_portal_reports_admin_sees_every_unit(filled, login):
    page = login(filled["admin"]).get("/reports").get_data(as_text=True)
    assert "Social services" in page
    assert "Schools" in page
    assert "Data protection" in page
    assert "<svg" in page
    assert '<title id="chart-month-title">' in page


def test_portal_reports_manager_sees_only_their_unit(filled, login):
    maja = login(filled["maja"])
    page = maja.get("/reports").get_data(as_text=True)
    assert "Social services" in page
    assert "Schools" not in page
    assert "Data protection" not in page  # only Sam (school) completed it
    for table in ("course", "unit", "month"):
        body = maja.get(f"/reports?table={table}&format=csv").get_data(as_text=True)
        assert "Schools" not in body
        assert "Data protection" not in body
    # Another unit, asked for explicitly, is refused.
    assert maja.get(f"/reports?unit_id={filled['school']}").status_code == 403
    assert maja.get(f"/reports/learners/{filled['sam']}").status_code == 403
    assert maja.get(f"/reports/learners/{filled['sam']}?format=csv").status_code == 403
    course_page = maja.get(f"/reports/courses/{filled['course']}").get_data(as_text=True)
    assert "Lea Social" in course_page
    assert "Sam School" not in course_page
    course_csv = maja.get(f"/reports/courses/{filled['course']}?format=csv").get_data(as_text=True)
    assert "Sam School" not in course_csv
    learners = maja.get("/reports").get_data(as_text=True)
    assert "Sam School" not in learners


def test_portal_reports_manager_without_unit_sees_nothing(filled, portal, login):
    client = login(portal.user("nomad@example.org", role="manager"))
    body = client.get("/reports?table=course&format=csv").get_data(as_text=True)
    assert body.strip().splitlines()[1:] == []


def test_portal_reports_csv_per_course(filled, login):
    response = login(filled["admin"]).get("/reports?table=course&format=csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    fire = next(r for r in table if r["Course"] == "Fire safety")
    assert (fire["Completions"], fire["Passed"], fire["Failed"]) == ("2", "1", "1")


def test_portal_reports_csv_per_unit_and_month(filled, login):
    admin = login(filled["admin"])
    units = list(
        csv.DictReader(
            io.StringIO(admin.get("/reports?table=unit&format=csv").get_data(as_text=True))
        )
    )
    assert {r["Unit"]: r["Completions"] for r in units} == {
        "In no unit": "0",  # Ada Admin: people no unit covers are counted too
        "Schools": "2",
        "Social services": "1",
    }
    months = list(
        csv.DictReader(
            io.StringIO(admin.get("/reports?table=month&format=csv").get_data(as_text=True))
        )
    )
    assert sum(int(r["Completions"]) for r in months) == 3
    assert (
        admin.get("/reports?start=2001-01&end=2001-12&table=month&format=csv")
        .get_data(as_text=True)
        .count("\n")
        == 1
    )


def test_portal_reports_bad_period_is_refused(filled, login):
    assert login(filled["admin"]).get("/reports?start=2024-13").status_code == 400


def test_portal_reports_transcript_and_course_learners(filled, login):
    admin = login(filled["admin"])
    transcript = list(
        csv.DictReader(
            io.StringIO(
                admin.get(f"/reports/learners/{filled['sam']}?format=csv").get_data(as_text=True)
            )
        )
    )
    assert sorted((r["Course"], r["Outcome"]) for r in transcript) == [
        ("Data protection", "completed"),
        ("Fire safety", "completed"),
        ("Fire safety", "failed"),
    ]
    learners = list(
        csv.DictReader(
            io.StringIO(
                admin.get(f"/reports/courses/{filled['course']}?format=csv").get_data(as_text=True)
            )
        )
    )
    assert {(r["Learner"], r["Status"], r["Best score"]) for r in learners} == {
        ("Lea Social", "passed", "0.8"),
        ("Sam School", "failed", "0.3"),
    }
    for key in (filled["sam"], "SAM@example.org"):
        response = admin.get(f"/reports?learner={key}")
        assert response.headers["Location"].endswith(f"/reports/learners/{filled['sam']}")
    assert admin.get("/reports?learner=nobody@example.org").status_code == 404


def test_portal_reports_csv_cells_cannot_be_formulas(org, xapi, login, app):
    from core.db import db
    from packages.models import Course

    with app.app_context():
        db.session.get_one(Course, org["course"]).title = '=HYPERLINK("x")'
        db.session.commit()
    xapi.post("statements", outcome(org, "lea", "completed"))
    body = login(org["admin"]).get("/reports?table=course&format=csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def test_portal_my_learning_and_assignments(org, login, xapi):
    maja = login(org["maja"])
    assert (
        post(
            maja,
            "/manage/assignments",
            {
                "course_id": str(org["course"]),
                "unit_id": str(org["social"]),
                "due_date": "2001-01-31",
            },
        ).status_code
        == 302
    )
    assert (
        post(
            maja,
            "/manage/assignments",
            {"course_id": str(org["other"]), "user_id": str(org["lea"])},
        ).status_code
        == 302
    )
    # Not across units, and not to both or neither.
    assert (
        post(
            maja,
            "/manage/assignments",
            {"course_id": str(org["course"]), "user_id": str(org["sam"])},
        ).status_code
        == 403
    )
    assert (
        post(
            maja,
            "/manage/assignments",
            {"course_id": str(org["course"]), "unit_id": str(org["school"])},
        ).status_code
        == 403
    )
    assert post(maja, "/manage/assignments", {"course_id": str(org["course"])}).status_code == 400
    lea = login(org["lea"])
    page = lea.get("/my").get_data(as_text=True)
    assert "Overdue" in page
    assert "Data protection" in page
    assert "Fire safety" not in login(org["sam"]).get("/my").get_data(as_text=True)
    xapi.post("statements", outcome(org, "lea", "completed"))
    page = lea.get("/my").get_data(as_text=True)
    assert "Overdue" not in page
    assert "Done" in page
    # Max (school) does not see Maja's assignments.
    assert (
        "Data protection"
        not in login(org["max"])
        .get("/manage/assignments")
        .get_data(as_text=True)
        .split("<table>")[1]
    )


def test_portal_assignments_need_the_manager_role(portal, login):
    assert login(portal.user(role="author")).get("/manage/assignments").status_code == 403


def sco_completed(org, registration: str, sco: str) -> dict:
    """Lea's completion of one SCO of the course, in one registration (a player attempt)."""
    statement = outcome(org, "lea", "completed")
    statement["object"]["id"] = f"{org['home']}/xapi/activities/course/{org['course']}/sco/{sco}"
    statement["context"] = {
        "registration": registration,
        "contextActivities": {"grouping": [{"id": f"{org['home']}/courses/{org['course']}"}]},
    }
    return statement


def test_portal_projection_skips_objectives_and_counts_an_attempt_once(org, xapi, app):
    registration = str(uuid.uuid4())
    batch = [sco_completed(org, registration, n) for n in ("a", "b")]
    objective = outcome(org, "lea", "passed")
    objective["object"]["id"] = batch[0]["object"]["id"] + "/objectives/obj1"
    batch.append(objective)
    assert xapi.post("statements", batch).status_code == 200
    assert rows(app) == [(org["lea"], org["course"], org["social"], "completed", None)]


def test_portal_projection_counts_an_attempt_once_across_requests(org, xapi, app):
    """The second SCO's completion arrives in a later request: the stored row is found."""
    registration = str(uuid.uuid4())
    for n in ("a", "b"):
        assert xapi.post("statements", sco_completed(org, registration, n)).status_code == 200
    passed = outcome(org, "lea", "passed")
    passed["context"] = {"registration": registration}
    assert xapi.post("statements", passed).status_code == 200
    assert sorted(rows(app)) == [
        (org["lea"], org["course"], org["social"], "completed", None),
        (org["lea"], org["course"], org["social"], "passed", None),
    ]


@pytest.mark.parametrize(
    ("today", "n", "expected"),
    [((2026, 3, 5), 11, "2025-04"), ((2026, 12, 31), 11, "2026-01"), ((2026, 1, 1), 0, "2026-01")],
)
def test_portal_reports_months_ago(today, n, expected):
    from datetime import date

    from portal.reports import months_ago

    assert months_ago(n, date(*today)) == expected


def test_portal_reports_default_to_the_last_twelve_months(org, login, app):
    from datetime import datetime

    from core.db import db
    from portal import projection
    from portal.models import Completion

    with app.app_context():
        db.session.add(
            Completion(
                statement_id=str(uuid.uuid4()),
                user_id=org["lea"],
                actor_name="",
                activity_id="x",
                course_id=org["course"],
                unit_id=org["social"],
                verb="completed",
                stored=datetime(2019, 5, 1),
                period="2019-05",
            )
        )
        projection._roll_up(
            [
                {
                    "unit_id": org["social"],
                    "course_id": org["course"],
                    "period": "2019-05",
                    "verb": "completed",
                    "score": None,
                }
            ],
            1,
        )
        db.session.commit()
    admin = login(org["admin"])
    assert "2019-05" not in admin.get("/reports?table=month&format=csv").get_data(as_text=True)
    assert "2019-05" in admin.get("/reports?start=&table=month&format=csv").get_data(as_text=True)
    assert "2019-05" in admin.get("/reports?start=2019-01&end=2019-12").get_data(as_text=True)


def test_portal_reports_long_tables_are_paged_in_html_but_whole_in_csv(
    org, login, app, monkeypatch
):
    from portal.views import manage as views

    monkeypatch.setattr(views, "PAGE_ROWS", 1)
    from datetime import datetime

    from core.db import db
    from portal.models import Completion

    with app.app_context():
        for n in range(3):
            db.session.add(
                Completion(
                    statement_id=str(uuid.uuid4()),
                    user_id=org["lea"],
                    actor_name="",
                    activity_id="x",
                    course_id=org["course"],
                    unit_id=org["social"],
                    verb="completed",
                    stored=datetime(2026, 1, 1 + n),
                    period="2026-01",
                )
            )
        db.session.commit()
    admin = login(org["admin"])
    page = admin.get(f"/reports/learners/{org['lea']}?page=2").get_data(as_text=True)
    assert 'rel="prev"' in page
    assert 'rel="next"' in page
    assert "page=3" in page
    body = admin.get(f"/reports/learners/{org['lea']}?format=csv").get_data(as_text=True)
    assert body.count("\n") == 4


def test_portal_reports_totals_follow_voiding(org, xapi, login):
    lea = [outcome(org, "lea", "completed"), outcome(org, "lea", "passed", score=0.5)]
    sam = outcome(org, "sam", "completed", course="other")
    xapi.post("statements", [*lea, sam])
    admin = login(org["admin"])

    def table(name):
        body = admin.get(f"/reports?table={name}&format=csv").get_data(as_text=True)
        return list(csv.DictReader(io.StringIO(body)))

    def void(statement):
        response = xapi.post(
            "statements",
            {
                "actor": {"mbox": "mailto:admin@example.org"},
                "verb": {"id": VERB + "voided"},
                "object": {"objectType": "StatementRef", "id": statement["id"]},
            },
        )
        assert response.status_code == 200

    fire = next(r for r in table("course") if r["Course"] == "Fire safety")
    assert (fire["Completions"], fire["Passed"], fire["Average score"]) == ("1", "1", "0.5")
    void(lea[1])
    fire = next(r for r in table("course") if r["Course"] == "Fire safety")
    assert (fire["Completions"], fire["Passed"], fire["Average score"]) == ("1", "0", "")
    void(sam)
    assert [r["Course"] for r in table("course")] == ["Fire safety"]
    # Every unit keeps its row (with the people it covers); Schools' completion is gone.
    assert {r["Unit"]: r["Completions"] for r in table("unit")} == {
        "In no unit": "0",
        "Schools": "0",
        "Social services": "1",
    }
    assert sum(int(r["Completions"]) for r in table("month")) == 1


def test_portal_assignments_only_of_shared_or_own_unit_courses(org, portal, login):
    school_course = portal.course("Playground safety", unit="school")
    social_course = portal.course("Care notes", unit="social")
    maja = login(org["maja"])
    page = maja.get("/manage/assignments").get_data(as_text=True)
    assert "Care notes" in page
    assert "Playground safety" not in page
    data = {"unit_id": str(org["social"])}
    assert (
        post(maja, "/manage/assignments", {**data, "course_id": str(school_course)}).status_code
        == 403
    )
    assert (
        post(maja, "/manage/assignments", {**data, "course_id": str(social_course)}).status_code
        == 302
    )


def test_portal_reports_count_a_completion_in_the_month_it_happened(org, xapi, login):
    """A completion recorded late (or imported) counts in its own month, not the upload's."""
    late = {**outcome(org, "lea", "passed", score=0.7), "timestamp": "2024-03-15T09:30:00+01:00"}
    assert xapi.post("statements", late).status_code == 200
    admin = login(org["admin"])
    march = admin.get("/reports?start=2024-03&end=2024-03&table=month&format=csv")
    months = list(csv.DictReader(io.StringIO(march.get_data(as_text=True))))
    assert [(r["Month"], r["Passed"]) for r in months] == [("2024-03", "1")]
