"""Lossless export and import (lrs/export.py, lrs/archive_import.py) through the CLI.

The suite's LRS is filled with something of everything (tests/lrs/sample_lrs.py),
exported with ``flask lrs export``, imported with ``flask lrs import`` into a second
instance on an empty database of its own, and every statement GET (single, voided,
filtered with its ``more`` pages, attachments) and document GET answers the same bytes.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.db import db
from lrs import auth
from lrs.models import Statement
from tests.conftest import XapiClient, basic
from tests.lrs import sample_lrs


@pytest.fixture
def second(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second Kompetens on an empty database, migrated, with its own instance dir."""
    with sample_lrs.second_instance(app, "archive", tmp_path) as other:
        yield other


def _fetcher(flask_app: Flask, auth_header: str) -> sample_lrs.Fetch:
    client = flask_app.test_client()

    def fetch(path: str) -> sample_lrs.Answer:
        got = client.get(
            path, headers={"Authorization": auth_header, "X-Experience-API-Version": "1.0.3"}
        )
        return sample_lrs.answer(got.status_code, dict(got.headers), got.data)

    return fetch


def _all_scope(flask_app: Flask) -> str:
    with flask_app.app_context():
        credential, secret = auth.create_credential("reader", ["all"])
        db.session.commit()
        return basic(credential.key, secret)


def _cli(flask_app: Flask, *args: str) -> Any:
    return flask_app.test_cli_runner().invoke(args=list(args))


def _statement_count(flask_app: Flask) -> int:
    with flask_app.app_context():
        return db.session.scalar(select(func.count()).select_from(Statement)) or 0


def test_lrs_archive_round_trip_answers_the_same_bytes(
    app: Flask,
    second: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    gets = sample_lrs.fill(xapi, make_statement)
    archive = tmp_path / "lrs.zip"
    exported = _cli(app, "lrs", "export", str(archive), "--json")
    assert exported.exit_code == 0, exported.output
    counts = json.loads(exported.stdout)["counts"]
    assert counts["statements"] == 17
    assert counts["documents"] == 4
    assert counts["attachments"] == 1
    assert "statements: 17/17" in exported.stderr
    imported = _cli(second, "lrs", "import", str(archive), "--json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["counts"] == counts

    compared = sample_lrs.assert_same_answers(
        gets, _fetcher(app, xapi.auth), _fetcher(second, _all_scope(second))
    )
    assert compared > len(gets)  # ``more`` pages were followed too


def test_lrs_archive_import_keeps_the_clock_and_ids_going(
    app: Flask,
    second: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    for _ in range(3):
        assert xapi.post("statements", [make_statement(), make_statement()]).status_code == 200
    newest = json.loads(xapi.get("statements", query={"limit": 1}).data)["statements"][0]["stored"]
    archive = tmp_path / "lrs.zip"
    assert _cli(app, "lrs", "export", str(archive)).exit_code == 0
    assert _cli(second, "lrs", "import", str(archive)).exit_code == 0

    after = XapiClient(second.test_client(), _all_scope(second))
    assert after.post("statements", make_statement()).status_code == 200
    page = json.loads(after.get("statements", query={"limit": 2}).data)["statements"]
    assert page[0]["stored"] > newest  # a later stored, first in the newest-first order
    assert page[1]["stored"] == newest


def test_lrs_archive_import_refuses_a_non_empty_lrs(
    app: Flask,
    second: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    assert xapi.post("statements", make_statement()).status_code == 200
    archive = tmp_path / "lrs.zip"
    assert _cli(app, "lrs", "export", str(archive)).exit_code == 0
    assert _cli(second, "lrs", "import", str(archive)).exit_code == 0
    again = _cli(second, "lrs", "import", str(archive), "--json")
    assert again.exit_code == 1
    assert "not empty" in json.loads(again.stdout)["error"]
    assert _statement_count(second) == 1


def _tampered(archive: Path, target: Path, member: str, change: Callable[[bytes], bytes]) -> None:
    """A copy of ``archive`` with one member changed and the manifest left as it was."""
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            out.writestr(item.filename, change(data) if item.filename == member else data)


@pytest.mark.parametrize(
    ("member", "change", "message"),
    [
        ("statements.ndjson", lambda b: b.replace(b"Ada", b"Eve"), "changed since it was made"),
        ("statements.ndjson", lambda b: b.split(b"\n", 1)[1], "changed since it was made"),
        ("statement_filters.tsv", lambda b: b + b"1\t1\t1\n", "changed since it was made"),
        ("manifest.json", lambda b: b.replace(b'"version":1', b'"version":9'), "format version"),
        ("manifest.json", lambda b: b"{", "Not an LRS archive"),
    ],
)
def test_lrs_archive_a_tampered_archive_is_refused_and_stores_nothing(
    app: Flask,
    second: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    tmp_path: Path,
    member: str,
    change: Callable[[bytes], bytes],
    message: str,
) -> None:
    sample_lrs.fill(xapi, make_statement)
    archive = tmp_path / "lrs.zip"
    assert _cli(app, "lrs", "export", str(archive)).exit_code == 0
    tampered = tmp_path / "tampered.zip"
    _tampered(archive, tampered, member, change)
    refused = _cli(second, "lrs", "import", str(tampered))
    assert refused.exit_code == 1
    assert message in refused.stderr
    assert _statement_count(second) == 0


def test_lrs_archive_an_extra_member_is_refused(app: Flask, second: Flask, tmp_path: Path) -> None:
    archive = tmp_path / "lrs.zip"
    assert _cli(app, "lrs", "export", str(archive)).exit_code == 0
    shutil.copy(archive, tmp_path / "more.zip")
    with zipfile.ZipFile(tmp_path / "more.zip", "a") as out:
        out.writestr("attachments/extra", b"x")
    refused = _cli(second, "lrs", "import", str(tmp_path / "more.zip"))
    assert refused.exit_code == 1
    assert "does not match its manifest" in refused.stderr


def test_lrs_archive_export_refuses_an_existing_file(app: Flask, tmp_path: Path) -> None:
    archive = tmp_path / "lrs.zip"
    archive.write_bytes(b"keep me")
    refused = _cli(app, "lrs", "export", str(archive))
    assert refused.exit_code == 1
    assert archive.read_bytes() == b"keep me"
