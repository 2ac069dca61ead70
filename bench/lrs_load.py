#!/usr/bin/env python3
"""Load benchmark of the Kompetens LRS over its standard xAPI HTTP API (stdlib only).

Drives a running service (``--url``, ``--key``, ``--secret``), or with ``--start``
launches one the way ``make run`` does, on a throwaway SQLite or PostgreSQL database,
and stops it afterwards.  Scenarios (each with requests/s, statements/s, p50/p95/p99):

  whoami        a trivial authenticated endpoint (it pays the per-request database work)
  post-single   POST /statements, one statement
  alternating   the bare Flask ceiling (lrs_ceiling_app.py, no database), whoami and
                post-single in turns, 8 clients: the single POST's ratio to the ceiling
  put           PUT /statements?statementId=...
  post-batch    POST /statements, batches of --batch (100) statements
  batch-conc    the same with --high-clients (8) client processes: no error, no deadlock
  core-insert   ceiling 2: raw SQLAlchemy Core insert of the same rows, same tables
  state         PUT then GET /activities/state documents
  preload       batches until the run has stored --preload statements
  get-filtered  GET /statements by agent, verb, activity, registration and combinations
                (then, with --start or --database-url, once more after VACUUM ANALYZE /
                ANALYZE: get-filtered-analyzed)
  paging        GET /statements following ``more`` links through everything, while
                sampling the gunicorn workers' VmRSS from /proc

Clients are separate processes (multiprocessing), so the client is not GIL-bound; it
only talks to loopback addresses, and every loop is bounded in time and count.
Prints a table and writes JSON to bench/results/.  See bench/README.md ("LRS").
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lrs_data
import lrs_server
import lrs_turns
from lrs_http import XapiClient, check_loopback, wait_until_up
from lrs_report import FLAT_RSS_KIB, evaluate, machine, print_table, summarise

RESULTS = Path(__file__).resolve().parent / "results"
ALL_SCENARIOS = [
    "warm",
    "whoami",
    "post-single",
    "alternating",
    "put",
    "post-batch",
    "batch-conc",
    "core-insert",
    "state",
    "preload",
    "get-filtered",
    "paging",
]
WHOAMI = "extensions/whoami"


@dataclass
class Job:
    """What one client process does (picklable)."""

    scenario: str
    url: str
    key: str
    secret: str
    version: str
    stream: int
    seed: int
    seconds: float
    max_requests: int
    batch: int = 100
    get_limit: int = 25
    kinds: list[str] = field(default_factory=list)
    # Shared by all clients of a run: activities none of them has defined yet.
    fresh: str = ""


@dataclass
class Outcome:
    """What one client process measured."""

    start: float = 0.0
    end: float = 0.0
    requests: int = 0
    statements: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    sent_bytes: int = 0
    received_bytes: int = 0
    cpu_seconds: float = 0.0


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


# -- request plans: what a client process sends, built before the clock starts -------

Planned = tuple[str, str, str, bytes | None, dict[str, str] | None, int]  # label, method,
# path, body, headers, statements


# Distinct statements each client cycles through; each request gets fresh ids, so the
# client spends microseconds, not milliseconds, per request inside the timed loop.
POOL = 3000


class StatementPool:
    """Pre-serialised statements without ``id``; ``with_id`` prefixes fresh ids.

    With ``fresh``, one statement in five is about one of 100 activities that exist
    nowhere yet, the same 100 for every client of the scenario: concurrent batches then
    race to store the first definition of an activity, as two learners starting a new
    course at once do.
    """

    def __init__(self, factory: lrs_data.StatementFactory, size: int, fresh: str = "") -> None:
        self.factory = factory
        self.bodies = []
        for _ in range(size):
            stmt = factory.statement(with_id=False)
            if fresh and factory.rng.random() < 0.2:
                stmt["object"]["id"] = f"{fresh}/m{factory.rng.randrange(100):02d}"
            self.bodies.append(_dumps(stmt))
        self.next = 0

    def one(self) -> bytes:
        """The next statement, without id."""
        body = self.bodies[self.next % len(self.bodies)]
        self.next += 1
        return body

    def with_id(self) -> bytes:
        """The next statement with a fresh id."""
        return b'{"id":"' + self.factory.uuid4().encode() + b'",' + self.one()[1:]

    def batch(self, size: int) -> bytes:
        """A JSON list of ``size`` statements with fresh ids."""
        return b"[" + b",".join(self.with_id() for _ in range(size)) + b"]"


def _plan(job: Job, client: XapiClient) -> Any:
    """An iterator of planned requests for ``job.scenario`` (cheap to advance)."""
    factory = lrs_data.StatementFactory(lrs_data.Population(seed=job.seed), job.stream)
    n = job.max_requests
    statements = client.path("statements")
    if job.scenario == "whoami":
        path = client.path(WHOAMI)
        return (("whoami", "GET", path, None, None, 0) for _ in range(n))
    if job.scenario in ("post-single", "put", "post-batch", "batch-conc"):
        per_request = job.batch if job.scenario in ("post-batch", "batch-conc") else 1
        fresh = job.fresh if job.scenario == "batch-conc" else ""
        pool = StatementPool(factory, min(POOL, n * per_request), fresh)
        if job.scenario == "post-single":
            return (("post-single", "POST", statements, pool.with_id(), None, 1) for _ in range(n))
        if job.scenario == "put":
            return (
                (
                    "put",
                    "PUT",
                    client.path("statements", {"statementId": factory.uuid4()}),
                    pool.one(),
                    None,
                    1,
                )
                for _ in range(n)
            )
        return (
            (job.scenario, "POST", statements, pool.batch(job.batch), None, job.batch)
            for _ in range(n)
        )
    if job.scenario == "preload":
        # Generated on the fly: a million statements need not sit in memory.
        return (
            (
                job.scenario,
                "POST",
                client.path("statements"),
                _dumps(factory.batch(job.batch)),
                None,
                job.batch,
            )
            for _ in range(n)
        )
    if job.scenario == "state":
        plans = []
        pop = factory.pop
        for i in range(n // 2):
            learner = factory.rng.randrange(pop.learners)
            course = factory.rng.choice(pop.enrolments[learner])
            params = {
                "activityId": pop.course_ids[course],
                "agent": pop.agent_param(learner),
                "registration": pop.registration(learner, course),
                "stateId": f"bench-{job.stream}-{i}-{uuid.uuid4().hex[:8]}",
            }
            path = client.path("activities/state", params)
            body = _dumps(lrs_data.state_document(factory.rng))
            # A new document: If-None-Match: * satisfies 2.0.0's concurrency rules too.
            plans.append(("state-put", "PUT", path, body, {"If-None-Match": "*"}, 0))
            plans.append(("state-get", "GET", path, None, None, 0))
        return iter(plans)
    if job.scenario == "get-filtered":
        plans = []
        for i in range(n):
            kind = job.kinds[i % len(job.kinds)]
            params = factory.query(kind)
            params["limit"] = str(job.get_limit)
            plans.append((f"get {kind}", "GET", client.path("statements", params), None, None, 0))
        return iter(plans)
    raise ValueError(job.scenario)


def _check(label: str, method: str, reply: Any, statements: int) -> str | None:
    """A problem with a 2xx reply, or None.  Cheap checks only."""
    if method == "POST" and label != "whoami":
        try:
            ids = json.loads(reply.body)
        except ValueError:
            return "POST reply is not JSON"
        if not isinstance(ids, list) or len(ids) != statements:
            got = len(ids) if isinstance(ids, list) else "?"
            return f"POST reply has {got} ids, sent {statements}"
    if label.startswith("get ") and b'"statements"' not in reply.body[:200]:
        return "GET reply has no statements list"
    return None


def _client_main(job: Job, barrier: Any, out: Any) -> None:
    try:
        out.put(_client_run(job, barrier))
    except BaseException as exc:  # report, never hang the parent
        outcome = Outcome()
        outcome.errors[f"fatal: {exc!r}"] += 1
        out.put(outcome)
        with contextlib.suppress(Exception):
            barrier.abort()


def _client_run(job: Job, barrier: Any) -> Outcome:
    client = XapiClient(job.url, job.key, job.secret, job.version)
    plans = _plan(job, client)
    outcome = Outcome()
    barrier.wait(timeout=600)
    outcome.start = time.perf_counter()
    cpu0 = time.process_time()
    stop_at = outcome.start + job.seconds
    for label, method, path, body, headers, statements in plans:
        t = time.perf_counter()
        try:
            reply = client.request(method, path, body, headers)
        except Exception as exc:  # timeouts, resets: counted, the run goes on
            outcome.errors[type(exc).__name__] += 1
            client.close()
            outcome.requests += 1
            if time.perf_counter() > stop_at:
                break
            continue
        elapsed = time.perf_counter() - t
        outcome.requests += 1
        outcome.statuses[reply.status] += 1
        outcome.latencies.setdefault(label, []).append(elapsed)
        outcome.sent_bytes += len(body or b"")
        outcome.received_bytes += len(reply.body)
        if 200 <= reply.status < 300:
            outcome.statements += statements
            problem = _check(label, method, reply, statements)
            if problem and len(outcome.unexpected) < 5:
                outcome.unexpected.append(problem)
        elif len(outcome.unexpected) < 5:
            outcome.unexpected.append(f"{method} {label}: {reply.status} {reply.body[:300]!r}")
        if time.perf_counter() > stop_at:
            break
    outcome.end = time.perf_counter()
    outcome.cpu_seconds = time.process_time() - cpu0
    client.close()
    return outcome


def run_clients(
    cfg: argparse.Namespace,
    scenario: str,
    clients: int,
    max_requests: int,
    seconds: float,
    stream_base: int,
    url: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Run ``scenario`` from ``clients`` processes (to ``url``, else the LRS); merge them."""
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(clients)
    out = ctx.Queue()
    per_client = max(1, math.ceil(max_requests / clients))
    fresh = f"https://kompetens.example.se/courses/new-{uuid.uuid4().hex[:12]}"
    procs = []
    for i in range(clients):
        job = Job(
            scenario=scenario,
            url=url or cfg.url,
            key=cfg.key,
            secret=cfg.secret,
            version=cfg.xapi_version,
            stream=stream_base + i,
            seed=cfg.seed,
            seconds=seconds,
            max_requests=per_client,
            batch=cfg.batch,
            fresh=fresh,
            **extra,
        )
        proc = ctx.Process(target=_client_main, args=(job, barrier, out), daemon=True)
        proc.start()
        procs.append(proc)
    outcomes: list[Outcome] = [out.get(timeout=seconds + 1200) for _ in procs]
    for proc in procs:
        proc.join(30)
    merged: dict[str, list[float]] = {}
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    unexpected: list[str] = []
    for o in outcomes:
        for label, values in o.latencies.items():
            merged.setdefault(label, []).extend(values)
        statuses.update(o.statuses)
        errors.update(o.errors)
        unexpected.extend(o.unexpected)
    started = [o for o in outcomes if o.start]
    wall = (max(o.end for o in started) - min(o.start for o in started)) if started else 0.0
    requests = sum(o.requests for o in outcomes)
    statements = sum(o.statements for o in outcomes)
    all_latencies = [x for values in merged.values() for x in values]
    result: dict[str, Any] = {
        "scenario": scenario,
        "clients": clients,
        "requests": requests,
        "statements": statements,
        "seconds": wall,
        "requests_per_s": requests / wall if wall else 0.0,
        "statements_per_s": statements / wall if wall else 0.0,
        **summarise(all_latencies),
        "non_2xx": sum(n for code, n in statuses.items() if not 200 <= code < 300),
        "errors": sum(errors.values()),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "error_kinds": dict(errors),
        "unexpected": unexpected[:10],
        "sent_mb": sum(o.sent_bytes for o in outcomes) / 1e6,
        "received_mb": sum(o.received_bytes for o in outcomes) / 1e6,
        "clients_cpu_cores": round(sum(o.cpu_seconds for o in outcomes) / wall, 2) if wall else 0,
    }
    if len(merged) > 1:
        result["by_label"] = {
            label: {"requests": len(values), **summarise(values)}
            for label, values in sorted(merged.items())
        }
    return result


