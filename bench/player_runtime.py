#!/usr/bin/env python3
"""Player benchmark over HTTP: SCORM commit round trips and player launch time.

Starts the service the way ``make run`` does (gunicorn, the Makefile's worker count) on a
throwaway SQLite or PostgreSQL database (bench/lrs_server.py), imports a corpus course,
creates --learners accounts with an open attempt and a launch token each, then:

  launch   GET /player/<token> (the player page) + GET /player/<token>/runtime (the
           runtime frame with the API) + POST /navigate "start" (the SCO's
           session and initial CMI), one learner after another: the server side of
           opening the player, p50/p95/p99
  commits  --learners simulated learners, each committing its CMI tree every --interval
           seconds (the shell's autocommit) for --duration seconds, the way player.js
           does: POST /player/api/<token>/commit with {sco, session, seq, cmi}; each
           learner's last commit is the terminate commit (session end, time accumulated,
           statements to the LRS). Round trip p50/p95/p99, errors, achieved rate.
  browser  optional (--browser): headless Chromium opens the player and waits until the
           SCO has called Initialize, --browser-runs times: launch time as a learner sees
           it (shell, scorm-again, content page, API discovery).

Clients are threads in separate processes, loopback only, every loop bounded in time.
Prints a table and writes JSON to bench/results/. See bench/README.md ("Player").
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing as mp
import os
import platform
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lrs_server
from lrs_http import check_loopback

RESULTS = Path(__file__).resolve().parent / "results"
CORPUS = lrs_server.REPO.parent / "shared" / "corpus" / "scorm"
COURSE = "golf_2004v3_runtime_basic_calls.zip"

SETUP = r"""
import json, sys
from datetime import datetime
from werkzeug.security import generate_password_hash
from core import create_app
from core.db import db
from packages import service as packages
from player import attempts
from accounts.models import User

count, path = int(sys.argv[1]), sys.argv[2]
app = create_app()
with app.app_context():
    result = packages.import_package(path, published=True, label="bench.zip")
    packages.set_published(result.course, True)
    password = generate_password_hash("bench-password", "pbkdf2:sha256:1000")
    users = [
        User(email=f"learner{i}@bench.example", name=f"Learner {i}", password_hash=password,
             role="learner", active=True, created_at=datetime(2026, 1, 1))
        for i in range(count)
    ]
    db.session.add_all(users)
    db.session.flush()
    tokens = [attempts.launch(user, result.course)[1] for user in users]
    db.session.commit()
print(json.dumps(tokens))
"""


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, math.ceil(p / 100 * len(ordered)) - 1)
    return ordered[rank] * 1000


class Client:
    """One keep-alive HTTP connection to the service (reopened when it closes).

    gunicorn closes a connection that stays idle past its keepalive (2 s), so a connection
    idle longer than ``IDLE_REOPEN`` is reopened before the request instead of finding
    that out by a failed send; the round trip then includes the connect, as a browser's
    would after 10 s of quiet.
    """

    IDLE_REOPEN = 1.5

    def __init__(self, base: str) -> None:
        check_loopback(base)
        host, port = base.split("//", 1)[1].split(":")
        self.host, self.port = host, int(port)
        self.conn: http.client.HTTPConnection | None = None
        self.used = 0.0

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if self.conn is not None and time.monotonic() - self.used > self.IDLE_REOPEN:
            self.conn.close()
            self.conn = None
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            self.used = time.monotonic()
            if resp.will_close:
                self.conn.close()
                self.conn = None
            return resp.status, payload
        raise AssertionError("unreachable")


def cmi_tree(step: int, final: bool) -> dict[str, Any]:
    """A SCORM 2004 CMI tree like the golf SCO's, with interactions growing over time."""
    tree: dict[str, Any] = {
        "location": str(step),
        "completion_status": "completed" if final else "incomplete",
        "suspend_data": "x" * 2000 + str(step),
        "progress_measure": str(min(1.0, step / 10)),
        "interactions": [
            {
                "id": f"q{i}",
                "type": "choice",
                "learner_response": "a",
                "result": "correct",
                "timestamp": "2026-11-26T10:00:00",
            }
            for i in range(min(step, 5))
        ],
    }
    if final:
        tree.update(
            success_status="passed",
            score={"scaled": "0.8", "raw": "80", "min": "0", "max": "100"},
            exit="suspend",
            session_time=f"PT{step * 10}S",
        )
    return tree


def start_session(client: Client, token: str) -> dict[str, Any] | None:
    """The learner's SCO session (navigation request "start"): its sco and session."""
    for _ in range(3):
        try:
            status, payload = client.request(
                "POST", f"/player/api/{token}/navigate", {"request": "start"}
            )
        except OSError:
            continue
        if status == 200:
            launch: dict[str, Any] = json.loads(payload)["launch"]
            return launch
    return None


