"""Portal reports at a large customer's scale, on PostgreSQL.

Builds a throwaway database with the migrations, fills it with SQL ``generate_series``
(fast, reproducible with ``setseed``):

- 40 organisation units in a four-level tree (2 departments, 4 sections, 8 units, 26
  teams), 20,000 learners spread over them, 230 courses (95 shared);
- ``--years`` x ``--per-year`` completions (default 10 x 34,000) in the completions
  projection, with a passed or failed row for 60 % of them (scores 0.3-1.0), spread
  evenly over the years;
- ``--surrounding`` other statements in ``lrs_statement`` (default 3,000,000: launched,
  initialized, answered, ... around the completions), so the database is the size a
  real one would be; the reports never read that table.

Then times every report the portal shows, each run ``--repeat`` times (median and worst),
as an admin over all units, over the last 12 months, and as a manager of a section (its
subtree);
a learner's transcript and a course's learners.  Finally it stores statements through
``lrs.service.store_statements`` with and without the projection's receiver, to show what
keeping the projection in step costs a write.

    .venv/bin/python bench/reports_bench.py                       # the full scale
    .venv/bin/python bench/reports_bench.py --years 1 --surrounding 100000   # quick
    .venv/bin/python bench/reports_bench.py --keep    # time the last run's database again

PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/) names the server; the
database ``kompetens_bench_reports`` (or ``BENCH_DB``) is dropped and created, unless
``--keep`` finds it filled: then it is only upgraded (its migrations' backfills run).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# BENCH_DB: another name, when several checkouts share the server.
DB = os.environ.get("BENCH_DB", "kompetens_bench_reports")


def recreate(server: str) -> str:
    import psycopg

    with psycopg.connect(
        server.replace("postgresql+psycopg", "postgresql") + "postgres", autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB}")
        conn.execute(f"CREATE DATABASE {DB}")
    return server + DB


def filled(server: str) -> bool:
    """Whether the database is there with people in it (an earlier run's)."""
    import psycopg

    base = server.replace("postgresql+psycopg", "postgresql")
    try:
        with psycopg.connect(base + DB) as conn:
            row = conn.execute("SELECT count(*) FROM portal_user").fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0])


