"""``flask lrs export FILE`` and ``flask lrs import FILE``: the LRS whole, losslessly.

Progress goes to stderr (one line each time a part moves on by a tenth), the result to
stdout (``--json``: one JSON object). An import is one transaction: a refused or failed
one leaves the LRS as it was (empty).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from core.db import db
from core.errors import AppError
from lrs import archive_import, export


class _ProgressLines:
    """Progress on stderr: a line when a part starts, every tenth of it, and at its end."""

    def __init__(self) -> None:
        self.shown: tuple[str, int] | None = None

    def __call__(self, what: str, done: int, total: int) -> None:
        tenth = 10 if total <= 0 else min(10, done * 10 // total)
        if self.shown != (what, tenth):
            self.shown = (what, tenth)
            click.echo(f"{what}: {done}/{total}", err=True)


@click.group("lrs", cls=AppGroup)
def lrs_group() -> None:
    """The LRS as an archive: export it, import it into an empty instance."""


@lrs_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the manifest's counts as JSON.")
@click.option(
    "--attempts",
    "with_attempts",
    is_flag=True,
    help="Add the player's attempts and runtime data (learners and courses by stable keys).",
)
def export_command(file: Path, as_json: bool, with_attempts: bool) -> None:
    """Write every statement, attachment and document into a new zip FILE."""
    started = time.monotonic()
    # The attempts part is the player's (registered at app start: lrs.archive_parts).
    parts = ["attempts"] if with_attempts else []
    try:
        manifest = export.export_lrs(file, _ProgressLines(), parts)
    except FileExistsError:
        raise click.ClickException(f"{file} exists already; choose a new file name") from None
    seconds = round(time.monotonic() - started, 3)
    if as_json:
        click.echo(json.dumps({"file": str(file), "counts": manifest.counts, "seconds": seconds}))
    else:
        counts = ", ".join(f"{n} {what}" for what, n in manifest.counts.items())
        click.echo(f"exported {counts} into {file} in {seconds} s")


@lrs_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the counts (or the error) as JSON.")
@click.option(
    "--skip-missing-attempts",
    is_flag=True,
    help="Import the rest when an attempt's person or course version is not here.",
)
def import_command(file: Path, as_json: bool, skip_missing_attempts: bool) -> None:
    """Check FILE's checksums, then import it into this (empty) LRS in one transaction."""
    started = time.monotonic()
    options = {"skip_missing_attempts": skip_missing_attempts}
    try:
        counts = archive_import.import_lrs(file, _ProgressLines(), options)
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        if as_json:
            click.echo(json.dumps({"error": exc.message, "errors": exc.errors}))
            raise SystemExit(1) from None
        where = "; ".join(f"{e['path']}: {e['message']}" for e in exc.errors)
        raise click.ClickException(f"{exc.message} ({where})" if where else exc.message) from None
    except BaseException:
        db.session.rollback()
        raise
    seconds = round(time.monotonic() - started, 3)
    if as_json:
        click.echo(json.dumps({"file": str(file), "counts": counts, "seconds": seconds}))
    else:
        summary = ", ".join(f"{n} {what}" for what, n in counts.items())
        click.echo(f"imported {summary} from {file} in {seconds} s")