def learner_loop(
    base: str,
    token: str,
    launch: dict[str, Any],
    interval: float,
    duration: float,
    begin_at: float,
    offset: float,
    out: list[Any],
) -> None:
    """One learner: from ``begin_at + offset`` commit every ``interval`` s; the last commit
    terminates the session."""
    client = Client(base)
    api = f"/player/api/{token}"
    time.sleep(max(0.0, begin_at + offset - time.time()))
    deadline = time.monotonic() + duration
    step = 0
    while True:
        step += 1
        final = time.monotonic() + interval > deadline
        body = {
            "sco": launch["sco"],
            "session": launch["session"],
            "seq": step,
            "terminate": final,
            "cmi": cmi_tree(step, final),
        }
        started = time.perf_counter()
        try:
            status, payload = client.request("POST", api + "/commit", body)
        except OSError as exc:
            status, payload = 0, type(exc).__name__.encode()
        elapsed = time.perf_counter() - started
        out.append(("terminate" if final else "commit", elapsed, status))
        if status != 200:
            out.append(("detail", 0.0, status, payload[:300].decode(errors="replace")))
        if final:
            return
        time.sleep(max(0.0, interval - elapsed))


def worker(
    base: str,
    tokens: list[str],
    args: tuple[float, float],
    ready: Any,
    go: Any,
    begin_at: Any,
    queue: Any,
    seed: int,
) -> None:
    """A client process: start its learners' sessions (a few at a time, not timed), say
    so, wait for the common start, then run one thread per learner."""
    interval, duration = args
    rng = random.Random(seed)
    client = Client(base)
    launches = [start_session(client, token) for token in tokens]
    ready.put(sum(1 for launch in launches if launch is None))
    go.wait()
    out: list[Any] = [("error", 0.0, 0) for launch in launches if launch is None]
    threading.stack_size(256 * 1024)
    threads = [
        threading.Thread(
            target=learner_loop,
            args=(
                base,
                token,
                launch,
                interval,
                duration,
                begin_at.value,
                rng.uniform(0, interval),
                out,
            ),
            daemon=True,
        )
        for token, launch in zip(tokens, launches, strict=True)
        if launch is not None
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + interval * 3 + 120)
    queue.put(out)


def bench_commits(
    base: str, tokens: list[str], args: argparse.Namespace, workers: list[int]
) -> dict[str, Any]:
    """The commit phase; ``workers``: the gunicorn worker pids, whose CPU time is read."""
    queue: Any = mp.Queue()
    ready: Any = mp.Queue()
    go = mp.Event()
    begin_at = mp.Value("d", 0.0)
    chunks = [tokens[i :: args.processes] for i in range(args.processes)]
    procs = [
        mp.Process(
            target=worker,
            args=(base, chunk, (args.interval, args.duration), ready, go, begin_at, queue, i),
        )
        for i, chunk in enumerate(chunks)
    ]
    for proc in procs:
        proc.start()
    # Sessions are started first (not measured); commits begin together at begin_at,
    # spread over one interval, like learners who opened the course at random times.
    failed_starts = sum(ready.get(timeout=600 + len(tokens)) for _ in procs)
    begin_at.value = time.time() + 1.0 + len(tokens) / 2000
    time.sleep(max(0.0, begin_at.value - time.time()))
    cpu0, machine0 = lrs_server.process_jiffies(workers), lrs_server.machine_jiffies()
    go.set()
    results: list[Any] = []
    for _ in procs:
        results.extend(queue.get(timeout=args.duration + args.interval * 3 + 240))
    wall = time.time() - begin_at.value  # the commit phase
    cpu1, machine1 = lrs_server.process_jiffies(workers), lrs_server.machine_jiffies()
    for proc in procs:
        proc.join(30)
    details = [r for r in results if r[0] == "detail"]
    results = [r for r in results if r[0] != "detail"]
    commits = [r[1] for r in results if r[0] == "commit" and r[2] == 200]
    terminates = [r[1] for r in results if r[0] == "terminate" and r[2] == 200]
    everything = commits + terminates
    errors = [r for r in results if r[2] != 200]
    worker_cpu_s = (cpu1 - cpu0) / os.sysconf("SC_CLK_TCK")
    answered = len(everything)
    return {
        "learners": len(tokens),
        "interval_s": args.interval,
        "duration_s": args.duration,
        "requests": len(results),
        "errors": len(errors),
        "failed_session_starts": failed_starts,
        "error_statuses": dict(Counter(str(r[2]) for r in errors)),
        "error_samples": sorted({f"{r[2]} {r[3]}" for r in details})[:5],
        "rate_per_s": round(len(results) / wall, 1),
        "commit_p50_ms": round(percentile(commits, 50), 1),
        "commit_p95_ms": round(percentile(commits, 95), 1),
        "commit_p99_ms": round(percentile(commits, 99), 1),
        "terminate_p50_ms": round(percentile(terminates, 50), 1),
        "terminate_p95_ms": round(percentile(terminates, 95), 1),
        "all_p95_ms": round(percentile(everything, 95), 1),
        "all_max_ms": round(max(everything) * 1000, 1) if everything else None,
        # Worker CPU per answered commit (terminates included), robust to a busy machine.
        "worker_cpu_ms_per_commit": round(1000 * worker_cpu_s / answered, 2) if answered else None,
        "workers_cpu_cores": round(worker_cpu_s / wall, 2),
        "machine_cpu_busy_pct": round(
            100 * (machine1[0] - machine0[0]) / max(1, machine1[1] - machine0[1]), 1
        ),
        "loadavg_after": lrs_server.loadavg(),
    }


