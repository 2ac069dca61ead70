"""Forwarding throughput: statements per second from this process to a second Kompetens.

The source is an app in this process on a fresh database (SQLite in a temporary
instance, or PostgreSQL with ``--pg``: databases ``kompetens_bench_forward`` and
``kompetens_bench_forward_target``, dropped and made again); the target is a second
Kompetens started as ``make run`` starts one (gunicorn, gunicorn.conf.py, one worker,
its own instance and database: tests/lrs/forward_target.py), on loopback only.

Timed, each with the clock started after the data is built:

0. the call the write path makes with no target configured (``forwarding.queue``);
1. storing N statements in batches through ``lrs.service.store_statements`` with no
   forwarding target, then N more with one (what the outbox costs the write path);
2. delivering the queue until it is empty (``lrs.forward_delivery.deliver_all``), with
   FORWARDING_BATCH statements a POST, for each batch size asked for (the queue is
   filled again between runs with a replay, which the target answers "already have it"
   for every statement: the second and later runs time that path).

    .venv/bin/python bench/forwarding_bench.py --statements 5000
    .venv/bin/python bench/forwarding_bench.py --statements 5000 --pg postgresql+psycopg://postgres@127.0.0.1:5432/
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VERB = {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}}


def _statements(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "name": f"P{n}", "mbox": f"mailto:p{n}@example.org"},
            "verb": VERB,
            "object": {
                "objectType": "Activity",
                "id": f"http://example.org/courses/{n % 50}",
                "definition": {"name": {"sv-SE": f"Kurs {n % 50}"}},
            },
            "result": {"completion": True, "success": True, "score": {"scaled": 0.8}},
            "timestamp": "2026-12-01T10:00:00.000Z",
        }
        for n in range(count)
    ]


def _fresh_pg(server: str, name: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server.rstrip("/") + "/postgres")
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def _store(app: Any, statements: list[dict[str, Any]], batch: int, client: Any) -> float:
    from core.db import db
    from lrs import service

    with app.app_context():
        started = time.perf_counter()
        for i in range(0, len(statements), batch):
            service.store_statements(statements[i : i + batch], client, "1.0.3")
            db.session.commit()
        return time.perf_counter() - started


def _source(work: Path, url: str) -> tuple[Any, Any]:
    """The source app on a migrated database, and an all-scope client of its LRS."""
    from flask_migrate import upgrade

    from core import create_app
    from core.db import db
    from lrs import auth

    (work / "source").mkdir(exist_ok=True)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(work / "source"),
            "STORAGE_PATH": str(work / "source" / "storage"),
            "SECRET_KEY": "bench-only",
        }
    )
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        credential, _ = auth.create_credential("bench", ["all"])
        db.session.commit()
        client = auth.Client(
            id=credential.id, scopes=frozenset(credential.scopes), authority=credential.authority
        )
    return app, client


def _queue_call_cost(app: Any) -> float:
    """Microseconds ``forwarding.queue`` adds to a write when no target is configured."""
    import timeit

    from lrs import forwarding

    batch = _statements(1)
    with app.test_request_context():
        forwarding.queue(batch)  # the list of targets read once (then cached)
        runs = 100_000
        seconds = timeit.timeit(lambda: forwarding.queue(batch), number=runs)
    return round(seconds / runs * 1e6, 3)


def _add_target(app: Any, target: Any) -> int:
    from core.db import db
    from lrs import forward_targets, forwarding

    with app.app_context():
        made = forward_targets.create_target(
            {
                "name": "bench",
                "endpoint": target.endpoint,
                "key": target.key,
                "secret": target.secret,
                "version": "1.0.3",
            }
        )
        db.session.commit()
        forwarding.forget_targets()
        return made.id


def _deliver_all(app: Any, size: int, replay_from: str | None, target_id: int) -> dict[str, Any]:
    """Time delivering the whole queue with ``size`` a batch (after a replay, if asked)."""
    from core.db import db
    from lrs import forward_delivery, forward_replay, forward_targets

    app.config["FORWARDING_BATCH"] = size
    with app.app_context():
        if replay_from:
            forward_replay.start(forward_targets.get_target(target_id), None, replay_from)
            db.session.commit()
            forward_replay.run(target_id)  # the job's work, here
        started, delivered = time.perf_counter(), 0
        while outcomes := forward_delivery.deliver_all(seconds=3600):
            for outcome in outcomes.values():
                assert outcome.error is None, outcome.error
                delivered += outcome.delivered
        seconds = time.perf_counter() - started
    return {
        "batch": size,
        "delivered": delivered,
        "seconds": round(seconds, 3),
        "per_second": round(delivered / seconds, 1),
        "target_had_them": bool(replay_from),
    }


def main() -> None:
    """Run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=5000)
    parser.add_argument("--store-batch", type=int, default=100)
    parser.add_argument("--batches", default="100,500", help="FORWARDING_BATCH values to time")
    parser.add_argument("--pg", default="", help="PostgreSQL server URL (else SQLite)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="forward-bench-"))
    source_url = f"sqlite:///{work / 'source.db'}"
    if args.pg:
        source_url = _fresh_pg(args.pg, "kompetens_bench_forward")
        os.environ["TEST_DATABASE_URL"] = source_url  # the target's is named after it
    from tests.lrs.forward_target import start_target

    app, client = _source(work, source_url)
    result: dict[str, Any] = {"statements": args.statements, "database": source_url.split(":")[0]}
    targets = start_target(work / "target")
    target = next(targets)
    try:
        result["queue_call_without_target_us"] = _queue_call_cost(app)
        plain = _statements(args.statements)
        result["store_without_target_s"] = round(_store(app, plain, args.store_batch, client), 3)
        target_id = _add_target(app, target)
        queued = _statements(args.statements)
        result["store_with_target_s"] = round(_store(app, queued, args.store_batch, client), 3)
        sizes = [int(b) for b in args.batches.split(",")]
        result["delivery"] = [
            _deliver_all(app, size, queued[0]["id"] if n else None, target_id)
            for n, size in enumerate(sizes)
        ]
        result["on_target"] = len(target.all_statements())
    finally:
        targets.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
