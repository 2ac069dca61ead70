"""Operations: health checks, request ids in logs, Prometheus metrics (README, "Operations").

Kept light: gunicorn's master imports ``core.ops.logs`` (its JSON logger) before any
worker starts, so nothing here imports the metrics, the database or the jobs' queue
until ``init_app``.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from flask.signals import request_started

from core import origins
from core.errors import set_error_formatter

bp = Blueprint("ops", __name__)


def init_app(app: Flask) -> None:
    """Logs, health and metrics routes, the request layer; called last in the factory.

    The request layer (``middleware.Observed``) must wrap every other WSGI layer, so the
    factory calls this after the areas have added theirs.
    """
    from core import jobs
    from core.ops import backup_cli, health, logs, metrics, middleware, views

    logs.check_format(str(app.config["LOG_FORMAT"]))
    if not app.testing:
        logs.configure(str(app.config["LOG_FORMAT"]), app.logger)
    app.register_blueprint(bp)
    origins.allow_on_content_host(app, bp.name)
    set_error_formatter(app, "/metrics", views.metrics_error)
    health.add_check(app, "database", health.database)
    health.add_check(app, "migrations", health.migrations)
    metrics.connect(jobs.huey)
    request_started.connect(middleware.note_route, app)
    app.wsgi_app = middleware.Observed(app.wsgi_app)  # type: ignore[method-assign]
    app.cli.add_command(backup_cli.backup_group)
