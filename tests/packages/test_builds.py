"""Authoring-tool builds that cannot start: the Adapt course data check (packages.builds).

Corpus #24 (Adapt, SCORM 1.2) has ``adapt/js/adapt.min.js`` and ``course/config.json``
(``_defaultLanguage`` "en") but no ``course/en/``: in the browser Adapt requests
``course/en/course.json`` and the other data files, gets 404s and never starts
(tests/browser/test_player_captivate_adapt.py). The import keeps the package but tells
the author, through the CLI, the HTTP API and the stored version.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from packages.extract import open_package
from packages.manifest import read_package
from packages.report import Problem
from tests.packages.conftest import CORPUS, MANIFEST_12, Entries
from tests.packages.test_cli import run_import
from tests.packages.test_views import API, upload

ADAPT = "adapt_scorm12_gowning_course.zip"
DATA = ("course", "contentObjects", "articles", "blocks", "components")
CONFIG = '{\n  "_id": "c",\n  "_defaultLanguage": "%s"\n}\n'


def adapt_entries(language: str = "en", data: tuple[str, ...] = DATA, folder: str = "") -> Entries:
    """A SCORM 1.2 Adapt build: runtime, config naming ``language``, and ``data`` files."""
    entries: Entries = {
        "imsmanifest.xml": MANIFEST_12,
        "index.html": "<script src='adapt/js/adapt.min.js'></script>",
        "adapt/js/adapt.min.js": "/* adapt */",
        "course/config.json": CONFIG % language,
    }
    for name in data:
        entries[f"course/{folder or language}/{name}.json"] = "[]"
    return entries


def adapt_warnings(make_zip: Callable[..., Path], entries: Entries) -> list[Problem]:
    with open_package(make_zip(entries)) as package:
        result = read_package(package)
    assert not result.report.errors
    return [w for w in result.report.warnings if w.message.startswith("Adapt course")]


def package_text(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode()


def test_packages_adapt_corpus_package_warns_course_data_missing() -> None:
    with open_package(CORPUS / ADAPT) as package:
        result = read_package(package)
    assert not result.report.errors  # still imported: valid SCORM, the build is incomplete
    (warning,) = [w for w in result.report.warnings if w.message.startswith("Adapt course")]
    assert warning.file == "course/config.json"
    config = package_text(CORPUS / ADAPT, "course/config.json").splitlines()
    assert warning.line is not None
    assert '"_defaultLanguage": "en"' in config[warning.line - 1]
    assert "course/en/course.json is missing" in warning.message
    assert "the course will not start" in warning.message
    for name in DATA:
        assert f"{name}.json" in warning.message


def test_packages_adapt_complete_build_has_no_warning(make_zip: Callable[..., Path]) -> None:
    assert adapt_warnings(make_zip, adapt_entries()) == []


def test_packages_adapt_other_language_is_looked_up(make_zip: Callable[..., Path]) -> None:
    assert adapt_warnings(make_zip, adapt_entries("sv")) == []
    # The data is in course/en/ but the config names sv: Adapt asks for course/sv/.
    (warning,) = adapt_warnings(make_zip, adapt_entries("sv", folder="en"))
    assert "course/sv/course.json is missing" in warning.message


def test_packages_adapt_some_data_files_missing(make_zip: Callable[..., Path]) -> None:
    (warning,) = adapt_warnings(make_zip, adapt_entries(data=("course", "articles")))
    assert warning.message.startswith(
        "Adapt course: course/en/ lacks contentObjects.json, blocks.json, components.json;"
    )
    (warning,) = adapt_warnings(make_zip, adapt_entries(data=("blocks",)))
    assert "course/en/course.json is missing (absent from course/en/: course.json," in (
        warning.message
    )


def test_packages_adapt_config_missing_or_unreadable(make_zip: Callable[..., Path]) -> None:
    entries = adapt_entries()
    del entries["course/config.json"]
    (warning,) = adapt_warnings(make_zip, entries)
    assert warning.file == "adapt/js/adapt.min.js"
    assert "course/config.json is missing; the course will not start" in warning.message
    entries["course/config.json"] = "{not json"
    (warning,) = adapt_warnings(make_zip, entries)
    assert warning.message.startswith("Adapt course: course/config.json cannot be read")
    entries["course/config.json"] = json.dumps({"_defaultLanguage": "../x"})
    (warning,) = adapt_warnings(make_zip, entries)
    assert "is not a language folder name" in warning.message


def test_packages_no_adapt_runtime_no_check(make_zip: Callable[..., Path]) -> None:
    entries = adapt_entries(data=())
    del entries["adapt/js/adapt.min.js"]
    assert adapt_warnings(make_zip, entries) == []


def test_packages_cli_import_reports_adapt_warning(runner: Any) -> None:
    code, out = run_import(runner, str(CORPUS / ADAPT))
    assert code == 0, out
    messages = [(w["file"], w["message"]) for w in out["warnings"]]
    assert any(
        file == "course/config.json" and "course/en/course.json is missing" in message
        for file, message in messages
    ), messages


@pytest.fixture
def author(make_user: Callable[[str], str]) -> dict[str, str]:
    return {"Authorization": make_user("author")}


def test_packages_api_import_reports_adapt_warning_and_keeps_it(
    client: Any, author: dict[str, str]
) -> None:
    response = upload(client, author, (CORPUS / ADAPT).read_bytes())
    assert response.status_code == 201
    body = response.get_json()
    found = [w for w in body["warnings"] if "course/en/course.json is missing" in w["message"]]
    assert [w["file"] for w in found] == ["course/config.json"]
    version = client.get(f"{API}/versions/{body['version_id']}", headers=author).get_json()
    assert found[0] in version["warnings"]
