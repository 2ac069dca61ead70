"""``flask retention run [--dry-run] [--json]`` and ``flask retention export-person``.

The same run as the nightly job and Admin → Retention (portal/retention.py); the
person's archive as the admin page gives it (portal/gdpr_export.py). Both are audited
with the command line as their actor.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from accounts import service
from core.db import db
from portal import gdpr_export, retention

ACTOR = "command line"


@click.group("retention")
def retention_group() -> None:
    """Retention (gallring) by the organisation's decisions, and access requests."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Show what would be removed; remove nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def retention_run(dry_run: bool, as_json: bool) -> None:
    """Remove what the active rules cull, except what legal holds keep (or show it)."""
    if dry_run:
        report = retention.dry_run()
        db.session.rollback()
    else:
        report = retention.run("cli", actor_name=ACTOR)
        db.session.commit()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, sort_keys=True))
        return
    click.echo("Dry run: nothing removed." if dry_run else f"Run {report.run_id} done.")
    for plan in report.as_dict()["rules"]:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(plan["counts"].items()))
        click.echo(
            f"{plan['decision']} ({plan['name']}): {counts}; "
            f"held {plan['held']}, in use {plan['in_use']}"
        )


@retention_group.command("export-person")
@click.argument("who")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the zip (created 0600).",
)
@with_appcontext
def export_person(who: str, out: Path) -> None:
    """A person's data (e-mail or user name) as one archive, for an access request."""
    user = service.find_user(who)
    if user is None:
        raise click.ClickException(f"No account {who!r}")
    body = gdpr_export.archive(user, None, ACTOR)
    out.touch(0o600)
    out.write_bytes(body)
    db.session.commit()
    click.echo(f"Wrote {out} ({len(body)} bytes).")
