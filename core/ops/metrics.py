"""Prometheus metrics, summed over gunicorn's worker processes and the jobs' worker.

Under gunicorn each process writes its counters to files of its own in
``PROMETHEUS_MULTIPROC_DIR`` (gunicorn.conf.py sets it before any process imports
prometheus_client, empties it at start, and marks dead workers); a scrape of
``/metrics`` on any worker reads them all (prometheus_client's multi-process mode).
Without that directory (tests, ``flask run``) the process's own registry is answered.

Labels are bounded: a request is counted by the URL rule Flask matched
(``/player/<token>``), never the path it came with, so no token or id is a label.
A statement or commit is counted once its transaction has committed. The jobs' queue
depth is read from the queue when scraped.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from huey import Huey
from huey import signals as huey_signals
from huey.api import Task
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from core import jobs
from core.errors import Forbidden, NotFound, Unauthorized
from core.proxy import Network, parse_networks

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "kompetens_http_requests",
    "HTTP requests answered, by URL rule, method and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "kompetens_http_request_duration_seconds",
    "Time from a request's arrival to its answer's headers, by URL rule and method",
    ["route", "method"],
)
STATEMENTS = Counter(
    "kompetens_lrs_statements_stored",
    "Statements stored by the LRS (committed; a statement sent again unchanged is not counted)",
)
PLAYER_COMMITS = Counter(
    "kompetens_player_commits",
    "SCORM runtime commits stored (stored) or answered without storing (ignored: resent, review)",
    ["outcome"],
)
JOBS = Counter(
    "kompetens_jobs",
    "Background job runs by job and outcome: done, or failed (each failed attempt counts)",
    ["job", "outcome"],
)

FORWARDED = Counter(
    "kompetens_lrs_forwarded_statements",
    "Statements delivered to another LRS (lrs/forward_delivery.py), by target id",
    ["target"],
)
FORWARD_FAILURES = Counter(
    "kompetens_lrs_forwarding_failures",
    "Failed deliveries of a batch to another LRS (each attempt counts), by target id",
    ["target"],
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
NO_ROUTE = "none"  # answered before or without a URL rule (404, 408 of a stalled body)


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    """Count an answered request and its latency (labels bounded: unknown methods are one)."""
    route = route or NO_ROUTE
    method = method if method in _METHODS else "other"
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


# -- counted when the transaction commits ---------------------------------------------------

_PENDING = "kompetens.metrics_pending"


def count_after_commit(session: Session, counter: Counter, amount: float = 1) -> None:
    """Add ``amount`` to ``counter`` when ``session`` commits (nothing if it rolls back)."""
    if amount:
        session.info.setdefault(_PENDING, []).append((counter, amount))


def _after_commit(session: Session) -> None:
    for counter, amount in session.info.pop(_PENDING, ()):
        counter.inc(amount)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (one that committed took its
    # counts already); a savepoint's end changes nothing.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _job_finished(signal: str, task: Task, exc: BaseException | None = None, *_: Any) -> None:
    outcome = "done" if signal == huey_signals.SIGNAL_COMPLETE else "failed"
    JOBS.labels(task.name, outcome).inc()


_JOB_SIGNALS = (
    huey_signals.SIGNAL_COMPLETE,
    huey_signals.SIGNAL_ERROR,
    huey_signals.SIGNAL_TIMEOUT,
    huey_signals.SIGNAL_INTERRUPTED,
)


def connect(huey: Huey) -> None:
    """Count commits' statements and jobs' runs (connecting again changes nothing)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
    if _job_finished not in huey._signal.receivers.get(huey_signals.SIGNAL_COMPLETE, []):
        huey.signal(*_JOB_SIGNALS)(_job_finished)


# -- the scrape -------------------------------------------------------------------------------


class _QueueDepth:
    """The jobs' queue, read when scraped: jobs waiting for a worker, and scheduled ones."""

    def collect(self) -> Iterator[Metric]:
        try:
            pending, scheduled = jobs.huey.pending_count(), jobs.huey.scheduled_count()
        except Exception as exc:  # the queue (Redis) unreachable: the rest is still answered
            log.warning("metrics: the jobs' queue could not be read: %s", type(exc).__name__)
            return
        family = GaugeMetricFamily(
            "kompetens_jobs_queue_depth", "Background jobs in the queue, by state", labels=["state"]
        )
        family.add_metric(["pending"], pending)
        family.add_metric(["scheduled"], scheduled)
        yield family


# Collectors an area adds (``add_collector``): read when scraped, like the queue's depth.
COLLECTORS: list[Any] = []


def add_collector(collector: Any) -> None:
    """Answer ``collector.collect()``'s metrics in every scrape (added once)."""
    if all(type(c) is not type(collector) for c in COLLECTORS):
        COLLECTORS.append(collector)


class _ThisProcess:
    """The process's own registry (no multi-process directory)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def exposition(multiproc_dir: str) -> bytes:
    """The text exposition of every metric: all processes' (from ``multiproc_dir``) or ours."""
    registry = CollectorRegistry()
    if multiproc_dir:
        MultiProcessCollector(registry, path=multiproc_dir)
    else:
        registry.register(_ThisProcess())  # type: ignore[arg-type]
    registry.register(_QueueDepth())  # type: ignore[arg-type]
    for collector in COLLECTORS:
        registry.register(collector)
    return generate_latest(registry)


# -- who may scrape ---------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(setting: str) -> tuple[Network, ...]:
    return tuple(parse_networks(setting))


def _bearer(authorization: str) -> str:
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def check_access(config: Any, remote_addr: str | None, authorization: str) -> None:
    """Let a scrape through, or raise what an operator expects.

    404 when neither METRICS_TOKEN nor METRICS_NETWORKS is set (metrics off), 403 from an
    address outside METRICS_NETWORKS, 401 without the bearer token. Both set: both hold.
    """
    token, networks = str(config["METRICS_TOKEN"]), str(config["METRICS_NETWORKS"])
    if not token and not networks:
        raise NotFound()
    if networks and not _inside(remote_addr, _networks(networks)):
        raise Forbidden("Metrics are not served to this address")
    if token and not hmac.compare_digest(_bearer(authorization).encode(), token.encode()):
        raise Unauthorized("A bearer token is needed", headers={"WWW-Authenticate": "Bearer"})


def _inside(address: str | None, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)
