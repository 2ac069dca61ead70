"""Portal: sign-in pages, catalogue, my learning, authoring, reports and admin (HTML pages)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask

bp = Blueprint(
    "portal",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/portal-static",
)

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def init_app(app: Flask) -> None:
    """Register the portal's pages (and their CSRF check), template helpers and CLI commands."""
    from accounts import auth
    from accounts.signals import line_changed, people_changed
    from lrs.signals import statements_stored
    from player.signals import attempt_started
    from portal import (
        approval_notices,
        booking_notices,
        cli,
        csrf,
        i18n,
        line_rollup,
        projection,
        requirements,
        retention_cli,
        review_notices,
        table_regions,
        tasks,
        views,
    )

    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Stockholm")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    i18n.init_app(app)
    # Wide tables scroll in a named, focusable region of their own (phones).
    app.jinja_env.add_extension(table_regions.TableRegions)
    app.register_blueprint(bp)
    app.register_blueprint(views.saml.bp)  # SAML's own: the IdP's POSTs carry no CSRF token
    app.jinja_env.globals["csrf_token"] = csrf.csrf_token
    app.jinja_env.globals["current_user"] = auth.current_user
    app.jinja_env.globals["has_role"] = auth.has_role
    app.cli.add_command(cli.bootstrap)
    app.cli.add_command(cli.demo_group)
    # The completions table kept in step with the LRS (connecting again changes nothing).
    statements_stored.connect(projection.project_statements)
    # An attempt begun: mandatory training counts its person as in progress.
    attempt_started.connect(requirements.on_attempt_started)
    # People created or changed join or leave the audiences of mandatory training.
    people_changed.connect(requirements.on_people_changed)
    # People who enter or leave a manager's line bring their completions to the line's totals.
    line_changed.connect(line_rollup.move)
    # Bookings confirmed, promoted, changed or cancelled: a message with the invitation.
    booking_notices.connect()
    # Bookings waiting for a manager, approved or refused: the manager or the person told.
    approval_notices.connect()
    # A version submitted for review, approved or returned: the people whose turn it is.
    review_notices.connect()
    app.cli.add_command(cli.requirements_group)
    app.cli.add_command(retention_cli.retention_group)
    # The background jobs (core/jobs) this area declares: sending mail, reminders, digests.
    tasks.init_app()
