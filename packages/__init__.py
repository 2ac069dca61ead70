"""Course packages: upload, validation, storage and serving.

Two blueprints: the JSON API for authors and scripts under ``/api/packages``, and the
package files under ``/content`` (which a separate ``CONTENT_ORIGIN`` host can serve;
DESIGN.md, security model).
"""

from __future__ import annotations

from flask import Blueprint, Flask

from core import origins
from core.ops import health

bp = Blueprint("packages", __name__, url_prefix="/api/packages")
content_bp = Blueprint("content", __name__, url_prefix="/content")


def init_app(app: Flask) -> None:
    """Register the packages area (models, blueprints, CLI) on the app."""
    from packages import models, review_models, service, views  # noqa: F401  (tables; routes)
    from packages.cli import packages_cli

    app.register_blueprint(bp)
    app.register_blueprint(content_bp)
    origins.allow_on_content_host(app, content_bp.name)
    app.cli.add_command(packages_cli)
    # A wrong STORAGE or missing S3_BUCKET stops the start, not the first upload.
    service.storage_from_settings(service.storage_settings(app.config))
    # /readyz: the configured backend can store a file and read it back.
    health.add_check(app, "storage", lambda: service.get_storage().check())