def fill(db: Any, years: int, per_year: int, surrounding: int) -> dict[str, float]:
    from sqlalchemy import text

    from portal.reports import months_ago

    timings = {}
    total = years * per_year
    # The data ends this month: the default report (the last 12 months) sees a full year.
    start = months_ago(years * 12 - 1) + "-01"
    statements = [
        "SELECT setseed(0.42)",
        # A four-level tree: 2 departments, 4 sections, 8 units below them, 26 teams.
        """INSERT INTO portal_unit (id, code, name, kind, active, parent_id)
           SELECT i, 'unit' || i, 'Unit ' || lpad(i::text, 2, '0'), 'department', true,
                  CASE WHEN i <= 2 THEN NULL WHEN i <= 6 THEN 1 + (i - 3) % 2
                       WHEN i <= 14 THEN 3 + (i - 7) % 4 ELSE 7 + (i - 15) % 8 END
           FROM generate_series(1, 40) i""",
        """INSERT INTO portal_user (id, email, user_name, name, password_hash, role, active,
                                    failed_logins, version, created_at, unit_id)
           SELECT i, 'user' || i || '@example.org', 'user' || i || '@example.org', 'User ' || i,
                  'x', 'learner', true, 0, 1, now(), 1 + i % 40
           FROM generate_series(1, 20000) i""",
        """INSERT INTO package_course (id, title, description, category, owner_unit_id, published,
                                       created_at, updated_at)
           SELECT i, 'Course ' || lpad(i::text, 3, '0'), '', 'Category ' || (i % 12),
                  CASE WHEN i <= 95 THEN NULL ELSE 1 + i % 40 END, true, now(), now()
           FROM generate_series(1, 230) i""",
        # Completions: user, course, stored spread evenly over the years.
        f"""INSERT INTO portal_completion (statement_id, user_id, actor_name, activity_id,
               course_id, unit_id, verb, success, score, registration, stored, period)
           SELECT md5('c' || i)::uuid::text, u, 'User ' || u,
                  'https://kompetens.example.org/courses/' || c, c, 1 + u % 40, 'completed', NULL,
                  NULL, md5('r' || i)::uuid::text, t, to_char(t, 'YYYY-MM')
           FROM (SELECT i, 1 + (random() * 19999)::int AS u, 1 + (random() * 229)::int AS c,
                        timestamp '{start}'
                          + (i::float / {total}) * interval '{years} years' AS t
                 FROM generate_series(1, {total}) i) g""",
        """INSERT INTO portal_completion (statement_id, user_id, actor_name, activity_id,
               course_id, unit_id, verb, success, score, registration, stored, period)
           SELECT md5('p' || id)::uuid::text, user_id, actor_name, activity_id, course_id, unit_id,
                  CASE WHEN s >= 0.5 THEN 'passed' ELSE 'failed' END, s >= 0.5, s, registration,
                  stored, period
           FROM (SELECT *, 0.3 + random() * 0.7 AS s FROM portal_completion) c
           WHERE random() < 0.6""",
        f"""INSERT INTO lrs_statement (statement_id, data, stored, verb_id, voided, has_attachments)
           SELECT md5('s' || i)::uuid::text,
                  jsonb_build_object('id', md5('s' || i)::uuid::text,
                     'actor', jsonb_build_object('account', jsonb_build_object(
                        'homePage', 'https://kompetens.example.org',
                        'name', (1 + i % 20000)::text)),
                     'verb', jsonb_build_object('id', 'http://adlnet.gov/expapi/verbs/answered'),
                     'object', jsonb_build_object('id', 'https://kompetens.example.org/courses/'
                        || (1 + i % 230) || '/q' || (i % 17))),
                  timestamp '{start}'
                    + (i::float / {max(surrounding, 1)}) * interval '{years} years',
                  'http://adlnet.gov/expapi/verbs/answered', false, false
           FROM generate_series(1, {surrounding}) i""",
        # The monthly totals, as the listener (and the migration's backfill) keeps them.
        *[
            f"""INSERT INTO portal_completion_rollup
                  (dim, ref, period, completed, passed, failed, score_sum, score_count)
                SELECT '{dim}', COALESCE({column}, 0), period,
                       SUM(CASE WHEN verb = 'completed' THEN 1 ELSE 0 END),
                       SUM(CASE WHEN verb = 'passed' THEN 1 ELSE 0 END),
                       SUM(CASE WHEN verb = 'failed' THEN 1 ELSE 0 END),
                       COALESCE(SUM(score), 0), COUNT(score)
                FROM portal_completion GROUP BY COALESCE({column}, 0), period"""
            for dim, column in (("u", "unit_id"), ("c", "course_id"))
        ],
        # A manager line five levels deep: user 1 at the top, 10 managers below, 100
        # below them, 1,000 below those, and everyone else under one of the 1,000.
        """UPDATE portal_user SET manager_id = CASE WHEN id = 1 THEN NULL WHEN id <= 11 THEN 1
                  WHEN id <= 111 THEN 2 + (id - 12) % 10 WHEN id <= 1111 THEN 12 + (id - 112) % 100
                  ELSE 112 + (id - 1112) % 1000 END""",
        "SELECT setval(pg_get_serial_sequence('portal_user', 'id'), 20000)",
        "SELECT setval(pg_get_serial_sequence('portal_unit', 'id'), 40)",
        "SELECT setval(pg_get_serial_sequence('package_course', 'id'), 230)",
        "LINE",  # the manager line's table and totals, as accounts/line.py keeps them
        "VACUUM ANALYZE",  # what autovacuum does to a table this old (visibility map)
    ]
    for sql in statements:
        started = time.perf_counter()
        if sql == "LINE":
            from accounts import line

            line.rebuild(db.session)  # the managers were set by SQL, behind its back
            db.session.commit()
        elif sql.startswith("VACUUM"):
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(sql))
        else:
            with db.engine.begin() as conn:
                conn.execute(text(sql))
        key = sql.split()[2] if sql.startswith("INSERT") else sql.split()[0]
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - started
    return timings


def timed(fn: Any, repeat: int) -> dict[str, float]:
    from core.db import db

    runs = []
    for _ in range(repeat):
        db.session.expire_all()
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
        db.session.rollback()
    return {
        "median_ms": round(statistics.median(runs) * 1000, 1),
        "max_ms": round(max(runs) * 1000, 1),
    }