# -- paging with worker memory sampling ------------------------------------------------


class RssSampler(threading.Thread):
    """Samples VmRSS of the gunicorn workers every ``interval`` seconds."""

    def __init__(self, pids: list[int], interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.interval = interval
        self.samples: list[tuple[float, dict[int, int | None]]] = []
        self.stopped = threading.Event()

    def sample(self) -> None:
        """Take one sample now."""
        self.samples.append((time.perf_counter(), {p: lrs_server.rss_kib(p) for p in self.pids}))

    def run(self) -> None:
        """Sample until stopped."""
        while not self.stopped.wait(self.interval):
            self.sample()


def run_paging(cfg: argparse.Namespace, pids: list[int]) -> dict[str, Any]:
    """Follow ``more`` links through every statement while sampling worker RSS."""
    client = XapiClient(cfg.url, cfg.key, cfg.secret, cfg.xapi_version, timeout=120)
    cpu0 = time.process_time()
    sampler = RssSampler(pids)
    sampler.sample()
    sampler.start()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    seen = 0
    pages = 0
    path = client.path("statements", {"limit": str(cfg.page_limit)})
    start = time.perf_counter()
    stop_at = start + cfg.page_seconds
    complete = False
    problem = None
    page_marks: list[tuple[int, float]] = []
    while pages < cfg.page_max_pages:
        t = time.perf_counter()
        reply = client.request("GET", path)
        latencies.append(time.perf_counter() - t)
        statuses[reply.status] += 1
        if reply.status != 200:
            problem = f"{reply.status} {reply.body[:300]!r}"
            break
        body = json.loads(reply.body)
        seen += len(body["statements"])
        pages += 1
        page_marks.append((pages, time.perf_counter()))
        more = body.get("more") or ""
        if not more:
            complete = True
            break
        path = client.more_path(more)
        if time.perf_counter() > stop_at:
            break
    wall = time.perf_counter() - start
    sampler.stopped.set()
    sampler.join()
    sampler.sample()
    client.close()
    # RSS after the first 10 % of the pages is the baseline: imports and caches warm up
    # on the first requests whatever the result size.
    warm_at = page_marks[max(0, len(page_marks) // 10 - 1)][1] if page_marks else start
    per_worker = {}
    for pid in pids:
        series = [(t, s[pid]) for t, s in sampler.samples if s.get(pid) is not None]
        values = [v for _, v in series]
        after_warm = [v for t, v in series if t >= warm_at] or values
        per_worker[str(pid)] = {
            "before_kib": values[0] if values else None,
            "after_warmup_kib": after_warm[0] if after_warm else None,
            "max_kib": max(values) if values else None,
            "end_kib": values[-1] if values else None,
            "growth_after_warmup_kib": (max(after_warm) - after_warm[0]) if after_warm else None,
        }
    growths = [
        w["growth_after_warmup_kib"]
        for w in per_worker.values()
        if w["growth_after_warmup_kib"] is not None
    ]
    return {
        "scenario": "paging",
        "clients": 1,
        "requests": pages,
        "statements": seen,
        "seconds": wall,
        "requests_per_s": pages / wall if wall else 0.0,
        "statements_per_s": seen / wall if wall else 0.0,
        **summarise(latencies),
        "non_2xx": sum(n for code, n in statuses.items() if code != 200),
        "errors": 0,
        "statuses": {str(k): v for k, v in statuses.items()},
        "clients_cpu_cores": round((time.process_time() - cpu0) / wall, 2) if wall else 0,
        "page_limit": cfg.page_limit,
        "complete": complete,
        "problem": problem,
        "workers": per_worker,
        "rss_samples": [
            [round(t - start, 2), *[s.get(p) for p in pids]] for t, s in sampler.samples
        ],
        "max_growth_after_warmup_kib": max(growths) if growths else None,
        "flat": bool(growths) and max(growths) <= FLAT_RSS_KIB,
    }


# -- ceiling 2 -------------------------------------------------------------------------


def run_core_insert(
    cfg: argparse.Namespace,
    service: lrs_server.Service | None,
    filter_insert: str = "executemany",
    preload: int = 0,
) -> dict[str, Any]:
    """Run bench/lrs_core.py against the same database (needs DATABASE_URL).

    With ``preload``, insert that many statements the same way, building each batch
    just before inserting it (``--preload-via core``).
    """
    scenario = "preload" if preload else "core-insert"
    env = dict(os.environ)
    if service is not None:
        env.update(service.env())
    elif cfg.database_url:
        env["DATABASE_URL"] = cfg.database_url
    else:
        return {"scenario": scenario, "skipped": "needs --database-url (or --start)"}
    cmd = [
        str(lrs_server.VENV_BIN / "python"),
        str(Path(__file__).with_name("lrs_core.py")),
        "--statements",
        str(preload or cfg.core_statements),
        "--batch",
        str(cfg.batch),
        "--procs",
        str(cfg.core_procs),
        "--key",
        cfg.key,
        "--seed",
        str(cfg.seed),
        "--max-seconds",
        str(cfg.preload_seconds if preload else cfg.seconds),
        "--filter-insert",
        filter_insert,
        *(["--stream", "--stream-base", "800000"] if preload else []),
    ]
    proc = subprocess.run(
        cmd,
        cwd=lrs_server.REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=(cfg.preload_seconds if preload else cfg.seconds) + 900,
    )
    if proc.returncode != 0:
        return {"scenario": scenario, "skipped": "failed: " + proc.stderr[-1500:]}
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    latencies = data.pop("latencies")
    return {
        "scenario": scenario,
        "via": "core",
        "clients": data["procs"],
        "requests": len(latencies),
        "statements": data["statements"],
        "seconds": data["seconds"],
        "requests_per_s": len(latencies) / data["seconds"] if data["seconds"] else 0.0,
        "statements_per_s": data["statements_per_s"],
        **summarise(latencies),
        "non_2xx": 0,
        "errors": 0,
        "builder": data["builder"],
        "build_statements_per_s_per_proc": data["build_statements_per_s_per_proc"],
        "filter_insert": data["filter_insert"],
    }


# -- the run ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--url", default="http://127.0.0.1:5000/xapi", help="LRS base URL (loopback only)"
    )
    p.add_argument("--key", help="LRS key (scope all); not needed with --start")
    p.add_argument("--secret", help="LRS secret")
    p.add_argument(
        "--start",
        action="store_true",
        help="start gunicorn like `make run` on a throwaway database, stop it after",
    )
    p.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="with --start: which throwaway database (default sqlite)",
    )
    p.add_argument(
        "--database-url",
        help="without --start: DATABASE_URL of the running service, for the core-insert ceiling",
    )
    p.add_argument(
        "--server-pid",
        type=int,
        help="without --start: gunicorn master pid "
        "(default: found from the port's listening socket)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="with --start: gunicorn workers (default: the Makefile's WORKERS)",
    )
    p.add_argument("--keep", action="store_true", help="with --start: keep the temp dir and DB")
    p.add_argument("--xapi-version", default="2.0.0", help="X-Experience-API-Version sent")
    p.add_argument(
        "--scenarios",
        default=",".join(ALL_SCENARIOS),
        help="comma separated subset of: " + ", ".join(ALL_SCENARIOS),
    )
    p.add_argument("--seconds", type=float, default=15.0, help="time bound of each scenario")
    p.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="turns of each kind (ceiling, whoami, post-single) in the scenario 'alternating'",
    )
    p.add_argument(
        "--warm",
        type=int,
        default=20000,
        help="statements sent in batches before the measured scenarios (scenario 'warm')",
    )
    p.add_argument(
        "--requests",
        type=int,
        default=20000,
        help="count bound of each scenario (requests; batches for batch scenarios)",
    )
    p.add_argument(
        "--clients", type=int, default=4, help="client processes for throughput scenarios"
    )
    p.add_argument(
        "--alt-clients",
        type=int,
        default=8,
        help="client processes of the scenario 'alternating' (8: issue 12's measurement)",
    )
    p.add_argument(
        "--no-ceiling",
        dest="ceiling",
        action="store_false",
        help="do not start the bare Flask ceiling for the scenario 'alternating'",
    )
    p.add_argument(
        "--get-clients",
        type=int,
        default=2,
        help="client processes for filtered GET (default 2 = the workers, no queueing)",
    )
    p.add_argument("--high-clients", type=int, default=8, help="client processes for batch-conc")
    p.add_argument("--batch", type=int, default=100, help="statements per batch")
    p.add_argument(
        "--preload",
        type=int,
        default=1_000_000,
        help="statements this run stores before filtered GET (default 1,000,000)",
    )
    p.add_argument(
        "--preload-seconds", type=float, default=3600.0, help="time bound of the preload"
    )
    p.add_argument("--get-limit", type=int, default=25, help="limit= of the filtered GETs")
    p.add_argument("--page-limit", type=int, default=500, help="limit= of the paging scenario")
    p.add_argument("--page-seconds", type=float, default=900.0, help="time bound of paging")
    p.add_argument("--page-max-pages", type=int, default=10000, help="count bound of paging")
    p.add_argument(
        "--core-statements",
        type=int,
        default=100_000,
        help="statements for the core-insert ceiling (also bounded by --seconds)",
    )
    p.add_argument(
        "--core-procs",
        type=int,
        default=None,
        help="processes for the core-insert ceiling (default: --clients)",
    )
    p.add_argument(
        "--preload-via",
        choices=["http", "core"],
        default="http",
        help="preload over HTTP batches (default), or with the LRS's row builder and a Core "
        "insert into the same tables (faster; no activity definitions)",
    )
    p.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="skip the second filtered GET pass after VACUUM ANALYZE / ANALYZE "
        "(needs --start or --database-url)",
    )
    p.add_argument(
        "--core-values",
        action="store_true",
        help="also measure the Core insert with the filter rows as one multi-row VALUES",
    )
    p.add_argument("--seed", type=int, default=20261126, help="population seed")
    p.add_argument("--out", help="JSON file (default bench/results/lrs-<db>-<time>.json)")
    cfg = p.parse_args(argv)
    cfg.scenario_list = [s.strip() for s in cfg.scenarios.split(",") if s.strip()]
    unknown = set(cfg.scenario_list) - set(ALL_SCENARIOS)
    if unknown:
        p.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if not cfg.start and not (cfg.key and cfg.secret):
        p.error("--key and --secret are needed unless --start")
    cfg.core_procs = cfg.core_procs or cfg.clients
    if not cfg.start:
        url = cfg.database_url or ""
        cfg.database = (
            "postgresql"
            if url.startswith("postgresql")
            else "sqlite"
            if url.startswith("sqlite")
            else "unknown"
        )
    return cfg


