"""Portal: accounts, catalogue, my learning, authoring and reports (HTML pages)."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("portal", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    """Register the portal's pages, CSRF check, template helpers and CLI commands."""
    from portal import auth, cli, views  # noqa: F401  (views registers routes on bp)

    bp.before_request(auth.check_csrf)
    app.register_blueprint(bp)
    app.jinja_env.globals["csrf_token"] = auth.csrf_token
    app.jinja_env.globals["current_user"] = auth.current_user
    app.cli.add_command(cli.users)
    app.cli.add_command(cli.bootstrap)
