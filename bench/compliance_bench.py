"""Compliance pages at a large customer's scale, on PostgreSQL.

Builds the same database as ``bench/reports_bench.py`` (20,000 people in a 40-unit tree,
230 courses, ``--years`` x ``--per-year`` completions, ``--surrounding`` other
statements), then adds 40 requirements through ``portal.requirements.create`` (the way
the page does, audiences materialised): a quarter for every learner (20,000 people), a
quarter for a department (about 10,000), a section (about 5,000) and a unit (about
2,500); one or two equivalent courses each, validities of 12, 24 and 36 months with a
60-day renewal window, due 30 days after joining or on a fixed date; 4,000 members
exempt. Takes today's compliance snapshot as the nightly job does (timed) and copies it
into a year of history (every day of the last quarter, each month's last before it),
then vacuums as autovacuum would. Times whole HTTP requests to the compliance pages
(the trend's and files included; median and worst of ``--repeat`` runs in each of
``--rounds`` rounds through all of them) and the large files' background build, and
prints the load average before and after (the machine may be shared).

    .venv/bin/python bench/compliance_bench.py                          # the full scale
    .venv/bin/python bench/compliance_bench.py --years 1 --surrounding 100000   # quick
    .venv/bin/python bench/compliance_bench.py --keep --rounds 3   # time the last one's again

PG_URL names the server; the database ``kompetens_bench_compliance`` (BENCH_DB) is
dropped and created, unless ``--keep`` finds it filled: then it is only upgraded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DB", "kompetens_bench_compliance")

from bench import reports_bench


def requirements_40(app: Any) -> tuple[float, int]:
    """Create the 40 requirements as an admin; seconds taken and memberships made."""
    from sqlalchemy import func, select, text

    from accounts import service
    from core.db import db
    from portal import requirements
    from portal.models import RequirementMember

    with app.app_context():
        admin = service.create_user("bench-admin@example.org", "Admin", "bench password", "admin")
        db.session.commit()
        started = time.perf_counter()
        for i in range(40):
            audience = [
                [("role", "learner")],
                [("unit", str(1 + i % 2))],
                [("unit", str(3 + i % 4))],
                [("unit", str(7 + i % 8))],
            ][i % 4]
            courses = [1 + i * 5] if i % 3 else [1 + i * 5, 2 + i * 5]
            fixed = i % 5 == 0
            draft = requirements.Draft(
                name=f"Requirement {i + 1:02d}",
                course_ids=courses,
                audience=audience,
                due_date=date.today() - timedelta(days=90) if fixed else None,
                due_days=None if fixed else 30,
                validity_months=[12, 24, 36, None][i % 4],
                renewal_days=0 if i % 4 == 3 else 60,
            )
            requirements.create(admin, draft)
            db.session.commit()
        seconds = time.perf_counter() - started
        db.session.execute(text(EXEMPTIONS))
        db.session.commit()
        members = db.session.scalar(select(func.count()).select_from(RequirementMember))
        return seconds, int(members or 0)


# Some members let off (parental leave, ...): 4,000 of the 365,000, spread over all 40.
EXEMPTIONS = """INSERT INTO portal_requirement_exemption
                  (requirement_id, user_id, reason, by_id, by_name, at)
                SELECT requirement_id, user_id, 'Bench', NULL, 'Admin', now()
                FROM portal_requirement_member WHERE (requirement_id + user_id) % 50 = 0"""


def snapshots(app: Any) -> tuple[float, int]:
    """Take today's snapshot as the nightly job does (timed), then a year of history.

    The history copies today's rows to every day of the last quarter and to the last
    day of each month before it, as many rows as a year of nightly runs leaves.
    """
    from sqlalchemy import func, select, text

    from core.db import db
    from portal import compliance_trend
    from portal.models import ComplianceSnapshot

    today = date.today()
    with app.app_context():
        started = time.perf_counter()
        compliance_trend.record(today)
        db.session.commit()
        seconds = time.perf_counter() - started
        days = {today - timedelta(days=n) for n in range(1, compliance_trend.KEEP_DAYS + 1)}
        index = today.year * 12 + today.month - 1
        for n in range(1, 13):
            year, month = divmod(index - n, 12)
            days.add(date(year, month + 1, 1) + timedelta(days=27))
        for day in sorted(days):
            db.session.execute(
                text(
                    "INSERT INTO portal_compliance_snapshot SELECT :day, requirement_id, unit_id,"
                    " not_started, in_progress, completed, expiring, overdue, exempt"
                    " FROM portal_compliance_snapshot WHERE day = :today"
                ),
                {"day": day, "today": today},
            )
            db.session.execute(
                text("INSERT INTO portal_compliance_snapshot_day VALUES (:day, now())"),
                {"day": day},
            )
        db.session.commit()
        rows = db.session.scalar(select(func.count()).select_from(ComplianceSnapshot))
        return seconds, int(rows or 0)


def pages(app: Any, repeat: int, rounds: int) -> list[dict[str, Any]]:
    from accounts import login_sessions, service
    from core.db import db

    with app.app_context():
        admin = service.find_user("bench-admin@example.org")
        manager = service.find_user("bench-manager@example.org") or service.create_user(
            "bench-manager@example.org", "Manager", "bench password", "manager", 3
        )
        db.session.commit()
        ids = {"admin": admin.id if admin else 0, "manager": manager.id, "learner": 4247}
    cases = [
        # Baselines: how fast this machine answers a signed-in page at all just now.
        ("admin", "/healthz", "baseline: no database, no sign-in"),
        ("admin", "/settings", "baseline: a signed-in page (session, layout)"),
        ("admin", "/compliance", "overview, whole organisation (40 requirements)"),
        ("admin", "/compliance?unit_id=1", "overview, a department (about 10,000)"),
        ("manager", "/compliance", "overview, manager of a section (about 5,000)"),
        ("admin", "/compliance?unit_id=7", "overview, a unit (about 1,250)"),
        ("admin", "/compliance/requirements/1", "requirement 1 (20,000), overdue people"),
        ("admin", "/compliance/requirements/1?unit_id=1", "requirement 1, a department"),
        ("admin", "/compliance/requirements/1?unit_id=7", "requirement 1, a unit"),
        ("admin", "/compliance/requirements/1?status=all", "requirement 1, everyone (500 shown)"),
        *[
            ("admin", f"/compliance/requirements/1?status={s}", f"requirement 1, {s} people")
            for s in ("not_started", "in_progress", "completed", "expiring", "exempt")
        ],
        ("admin", "/compliance/requirements/2?unit_id=1", "requirement 2 (a department's)"),
        ("manager", "/compliance/requirements/1", "requirement 1, manager's section"),
        ("admin", "/compliance?format=csv", "CSV file, whole organisation"),
        ("admin", "/compliance?format=excel", "Excel file, whole organisation"),
        ("admin", "/compliance?format=csv&table=trend", "trend file, whole organisation"),
        ("manager", "/compliance?format=csv&table=trend", "trend file, manager's section"),
        ("admin", "/compliance/requirements/1?format=csv&table=trend", "requirement 1's trend"),
        ("admin", "/compliance/requirements/1?format=csv", "CSV, overdue people"),
        ("admin", "/compliance/requirements/1?status=all&format=csv", "CSV, 20,000 people"),
        ("admin", "/compliance/requirements/1?status=all&format=excel", "Excel, 20,000 people"),
        ("learner", "/my", "a learner's My learning (their requirements)"),
    ]
    clients = []
    for role, _url, _what in cases:
        client = app.test_client()
        with app.app_context():
            session_id = login_sessions.start(ids[role])
            db.session.commit()
        with client.session_transaction() as session:
            session["sid"] = session_id
        clients.append(client)
    # Round after round through every page, so that a busy moment on a shared machine
    # spreads over all of them rather than falling on one.
    runs: list[list[float]] = [[] for _ in cases]
    codes: dict[str, int] = {}  # a large file answers 302: its job's page
    for _round in range(rounds):
        for (_role, url, _what), client, times in zip(cases, clients, runs, strict=True):
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
                assert response.status_code in (200, 302), (url, response.status_code)
                codes[url] = response.status_code
    return [
        {
            "page": f"GET {url} ({role})" + (" -> 302" if codes[url] == 302 else ""),
            "what": what,
            "median_ms": round(statistics.median(times) * 1000, 1),
            "max_ms": round(max(times) * 1000, 1),
        }
        for (role, url, what), times in zip(cases, runs, strict=True)
    ]


def export_jobs(app: Any, repeat: int) -> list[dict[str, Any]]:
    """The background job's part of a large file: ``build`` as the job runs it."""
    from accounts import service
    from portal.report_files import EXPORTERS

    results = []
    for status in ("all", "overdue"):
        for fmt in ("csv", "excel"):
            params = {"requirement_id": 1, "status": status, "unit_id": None, "format": fmt}
            times = []
            with app.test_request_context():
                admin = service.find_user("bench-admin@example.org")
                assert admin is not None
                for _ in range(repeat):
                    started = time.perf_counter()
                    made = EXPORTERS["compliance_people"].build(admin, params, "sv")
                    times.append(time.perf_counter() - started)
            what = f"requirement 1's people, status={status}, {fmt} ({made.rows} rows)"
            results.append(
                {
                    "page": f"job: {what}",
                    "median_ms": round(statistics.median(times) * 1000, 1),
                    "max_ms": round(max(times) * 1000, 1),
                }
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--per-year", type=int, default=34_000)
    parser.add_argument("--surrounding", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1, help="times through all the pages")
    parser.add_argument(
        "--keep", action="store_true", help="time the last run's database again (upgraded)"
    )
    args = parser.parse_args()

    server = os.environ.get("PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/")
    kept = args.keep and reports_bench.filled(server)
    url = server + reports_bench.DB if kept else reports_bench.recreate(server)
    from flask_migrate import upgrade
    from sqlalchemy import text

    from core import create_app
    from core.db import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tempfile.mkdtemp(), "SECRET_KEY": "bench"}
    )
    with app.app_context():
        upgrade()
        if not kept:
            started = time.perf_counter()
            reports_bench.fill(db, args.years, args.per_year, args.surrounding)
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            print(f"database filled in {time.perf_counter() - started:.1f} s")
    if not kept:
        seconds, members = requirements_40(app)
        print(f"40 requirements created in {seconds:.1f} s; {members} memberships")
        seconds, rows = snapshots(app)
        print(f"snapshot taken in {seconds:.1f} s; {rows} snapshot rows with a year's history")
        # What autovacuum does to a table this old: the member rows were written three
        # times (joined, latest completion, unit), two dead versions each.
        with app.app_context(), db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    load = os.getloadavg()
    print(f"load average before the pages: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    for r in pages(app, args.repeat, args.rounds) + export_jobs(app, args.repeat):
        print(f"{r['page']:<70} median {r['median_ms']:>7} ms  max {r['max_ms']:>7} ms")
    load = os.getloadavg()
    print(f"load average after the pages: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