def bench_launch(base: str, tokens: list[str]) -> dict[str, Any]:
    client = Client(base)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
    shell: list[float] = []
    start: list[float] = []
    both: list[float] = []
    for token in tokens:
        t0 = time.perf_counter()
        # The player page, then the runtime frame it holds (scorm-again, the API).
        status, _ = client.request("GET", f"/player/{token}")
        frame, _ = client.request("GET", f"/player/{token}/runtime?ui={quote(origin, safe='')}")
        t1 = time.perf_counter()
        status2, _ = client.request("POST", f"/player/api/{token}/navigate", {"request": "start"})
        t2 = time.perf_counter()
        if status == 200 and frame == 200 and status2 == 200:
            shell.append(t1 - t0)
            start.append(t2 - t1)
            both.append(t2 - t0)
    return {
        "launches": len(both),
        "shell_p50_ms": round(percentile(shell, 50), 1),
        "shell_p95_ms": round(percentile(shell, 95), 1),
        "start_p50_ms": round(percentile(start, 50), 1),
        "start_p95_ms": round(percentile(start, 95), 1),
        "launch_p50_ms": round(percentile(both, 50), 1),
        "launch_p95_ms": round(percentile(both, 95), 1),
    }


def bench_browser(base: str, tokens: list[str]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    times: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        for token in tokens:
            context = browser.new_context()
            page = context.new_page()
            page.on("dialog", lambda d: d.accept())
            t0 = time.perf_counter()
            page.goto(f"{base}/player/{token}")
            # Polled through evaluate: wait_for_function compiles its predicate with eval
            # in the page, which the player's Content-Security-Policy refuses (as in
            # tests/browser/helpers.py); every few ms, so the figure is a few ms late.
            deadline = time.monotonic() + 30
            while not page.evaluate(
                "window.kompetensPlayer && window.kompetensPlayer.running === true"
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError("the SCO did not call Initialize within 30 s")
                time.sleep(0.005)
            times.append(time.perf_counter() - t0)
            context.close()
        browser.close()
    return {
        "runs": len(times),
        "to_initialize_p50_ms": round(percentile(times, 50), 1),
        "to_initialize_p95_ms": round(percentile(times, 95), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=lrs_server.makefile_workers())
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--launches", type=int, default=100)
    parser.add_argument("--browser", action="store_true")
    parser.add_argument("--browser-runs", type=int, default=10)
    args = parser.parse_args()
    args.duration = min(args.duration, 900.0)

    service = lrs_server.Service(args.database, args.workers)
    try:
        service.setup()  # database (PostgreSQL: created), migrations, a credential
        env = service.env()
        needed = args.learners + args.launches + (args.browser_runs if args.browser else 0)
        out = subprocess.run(
            [str(lrs_server.VENV_BIN / "python"), "-c", SETUP, str(needed), str(CORPUS / COURSE)],
            cwd=lrs_server.REPO,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        tokens: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
        service.start()
        base = f"http://127.0.0.1:{service.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                Client(base).request("GET", "/xapi/about")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        launch_tokens = tokens[args.learners : args.learners + args.launches]
        browser_tokens = tokens[args.learners + args.launches :]
        report: dict[str, Any] = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.node()} {os.cpu_count()} CPUs, {platform.python_version()}",
            "database": args.database,
            "workers": args.workers,
            "server_log": str(service.log_path),
            "course": COURSE,
            "launch": bench_launch(base, launch_tokens),
            "loadavg_before": lrs_server.loadavg(),
        }
        assert service.proc is not None  # started above
        workers = lrs_server.children(service.proc.pid)
        report["commits"] = bench_commits(base, tokens[: args.learners], args, workers)
        if args.browser:
            report["browser"] = bench_browser(base, browser_tokens)
    finally:
        service.stop()
    RESULTS.mkdir(exist_ok=True)
    name = RESULTS / f"player-{args.database}-{int(time.time())}.json"
    name.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(f"written to {name}")
    c = report["commits"]
    print(
        f"worker CPU per commit {c['worker_cpu_ms_per_commit']} ms "
        f"({c['workers_cpu_cores']} cores), load average {report['loadavg_before']} before"
    )
    # The last line, for a script.
    print(
        f"player: {c['learners']} learners, {c['rate_per_s']} commits/s, "
        f"commit p95 {c['commit_p95_ms']} ms, errors {c['errors']}"
    )


if __name__ == "__main__":
    main()
