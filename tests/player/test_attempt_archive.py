"""The player's attempts in the LRS archive (player/attempt_archive.py) through the CLI.

A learner plays a SCORM course over the player's HTTP API; ``flask lrs export --attempts``
carries the attempt to a second instance (its own empty database) that has the same
person and package; there the learner resumes where they were, with the same CMI data
and registration.  Missing people refuse the import (nothing stored) unless
``--skip-missing-attempts``; an archive without attempts imports as before.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from accounts.models import User
from core.db import db
from lrs import auth
from lrs.models import Statement
from packages import service as packages
from packages.service import get_course
from player import attempts
from player.models import Attempt
from tests.conftest import SHARED, XapiClient, basic, require_corpus
from tests.lrs import sample_lrs
from tests.player.test_runtime import Player

GOLF_12 = SHARED / "corpus" / "scorm" / "golf_scorm12_runtime_basic_calls.zip"
EMAIL = "ada@example.org"


@pytest.fixture
def second(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second Kompetens on an empty database, migrated, with its own instance dir."""
    with sample_lrs.second_instance(app, "attempts", tmp_path) as other:
        yield other


def _person(flask_app: Flask, email: str = EMAIL) -> int:
    with flask_app.app_context():
        user = User(
            email=email,
            name="Ada Lovelace",
            password_hash=generate_password_hash("correct horse battery", "pbkdf2:sha256:1000"),
            role="learner",
            active=True,
            created_at=datetime(2026, 1, 1),
        )
        db.session.add(user)
        db.session.commit()
        return user.id


def _course(flask_app: Flask) -> int:
    require_corpus()
    with flask_app.app_context():
        result = packages.import_package(GOLF_12, published=True, label="golf")
        packages.set_published(result.course, True)
        db.session.commit()
        return result.course.id


def _player(flask_app: Flask, user_id: int, course_id: int) -> Player:
    with flask_app.test_request_context("/"):
        user = db.session.get(User, user_id)
        assert user is not None
        _attempt, token = attempts.launch(user, get_course(course_id))
        db.session.commit()
    return Player(flask_app.test_client(), token)


def _cli(flask_app: Flask, *args: str) -> Any:
    return flask_app.test_cli_runner().invoke(args=list(args))


def _played(app: Flask, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A learner suspends the golf course half-way; the LRS exported with attempts."""
    p = _player(app, _person(app), _course(app))
    p.navigate()
    cmi = {
        "core": {
            "lesson_location": "page-3",
            "lesson_status": "incomplete",
            "exit": "suspend",
            "session_time": "00:01:30",
        },
        "suspend_data": "bookmark=3;answers=abc",
    }
    assert p.commit(cmi, terminate=True).status_code == 200
    assert p.navigate("_none_").get_json()["action"] == "end"
    archive = tmp_path / "lrs.zip"
    exported = _cli(app, "lrs", "export", str(archive), "--attempts", "--json")
    assert exported.exit_code == 0, exported.output
    return archive, p.attempt()


def _count(flask_app: Flask, model: Any) -> int:
    with flask_app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_attempts_round_trip_resumes_with_the_same_cmi(
    app: Flask, second: Flask, tmp_path: Path
) -> None:
    archive, before = _played(app, tmp_path)
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("manifest.json"))
    assert manifest["version"] == 1
    assert manifest["parts"]["attempts"] == {"member": "attempts.ndjson", "lines": 1}
    assert "sha256" in manifest["members"]["attempts.ndjson"]
    assert manifest["counts"]["attempts"] == 1
    user_id, course_id = _person(second), _course(second)

    imported = _cli(second, "lrs", "import", str(archive), "--json")
    assert imported.exit_code == 0, imported.output
    counts = json.loads(imported.stdout)["counts"]
    assert counts["attempts"] == 1
    assert counts["sco_states"] == 1
    assert counts["attempts_skipped"] == 0

    again = _player(second, user_id, course_id)
    after = again.attempt()
    for key in ("registration", "number", "suspended", "total_seconds", "completion_status"):
        assert after[key] == before[key], key
    again.navigate()
    cmi = again.launch["cmi"]
    assert cmi["core"]["entry"] == "resume"
    assert cmi["core"]["lesson_location"] == "page-3"
    assert cmi["suspend_data"] == "bookmark=3;answers=abc"
    assert cmi["core"]["total_time"] == "0000:01:30.00"
    # The statements' registration is the attempt's, so reports and the player agree.
    with second.app_context():
        credential, secret = auth.create_credential("reader", ["all"])
        db.session.commit()
        reader = XapiClient(second.test_client(), basic(credential.key, secret))
    found = reader.get("statements", query={"registration": before["registration"]})
    assert found.status_code == 200
    assert len(found.get_json()["statements"]) >= 2


def test_attempts_import_refuses_a_missing_person_storing_nothing(
    app: Flask, second: Flask, tmp_path: Path
) -> None:
    archive, _before = _played(app, tmp_path)
    _course(second)  # the package is here; the person is not

    refused = _cli(second, "lrs", "import", str(archive), "--json")
    assert refused.exit_code == 1
    answer = json.loads(refused.stdout)
    assert "people or course versions" in answer["error"]
    assert answer["errors"] == [
        {"path": "attempts.ndjson", "message": f"person {EMAIL} is missing (1 lines)"}
    ]
    assert _count(second, Statement) == 0
    assert _count(second, Attempt) == 0


def test_attempts_import_can_skip_the_missing(app: Flask, second: Flask, tmp_path: Path) -> None:
    archive, _before = _played(app, tmp_path)
    _person(second)  # the person is here; the package is not

    imported = _cli(second, "lrs", "import", str(archive), "--skip-missing-attempts", "--json")
    assert imported.exit_code == 0, imported.output
    counts = json.loads(imported.stdout)["counts"]
    assert counts["attempts"] == 0
    assert counts["attempts_skipped"] == 1
    assert counts["statements"] == _count(app, Statement) > 0
    assert _count(second, Attempt) == 0


def test_archive_without_attempts_imports_as_before(
    app: Flask, second: Flask, tmp_path: Path
) -> None:
    _played(app, tmp_path)
    plain = tmp_path / "plain.zip"
    assert _cli(app, "lrs", "export", str(plain)).exit_code == 0
    with zipfile.ZipFile(plain) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        assert "attempts.ndjson" not in opened.namelist()
    assert "parts" not in manifest
    assert "attempts" not in manifest["counts"]

    imported = _cli(second, "lrs", "import", str(plain), "--json")
    assert imported.exit_code == 0, imported.output
    assert "attempts" not in json.loads(imported.stdout)["counts"]
    assert _count(second, Statement) == _count(app, Statement)
    assert _count(second, Attempt) == 0


def test_attempts_import_refuses_an_attempt_number_taken_here(
    app: Flask, second: Flask, tmp_path: Path
) -> None:
    archive, _before = _played(app, tmp_path)
    # The learner opened the course in the new instance already: attempt 1 is theirs here.
    _player(second, _person(second), _course(second))
    assert _count(second, Statement) == 0

    refused = _cli(second, "lrs", "import", str(archive), "--json")
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["error"] == "An attempt in the archive is here already"
    assert _count(second, Statement) == 0
    assert _count(second, Attempt) == 1
