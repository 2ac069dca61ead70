"""``flask users ...``: accounts from the command line; passwords are printed once."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import click
from flask.cli import AppGroup

from accounts import people_import, service
from core.cli import committed
from core.db import db


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
    committed(lambda: service.create_user(email, name, password, role="admin"))
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
    committed(lambda: service.reset_password(user, password))
    if chosen:
        click.echo(f"{user.email}: password changed; their sessions are ended")
    else:
        click.echo(f"{user.email}: new password: {password}  (shown once; sessions ended)")


@users.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only report what would change.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_people(path: Path, dry_run: bool, as_json: bool) -> None:
    """People from an HR export (CSV, ; or , separated, UTF-8): all rows or none.

    Exits 1 when a row is rejected (nothing is changed then), naming row, column and why.
    """
    result = people_import.plan(path.read_bytes(), db.session)
    if not dry_run and not result.rejected:
        people_import.apply(result, db.session)
        db.session.commit()
    else:
        db.session.rollback()
    if as_json:
        click.echo(json.dumps(result.as_dict(dry_run), ensure_ascii=False, default=str))
    else:
        verb = "would be" if dry_run or result.rejected else "were"
        click.echo(
            f"{result.rows} rows: {result.created_count} people {verb} added, "
            f"{result.updated_count} {verb} changed, {result.unchanged} unchanged."
        )
        for row in result.rejected:
            click.echo(f"row {row.row}, {row.column or 'file'}: {row.reason}", err=True)
        if result.rejected:
            click.echo("Nothing was changed.", err=True)
    if result.rejected:
        raise SystemExit(1)
