"""A retention run over an aged LRS: the dry run and the run, in statements per second.

Stores ``--statements`` statements through ``lrs.service.store_statements`` (as a
trusted client, so a tenth are completions in the projection) by ``--people`` people
of one unit, one in ten voided, every twentieth with a StatementRef to an earlier one,
ages them all three years, places legal holds on ``--held`` people, adds one rule
(every statement after two years) and times ``retention.dry_run`` and ``retention.run``
(one transaction, committed).

    .venv/bin/python bench/retention_bench.py                        # SQLite in a temp dir
    .venv/bin/python bench/retention_bench.py --pg     # PG_URL names the server

With --pg the database ``kompetens_bench_retention`` is dropped and created.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DB = "kompetens_bench_retention"
VERBS = ("experienced", "answered", "attempted", "progressed", "completed")


def _url(pg: bool) -> str:
    if not pg:
        return f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    import psycopg

    server = os.environ.get("PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/")
    with psycopg.connect(
        server.replace("postgresql+psycopg", "postgresql") + "postgres", autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB}")
        conn.execute(f"CREATE DATABASE {DB}")
    return server + DB


def fill(app: Any, statements: int, people: int, held: int) -> None:
    """People, statements (some voided, some referring), aged; holds and a rule."""
    from sqlalchemy import update

    from accounts import service
    from core.db import db
    from lrs import service as lrs
    from lrs.auth import Client
    from lrs.models import Statement
    from portal import retention_rules

    home = app.config["AGENT_HOMEPAGE"]
    unit = service.create_unit("bench", "Bench")
    ids = [
        service.create_user(f"p{i}@example.org", f"P {i}", "bench password", unit_id=unit.id).id
        for i in range(people)
    ]
    db.session.commit()
    client = Client(
        id=0, scopes=frozenset({"all"}), authority={"mbox": "mailto:b@example.org"}, trusted=True
    )
    stored: list[str] = []
    for start in range(0, statements, 100):
        batch = []
        for n in range(start, min(start + 100, statements)):
            sid = str(uuid.uuid4())
            verb = VERBS[n % len(VERBS)] if n % 10 else "completed"
            obj: dict[str, Any] = {"id": f"{home}/courses/{1 + n % 50}"}
            if n % 20 == 7 and stored:
                obj = {"objectType": "StatementRef", "id": stored[n // 2]}
            if n % 10 == 3 and stored:
                verb, obj = "voided", {"objectType": "StatementRef", "id": stored[-1]}
            batch.append(
                {
                    "id": sid,
                    "actor": {"account": {"homePage": home, "name": str(ids[n % people])}},
                    "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
                    "object": obj,
                }
            )
            if verb != "voided":
                stored.append(sid)
        lrs.store_statements(batch, client, "1.0.3")
        db.session.commit()
    db.session.execute(
        update(Statement).values(
            stored=datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1100)
        )
    )
    for i in range(held):
        retention_rules.place_hold(
            {"kind": "person", "target": f"p{i}@example.org", "reason": "bench", "until": None},
            None,
            "bench",
        )
    retention_rules.save_rule(
        {
            "name": "All",
            "decision_ref": "BENCH 1",
            "decision_date": date(2026, 1, 1),
            "decision_text": "",
            "kind": "statements",
            "verb_id": None,
            "activity_type": None,
            "keep_count": 2,
            "keep_unit": "years",
            "active": True,
        },
        None,
    )
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, default=50_000)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--held", type=int, default=10)
    parser.add_argument("--pg", action="store_true")
    args = parser.parse_args()
    from flask_migrate import upgrade

    from core import create_app
    from core.db import db
    from portal import retention

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": _url(args.pg),
            "INSTANCE_PATH": tempfile.mkdtemp(),
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        fill(app, args.statements, args.people, args.held)
        print(f"filled in {time.perf_counter() - started:.1f} s; load {os.getloadavg()[0]:.1f}")
        started = time.perf_counter()
        dry = retention.dry_run()
        db.session.rollback()
        dry_s = time.perf_counter() - started
        started = time.perf_counter()
        done = retention.run("cli", actor_name="bench")
        db.session.commit()
        run_s = time.perf_counter() - started
        counts = done.as_dict()["rules"][0]
        removed = counts["counts"]["statements"] + counts["counts"]["voiding"]
        print(
            f"dry run {dry_s:.2f} s: {dry.as_dict()['rules'][0]['counts']}, held {counts['held']}"
        )
        print(f"run     {run_s:.2f} s: {counts['counts']} ({removed / run_s:.0f} statements/s)")


if __name__ == "__main__":
    main()
