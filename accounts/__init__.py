"""Accounts: people, organisation units, sign-in, sessions and sign-in limits.

Below the LRS, the packages, the player and the portal, which all may use it; it uses
only core. ``agent_for`` gives a person's xAPI identity.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the accounts area (tables for the migrations, the ``users`` CLI, SCIM)."""
    from accounts import cli, models, saml_models, scim  # noqa: F401  (tables for the migrations)

    app.cli.add_command(cli.users)
    scim.init_app(app)
