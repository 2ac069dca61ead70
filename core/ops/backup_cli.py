"""``flask backup create DIR`` and ``flask backup restore DIR`` (core/ops/backup.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from core.ops import backup, backup_s3


def _target() -> backup.Target:
    config = current_app.config
    bucket = None
    if config.get("STORAGE") == "s3":
        bucket = backup_s3.Bucket(
            str(config.get("S3_BUCKET") or ""),
            prefix=str(config.get("S3_PREFIX") or ""),
            endpoint_url=str(config.get("S3_ENDPOINT_URL") or ""),
            region=str(config.get("S3_REGION") or ""),
            access_key_id=str(config.get("S3_ACCESS_KEY_ID") or ""),
            secret_access_key=str(config.get("S3_SECRET_ACCESS_KEY") or ""),
        )
    return backup.Target(config["SQLALCHEMY_DATABASE_URI"], Path(config["STORAGE_PATH"]), bucket)


def _report(action: str, directory: Path, manifest: dict[str, Any], as_json: bool) -> None:
    files = manifest["files"]
    if as_json:
        click.echo(json.dumps({"directory": str(directory), **manifest}))
    else:
        click.echo(f"{action} {manifest['database']} backup in {directory}: {len(files)} files")


@click.group("backup", cls=AppGroup)
def backup_group() -> None:
    """Back the database and the storage up, or restore them into an empty instance."""


@backup_group.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@with_appcontext
def create_command(directory: Path, as_json: bool) -> None:
    """Dump the database and copy STORAGE_PATH (or the bucket) into DIRECTORY (new or empty)."""
    try:
        manifest = backup.create(_target(), directory)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    _report("made a", directory, manifest, as_json)


@backup_group.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@with_appcontext
def restore_command(directory: Path, as_json: bool) -> None:
    """Check DIRECTORY's checksums, then restore it into this empty instance."""
    try:
        manifest = backup.restore(_target(), directory)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    _report("restored a", directory, manifest, as_json)
