"""Compliance over time: the snapshot job, and the trend on the compliance pages and files.

The organisation of test_requirements: SOC (Boss, a manager) with IFO below it (Lea,
Per); UTB (Olle, a manager; Sam). Past months are snapshot rows as the nightly job
leaves them; today's point is counted live.
"""
# ruff: noqa: F811  (the fixtures imported from jobs_fixtures and test_requirements are parameters here)

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from core import jobs
from core.db import db
from core.jobs.runs import JobRun
from portal.models import ComplianceSnapshot, ComplianceSnapshotDay
from tests.portal.jobs_fixtures import queue  # noqa: F401
from tests.portal.mail_helpers import drain
from tests.portal.test_requirements import _complete, _create, _csv, org  # noqa: F401


def _new(app, login, org, **changes) -> int:
    """A requirement made through the admin's form (SOC's subtree unless changed)."""
    with app.app_context():
        return _create(login, org, **changes)


def _months_back(n: int) -> tuple[int, int]:
    today = date.today()
    index = today.year * 12 + today.month - 1 - n
    return index // 12, index % 12 + 1


def _overdue_since_joining(app) -> None:
    """Everyone joined two days ago and was due on joining: no completion is overdue."""
    with app.app_context():
        db.session.execute(
            text("UPDATE portal_requirement_member SET joined_at = :t"),
            {"t": datetime.now() - timedelta(days=2)},
        )
        db.session.commit()


def _rows(app) -> list[tuple]:
    with app.app_context():
        return [
            (r.day, r.requirement_id, r.unit_id, r.completed, r.overdue, r.not_started)
            for r in db.session.scalars(
                select(ComplianceSnapshot).order_by(
                    ComplianceSnapshot.day,
                    ComplianceSnapshot.requirement_id,
                    ComplianceSnapshot.unit_id,
                )
            )
        ]


def _days(app) -> list[date]:
    with app.app_context():
        return list(db.session.scalars(select(ComplianceSnapshotDay.day).order_by("day")))


def _snapshot(app, day: date, rows: dict[tuple[int, int], dict[str, int]]) -> None:
    """A past day's snapshot as the job leaves it: rows keyed (requirement, unit)."""
    with app.app_context():
        for (rid, unit_id), counts in rows.items():
            values = dict.fromkeys(
                ("not_started", "in_progress", "completed", "expiring", "overdue", "exempt"), 0
            )
            db.session.add(
                ComplianceSnapshot(day=day, requirement_id=rid, unit_id=unit_id, **values | counts)
            )
        db.session.add(
            ComplianceSnapshotDay(day=day, taken_at=datetime.combine(day, datetime.min.time()))
        )
        db.session.commit()


def test_compliance_snapshot_job_twice_a_day_is_one_snapshot(app, login, org, queue, make_xapi):
    rid = _new(app, login, org, due_days="0")  # the page enqueues the first snapshot
    _overdue_since_joining(app)
    drain(jobs.huey)
    today = date.today()
    # Boss in SOC; Lea and Per in IFO: everyone overdue.
    assert _rows(app) == [(today, rid, org["soc"], 0, 1, 0), (today, rid, org["ifo"], 0, 2, 0)]
    _complete(app, make_xapi, org["lea"], org["fire"])
    jobs.enqueue("compliance_snapshot")  # the nightly run, the same day
    drain(jobs.huey)
    assert _rows(app) == [(today, rid, org["soc"], 0, 1, 0), (today, rid, org["ifo"], 1, 1, 0)]
    assert _days(app) == [today]
    with app.app_context():
        runs = db.session.scalars(select(JobRun).where(JobRun.name == "compliance_snapshot")).all()
        assert [(r.status, r.attempts) for r in runs] == [("done", 1), ("done", 1)]


