"""Portal: accounts, catalogue, my learning, authoring and reports (HTML pages)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the portal's CLI commands (pages come with the portal issue)."""
    from portal import cli

    app.cli.add_command(cli.users)
    app.cli.add_command(cli.bootstrap)
