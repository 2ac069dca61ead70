"""``flask scim token create|list|revoke``: the provisioning clients' bearer tokens."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from accounts.scim import tokens
from core.cli import committed


@click.group(cls=AppGroup)
def scim() -> None:
    """SCIM provisioning (/scim/v2)."""


@scim.group()
def token() -> None:
    """Bearer tokens of provisioning clients (Microsoft Entra ID and others)."""


@token.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help='Print {"token": "..."}.')
def create(name: str, as_json: bool) -> None:
    """Make a token; it is printed once and stored only hashed."""
    secret = committed(lambda: tokens.create_token(name))
    if as_json:
        click.echo(json.dumps({"token": secret}))
    else:
        click.echo(f"SCIM token {name}: {secret}  (shown once)")


@token.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_(as_json: bool) -> None:
    """List the tokens (names and dates; the tokens themselves are not stored)."""
    rows = [
        {
            "name": t.name,
            "created": t.created_at.isoformat(timespec="seconds"),
            "revoked": t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else None,
        }
        for t in tokens.list_tokens()
    ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        state = f"revoked {row['revoked']}" if row["revoked"] else "live"
        click.echo(f"{row['name']}\tcreated {row['created']}\t{state}")


@token.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Revoke a token: the client using it is refused from now on."""
    committed(lambda: tokens.revoke_token(name))
    click.echo(f"SCIM token {name} revoked")
