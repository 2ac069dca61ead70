"""SCIM 2.0 provisioning (RFC 7643, RFC 7644) at ``/scim/v2``: Users and Groups.

Microsoft Entra ID and other identity providers provision and deprovision people here.

Part of accounts (it uses only accounts and core). ``discovery`` publishes what is
supported; ``users`` and ``groups`` map resources to rows; ``patch``, ``filters`` and
``listing`` implement PATCH, filters and queries; ``tokens`` the bearer tokens; errors
are answered in SCIM's format (``errors.answer``, registered with ``core.errors``).
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")


def init_app(app: Flask) -> None:
    """Register the SCIM blueprint, its error format and the ``scim`` CLI."""
    from accounts.scim import cli, errors, roles, views  # noqa: F401  (routes on bp)
    from core.errors import set_error_formatter

    # A wrong SCIM_GROUP_ROLES is found now, not at the first group change.
    roles.parse(str(app.config.get("SCIM_GROUP_ROLES") or ""))
    app.register_blueprint(bp)
    set_error_formatter(app, bp.url_prefix or "/scim/v2", errors.answer)
    app.cli.add_command(cli.scim)
