"""``/metrics`` in one process: who may scrape, bounded labels, and what is counted
(requests, statements once committed, jobs and the queue). The several processes of
gunicorn are in tests/test_metrics_served.py."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from huey.storage import RedisStorage, SqliteStorage
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from core import jobs

TOKEN = "metrics-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
LAUNCH = "Zq3x_Launch-Token-0123456789abcdefghijklmnop"


@pytest.fixture
def metrics_on(app: Flask) -> Iterator[Flask]:
    """METRICS_TOKEN set for the test."""
    saved = app.config["METRICS_TOKEN"], app.config["METRICS_NETWORKS"]
    app.config.update(METRICS_TOKEN=TOKEN, METRICS_NETWORKS="")
    yield app
    app.config["METRICS_TOKEN"], app.config["METRICS_NETWORKS"] = saved


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_ops_metrics_off_without_settings(client: FlaskClient) -> None:
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 404


def test_ops_metrics_need_the_bearer_token(metrics_on: Flask, client: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.is_json
        assert "kompetens_" not in response.get_data(as_text=True)
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "kompetens_http_requests_total" in response.get_data(as_text=True)


def test_ops_metrics_from_allowed_networks(app: Flask, client: FlaskClient) -> None:
    saved = app.config["METRICS_TOKEN"], app.config["METRICS_NETWORKS"]
    app.config.update(METRICS_TOKEN="", METRICS_NETWORKS="10.0.0.0/8, 192.0.2.7")
    try:
        assert client.get("/metrics").status_code == 403  # the test client is 127.0.0.1
        inside = {"REMOTE_ADDR": "10.20.30.40"}
        assert client.get("/metrics", environ_base=inside).status_code == 200
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
        # Both set: both must hold.
        app.config["METRICS_TOKEN"] = TOKEN
        assert client.get("/metrics", environ_base=inside).status_code == 401
        assert client.get("/metrics", environ_base=inside, headers=BEARER).status_code == 200
        assert client.get("/metrics", headers=BEARER).status_code == 403
    finally:
        app.config["METRICS_TOKEN"], app.config["METRICS_NETWORKS"] = saved


def test_ops_metrics_count_requests_by_route_not_path(
    metrics_on: Flask, client: FlaskClient
) -> None:
    route = "/player/<string:token>"
    before = _value("kompetens_http_requests_total", route=route, method="GET", status="401")
    for _ in range(3):
        assert client.get(f"/player/{LAUNCH}").status_code == 401
    client.get("/no/such/page/" + LAUNCH)
    client.open("/healthz", method="BREW")
    text = client.get("/metrics", headers=BEARER).get_data(as_text=True)
    samples = _samples(text)
    key = frozenset({"route": route, "method": "GET", "status": "401"}.items())
    assert samples[("kompetens_http_requests_total", key)] == before + 3
    assert (
        samples[
            (
                "kompetens_http_request_duration_seconds_count",
                frozenset({"route": route, "method": "GET"}.items()),
            )
        ]
        >= 3
    )
    assert LAUNCH not in text
    unmatched = frozenset({"route": "none", "method": "GET", "status": "404"}.items())
    assert samples[("kompetens_http_requests_total", unmatched)] >= 1
    other = frozenset({"route": "none", "method": "other", "status": "405"}.items())
    assert samples[("kompetens_http_requests_total", other)] >= 1


def test_ops_metrics_count_statements_once_committed(xapi, make_statement) -> None:
    name = "kompetens_lrs_statements_stored_total"
    before = _value(name)
    assert xapi.post("statements", [make_statement(), make_statement()]).status_code == 200
    assert _value(name) == before + 2
    one = make_statement()
    assert xapi.post("statements", one).status_code == 200
    assert xapi.post("statements", one).status_code == 200  # the same again: stored once
    assert _value(name) == before + 3
    # A batch refused as a whole (a conflicting copy of a stored id) stores none.
    changed = {**one, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    assert xapi.post("statements", [make_statement(), changed]).status_code == 409
    assert _value(name) == before + 3


def test_ops_metrics_count_jobs_and_read_the_queue(
    metrics_on: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    saved = jobs.huey.storage
    jobs.huey.storage = SqliteStorage("kompetens", filename=str(tmp_path / "jobs.db"))
    try:
        jobs.enqueue("sweep_outbox")
        jobs.enqueue("import_people", "not/a/token", 1, "people.csv")
        samples = _samples(client.get("/metrics", headers=BEARER).get_data(as_text=True))
        pending = frozenset({"state": "pending"}.items())
        assert samples[("kompetens_jobs_queue_depth", pending)] == 2
        done = _value("kompetens_jobs_total", job="sweep_outbox", outcome="done")
        failed = _value("kompetens_jobs_total", job="import_people", outcome="failed")
        while (task := jobs.huey.dequeue()) is not None:
            # The import's bad token raises: huey records the failure and retries later.
            with contextlib.suppress(ValueError):
                jobs.huey.execute(task)
        assert _value("kompetens_jobs_total", job="sweep_outbox", outcome="done") == done + 1
        assert _value("kompetens_jobs_total", job="import_people", outcome="failed") == failed + 1
        samples = _samples(client.get("/metrics", headers=BEARER).get_data(as_text=True))
        assert samples[("kompetens_jobs_queue_depth", pending)] == 0
        scheduled = frozenset({"state": "scheduled"}.items())
        assert samples[("kompetens_jobs_queue_depth", scheduled)] == 1  # the retry
    finally:
        jobs.huey.storage = saved


def test_ops_metrics_answered_when_the_queue_is_unreachable(
    metrics_on: Flask, client: FlaskClient
) -> None:
    """Redis down (nothing listens on port 1): the rest of the metrics are still answered."""
    saved = jobs.huey.storage
    jobs.huey.storage = RedisStorage("kompetens", url="redis://127.0.0.1:1/5")
    try:
        response = client.get("/metrics", headers=BEARER)
        assert response.status_code == 200
        assert "kompetens_jobs_queue_depth" not in response.get_data(as_text=True)
        assert "kompetens_http_requests_total" in response.get_data(as_text=True)
    finally:
        jobs.huey.storage = saved


def test_ops_metrics_unknown_statement_id_is_no_label(
    metrics_on: Flask, client: FlaskClient, xapi
) -> None:
    """Ids in paths and queries never become labels (one series per URL rule)."""
    some_id = str(uuid.uuid4())
    xapi.get("statements", query={"statementId": some_id})
    assert some_id not in client.get("/metrics", headers=BEARER).get_data(as_text=True)
