"""``flask packages import FILE.zip [--json] [--course ID]``: bulk import of packages."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from accounts import audit
from core.db import db
from core.errors import AppError
from packages import service
from packages.report import PackageRefused, Problem

packages_cli = AppGroup("packages", help="Course packages (SCORM, cmi5, xAPI).")


def _fail(errors: list[Problem], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"errors": [e.as_dict() for e in errors]}, ensure_ascii=False))
    else:
        for e in errors:
            where = ":".join(str(x) for x in (e.file, e.line) if x is not None)
            click.echo(f"error: {where + ': ' if where else ''}{e.message}", err=True)
    sys.exit(1)


@packages_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--course", "course_id", type=int, help="Add a new version to this course.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--draft", is_flag=True, help="Do not offer this version to new attempts yet.")
@click.option("--publish", is_flag=True, help="Publish the (new) course in the catalogue.")
@click.option("--category", help="Category of a new course.")
@click.option("--unit", "owner_unit", help="Owning organisation unit, by code (default: everyone).")
def import_(
    file: Path,
    course_id: int | None,
    as_json: bool,
    draft: bool,
    publish: bool,
    category: str | None,
    owner_unit: str | None,
) -> None:
    """Import FILE.zip as a new course, or with --course as that course's next version.

    The command line is a way around course review (COURSE_REVIEW): without --draft the
    version is offered to learners at once, audited as published without review.
    """
    if not file.is_file():
        _fail([Problem(str(file), None, "No such file")], as_json)
    try:
        with audit.acting_as("command line"):
            result = service.import_package(
                file,
                course_id,
                category=category,
                owner_unit_id=service.owner_unit_id(owner_unit),
                published=not draft,
                label=file.name,
            )
            if publish:
                service.set_published(result.course, True)
        db.session.commit()
    except PackageRefused as exc:
        db.session.rollback()
        _fail(exc.errors, as_json)
        return
    except AppError as exc:
        db.session.rollback()
        _fail([Problem(None, None, exc.message)], as_json)
        return
    out = result.as_dict()
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    click.echo(
        f"course {out['course']} version {out['version']}: {out['kind']} {out['edition']}, "
        f"{len(out['launch'])} launchable, {result.version.file_count} files"
    )
    for w in result.warnings:
        where = ":".join(str(x) for x in (w.file, w.line) if x is not None)
        click.echo(f"warning: {where + ': ' if where else ''}{w.message}")