def run(
    cfg: argparse.Namespace,
    service: lrs_server.Service | None,
    ceiling: lrs_server.Ceiling | None = None,
) -> dict[str, Any]:
    """Every selected scenario, in order; returns the JSON document."""
    check_loopback(cfg.url)
    probe = XapiClient(cfg.url, cfg.key, cfg.secret, cfg.xapi_version)
    status = wait_until_up(probe, "about", 60 if service else 5)
    print(f"# {cfg.url}: /about answered {status}", flush=True)
    if ceiling is not None:
        bare = XapiClient(ceiling.url, cfg.key, cfg.secret, cfg.xapi_version)
        wait_until_up(bare, "statements", 60)
        bare.close()
        print(f"# ceiling (bare Flask, no database) at {ceiling.url}", flush=True)
    results: dict[str, dict[str, Any]] = {}
    stored = 0
    streams = iter(range(1000, 10**6, 100))

    master = service.proc.pid if service and service.proc else cfg.server_pid
    workers = lrs_server.worker_pids(master, urlsplit(cfg.url).port or 80)
    print(f"# gunicorn workers: {workers}", flush=True)

    def step(name: str, fn: Any) -> None:
        nonlocal stored
        if name not in cfg.scenario_list:
            return
        print(f"# {datetime.now(UTC):%H:%M:%S} {name} ...", flush=True)
        load = lrs_server.loadavg()
        busy0, total0 = lrs_server.machine_jiffies()
        workers0 = lrs_server.process_jiffies(workers)
        t0 = time.perf_counter()
        children0 = os.times()
        r = fn()
        busy1, total1 = lrs_server.machine_jiffies()
        wall = time.perf_counter() - t0
        ticks = os.sysconf("SC_CLK_TCK") * wall
        if name.startswith("core-insert") or (name == "preload" and cfg.preload_via == "core"):
            children1 = os.times()
            r["clients_cpu_cores"] = round(
                (
                    children1.children_user
                    + children1.children_system
                    - children0.children_user
                    - children0.children_system
                )
                / wall,
                2,
            )
        # Context for the numbers: the machine is shared by client, server and database
        # (and by whatever else runs on it: see loadavg_before).
        r["loadavg_before"] = load
        r["machine_cpu_busy_pct"] = round(100 * (busy1 - busy0) / max(1, total1 - total0), 1)
        worker_cpu_s = (lrs_server.process_jiffies(workers) - workers0) / os.sysconf("SC_CLK_TCK")
        r["workers_cpu_cores"] = round(worker_cpu_s * os.sysconf("SC_CLK_TCK") / ticks, 2)
        # Cost per request, independent of how much CPU the shared machine left over.
        if worker_cpu_s > 0 and not name.startswith("core-insert") and r.get("via") != "core":
            r["requests_per_worker_cpu_s"] = round(r.get("requests", 0) / worker_cpu_s, 1)
            r["statements_per_worker_cpu_s"] = round(r.get("statements", 0) / worker_cpu_s, 1)
        # Everything else: the database server, and other work on the machine.
        r["other_cpu_cores"] = round(
            (busy1 - busy0) / ticks - r["workers_cpu_cores"] - r.get("clients_cpu_cores", 0), 2
        )
        results[name] = r
        if name in (
            "post-single",
            "put",
            "post-batch",
            "batch-conc",
            "preload",
            "warm",
            "core-insert",
            "core-insert-values",
        ):
            stored += r.get("statements", 0)
        if "skipped" in r:
            print(f"#   skipped: {r['skipped'][:300]}", flush=True)
        else:
            print(
                f"#   {r['requests']} requests, {r['requests_per_s']:.1f} req/s, "
                f"{r['statements_per_s']:.1f} stmts/s, p95 {r['p95_ms']:.1f} ms, "
                f"non-2xx {r['non_2xx']}, errors {r['errors']}; machine CPU "
                f"{r['machine_cpu_busy_pct']}% busy; cores used by workers "
                f"{r['workers_cpu_cores']}, clients {r.get('clients_cpu_cores', 0)}, "
                f"database and others {r['other_cpu_cores']}; load before {load}",
                flush=True,
            )

    # A service that has been running has met the courses' activities: the first
    # statement about an activity costs a definition write that later ones do not.
    if cfg.warm > 0:
        step(
            "warm",
            lambda: run_clients(
                cfg,
                "preload",
                cfg.clients,
                math.ceil(cfg.warm / cfg.batch),
                cfg.preload_seconds,
                next(streams),
            ),
        )
    probe_whoami = probe.request("GET", probe.path(WHOAMI))
    if probe_whoami.status != 200:
        print(f"# whoami answered {probe_whoami.status}: ceiling 1 skipped", flush=True)
        results["whoami"] = {
            "scenario": "whoami",
            "skipped": f"GET /xapi/{WHOAMI} answered {probe_whoami.status}",
        }
    else:
        step(
            "whoami",
            lambda: run_clients(
                cfg, "whoami", cfg.clients, cfg.requests, cfg.seconds, next(streams)
            ),
        )
    step(
        "post-single",
        lambda: run_clients(
            cfg, "post-single", cfg.clients, cfg.requests, cfg.seconds, next(streams)
        ),
    )
    if "alternating" in cfg.scenario_list:
        kinds = [lrs_turns.Kind("post-single", "post-single", cfg.url, workers)]
        if ceiling is not None:
            ceiling_workers = lrs_server.children(ceiling.proc.pid) if ceiling.proc else []
            kinds.insert(0, lrs_turns.Kind("ceiling", "post-single", ceiling.url, ceiling_workers))
        if "whoami" in results and "skipped" not in results["whoami"]:
            kinds.insert(-1, lrs_turns.Kind("whoami", "whoami", cfg.url, workers))
        if len(kinds) > 1:
            step(
                "alternating",
                lambda: lrs_turns.run_alternating(cfg, kinds, streams, run_clients),
            )
    step(
        "put",
        lambda: run_clients(cfg, "put", cfg.clients, cfg.requests, cfg.seconds, next(streams)),
    )
    step(
        "post-batch",
        lambda: run_clients(
            cfg, "post-batch", cfg.clients, min(cfg.requests, 2000), cfg.seconds, next(streams)
        ),
    )
    step(
        "batch-conc",
        lambda: run_clients(
            cfg, "batch-conc", cfg.high_clients, min(cfg.requests, 2000), cfg.seconds, next(streams)
        ),
    )
    step("core-insert", lambda: run_core_insert(cfg, service))
    if cfg.core_values:
        cfg.scenario_list.append("core-insert-values")
        step("core-insert-values", lambda: run_core_insert(cfg, service, "values"))
    step(
        "state",
        lambda: run_clients(cfg, "state", cfg.clients, cfg.requests, cfg.seconds, next(streams)),
    )
    missing = max(0, cfg.preload - stored)
    if "preload" in cfg.scenario_list and missing and cfg.preload_via == "core":
        step("preload", lambda: run_core_insert(cfg, service, preload=missing))
    elif "preload" in cfg.scenario_list and missing:
        step(
            "preload",
            lambda: run_clients(
                cfg,
                "preload",
                cfg.clients,
                math.ceil(missing / cfg.batch),
                cfg.preload_seconds,
                next(streams),
            ),
        )

    def get_filtered() -> dict[str, Any]:
        return run_clients(
            cfg,
            "get-filtered",
            cfg.get_clients,
            cfg.requests,
            cfg.seconds,
            next(streams),
            kinds=lrs_data.QUERY_KINDS,
            get_limit=cfg.get_limit,
        )

    step("get-filtered", get_filtered)
    database_url = service.database_url if service else cfg.database_url
    if "get-filtered" in cfg.scenario_list and cfg.analyze and database_url:
        # Once more with planner statistics, as a service that has run a while has them.
        print("# refreshing planner statistics (VACUUM ANALYZE / ANALYZE) ...", flush=True)
        analyze_seconds = lrs_server.analyze(database_url)
        cfg.scenario_list.append("get-filtered-analyzed")
        step("get-filtered-analyzed", get_filtered)
        results["get-filtered-analyzed"]["analyze_seconds"] = round(analyze_seconds, 1)
    if "paging" in cfg.scenario_list:
        step("paging", lambda: run_paging(cfg, workers))
    targets = evaluate(results, cfg, stored)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(cfg),
        "settings": {
            "url": cfg.url,
            "started": bool(service),
            "database": cfg.database if service else (cfg.database_url or "unknown"),
            "gunicorn_workers": service.workers if service else None,
            "xapi_version": cfg.xapi_version,
            "clients": cfg.clients,
            "get_clients": cfg.get_clients,
            "high_clients": cfg.high_clients,
            "batch": cfg.batch,
            "seconds": cfg.seconds,
            "requests": cfg.requests,
            "preload": cfg.preload,
            "get_limit": cfg.get_limit,
            "page_limit": cfg.page_limit,
            "statement_bytes_mean": _mean_size(cfg.seed),
            "argv": sys.argv[1:],
        },
        "statements_stored_by_run": stored,
        "results": results,
        "targets": targets,
    }


