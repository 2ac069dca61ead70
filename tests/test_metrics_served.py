"""Operations as ``make run`` serves them: gunicorn with two workers and the jobs' worker,
JSON logs and a metrics token (gunicorn.conf.py, core/ops).

Real processes over sockets: ``/metrics`` on any worker sums the counts of every
process (each writes its own files in INSTANCE_PATH/metrics), workers killed and
replaced included; the JSON log holds the request ids sent back and no secret.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TOKEN = "served-metrics-token-0123456789"
LAUNCH = "Zq3x_Launch-Token-0123456789abcdefghijklmnop"
AUTH = "Basic c2VjcmV0LWtleTpzZWNyZXQtdmFsdWU="
ABOUT = "/xapi/about"
# An xAPI launch's query: its Basic credential in ``auth`` (xAPI launch, cmi5 §8.1).
LAUNCH_QUERY = urlencode({"auth": AUTH, "endpoint": "http://x/"})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Served:
    port: int
    content_port: int
    instance: Path
    log: Path
    process: subprocess.Popen[bytes]

    def get(self, path: str, headers: dict[str, str] | None = None, port: int = 0) -> Answer:
        # A new connection for each request, so the workers take turns accepting them.
        connection = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            body = response.read()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        finally:
            connection.close()

    def metrics(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        answer = self.get("/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert answer.status == 200, answer.body[:500]
        return _samples(answer.body.decode())


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _about_count(samples: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> float:
    """Requests to /xapi/about counted, whatever their status."""
    return sum(
        value
        for (name, labels), value in samples.items()
        if name == "kompetens_http_requests_total" and ("route", ABOUT) in labels
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    instance = tmp_path_factory.mktemp("ops") / "instance"
    port, content_port = _free_port(), _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SECRET_KEY", "STORAGE_PATH", "PROMETHEUS_MULTIPROC_DIR")
    }
    env.update(
        INSTANCE_PATH=str(instance),
        DATABASE_URL=f"sqlite:///{instance / 'kompetens.db'}",
        PORT=str(port),
        CONTENT_PORT=str(content_port),
        HOST="127.0.0.1",
        WORKERS="2",
        LOG_FORMAT="json",
        METRICS_TOKEN=TOKEN,
    )
    for command in (["db", "upgrade"], ["bootstrap"]):
        subprocess.run(  # noqa: S603  (our own CLI)
            [str(BIN / "flask"), "--app", "wsgi", *command],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    # Counts of an earlier run, which a start must not add to this one's.
    (instance / "metrics").mkdir(mode=0o700)
    (instance / "metrics" / "counter_1.db").write_bytes(b"left from an earlier run")
    log = instance / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603  (make run's command)
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(port, content_port, instance, log, process)
    deadline = time.monotonic() + 60
    while True:
        try:
            served.get("/healthz")
            served.get("/healthz", port=content_port)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError(log.read_text()) from None
            time.sleep(0.1)
    yield served
    process.terminate()
    process.wait(timeout=60)


def test_served_metrics_directory_is_emptied_at_start(served: Served) -> None:
    assert not (served.instance / "metrics" / "counter_1.db").exists()


def test_served_health_on_both_ports(served: Served) -> None:
    for port in (served.port, served.content_port):
        assert served.get("/healthz", port=port).status == 200
        ready = served.get("/readyz", port=port)
        assert ready.status == 200
        assert json.loads(ready.body)["checks"] == {
            "database": "ok",
            "migrations": "ok",
            "storage": "ok",
        }


def test_served_metrics_refused_without_the_token(served: Served) -> None:
    assert served.get("/metrics").status == 401
    assert served.get("/metrics", {"Authorization": "Bearer not-the-token"}).status == 401
    assert served.get("/metrics", {"Authorization": f"Bearer {TOKEN}"}).status == 200


def _counts_by_process(directory: Path) -> dict[int, float]:
    """Requests to /xapi/about each process wrote in its own file (counter_<pid>.db)."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for metric in MultiProcessCollector.merge([str(path)])
            for sample in metric.samples
        }
        counts[int(path.stem.split("_")[1])] = _about_count(samples)
    return {pid: count for pid, count in counts.items() if count}


