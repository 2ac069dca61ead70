"""gunicorn's settings for the service: ``make run`` starts ``gunicorn -c gunicorn.conf.py``.

Values come from config.py (the environment), so the server and the app agree on ports.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

from config import Config

# Prometheus metrics of every process (core/ops/metrics.py): each worker, and the jobs'
# worker, writes its counters to files in this directory, and a scrape sums them. It
# must be in the environment before any process imports prometheus_client (which
# reads it then), so it is set here, in the master, before workers are forked.
METRICS_DIR = Path(Config.PROMETHEUS_MULTIPROC_DIR or Path(Config.INSTANCE_PATH) / "metrics")
METRICS_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)
Config.PROMETHEUS_MULTIPROC_DIR = str(METRICS_DIR)

from prometheus_client import multiprocess  # noqa: E402  (after the directory is set)

from core import nodes  # noqa: E402  (after the directory is set: core imports metrics)

# Settings that cannot serve NODES nodes stop the server here, in the master, with a
# message (a worker failing the same check would only be started again and again).
nodes.check(vars(Config))

# The portal's port, and the content origin's (core/origins.py): uploaded content and the
# player's runtime run on CONTENT_PORT, another origin than the portal's.
bind = [f"{Config.HOST}:{Config.PORT}"]
if Config.CONTENT_PORT:
    bind.append(f"{Config.HOST}:{Config.CONTENT_PORT}")
workers = Config.WORKERS
# One greenlet per connection: a client that trickles its request (or never finishes it)
# holds a greenlet, not a worker, so the others are still answered (core/bodies.py reads
# every body before the app runs). PostgreSQL's driver (psycopg 3) waits cooperatively
# under gevent.
worker_class = "gevent"
worker_connections = 1000
accesslog = "-"
# Launch tokens, xAPI ``auth=`` and other secrets in request lines are redacted. LOG_FORMAT:
# "json", one JSON object a line (core/ops/logs.py), for gunicorn's messages and the
# access log alike; "text", gunicorn's lines with the request's id at the end.
if Config.LOG_FORMAT == "json":
    logger_class = "core.ops.logs.JsonLogger"
else:
    logger_class = "core.accesslog.RedactingLogger"
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
)


def when_ready(server: object) -> None:
    """Say where the service is, once it listens."""
    log = server.log  # type: ignore[attr-defined]
    log.info("Kompetens: the portal is at http://127.0.0.1:%s/", Config.PORT)
    if Config.CONTENT_PORT:
        log.info("Uploaded content is served from port %s (another origin)", Config.CONTENT_PORT)


# The background jobs' worker (core/jobs) starts and stops with the server, so `make run`
# needs nothing else; on a node that should only serve pages, JOBS_WITH_SERVER=0 (and run
# `flask jobs worker` where the jobs should run).
_jobs: dict[str, subprocess.Popen[bytes]] = {}


def on_starting(server: object) -> None:
    """Empty the metrics' directory (counts of an earlier run); start `flask jobs worker`."""
    for stale in METRICS_DIR.glob("*.db"):
        stale.unlink()
    if not Config.JOBS_WITH_SERVER:
        return
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"]
    _jobs["worker"] = subprocess.Popen(command)  # noqa: S603  (our own CLI)
    server.log.info("Background jobs: worker started (pid %s)", _jobs["worker"].pid)  # type: ignore[attr-defined]


def on_exit(server: object) -> None:
    """Stop the jobs' worker: SIGINT lets running jobs finish (30 s at most)."""
    worker = _jobs.pop("worker", None)
    if worker is None or worker.poll() is not None:
        return
    worker.send_signal(signal.SIGINT)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    server.log.info("Background jobs: worker stopped")  # type: ignore[attr-defined]


def child_exit(server: object, worker: object) -> None:
    """A worker ended: its live gauges go (its counters stay, and are still summed)."""
    multiprocess.mark_process_dead(worker.pid, str(METRICS_DIR))  # type: ignore[attr-defined]
