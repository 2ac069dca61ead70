"""``flask users ...`` and ``flask bootstrap``."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from core.db import db
from core.errors import AppError
from lrs import auth
from portal import service


@click.group(cls=AppGroup)
def users() -> None:
    """Portal accounts."""


@users.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator")
@click.option("--password", help="Default: a random one, printed once.")
def create_admin(email: str, name: str, password: str | None) -> None:
    """Create an admin account."""
    password = password or secrets.token_urlsafe(12)
    try:
        service.create_user(email, name, password, role="admin")
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"admin {email} created; password: {password}")


@click.command("bootstrap")
@with_appcontext
def bootstrap() -> None:
    """First run: create an admin and an all-scope LRS credential, and print them.

    They are printed at every start (from ``instance/first-run.json``, readable only by
    the owner) until that file is deleted, so ``make run`` always shows how to sign in.
    """
    path = Path(current_app.config["INSTANCE_PATH"]) / "first-run.json"
    if service.count_admins() == 0:
        password = secrets.token_urlsafe(12)
        service.create_user("admin@example.org", "Administrator", password, role="admin")
        credential, secret = auth.create_credential("first-run", ["all"])
        db.session.commit()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(
            json.dumps(
                {
                    "admin": {"email": "admin@example.org", "password": password},
                    "lrs": {"key": credential.key, "secret": secret},
                },
                indent=2,
            )
        )
        os.chmod(path, 0o600)
    if path.exists():
        info = json.loads(path.read_text())
        click.echo(
            "First admin:     "
            + info["admin"]["email"]
            + "  password: "
            + info["admin"]["password"]
        )
        click.echo(
            "LRS credentials: key " + info["lrs"]["key"] + "  secret " + info["lrs"]["secret"]
        )
        click.echo(f"(stored in {path}; delete that file once you have changed them)")
    else:
        click.echo("An admin exists already; first-run credentials were removed.")
