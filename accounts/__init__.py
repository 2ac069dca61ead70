"""Accounts: people, organisation units, sign-in, sessions and sign-in limits.

Below the LRS, the packages, the player and the portal, which all may use it; it uses
only core. ``agent_for`` gives a person's xAPI identity.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the accounts area (tables for the migrations, the ``users`` CLI, SCIM)."""
    # models: tables for the migrations; line: its session events keep the manager line.
    from accounts import cli, line, models, saml_models, scim  # noqa: F401

    app.cli.add_command(cli.users)
    scim.init_app(app)
