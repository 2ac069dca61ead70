"""``flask credentials ...``: create, list and revoke LRS credentials."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import AppGroup

from core.cli import committed
from lrs import auth


@click.group(cls=AppGroup)
def credentials() -> None:
    """LRS credentials (key/secret with xAPI scopes)."""


@credentials.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(auth.SCOPES),
    help="An xAPI scope; repeat for several (default: statements/write, statements/read/mine).",
)
@click.option("--authority-email", help="mbox of the authority agent (default: an account agent).")
@click.option(
    "--trusted",
    is_flag=True,
    help="Its completed/passed/failed statements count in reports (a source of results "
    "the organisation trusts, such as another LMS); others count only inside a launch.",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"key", "secret"} as JSON.')
def create(
    name: str, scopes: tuple[str, ...], authority_email: str | None, trusted: bool, as_json: bool
) -> None:
    """Create a credential; the secret is shown once."""
    chosen = list(scopes) or ["statements/write", "statements/read/mine"]
    authority = (
        {"objectType": "Agent", "name": name, "mbox": f"mailto:{authority_email}"}
        if authority_email
        else None
    )
    credential, secret = committed(
        lambda: auth.create_credential(name, chosen, authority, trusted=trusted)
    )
    if as_json:
        click.echo(json.dumps({"key": credential.key, "secret": secret}))
    else:
        click.echo(f"name:   {credential.name}")
        click.echo(f"key:    {credential.key}")
        click.echo(f"secret: {secret}   (shown once)")
        click.echo(f"scopes: {' '.join(credential.scopes)}")
        if credential.trusted:
            click.echo("trusted: its results count in reports")


@credentials.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_(as_json: bool) -> None:
    """List credentials (never their secrets)."""
    rows: list[dict[str, Any]] = [
        {
            "key": c.key,
            "name": c.name,
            "scopes": c.scopes,
            "trusted": c.trusted,
            "created": c.created_at.isoformat(timespec="seconds"),
            "revoked": c.revoked_at.isoformat(timespec="seconds") if c.revoked_at else None,
        }
        for c in auth.list_credentials()
    ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        state = f"revoked {row['revoked']}" if row["revoked"] else "active"
        click.echo(f"{row['key']}  {row['name']:<24} {' '.join(row['scopes']):<40} {state}")


@credentials.command("revoke")
@click.argument("key")
def revoke(key: str) -> None:
    """Revoke the credential with this key."""
    committed(lambda: auth.revoke_credential(key))
    click.echo(f"revoked {key}")
