"""Player: launching content, the SCORM runtime, attempts, sequencing, cmi5 and xAPI launch.

Two blueprints: ``bp`` under ``/player`` and ``launch_bp`` with the portal's launch entry
``/courses/<id>/launch``. Under ``/player``, the player page ``/player/<token>`` is served
on the portal's origin; the runtime frame (scorm-again), the runtime JSON API and the cmi5
fetch URL on ``CONTENT_ORIGIN`` like the content itself (DESIGN.md, security model;
player/views.py describes the layers).
"""

from __future__ import annotations

from flask import Blueprint, Flask

from core import origins

bp = Blueprint(
    "player",
    __name__,
    url_prefix="/player",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
launch_bp = Blueprint("player_launch", __name__)


def init_app(app: Flask) -> None:
    """Register the player area (models for the migrations, blueprints)."""
    import player.models
    import player.views  # noqa: F401  (tables for the migrations; routes)

    app.register_blueprint(bp)
    app.register_blueprint(launch_bp)
    # The runtime frame, its scripts and JSON API, and the cmi5 fetch and return URLs
    # live on the content origin; the player page and the launch entries do not.
    origins.allow_on_content_host(
        app,
        *(
            f"{bp.name}.{name}"
            for name in (
                "runtime_frame",
                "returned",
                "scorm_again",
                "static",
                "post_commit",
                "post_navigate",
                "get_attempt",
                "post_cmi5_fetch",
            )
        ),
    )
