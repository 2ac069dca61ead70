"""Statistics, targets and the printed table of the LRS benchmark (``lrs_load.py``)."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import lrs_server

# Targets of issue 2 ("bench/") and issue 12 (the single POST against the bare ceiling).
TARGET_SINGLE_VS_TRIVIAL = 0.40
TARGET_BATCH_STMTS_PER_S = 5000.0
TARGET_GET_P95_MS = 25.0
TARGET_GET_AT = 1_000_000
# Worker RSS may grow this much after the first 10 % of pages and still count as flat.
FLAT_RSS_KIB = 32 * 1024


# -- statistics ------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(latencies: list[float]) -> dict[str, float]:
    """p50/p95/p99/max/mean in milliseconds."""
    values = sorted(latencies)
    return {
        "p50_ms": percentile(values, 50) * 1000,
        "p95_ms": percentile(values, 95) * 1000,
        "p99_ms": percentile(values, 99) * 1000,
        "max_ms": (values[-1] if values else 0.0) * 1000,
        "mean_ms": (sum(values) / len(values) * 1000) if values else 0.0,
    }


def machine(cfg: argparse.Namespace) -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    db_version = None
    if cfg.database == "postgresql":
        proc = subprocess.run(
            [*lrs_server.PG_ADMIN, "-tAc", "SHOW server_version"],
            capture_output=True,
            text=True,
            check=False,
        )
        db_version = "PostgreSQL " + proc.stdout.strip()
    elif cfg.database == "sqlite":
        db_version = "SQLite " + sqlite3.sqlite_version
    commit = subprocess.run(
        ["git", "-C", str(lrs_server.REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    status = subprocess.run(
        ["git", "-C", str(lrs_server.REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split("\n")
    return {
        # The service runs from the work tree: uncommitted changes are part of what ran.
        "uncommitted": sorted(line[3:] for line in status if line.strip()),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_total_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "database": db_version,
        "commit": commit,
    }


def evaluate(
    results: dict[str, dict[str, Any]], cfg: argparse.Namespace, stored: int
) -> list[dict[str, Any]]:
    """Compare with the issue's targets."""
    targets = []

    def add(name: str, value: float | None, target: str, ok: bool | None, note: str = "") -> None:
        targets.append({"target": name, "value": value, "goal": target, "met": ok, "note": note})

    whoami, single = results.get("whoami"), results.get("post-single")
    if whoami and single and whoami.get("requests_per_s"):
        ratio = single["requests_per_s"] / whoami["requests_per_s"]
        add(
            "single POST / trivial endpoint (req/s)",
            round(ratio, 3),
            f">= {TARGET_SINGLE_VS_TRIVIAL}",
            ratio >= TARGET_SINGLE_VS_TRIVIAL,
            f"{single['requests_per_s']:.0f} vs {whoami['requests_per_s']:.0f} req/s",
        )
        cost_single = single.get("requests_per_worker_cpu_s")
        cost_whoami = whoami.get("requests_per_worker_cpu_s")
        if cost_single and cost_whoami:
            # On a shared machine the two scenarios may get different shares of the CPU;
            # requests per worker CPU-second compare what each request costs the service.
            cost_ratio = cost_single / cost_whoami
            add(
                "single POST / trivial (per worker CPU-s)",
                round(cost_ratio, 3),
                f">= {TARGET_SINGLE_VS_TRIVIAL}",
                cost_ratio >= TARGET_SINGLE_VS_TRIVIAL,
                f"{cost_single:.0f} vs {cost_whoami:.0f} requests per worker CPU-second",
            )
    alternating = results.get("alternating") or {}
    for other, label in (("ceiling", "bare Flask ceiling"), ("whoami", "whoami (history)")):
        ratio = alternating.get(f"ratio_to_{other}")
        if not ratio:
            continue
        rates = alternating["rates"]
        add(
            f"single POST / {label}, alternating turns",
            ratio,
            f">= {TARGET_SINGLE_VS_TRIVIAL}",
            ratio >= TARGET_SINGLE_VS_TRIVIAL if other == "ceiling" else None,
            f"{rates['post-single']:.0f} vs {rates[other]:.0f} req/s, "
            f"{alternating['clients']} clients; per worker CPU-s "
            f"{alternating.get(f'ratio_to_{other}_per_worker_cpu_s')}; turns "
            f"{[r.get(other) for r in alternating['round_ratios']]}",
        )
    for name in ("post-batch", "batch-conc"):
        r = results.get(name)
        if r and r.get("requests"):
            add(
                f"{name} statements/s",
                round(r["statements_per_s"]),
                f">= {TARGET_BATCH_STMTS_PER_S:.0f}",
                r["statements_per_s"] >= TARGET_BATCH_STMTS_PER_S,
                f"{r['clients']} clients",
            )
    core = results.get("core-insert")
    batch = results.get("post-batch")
    if core and batch and core.get("statements_per_s"):
        add(
            "post-batch / core-insert ceiling",
            round(batch["statements_per_s"] / core["statements_per_s"], 3),
            "(ratio)",
            None,
        )
    for name in ("get-filtered", "get-filtered-analyzed"):
        get = results.get(name)
        if not (get and get.get("requests")):
            continue
        judged = cfg.database == "postgresql" and stored >= TARGET_GET_AT
        worst = max(v["p95_ms"] for v in get.get("by_label", {"all": get}).values())
        add(
            f"{name} p95 ms (all kinds)",
            round(get["p95_ms"], 2),
            f"<= {TARGET_GET_P95_MS}",
            get["p95_ms"] <= TARGET_GET_P95_MS if judged else None,
            f"worst kind p95 {worst:.1f} ms; {stored:,} statements stored"
            + ("" if judged else "; judged only at 1M on PostgreSQL"),
        )
    writes = ("post-single", "put", "post-batch", "batch-conc", "preload")
    ran = {
        n: results[n]
        for n in writes
        if results.get(n, {}).get("requests") and results[n].get("via") != "core"
    }
    if ran:
        bad = {n: r["non_2xx"] + r["errors"] for n, r in ran.items()}
        conc = ran.get("batch-conc")
        add(
            "concurrent writes: non-2xx + errors",
            sum(bad.values()),
            "== 0",
            sum(bad.values()) == 0,
            ", ".join(f"{n} {b}" for n, b in bad.items() if b)
            + (f"; batch-conc max {conc['max_ms']:.0f} ms" if conc else ""),
        )
    paging = results.get("paging")
    if paging and paging.get("requests"):
        growth = paging.get("max_growth_after_warmup_kib")
        add(
            "paging: worker RSS growth after warm-up (KiB)",
            growth,
            f"<= {FLAT_RSS_KIB}",
            paging.get("flat"),
            f"{paging['statements']:,} statements in {paging['requests']} pages"
            + ("" if paging["complete"] else " (stopped by the time bound)"),
        )
    return targets


