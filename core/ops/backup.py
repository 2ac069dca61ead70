"""Backup and restore of an instance: the database and the storage, with a manifest.

A backup is a directory: ``database.pgdump`` (``pg_dump --format=custom``) or
``database.sqlite`` (SQLite's online backup API, a consistent copy while the service
runs), ``storage/`` (a copy of STORAGE_PATH without its staging ``tmp/``, or with
STORAGE=s3 the bucket's objects, core/ops/backup_s3.py) and
``manifest.json`` (what kind of database, its migration, and the sha256 and size of
every file).  The database is dumped first and the storage copied after: storage only
grows (content-addressed, written before the row that names it commits), so every file
the dump names is in the copy.

Restore checks every checksum first, then fills an EMPTY database (``pg_restore`` in one
transaction; the SQLite file copied into place) and an empty STORAGE_PATH (or an empty
bucket/prefix).  The restored instance answers as the original did
(tests/ops/test_backup.py compares statement and document GETs byte for byte).
Passwords never go on a command line: PostgreSQL's connection settings reach
pg_dump/pg_restore through the PG* environment variables.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy.engine import URL, make_url

from core import files
from core.ops import backup_s3

FORMAT = "kompetens-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.pgdump"
SQLITE_COPY = "database.sqlite"
STORAGE = "storage"
READ_SIZE = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


@dataclass(frozen=True)
class Target:
    """Where an instance keeps its data: its database URL and STORAGE_PATH (or bucket)."""

    database_url: str
    storage_path: Path
    bucket: backup_s3.Bucket | None = None  # STORAGE=s3: the files are there

    @property
    def url(self) -> URL:
        """The database URL, parsed."""
        return make_url(self.database_url)

    @property
    def kind(self) -> str:
        """``postgresql`` or ``sqlite``."""
        return "postgresql" if self.url.get_backend_name() == "postgresql" else "sqlite"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(READ_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_environment(url: URL) -> dict[str, str]:
    """The PG* settings of ``url``, for pg_dump and pg_restore (no password in argv)."""
    env = dict(os.environ)
    for name, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[name] = str(value)
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(  # noqa: S603  (fixed programs; settings in the environment)
        command, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _migration(target: Target) -> list[str]:
    """The database's Alembic revision(s), recorded in the manifest."""
    from sqlalchemy import create_engine, text

    engine = create_engine(target.database_url)
    try:
        with engine.connect() as connection:
            return sorted(
                connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            )
    finally:
        engine.dispose()


def create(target: Target, directory: Path) -> dict[str, Any]:
    """Back ``target`` up into ``directory`` (new or empty); returns the manifest."""
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty; back up into a new directory")
    files.private_dir(directory)
    migration = _migration(target)
    if target.kind == "postgresql":
        dump = directory / PG_DUMP
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"],
            _pg_environment(target.url),
        )
    else:
        dump = directory / SQLITE_COPY
        source = sqlite3.connect(f"file:{_sqlite_path(target.url)}?mode=ro", uri=True)
        copy = sqlite3.connect(dump)
        try:
            source.backup(copy)  # consistent while the service writes
        finally:
            copy.close()
            source.close()
    files.private(dump)
    if target.bucket is not None:
        _in_bucket(backup_s3.download, target.bucket, files.private_dir(directory / STORAGE))
    elif target.storage_path.is_dir():
        shutil.copytree(
            target.storage_path, directory / STORAGE, ignore=shutil.ignore_patterns("tmp")
        )
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": target.kind,
        "migration": migration,
        "files": {
            path.relative_to(directory).as_posix(): {
                "sha256": _sha256(path),
                "size": path.stat().st_size,
            }
            for path in sorted(directory.rglob("*"))
            if path.is_file()
        },
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def verify(directory: Path) -> dict[str, Any]:
    """The backup's manifest, once every file matches its checksum (and none is added)."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{directory} holds no {MANIFEST}: not a backup") from None
    except ValueError:
        raise BackupError(f"{directory / MANIFEST} is not JSON") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise BackupError(f"{directory} is not a backup this Kompetens reads")
    listed: dict[str, Any] = manifest.get("files") or {}
    present = {
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }
    for name in sorted(present ^ set(listed)):
        raise BackupError(f"{name}: in the directory or the manifest, not both")
    for name, expected in sorted(listed.items()):
        path = directory / name
        if path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            raise BackupError(f"{name} has been changed since the backup was made")
    return manifest


def _check_empty(target: Target) -> None:
    if target.kind == "postgresql":
        from sqlalchemy import create_engine, text

        engine = create_engine(target.database_url)
        try:
            with engine.connect() as connection:
                tables = connection.execute(
                    text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
                ).scalar_one()
        finally:
            engine.dispose()
        if tables:
            raise BackupError("The database is not empty: restore into a new, empty database")
    else:
        path = _sqlite_path(target.url)
        if path.exists() and path.stat().st_size > 0:
            raise BackupError(f"{path} exists: restore into a new instance")
    storage = target.storage_path
    if target.bucket is not None:
        if not _in_bucket(backup_s3.is_empty, target.bucket):
            where = f"s3://{target.bucket.name}/{target.bucket.key_prefix}"
            raise BackupError(f"{where} is not empty: restore into an empty bucket or prefix")
    elif storage.exists() and any(storage.iterdir()):
        raise BackupError(f"STORAGE_PATH {storage} is not empty: restore into a new instance")


def restore(target: Target, directory: Path) -> dict[str, Any]:
    """Restore the backup in ``directory`` into the empty ``target``; returns its manifest."""
    manifest = verify(directory)
    if manifest["database"] != target.kind:
        raise BackupError(f"This is a {manifest['database']} backup; DATABASE_URL is {target.kind}")
    _check_empty(target)
    if target.kind == "postgresql":
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={target.url.database}",
                str(directory / PG_DUMP),
            ],
            _pg_environment(target.url),
        )
    else:
        path = _sqlite_path(target.url)
        files.private_dir(path.parent)
        partial = path.with_name(path.name + ".restoring")
        shutil.copyfile(directory / SQLITE_COPY, partial)
        os.chmod(partial, 0o600)
        partial.rename(path)  # whole or not at all
    if (directory / STORAGE).is_dir() and target.bucket is not None:
        _in_bucket(backup_s3.upload, target.bucket, directory / STORAGE)
    elif (directory / STORAGE).is_dir():
        files.private_dir(target.storage_path.parent)
        shutil.copytree(directory / STORAGE, target.storage_path, dirs_exist_ok=True)
    return manifest


def _in_bucket(step: Callable[..., Any], *args: Any) -> Any:
    """Run a bucket step; a refused key or an S3 error becomes a BackupError."""
    try:
        return step(*args)
    except (backup_s3.BucketError, BotoCoreError, ClientError) as exc:
        raise BackupError(f"The bucket: {exc}") from None
