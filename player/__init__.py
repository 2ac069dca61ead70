"""Player: launching content, the SCORM runtime, attempts, sequencing, cmi5 and xAPI launch.

One blueprint, ``bp`` under ``/player``; the launch entries (``/courses/<id>/launch``,
``review``, ``preview``), which decide who may take a course, are the portal's
(portal/views/launch.py) and call ``player.attempts`` and ``player.review``. The player
page ``/player/<token>`` is served on the portal's origin; the runtime frame
(scorm-again), the runtime JSON API and the cmi5 fetch URL on the content origin like
the content itself (core/origins.py; player/views.py describes the layers).
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


def init_app(app: Flask) -> None:
    """Register the player area (models for the migrations, blueprints)."""
    import player.models
    import player.views  # noqa: F401  (tables for the migrations; routes)
    from accounts import signals
    from lrs import archive_parts
    from player import attempt_archive, deactivation

    # A deactivated person's launch tokens end at once (accounts/signals.py).
    signals.deactivated.connect(deactivation.end_launches)
    # ``flask lrs export --attempts`` / ``flask lrs import`` carry attempts this way.
    archive_parts.register(attempt_archive.PART)

    app.register_blueprint(bp)
    # The runtime frame, its scripts and JSON API, and the cmi5 fetch and return URLs
    # live on the content origin; the player page does not.
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
                "get_owner",
                "post_cmi5_fetch",
            )
        ),
    )