def measure(repeat: int, years: int) -> list[dict[str, Any]]:
    from accounts import units
    from accounts.models import User
    from core.db import db
    from portal import line_reports, reports

    everyone = reports.Scope(None, None)
    # Following the manager line: one of the 10 below the top (~2,000 people), and the top.
    line = reports.Scope(None, None, 2)
    top = reports.Scope(None, None, 1)
    small = reports.Scope(None, None, 112)  # one of the 1,000 lowest managers: 19 people
    # A manager of a section (level 2): its units and their teams, a tenth of everyone.
    unit = reports.Scope(3, tuple(units.subtree_ids([3])))
    first = reports.months_ago(11)
    learner = db.session.get(User, 4247)
    results = []
    cases = [
        ("per course, all units, all years", lambda: reports.per_course(everyone)),
        ("per unit, all units, all years", lambda: reports.per_unit(everyone)),
        ("per month, all units, all years", lambda: reports.per_month(everyone)),
        (
            "per course, all units, last 12 months",
            lambda: reports.per_course(everyone, first, None),
        ),
        (
            "per month, all units, last 12 months",
            lambda: reports.per_month(everyone, first, None),
        ),
        ("per course, one unit (manager), all years", lambda: reports.per_course(unit)),
        ("per month, one unit (manager), all years", lambda: reports.per_month(unit)),
        (
            "per unit, one unit (manager), last 12 months",
            lambda: reports.per_unit(unit, first, None),
        ),
        ("course's learners, all units", lambda: reports.course_learners(everyone, 17)),
        ("course's learners, one unit (manager)", lambda: reports.course_learners(unit, 17)),
        ("learner's transcript", lambda: reports.transcript(everyone, learner)),
        ("per course, manager line (2,000 people), all years", lambda: reports.per_course(line)),
        (
            "per report, manager line (2,000 people), all years",
            lambda: line_reports.per_report(line),
        ),
        ("per month, manager line (2,000 people), all years", lambda: line_reports.per_month(line)),
        ("per course, manager line (everyone), all years", lambda: reports.per_course(top)),
        ("per report, manager line (everyone), all years", lambda: line_reports.per_report(top)),
        ("per month, manager line (everyone), all years", lambda: line_reports.per_month(top)),
        ("course's learners, manager line (everyone)", lambda: reports.course_learners(top, 17)),
        ("per course, manager line (19 people), all years", lambda: reports.per_course(small)),
        ("per report, manager line (19 people), all years", lambda: line_reports.per_report(small)),
        (
            "course's learners, manager line (2,000 people)",
            lambda: reports.course_learners(line, 17),
        ),
        ("CSV of per course, all units", lambda: reports.per_course(everyone).csv()),
    ]
    for name, fn in cases:
        table_rows = len(fn().rows) if not name.startswith("CSV") else None
        results.append({"report": name, "rows": table_rows, **timed(fn, repeat)})
    return results


AFTER_MOVES = [("top", "/reports?by=line&start=", "the top, all years, after the moves")]


def pages(app: Any, repeat: int, only: list[tuple[str, str, str]] | None = None) -> list[Any]:
    """Whole HTTP requests to the report pages (queries, rendering, CSV), as the UI makes them.

    ``only``: these (role, URL, what) instead of every page.
    """
    from accounts import login_sessions, service
    from core.db import db

    with app.app_context():
        # An earlier run's (--keep), else new.
        admin = service.find_user("bench-admin@example.org") or service.create_user(
            "bench-admin@example.org", "Admin", "bench password", "admin"
        )
        manager = service.find_user("bench-manager@example.org") or service.create_user(
            "bench-manager@example.org", "Manager", "bench password", "manager", 3
        )
        # The top of the manager line, one of the 10 below and one of the lowest 1,000.
        for user_id in (1, 2, 112):
            service.get_user(user_id).role = "manager"
        db.session.commit()
        ids = {"admin": admin.id, "manager": manager.id, "line": 2, "top": 1, "small": 112}
    results = []
    cases = [
        ("admin", "/reports", "overview, all units, last 12 months (default)"),
        ("admin", "/reports?start=", "overview, all units, all 10 years"),
        (
            "admin",
            "/reports?start=&table=course&format=csv",
            "CSV per course, all units, all years",
        ),
        ("admin", "/reports/courses/17", "course's learners, all units"),
        ("admin", "/reports/learners/4247", "learner's transcript"),
        ("manager", "/reports", "overview, manager, last 12 months (default)"),
        ("manager", "/reports?start=", "overview, manager, all 10 years"),
        ("manager", "/reports/courses/17?format=csv", "CSV course's learners, manager"),
        ("line", "/reports?by=line", "overview, manager line (2,000 people), last 12 months"),
        ("line", "/reports?by=line&start=", "overview, manager line (2,000 people), all years"),
        ("line", "/reports/courses/17?by=line&format=csv", "CSV course's learners, line"),
        ("line", "/reports/learners/4112?by=line", "transcript through the line"),
        ("top", "/reports?by=line&start=", "overview, manager line (everyone), all years"),
        ("top", "/reports?by=line", "overview, manager line (everyone), last 12 months"),
        ("top", "/reports/courses/17?by=line", "course's learners, manager line (everyone)"),
        ("small", "/reports?by=line&start=", "overview, manager line (19 people), all years"),
    ]
    cases = only or cases
    for role, url, name in cases:
        client = app.test_client()
        with app.app_context():
            session_id = login_sessions.start(ids[role])  # a signed-in session's record
            db.session.commit()
        with client.session_transaction() as session:
            session["sid"] = session_id
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url)
            runs.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        results.append(
            {
                "page": f"GET {url} ({role})",
                "what": name,
                "median_ms": round(statistics.median(runs) * 1000, 1),
                "max_ms": round(max(runs) * 1000, 1),
            }
        )
    return results