def test_served_metrics_sum_every_worker(served: Served) -> None:
    """Counts from every process are summed, also those of workers that died.

    The workers that answered the first half are killed (gunicorn starts others), so the
    second half is certainly answered by other processes: the scrape must hold both.
    """
    before = _about_count(served.metrics())
    for _ in range(20):
        assert served.get(ABOUT).status < 500
    first = _counts_by_process(served.instance / "metrics")
    assert first, "no worker wrote its counts"
    for pid in first:
        os.kill(pid, signal.SIGKILL)
    for _ in range(20):
        assert served.get(ABOUT).status < 500
    after = _counts_by_process(served.instance / "metrics")
    assert len(after) >= 2, after  # at least one killed worker and one of its successors
    assert set(first) < set(after)
    assert _about_count(served.metrics()) == before + 40
    assert sum(after.values()) == before + 40


def test_served_jobs_counted_from_the_jobs_worker(served: Served) -> None:
    """The jobs' worker (another process) counts its runs: the outbox sweep it starts with."""
    done = frozenset({"job": "sweep_outbox", "outcome": "done"}.items())
    deadline = time.monotonic() + 60
    while (samples := served.metrics()).get(("kompetens_jobs_total", done), 0) < 1:
        assert time.monotonic() < deadline, "the jobs' worker counted no run"
        time.sleep(0.5)
    pending = frozenset({"state": "pending"}.items())
    assert ("kompetens_jobs_queue_depth", pending) in samples


def _log_lines(served: Served, request_ids: set[str]) -> list[dict[str, object]]:
    """The JSON log so far (every line must be JSON), once it holds the ids' access lines."""
    deadline = time.monotonic() + 30
    while True:
        lines = [json.loads(line) for line in served.log.read_text().splitlines() if line]
        logged = {line.get("request_id") for line in lines if line["logger"] == "gunicorn.access"}
        if request_ids <= logged or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def test_served_json_log_has_request_ids_and_no_secrets(served: Served) -> None:
    sent = {
        "launch-1": (f"/player/{LAUNCH}", {}),
        "api-commit-1": (f"/player/api/{LAUNCH}/attempt", {}),
        "xapi-auth-1": (f"{ABOUT}?{LAUNCH_QUERY}", {"Authorization": AUTH}),
    }
    ids = {}
    for request_id, (path, headers) in sent.items():
        answer = served.get(path, {**headers, "X-Request-ID": request_id})
        assert answer.headers["x-request-id"] == request_id
        ids[request_id] = path
    made = served.get("/login", {"X-Request-ID": "bad id with spaces"}).headers["x-request-id"]
    assert made != "bad id with spaces"
    served.get("/healthz", {"X-Request-ID": "health-1"}, port=served.content_port)
    served.get("/readyz", {"X-Request-ID": "ready-1"})
    lines = _log_lines(served, {*ids, made})
    access = {line["request_id"]: line for line in lines if line["logger"] == "gunicorn.access"}
    assert access["launch-1"]["path"] == "/player/[redacted]"
    assert access["api-commit-1"]["path"] == "/player/api/[redacted]/attempt"
    assert access["xapi-auth-1"]["path"] == f"{ABOUT}?auth=[redacted]&endpoint=http%3A%2F%2Fx%2F"
    assert access[made]["path"] == "/login"
    for line in access.values():
        assert {"time", "level", "message", "method", "status", "duration"} <= set(line)
    assert "health-1" not in access  # passing health checks are not logged
    assert "ready-1" not in access
    text = served.log.read_text()
    assert LAUNCH not in text
    assert AUTH.split()[1] not in text
