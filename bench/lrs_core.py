"""Ceiling 2: raw SQLAlchemy Core insert of the rows the LRS builds, into the same tables.

Run by ``lrs_load.py`` as a subprocess whose environment (``DATABASE_URL``,
``INSTANCE_PATH``) points at the database under test, so ``config.Config`` reads it at
import, and the engine is the app's own (same pool, same SQLite pragmas).

Rows come from the LRS's row builder (``lrs.rows.prepare``), built before the clock
starts; the timed part is only what ``lrs.inserting.insert_prepared`` does for plain
statements: one transaction per batch, one ``INSERT ... RETURNING pk`` of the statement
rows (insertmanyvalues) and one executemany of the filter rows.  No HTTP, no validation,
no ORM session, no activity-definition merge: the most the database can take through
SQLAlchemy for the same rows.

Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(1, str(Path(__file__).resolve().parent))

import lrs_data


def _builder() -> tuple[str, Any]:
    from lrs import rows

    return "prepare", rows.prepare


def _split(built: Any) -> tuple[list[dict[str, Any]], list[set[tuple[int, int]]]]:
    """Statement rows and per-statement filter keys from the builder's result."""
    if hasattr(built, "rows") and hasattr(built, "filters"):
        return built.rows, built.filters
    if isinstance(built, tuple) and len(built) >= 2:
        return built[0], built[1]
    raise SystemExit(f"do not know how to read the builder's result: {type(built)!r}")


def _worker(args: tuple[int, int, int, str, int, float, str, bool], barrier: Any, out: Any) -> None:
    out.put(_run(args, barrier))


def _run(args: tuple[int, int, int, str, int, float, str, bool], barrier: Any) -> dict[str, Any]:
    stream, batches, batch_size, key, seed, deadline_s, filter_mode, stream_mode = args
    from sqlalchemy import insert, select

    from core import create_app
    from core.db import db
    from lrs.auth import Client
    from lrs.models import Credential, Statement, StatementFilter

    name, build = _builder()
    app = create_app()
    with app.app_context():
        engine = db.engine
        with engine.connect() as conn:
            cred = conn.execute(
                select(Credential.id, Credential.scopes, Credential.authority).where(
                    Credential.key == key
                )
            ).one()
        client = Client(id=cred.id, scopes=frozenset(cred.scopes), authority=cred.authority)
        factory = lrs_data.StatementFactory(lrs_data.Population(seed=seed), stream)
        from lrs.clock import utc_now

        def built_batches() -> Any:
            for _ in range(batches):
                yield _split(build(factory.batch(batch_size), client, "2.0.0", utc_now()))

        t0 = time.perf_counter()
        # --stream (the preload) builds each batch inside the loop: a million built
        # statements would not fit in memory; the ceiling builds them all first.
        prepared = built_batches() if stream_mode else list(built_batches())
        build_s = time.perf_counter() - t0

        stmt_table = Statement.__table__
        insert_stmt = insert(stmt_table).returning(stmt_table.c.pk, sort_by_parameter_order=True)
        filter_stmt = insert(StatementFilter.__table__)
        latencies = []
        done = 0
        barrier.wait()
        start = time.perf_counter()
        stop_at = start + deadline_s
        for rows, filters in prepared:
            t = time.perf_counter()
            with engine.begin() as conn:
                pks = list(conn.execute(insert_stmt, rows).scalars())
                filter_rows = [
                    {"kind": kind, "key_hash": hashed, "statement_pk": pk}
                    for pk, keys in zip(pks, filters, strict=True)
                    for kind, hashed in keys
                ]
                if filter_mode == "values":
                    conn.execute(filter_stmt.values(filter_rows))
                else:
                    conn.execute(filter_stmt, filter_rows)
            end = time.perf_counter()
            latencies.append(end - t)
            done += len(rows)
            if end > stop_at:
                break
        return {
            "builder": name,
            "statements": done,
            "batches": len(latencies),
            "start": start,
            "end": time.perf_counter(),
            "build_seconds": build_s,
            "built": 0 if stream_mode else batches * batch_size,
            "latencies": latencies,
        }


def main() -> None:
    """Insert ``--statements`` statements in ``--batch`` batches from ``--procs`` processes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--statements", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--key", required=True, help="key of the credential to store under")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--stream-base", type=int, default=900000)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument(
        "--stream", action="store_true", help="build each batch just before inserting it"
    )
    parser.add_argument(
        "--filter-insert",
        choices=["executemany", "values"],
        default="executemany",
        help="filter rows as an executemany (what lrs.inserting does) or one multi-row VALUES",
    )
    args = parser.parse_args()
    per_proc = max(1, math.ceil(args.statements / args.batch / args.procs))
    tasks = [
        (
            args.stream_base + i,
            per_proc,
            args.batch,
            args.key,
            args.seed,
            args.max_seconds,
            args.filter_insert,
            args.stream,
        )
        for i in range(args.procs)
    ]
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(args.procs)
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(task, barrier, out)) for task in tasks]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=args.max_seconds + 600) for _ in procs]
    for proc in procs:
        proc.join()
    statements = sum(r["statements"] for r in results)
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    print(
        json.dumps(
            {
                "builder": results[0]["builder"],
                "filter_insert": args.filter_insert,
                "procs": args.procs,
                "batch": args.batch,
                "statements": statements,
                "seconds": wall,
                "statements_per_s": statements / wall if wall else 0.0,
                "build_statements_per_s_per_proc": sum(r["built"] for r in results)
                / max(1e-9, sum(r["build_seconds"] for r in results)),
                "latencies": sorted(x for r in results for x in r["latencies"]),
            }
        )
    )


if __name__ == "__main__":
    main()