def moves(app: Any) -> dict[str, float]:
    """Milliseconds to change a manager (through the ORM, as SCIM does) and commit.

    A manager with ~2,000 people below moves under another of the 10 and back (their
    line table rows and the totals of the managers above change), and so does one
    person at the bottom of the line.
    """
    from accounts.models import User
    from core.db import db

    out = {}
    with app.app_context():
        for label, person, there, back in (
            ("a manager with ~2,000 people below, moved and back", 2, 3, 1),
            ("a person at the bottom, moved and back", 20000, 113, 112 + (20000 - 1112) % 1000),
        ):
            runs = []
            for manager in (there, back):
                started = time.perf_counter()
                user = db.session.get(User, person)
                assert user is not None
                user.manager_id = manager
                db.session.commit()
                runs.append(time.perf_counter() - started)
            out[label] = round(statistics.mean(runs) * 1000, 1)
    return out


def writes(app: Any, n: int) -> dict[str, float]:
    """Seconds per statement stored through lrs.service, with and without the projection."""
    from core.db import db
    from lrs import service as lrs
    from lrs.auth import Client
    from lrs.signals import statements_stored
    from portal import projection

    client = Client(id=0, scopes=frozenset({"all"}), authority={"mbox": "mailto:bench@example.org"})

    def batch(verb: str) -> list[dict[str, Any]]:
        return [
            {
                "id": str(uuid.uuid4()),
                "actor": {
                    # People at the bottom of the line: four managers above each.
                    "account": {"homePage": app.config["AGENT_HOMEPAGE"], "name": str(1112 + i)}
                },
                "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
                "object": {"id": f"{app.config['AGENT_HOMEPAGE']}/courses/{1 + i % 230}"},
                "context": {"registration": str(uuid.uuid4())},
            }
            for i in range(50)
        ]

    out = {}
    for label, on in (("with projection", True), ("without projection", False)):
        if not on:
            statements_stored.disconnect(projection.project_statements)
        started = time.perf_counter()
        for _ in range(n // 50):
            lrs.store_statements(batch("completed"), client, "1.0.3")
            db.session.commit()
        out[label] = round((time.perf_counter() - started) / n * 1000, 3)
        if not on:
            statements_stored.connect(projection.project_statements)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--per-year", type=int, default=34_000)
    parser.add_argument("--surrounding", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--writes", type=int, default=2_000)
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="time the database an earlier run filled (upgraded to the newest migration)",
    )
    args = parser.parse_args()

    server = os.environ.get("PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/")
    kept = args.keep and filled(server)
    url = server + DB if kept else recreate(server)
    from flask_migrate import upgrade
    from sqlalchemy import text

    from core import create_app
    from core.db import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tempfile.mkdtemp(), "SECRET_KEY": "bench"}
    )
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        if kept:
            fill_times = {"upgrade": time.perf_counter() - started}
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))  # as autovacuum would, after a migration
        else:
            fill_times = fill(db, args.years, args.per_year, args.surrounding)
        counts = {
            t: db.session.scalar(text(f"SELECT count(*) FROM {t}"))
            for t in ("portal_completion", "lrs_statement", "portal_user", "package_course")
        }
        counts["completed rows"] = db.session.scalar(
            text("SELECT count(*) FROM portal_completion WHERE verb = 'completed'")
        )
        print(
            json.dumps(
                {"rows": counts, "fill_seconds": {k: round(v, 1) for k, v in fill_times.items()}},
                indent=1,
            )
        )
        results = measure(args.repeat, args.years)
        for r in results:
            print(
                f"{r['report']:<45} rows {r['rows'] or '':>6}  "
                f"median {r['median_ms']:>7} ms  max {r['max_ms']:>7} ms"
            )
    # Outside the app context: each request gets its own (and its own ``g``, where the
    # signed-in user is kept), as under a server.
    page_times = pages(app, args.repeat)
    for r in page_times:
        print(f"{r['page']:<60} median {r['median_ms']:>7} ms  max {r['max_ms']:>7} ms")
    move_cost = moves(app)
    print("ms per change of manager (mean of the move and the move back):", move_cost)
    # The moves rewrote totals all over the table: until autovacuum comes by, fewer of
    # its pages are all-visible and an index-only scan reads the heap too.
    after_moves = pages(app, args.repeat, AFTER_MOVES)
    for r in after_moves:
        print(f"{r['page']:<60} median {r['median_ms']:>7} ms  max {r['max_ms']:>7} ms (moved)")
    with app.app_context():
        write_cost = writes(app, args.writes)
        print("ms per stored statement:", write_cost)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "rows": counts,
                    "reports": results,
                    "pages": page_times,
                    "moves_ms": move_cost,
                    "after_moves": after_moves,
                    "writes_ms_per_statement": write_cost,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
