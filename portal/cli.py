"""``flask users ...`` and ``flask bootstrap``: secrets are printed once, never stored."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from core.db import db
from core.errors import AppError
from lrs import auth
from portal import service

ADMIN_EMAIL = "admin@example.org"
CLI = ".venv/bin/flask --app wsgi"


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


@click.command("bootstrap")
@with_appcontext
def bootstrap() -> None:
    """First run: create an admin and an all-scope LRS credential, and print them once.

    The password and the secret are shown only here, when they are created, and stored
    nowhere in clear (the database keeps their hashes). Later runs say how to set a new
    password or create a credential instead.
    """
    old = Path(current_app.config["INSTANCE_PATH"]) / "first-run.json"
    if old.exists():
        # Written by earlier versions, with the first secrets in clear.
        old.unlink()
        click.echo(f"Removed {old}, which held the first-run secrets in clear.")
    if service.count_admins() > 0:
        click.echo(
            "An admin account exists. To give an account a new password:\n"
            f"  {CLI} users reset-password EMAIL\n"
            "To create an LRS credential (its secret is shown once):\n"
            f"  {CLI} credentials create NAME --scope all"
        )
        return
    password = secrets.token_urlsafe(12)
    service.create_user(ADMIN_EMAIL, "Administrator", password, role="admin")
    credential, secret = auth.create_credential("first-run", ["all"])
    db.session.commit()
    click.echo(f"First admin:     {ADMIN_EMAIL}  password: {password}")
    click.echo(f"LRS credentials: key {credential.key}  secret {secret}")
    click.echo("Shown this once and stored nowhere: note them now, and change the password.")
