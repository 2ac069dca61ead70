"""Fixtures for the packages tests: zips built in the test, and the shared corpus."""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tests.conftest import SHARED

CORPUS = SHARED / "corpus" / "scorm"

MANIFEST_12 = """<?xml version="1.0"?>
<manifest identifier="m1" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org1">
    <organization identifier="org1">
      <title>Fire safety</title>
      <item identifier="i1" identifierref="r1"><title>Lesson one</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
    </resource>
  </resources>
</manifest>
"""

Entries = dict[str, bytes | str]


def zip_bytes(
    entries: Mapping[str, bytes | str], infos: list[tuple[zipfile.ZipInfo, bytes]] | None = None
) -> bytes:
    """A zip (deflated) holding ``entries`` plus hand-made ``infos``."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are built on purpose
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries.items():
                archive.writestr(name, data)
            for info, data in infos or []:
                archive.writestr(info, data)
    return buffer.getvalue()


@pytest.fixture
def make_zip(tmp_path: Path) -> Callable[..., Path]:
    """Write a zip built from ``entries`` (and optional raw ZipInfos) to a temp file."""
    counter = iter(range(10_000))

    def make(entries: Entries, infos: list[tuple[zipfile.ZipInfo, bytes]] | None = None) -> Path:
        path = tmp_path / f"upload{next(counter)}.zip"
        path.write_bytes(zip_bytes(entries, infos))
        return path

    return make


@pytest.fixture
def scorm12_zip(make_zip: Callable[..., Path]) -> Path:
    """A small valid SCORM 1.2 package."""
    return make_zip({"imsmanifest.xml": MANIFEST_12, "index.html": "<h1>Hi</h1>"})


@pytest.fixture
def make_user(app):
    """Create a portal account; returns an HTTP Basic Authorization header value for it."""
    from datetime import datetime

    from werkzeug.security import generate_password_hash

    from accounts.models import User
    from core.db import db
    from tests.conftest import basic

    def make(role: str = "author", email: str | None = None, active: bool = True) -> str:
        email = email or f"{role}@example.org"
        phrase = "correct horse battery"
        with app.app_context():
            db.session.add(
                User(
                    email=email,
                    name=role.title(),
                    # A cheap hash keeps the tests fast; the check is the same function.
                    password_hash=generate_password_hash(phrase, "pbkdf2:sha256:1000"),
                    role=role,
                    active=active,
                    created_at=datetime(2026, 1, 1),
                )
            )
            db.session.commit()
        return basic(email, phrase)

    return make


@pytest.fixture
def make_unit(app):
    """Create portal organisation units with these codes."""
    from accounts.service import create_unit
    from core.db import db

    def make(*codes: str) -> None:
        with app.app_context():
            for code in codes:
                create_unit(code, code.title())
            db.session.commit()

    return make


@pytest.fixture(params=["local", "s3"])
def each_storage(request: pytest.FixtureRequest) -> str:
    """Run the test on local storage, then on a bucket of a real S3 server (``on_s3``)."""
    if request.param == "s3":
        request.getfixturevalue("on_s3")
    return str(request.param)
