"""The ``alternating`` scenario of ``lrs_load.py``: single POSTs against their ceilings, in turns.

The machine's speed drifts by a third within minutes here (bench/README.md, "Machine"),
so scenarios run back to back once can meet two different machines; in short turns
they all meet the same drift, and ratios of their summed rates compare like with like.

The kinds, each ``--rounds`` turns of ``--seconds / --rounds`` with ``--alt-clients``
(8, issue 12) client processes:

- ``ceiling``: the same single-statement POSTs to the bare Flask endpoint
  (``lrs_ceiling_app.py``) under the same gunicorn settings; the target compares with it;
- ``whoami``: a trivial authenticated LRS endpoint (it pays the per-request database
  round trips, so it is kept for comparison with older runs only);
- ``post-single``: ``POST /statements`` with one statement.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import lrs_server


@dataclass
class Kind:
    """One kind of turn: the scenario its clients run, where, and whose CPU it costs."""

    name: str
    scenario: str
    url: str
    workers: list[int]


def run_alternating(
    cfg: argparse.Namespace,
    kinds: list[Kind],
    streams: Iterator[int],
    run_clients: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """Every kind in turns; rates, and post-single's ratio to each other kind."""
    turn = cfg.seconds / cfg.rounds
    tick = os.sysconf("SC_CLK_TCK")
    totals = {k.name: {"requests": 0, "seconds": 0.0, "cpu_s": 0.0} for k in kinds}
    rounds: list[dict[str, float]] = []
    for _ in range(cfg.rounds):
        rates = {}
        for kind in kinds:
            cpu0 = lrs_server.process_jiffies(kind.workers)
            r = run_clients(
                cfg, kind.scenario, cfg.alt_clients, cfg.requests, turn, next(streams), url=kind.url
            )
            cpu_s = (lrs_server.process_jiffies(kind.workers) - cpu0) / tick
            if r["non_2xx"] or r["errors"]:
                raise SystemExit(f"alternating: {kind.name} had failures: {r['statuses']}")
            totals[kind.name]["requests"] += r["requests"]
            totals[kind.name]["seconds"] += r["seconds"]
            totals[kind.name]["cpu_s"] += cpu_s
            rates[kind.name] = r["requests_per_s"]
        rounds.append(
            {k: round(rates["post-single"] / v, 3) for k, v in rates.items() if k != "post-single"}
        )
    rate = {n: t["requests"] / t["seconds"] for n, t in totals.items()}
    per_cpu = {n: t["requests"] / t["cpu_s"] for n, t in totals.items() if t["cpu_s"]}
    requests = sum(int(t["requests"]) for t in totals.values())
    wall = sum(t["seconds"] for t in totals.values())
    result: dict[str, Any] = {
        "scenario": "alternating",
        "clients": cfg.alt_clients,
        "requests": requests,
        "statements": totals["post-single"]["requests"],
        "seconds": wall,
        "requests_per_s": requests / wall,
        "statements_per_s": totals["post-single"]["requests"] / wall,
        "p50_ms": 0.0,
        "p95_ms": 0.0,
        "p99_ms": 0.0,
        "non_2xx": 0,
        "errors": 0,
        "rates": {n: round(v, 1) for n, v in rate.items()},
        "requests_per_worker_cpu_s_by_kind": {n: round(v, 1) for n, v in per_cpu.items()},
        "round_ratios": rounds,
    }
    for kind in kinds:
        if kind.name == "post-single":
            continue
        result[f"ratio_to_{kind.name}"] = round(rate["post-single"] / rate[kind.name], 3)
        if "post-single" in per_cpu and kind.name in per_cpu:
            result[f"ratio_to_{kind.name}_per_worker_cpu_s"] = round(
                per_cpu["post-single"] / per_cpu[kind.name], 3
            )
    return result