def _mean_size(seed: int) -> float:
    factory = lrs_data.StatementFactory(lrs_data.Population(seed=seed), 1)
    sizes = [len(_dumps(s)) for s in factory.batch(500)]
    return round(sum(sizes) / len(sizes), 1)


def _keep_server_log(service: lrs_server.Service) -> Path | None:
    """Copy gunicorn's error log to bench/results/ if it holds a traceback."""
    log = service.log_path
    if log is None or not log.exists() or b"Traceback" not in log.read_bytes():
        return None
    RESULTS.mkdir(exist_ok=True)
    kept = RESULTS / f"gunicorn-{service.database}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.log"
    shutil.copyfile(log, kept)
    return kept


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 if any request failed."""
    cfg = parse_args(argv)
    service = None
    server_log = None
    if cfg.start:
        service = lrs_server.Service(cfg.database, cfg.workers or lrs_server.makefile_workers())
        cfg.database_url = None
        print(
            f"# starting gunicorn ({service.workers} workers) on {cfg.database} in "
            f"{service.tmpdir}",
            flush=True,
        )
    random.seed(cfg.seed)
    ceiling = None
    try:
        if service is not None:
            service.setup()
            service.start()
            cfg.url, cfg.key, cfg.secret = service.url, service.key, service.secret
        if "alternating" in cfg.scenario_list and cfg.ceiling:
            ceiling = lrs_server.Ceiling(
                cfg.workers or lrs_server.makefile_workers(), cfg.key, cfg.secret
            )
            ceiling.start(service.tmpdir if service else Path(tempfile.gettempdir()))
        doc = run(cfg, service, ceiling)
    finally:
        if ceiling is not None:
            ceiling.stop()
        if service is not None:
            service.stop(drop=not cfg.keep)
            server_log = _keep_server_log(service)
            if cfg.keep:
                print(f"# kept {service.tmpdir} (database {service.database_url})")
            else:
                shutil.rmtree(service.tmpdir, ignore_errors=True)
    print()
    print_table(doc["results"], doc["targets"])
    RESULTS.mkdir(exist_ok=True)
    db_name = cfg.database if service else "external"
    out = (
        Path(cfg.out)
        if cfg.out
        else RESULTS / (f"lrs-{db_name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json")
    )
    out.write_text(json.dumps(doc, indent=1))
    print(f"\nJSON: {out}")
    if service is not None and server_log:
        print(f"server errors: {server_log}")
    failed = sum(r.get("non_2xx", 0) + r.get("errors", 0) for r in doc["results"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