def test_compliance_snapshot_at_a_workers_start_only_when_today_has_none(app, login, org, queue):
    _new(app, login, org)
    drain(jobs.huey)  # the first snapshot, from the page
    with app.app_context():
        first = db.session.get(ComplianceSnapshotDay, date.today())
        assert first is not None
        taken = first.taken_at
    jobs.worker_started()
    drain(jobs.huey)
    with app.app_context():
        again = db.session.get(ComplianceSnapshotDay, date.today())
        assert again is not None
        assert again.taken_at == taken  # today had one: not taken again
        db.session.execute(text("DELETE FROM portal_compliance_snapshot_day"))
        db.session.execute(text("DELETE FROM portal_compliance_snapshot"))
        db.session.commit()
    jobs.worker_started()
    drain(jobs.huey)
    assert _days(app) == [date.today()]
    assert len(_rows(app)) == 2  # SOC and IFO
    with app.app_context():
        runs = db.session.scalars(
            select(JobRun).where(JobRun.name == "compliance_snapshot_if_missing")
        ).all()
        assert [r.status for r in runs] == ["done", "done"]


def test_compliance_snapshot_keeps_a_quarter_of_days_and_then_each_months_last(app, login, org):
    from portal import compliance_trend

    _new(app, login, org)
    today = date.today()
    year, month = _months_back(6)
    old = [date(year, month, d) for d in (3, 15, 27)]
    recent = [today - timedelta(days=n) for n in (80, 40, 1)]
    with app.app_context():
        for day in [*old, *recent, today]:
            compliance_trend.record(day)
        db.session.commit()
    assert _days(app) == [old[2], *recent, today]
    assert {r[0] for r in _rows(app)} == {old[2], *recent, today}


def _history(app, org, rid: int, other: int, months: int = 2) -> dict[str, date]:
    """``months`` ago: two snapshots (the later counts); last month none."""
    year, month = _months_back(months)
    early, late = date(year, month, 5), date(year, month, 20)
    _snapshot(
        app,
        early,
        {(rid, org["soc"]): {"completed": 1}, (rid, org["ifo"]): {"completed": 2}},
    )
    _snapshot(
        app,
        late,
        {
            (rid, org["soc"]): {"overdue": 1},
            (rid, org["ifo"]): {"overdue": 1, "completed": 1},
            (other, org["utb"]): {"completed": 1},
        },
    )
    return {"early": early, "late": late}


def test_the_trend_is_each_months_last_snapshot_and_today_in_the_scope(app, login, org, make_xapi):
    rid = _new(app, login, org, due_days="0")
    other = _new(app, login, org, name="Brandskydd UTB", audience_unit=[str(org["utb"])])
    _overdue_since_joining(app)
    _complete(app, make_xapi, org["lea"], org["fire"])
    days = _history(app, org, rid, other)
    boss = login(org["boss"])
    rows = _csv(boss.get("/compliance?format=csv&table=trend"))
    # Boss's subtree: SOC and IFO; only the first requirement; the later snapshot of
    # that month, none last month, and today counted now (Lea completed).
    assert [
        (r["Date"], r["Requirement"], r["Must complete"], r["Compliant"], r["Overdue"])
        for r in rows
    ] == [
        (days["late"].isoformat(), "Brandskydd vart tredje år", "3", "1", "2"),
        (date.today().isoformat(), "Brandskydd vart tredje år", "3", "1", "2"),
    ]
    assert rows[0]["Share compliant"] == "33.3"
    # One level down: IFO only.
    below = _csv(
        boss.get(f"/compliance/requirements/{rid}?unit_id={org['ifo']}&format=csv&table=trend")
    )
    assert [(r["Date"], r["Must complete"], r["Compliant"], r["Overdue"]) for r in below] == [
        (days["late"].isoformat(), "2", "1", "1"),
        (date.today().isoformat(), "2", "1", "1"),
    ]
    # Olle sees his own requirement's trend and nothing of SOC's.
    olle = _csv(login(org["olle"]).get("/compliance?format=csv&table=trend"))
    assert [(r["Requirement"], r["Must complete"], r["Compliant"]) for r in olle] == [
        ("Brandskydd UTB", "1", "1"),
        ("Brandskydd UTB", "2", "0"),  # Olle and Sam, not due yet
    ]
    # The whole organisation: both requirements and all of them together.
    admin = _csv(login(org["admin"]).get("/compliance?format=csv&table=trend"))
    together = [r for r in admin if r["Requirement"] == "All requirements"]
    assert [(r["Must complete"], r["Compliant"], r["Overdue"]) for r in together] == [
        ("4", "2", "2"),
        ("5", "1", "2"),
    ]