def print_table(results: dict[str, dict[str, Any]], targets: list[dict[str, Any]]) -> None:
    """The results as a plain text table."""
    head = (
        f"{'scenario':<26}{'cl':>3}{'requests':>10}{'req/s':>10}{'stmts/s':>10}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'non2xx':>8}{'err':>5}"
        f"{'cpu%':>5}{'wrk':>5}{'cli':>5}{'oth':>5}{'load':>5}{'r/wcs':>7}"
    )
    print(head)
    print("-" * len(head))
    for name, r in results.items():
        if "skipped" in r:
            print(f"{name:<26} skipped: {r['skipped'][:200]}")
            continue
        print(
            f"{name:<26}{r['clients']:>3}{r['requests']:>10}{r['requests_per_s']:>10.1f}"
            f"{r['statements_per_s']:>10.1f}{r['p50_ms']:>9.2f}{r['p95_ms']:>9.2f}"
            f"{r['p99_ms']:>9.2f}{r['non_2xx']:>8}{r['errors']:>5}"
            f"{r.get('machine_cpu_busy_pct', 0):>5.0f}{r.get('workers_cpu_cores', 0):>5.2f}"
            f"{r.get('clients_cpu_cores', 0):>5.2f}{r.get('other_cpu_cores', 0):>5.2f}"
            f"{r.get('loadavg_before', 0):>5.1f}{r.get('requests_per_worker_cpu_s', 0):>7.0f}"
        )
        for label, s in (r.get("by_label") or {}).items():
            print(
                f"  {label:<24}{'':>3}{s['requests']:>10}{'':>10}{'':>10}"
                f"{s['p50_ms']:>9.2f}{s['p95_ms']:>9.2f}{s['p99_ms']:>9.2f}"
            )
        for text in r.get("unexpected", [])[:3]:
            print(f"  ! {text[:200]}")
    paging = results.get("paging")
    if paging and paging.get("workers"):
        print("\nworker VmRSS while paging (MiB): before / after warm-up / max / end")
        for pid, w in paging["workers"].items():
            vals = [w[k] for k in ("before_kib", "after_warmup_kib", "max_kib", "end_kib")]
            print(f"  pid {pid}: " + " / ".join(f"{v / 1024:.1f}" if v else "?" for v in vals))
    print(
        "cpu% = whole machine busy during the scenario; wrk, cli, oth = CPU cores used by the\n"
        "gunicorn workers, the client processes (core-insert: its inserting processes), and\n"
        "everything else (database server, other work); load = 1-min load average before it;\n"
        "r/wcs = requests per CPU-second of the gunicorn workers (cost, whatever the contention)"
    )
    print("\ntargets (issue 2)")
    for t in targets:
        verdict = {True: "MET", False: "MISSED", None: "-"}[t["met"]]
        print(
            f"  {t['target']:<46} {t['value']!s:>10}  goal {t['goal']:<10} {verdict:<7} {t['note']}"
        )
