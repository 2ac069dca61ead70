"""``/healthz``, ``/readyz`` and ``/metrics``: for load balancers and Prometheus, no sign-in.

Answered on the portal's port and the content port alike (a load balancer checks each
node on each), never cached, and without secrets: checks are named, not explained.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST

from core.errors import AppError
from core.ops import bp, health, metrics


def _answer(body: dict[str, Any], status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def get_healthz() -> Response:
    """The process is alive and answering (touches neither database nor storage)."""
    return _answer({"status": "ok"}, 200)


@bp.get("/readyz")
def get_readyz() -> Response:
    """200 when every readiness check passes, 503 naming those that did not."""
    checks = health.run(current_app)
    ready = all(result == "ok" for result in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return _answer(body, 200 if ready else 503)


@bp.get("/metrics")
def get_metrics() -> Response:
    """Every process's metrics in Prometheus's text format, to whom the settings allow."""
    metrics.check_access(
        current_app.config, request.remote_addr, request.headers.get("Authorization", "")
    )
    body = metrics.exposition(str(current_app.config["PROMETHEUS_MULTIPROC_DIR"]))
    headers = {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}
    return Response(body, headers=headers)


def metrics_error(status: int, message: str, exc: AppError | None) -> Response:
    """An error of ``/metrics`` in JSON, whatever the scraper accepts."""
    response = jsonify({"status": status, "message": message})
    response.headers["Cache-Control"] = "no-store"
    return response