def test_the_trend_is_drawn_with_its_table_on_both_pages(app, login, org, make_xapi):
    rid = _new(app, login, org, due_days="0")
    _overdue_since_joining(app)
    _complete(app, make_xapi, org["lea"], org["fire"])
    days = _history(app, org, rid, rid, months=6)
    boss = login(org["boss"])
    for url in ("/compliance", f"/compliance/requirements/{rid}"):
        page = boss.get(url).get_data(as_text=True)
        assert 'id="chart-trend-title"' in page
        assert "Line chart; the same numbers are in the table below." in page
        assert f"{days['late']:%B %Y}" in page
        assert "No snapshot this month" in page  # last month
        assert page.count("<circle") == 2 + 1  # two points, and the legend's
    overview = boss.get("/compliance").get_data(as_text=True)
    matrix = overview.split('id="cap-per-requirement"')[1].split("</table>")[0]
    # A year ago, half a year ago (the snapshot), last month, today.
    assert matrix.count("33%") == 2
    assert matrix.count("\u2013") == 2  # an en dash: no snapshot
    swedish = boss.get(f"/compliance/requirements/{rid}", headers={"Accept-Language": "sv"})
    text_sv = swedish.get_data(as_text=True)
    assert "Andel som följer kravet" in text_sv
    assert "I dag" in text_sv


def test_the_excel_trend_file_has_local_dates_and_decimal_commas(app, login, org, make_xapi):
    rid = _new(app, login, org, due_days="0")
    _overdue_since_joining(app)
    _complete(app, make_xapi, org["lea"], org["fire"])
    days = _history(app, org, rid, rid)
    response = login(org["boss"]).get(
        f"/compliance/requirements/{rid}?format=excel&table=trend",
        headers={"Accept-Language": "sv"},
    )
    assert response.get_data().startswith("\ufeff".encode())
    rows = _csv(response, ";")
    assert rows[0]["Datum"] == days["late"].isoformat()  # Swedish short dates are ISO
    assert rows[0]["Andel som följer kravet"] == "33,3"


@pytest.mark.parametrize("who", ["admin", "boss"])
@pytest.mark.parametrize(
    ("unit_id", "status"),
    [
        ("abc", 400),
        ("-1", 400),
        ("1.5", 400),
        ("99999999999999999999", 400),
        ("٣", 400),  # a digit, but not an ASCII one
        ("999999", 404),
    ],
)
def test_compliance_pages_refuse_hostile_unit_ids(app, login, org, who, unit_id, status):
    rid = _new(app, login, org)
    client = login(org[who])
    for url in (
        f"/compliance?unit_id={unit_id}",
        f"/compliance?unit_id={unit_id}&format=csv&table=trend",
        f"/compliance/requirements/{rid}?unit_id={unit_id}",
        f"/compliance/requirements/{rid}?unit_id={unit_id}&format=excel&table=trend",
    ):
        assert client.get(url).status_code == status, url


def test_a_manager_never_reads_another_subtrees_trend(app, login, org):
    rid = _new(app, login, org)
    other = _new(app, login, org, name="Brandskydd UTB", audience_unit=[str(org["utb"])])
    _history(app, org, rid, other)
    olle = login(org["olle"])
    for url in (
        f"/compliance?unit_id={org['soc']}&format=csv&table=trend",
        f"/compliance?unit_id={org['ifo']}",
        f"/compliance/requirements/{rid}?unit_id={org['soc']}&format=csv&table=trend",
        # The first unit_id is the one read: a second one does not widen the scope.
        f"/compliance/requirements/{rid}?unit_id={org['soc']}&unit_id={org['utb']}",
    ):
        assert olle.get(url).status_code == 403, url
    # In his own subtree, the snapshot rows of SOC and IFO are not counted.
    rows = _csv(olle.get(f"/compliance/requirements/{rid}?format=csv&table=trend"))
    assert [(r["People covered"], r["Compliant"]) for r in rows] == [("0", "0")]
    assert login(org["lea"]).get("/compliance?format=csv&table=trend").status_code == 403
