#!/usr/bin/env python3
"""CPU per single-statement POST, in one process, beside the bare ceiling's (issue 12).

The load benchmark's rates move with whatever else the shared machine runs; the CPU a
process spends per request moves much less.  This sends single-statement POSTs one by
one through Flask's test client (no HTTP, no gunicorn: what the app itself costs) to an
app on a throwaway database, after ``--warm`` statements in 100-statement batches (the
activities are then known, as on a service that has run a while), and the same POSTs to
the bare Flask ceiling (``lrs_ceiling_app.py``).  Prints CPU ms per request for both.

  .venv/bin/python bench/lrs_single_cpu.py                   # SQLite in a temp dir
  .venv/bin/python bench/lrs_single_cpu.py --postgresql      # a throwaway PostgreSQL DB

To see where the time goes, run it under py-spy (``py-spy record -o out.svg -- ...``).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import lrs_data  # noqa: E402
import lrs_server  # noqa: E402


def _cpu_per_request(client: Any, bodies: list[bytes], headers: dict[str, str]) -> float:
    started = time.process_time()
    for body in bodies:
        reply = client.post("/xapi/statements", data=body, headers=headers)
        if reply.status_code != 200:
            raise SystemExit(f"POST answered {reply.status_code}: {reply.data[:300]!r}")
    return (time.process_time() - started) / len(bodies) * 1000


def main() -> int:
    """Measure; print one line per endpoint."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--postgresql", action="store_true", help="a throwaway PostgreSQL DB")
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--warm", type=int, default=20000)
    cfg = p.parse_args()
    with lrs_server.scratch_database(cfg.postgresql, "kompetens-cpu") as url:
        print(f"app:     {measure_app(url, cfg):.3f} ms CPU per single POST ({url.split(':')[0]})")
        print(f"ceiling: {measure_ceiling(cfg):.3f} ms CPU per single POST (bare Flask)")
    return 0


def _bodies(count: int) -> list[bytes]:
    factory = lrs_data.StatementFactory(lrs_data.Population(seed=20261126), 7)
    return [json.dumps(factory.statement(with_id=True)).encode() for _ in range(count)]


def measure_app(url: str, cfg: argparse.Namespace) -> float:
    """The service's app on ``url``: tables created, a credential, warm batches, then singles."""
    from core import create_app
    from core.db import db
    from lrs import auth

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        credential, secret = auth.create_credential("cpu", ["all"])
        db.session.commit()
        key = credential.key
    headers = {
        "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
        "X-Experience-API-Version": "2.0.0",
        "Content-Type": "application/json",
    }
    client = app.test_client()
    factory = lrs_data.StatementFactory(lrs_data.Population(seed=20261126), 1)
    for _ in range(cfg.warm // 100):
        batch = json.dumps(factory.batch(100)).encode()
        client.post("/xapi/statements", data=batch, headers=headers)
    bodies = _bodies(cfg.requests)
    _cpu_per_request(client, bodies[:200], headers)
    return _cpu_per_request(client, bodies[200:], headers)


def measure_ceiling(cfg: argparse.Namespace) -> float:
    """The bare Flask endpoint, same bodies."""
    os.environ["CEILING_KEY"], os.environ["CEILING_SECRET"] = "key", "secret"
    import lrs_ceiling_app

    headers = {
        "Authorization": "Basic " + base64.b64encode(b"key:secret").decode(),
        "Content-Type": "application/json",
    }
    client = lrs_ceiling_app.app.test_client()
    bodies = _bodies(cfg.requests)
    _cpu_per_request(client, bodies[:200], headers)
    return _cpu_per_request(client, bodies[200:], headers)


if __name__ == "__main__":
    sys.exit(main())
