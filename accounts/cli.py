"""``flask users ...``: accounts from the command line; passwords are printed once."""

from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup

from accounts import service
from core.db import db
from core.errors import AppError


@click.group(cls=AppGroup)
def users() -> None:
    """Portal accounts."""


@users.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator")
@click.option("--password", help="Default: a random one, printed once.")
def create_admin(email: str, name: str, password: str | None) -> None:
    """Create an admin account."""
    chosen = password
    password = password or secrets.token_urlsafe(12)
    try:
        service.create_user(email, name, password, role="admin")
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"admin {email} created" + ("" if chosen else f"; password: {password}"))


@users.command("reset-password")
@click.argument("email")
@click.option("--password", help="Default: a random one, printed once.")
def reset_password(email: str, password: str | None) -> None:
    """Set a new password for an account, lift its lockout and end its sessions."""
    user = service.find_user(email)
    if user is None:
        raise click.ClickException(f"No account {email}")
    chosen = password
    password = password or secrets.token_urlsafe(12)
    try:
        service.reset_password(user, password)
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    if chosen:
        click.echo(f"{user.email}: password changed; their sessions are ended")
    else:
        click.echo(f"{user.email}: new password: {password}  (shown once; sessions ended)")
