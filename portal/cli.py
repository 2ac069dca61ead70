"""``flask bootstrap``: the first admin and LRS credential; secrets printed once, never stored.

``flask demo load``: a demo municipality to try the portal with (portal/demo.py).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from accounts import service
from config import BASE_DIR
from core.db import db, lock_for_setup
from lrs import auth
from portal import demo, requirements

ADMIN_EMAIL = "admin@example.org"
CLI = ".venv/bin/flask --app wsgi"


@click.command("bootstrap")
@with_appcontext
def bootstrap() -> None:
    """First run: create an admin and an all-scope LRS credential, and print them once.

    The password and the secret are shown only here, when they are created, and stored
    nowhere in clear (the database keeps their hashes). Later runs say how to set a new
    password or create a credential instead.
    """
    # Nodes started at once take turns: the first makes the admin, the others find it.
    lock_for_setup(db.session.connection())
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


@click.group("demo")
def demo_group() -> None:
    """A demo municipality to try the portal with."""


@demo_group.command("load")
@click.option(
    "--corpus",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Course exports to use (default: ../shared/corpus/scorm beside the checkout, if any).",
)
@with_appcontext
def demo_load(corpus: Path | None) -> None:
    """Build the demo organisation, its people, courses and a year of results (once)."""
    corpus = corpus or BASE_DIR.parent / "shared" / "corpus" / "scorm"
    made = demo.load(corpus if corpus.is_dir() else None)
    if not made.created:
        click.echo("The demo organisation is loaded already; nothing was changed.")
        return
    db.session.commit()
    click.echo(
        f"Demo loaded: {made.units} units, {made.people} people, {made.courses} e-learning"
        f" courses, {made.completions} completions over the last year.\n"
        f"Every demo account (…@{demo.DOMAIN}) has the password: {made.password}  (shown once)\n"
        f"Sign in as a manager, e.g. the first one listed under Admin → Users."
    )


@click.group("requirements")
def requirements_group() -> None:
    """Mandatory training (portal/requirements.py)."""


@requirements_group.command("refresh")
@with_appcontext
def requirements_refresh() -> None:
    """Bring every audience up to date (nightly, for changes made outside the application).

    Saving a requirement and changing people refresh it already; people changed in the
    database by other means join or leave here.
    """
    changed = requirements.refresh()
    db.session.commit()
    click.echo(f"{changed} memberships changed.")
