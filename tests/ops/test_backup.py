"""Backup and restore (core/ops/backup.py): ``flask backup create`` on the suite's instance,
``flask backup restore`` into a new instance (an empty database, an empty storage), which
is then started as ``make run`` starts it (``flask db upgrade``, ``flask bootstrap``,
gunicorn with gunicorn.conf.py) and answers the statement and document GETs with the
same bytes as the original; the course files come back byte for byte.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from config import BASE_DIR
from tests.conftest import XapiClient
from tests.lrs import sample_lrs
from tests.portal.conftest import package_zip
from tests.s3_server import Bucket, S3Server

BIN = Path(sys.executable).parent


@dataclass
class Restored:
    env: dict[str, str]
    storage: Path


def _flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own CLI, fixed arguments)
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _fresh_target(app: Flask, directory: Path) -> Restored:
    directory.mkdir(exist_ok=True)
    url = sample_lrs.empty_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"], directory.name, directory
    )
    instance = directory / "restored"
    return Restored(sample_lrs.environment(url, instance), instance / "storage")


@pytest.fixture
def restored_target(app: Flask, tmp_path: Path) -> Restored:
    """A new instance: an empty database and an instance directory of its own."""
    url = sample_lrs.empty_database_url(app.config["SQLALCHEMY_DATABASE_URI"], "restore", tmp_path)
    instance = tmp_path / "restored"
    return Restored(sample_lrs.environment(url, instance), instance / "storage")


@contextmanager
def _serve(env: dict[str, str]) -> Iterator[int]:
    """gunicorn with gunicorn.conf.py, as ``make run`` starts it, on a free port."""
    settings = dict(
        env, HOST="127.0.0.1", PORT="0", CONTENT_PORT="0", WORKERS="1", JOBS_WITH_SERVER="false"
    )
    process = subprocess.Popen(  # noqa: S603  (our own server, fixed arguments)
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=BASE_DIR,
        env=settings,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:  # until it says where it listens (or exits)
            seen.append(line)
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
            if found:
                break
        assert found, "gunicorn did not start:\n" + "".join(seen)
        threading.Thread(target=process.stderr.read, daemon=True).start()
        yield int(found.group(1))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def _http_fetcher(port: int, auth: str) -> sample_lrs.Fetch:
    def fetch(path: str) -> sample_lrs.Answer:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request(
                "GET", path, headers={"Authorization": auth, "X-Experience-API-Version": "1.0.3"}
            )
            got = connection.getresponse()
            return sample_lrs.answer(got.status, dict(got.getheaders()), got.read())
        finally:
            connection.close()

    return fetch


def _client_fetcher(app: Flask, auth: str) -> sample_lrs.Fetch:
    client = app.test_client()

    def fetch(path: str) -> sample_lrs.Answer:
        got = client.get(path, headers={"Authorization": auth, "X-Experience-API-Version": "1.0.3"})
        return sample_lrs.answer(got.status_code, dict(got.headers), got.data)

    return fetch


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _backup(runner: FlaskCliRunner, directory: Path) -> dict[str, Any]:
    made = runner.invoke(args=["backup", "create", str(directory), "--json"])
    assert made.exit_code == 0, made.output
    manifest: dict[str, Any] = json.loads(made.stdout)
    return manifest


def test_backup_restored_instance_answers_the_same_bytes(
    app: Flask,
    runner: FlaskCliRunner,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    restored_target: Restored,
    tmp_path: Path,
) -> None:
    gets = sample_lrs.fill(xapi, make_statement)
    package = tmp_path / "course.zip"
    package.write_bytes(package_zip("Brandskydd"))
    assert runner.invoke(args=["packages", "import", str(package)]).exit_code == 0
    manifest = _backup(runner, tmp_path / "backup")
    kind = (
        "postgresql" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "sqlite"
    )
    assert manifest["database"] == kind
    assert any(name.startswith("storage/") for name in manifest["files"])

    env = restored_target.env
    done = _flask(env, "backup", "restore", str(tmp_path / "backup"))
    assert done.returncode == 0, done.stdout + done.stderr
    for step in (("db", "upgrade"), ("bootstrap",)):  # as ``make run`` does
        done = _flask(env, *step)
        assert done.returncode == 0, done.stdout + done.stderr

    original = Path(app.config["STORAGE_PATH"])
    assert _files(restored_target.storage) == {
        name: data for name, data in _files(original).items() if not name.startswith("tmp/")
    }
    with _serve(env) as port:
        compared = sample_lrs.assert_same_answers(
            gets, _client_fetcher(app, xapi.auth), _http_fetcher(port, xapi.auth)
        )
        assert compared > len(gets)


def test_backup_a_changed_file_is_refused_before_anything_is_restored(
    app: Flask,
    runner: FlaskCliRunner,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    restored_target: Restored,
    tmp_path: Path,
) -> None:
    sample_lrs.fill(xapi, make_statement)
    manifest = _backup(runner, tmp_path / "backup")
    dump = next(name for name in manifest["files"] if name.startswith("database."))
    path = tmp_path / "backup" / dump
    original = path.read_bytes()
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0xFF
    path.write_bytes(bytes(changed))
    refused = _flask(restored_target.env, "backup", "restore", str(tmp_path / "backup"))
    assert refused.returncode == 1
    assert "has been changed since the backup was made" in refused.stderr
    assert not restored_target.storage.exists()
    # Nothing was restored: with the file as it was, the same target takes the backup.
    path.write_bytes(original)
    done = _flask(restored_target.env, "backup", "restore", str(tmp_path / "backup"))
    assert done.returncode == 0, done.stderr


def test_backup_restore_refuses_an_instance_that_has_data(
    runner: FlaskCliRunner,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    restored_target: Restored,
    tmp_path: Path,
) -> None:
    assert xapi.post("statements", make_statement()).status_code == 200
    _backup(runner, tmp_path / "backup")
    assert (
        _flask(restored_target.env, "backup", "restore", str(tmp_path / "backup")).returncode == 0
    )
    again = _flask(restored_target.env, "backup", "restore", str(tmp_path / "backup"))
    assert again.returncode == 1
    assert "restore into a new" in again.stderr


def test_backup_into_a_directory_that_has_files_is_refused(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "keep.txt").write_text("mine")
    refused = runner.invoke(args=["backup", "create", str(tmp_path / "backup")])
    assert refused.exit_code == 1
    assert "not empty" in refused.output


def test_backup_with_storage_s3_copies_the_bucket_and_restores_into_an_empty_one(
    app: Flask,
    runner: FlaskCliRunner,
    on_s3: Bucket,
    s3_server: S3Server,
    restored_target: Restored,
    tmp_path: Path,
) -> None:
    package = tmp_path / "course.zip"
    package.write_bytes(package_zip("Brandskydd"))
    assert runner.invoke(args=["packages", "import", str(package)]).exit_code == 0
    stored = {key: _object(s3_server, on_s3.name, key) for key in on_s3.objects()}
    assert stored
    manifest = _backup(runner, tmp_path / "backup")
    backed = {
        name.removeprefix("storage/"): entry
        for name, entry in manifest["files"].items()
        if name.startswith("storage/")
    }
    assert set(backed) == set(stored)  # the layout of a STORAGE_PATH
    for key, data in stored.items():
        assert backed[key]["sha256"] == hashlib.sha256(data).hexdigest()

    empty = s3_server.create_bucket()
    env = {**restored_target.env, **s3_server.settings(empty, prefix="restored/")}
    done = _flask(env, "backup", "restore", str(tmp_path / "backup"))
    assert done.returncode == 0, done.stdout + done.stderr
    restored = {
        key.removeprefix("restored/"): _object(s3_server, empty, key)
        for key in s3_server.keys(empty)
    }
    assert restored == stored

    # A bucket/prefix that holds objects is refused (with a new, empty database).
    again = {**_fresh_target(app, tmp_path / "again").env, **s3_server.settings(empty, "restored")}
    refused = _flask(again, "backup", "restore", str(tmp_path / "backup"))
    assert refused.returncode == 1
    assert "is not empty: restore into an empty bucket or prefix" in refused.stderr


def _object(server: S3Server, bucket: str, key: str) -> bytes:
    data: bytes = server.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    return data
