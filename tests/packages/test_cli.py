"""``flask packages import`` as scripts use it, and the import service behind it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.db import db
from packages import service
from packages.models import PackageFile
from tests.packages.conftest import CORPUS, MANIFEST_12
from tests.packages.test_corpus import BAD, GOOD


def run_import(runner, *args: str | Path):
    result = runner.invoke(args=["packages", "import", *map(str, args), "--json"])
    return result.exit_code, json.loads(result.output)


def stored_files(app) -> set[Path]:
    root = Path(app.config["STORAGE_PATH"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.mark.parametrize(("name", "kind", "edition", "count", "first"), GOOD)
def test_packages_cli_imports_corpus_package(runner, name, kind, edition, count, first):
    code, out = run_import(runner, CORPUS / name)
    assert code == 0, out
    assert list(out) == [
        "course",
        "version",
        "kind",
        "edition",
        "launch",
        "warnings",
        "review_state",
    ]
    assert out["review_state"] == "published"  # the command line publishes at once
    assert (out["version"], out["kind"], out["edition"]) == (1, kind, edition)
    assert len(out["launch"]) == count
    assert out["launch"][0]["href"] == first
    assert isinstance(out["course"], int)


BOTH = {"file", "line", "message", "text", "params"}


@pytest.mark.parametrize(("name", "fragment"), BAD)
def test_packages_cli_refuses_bad_corpus_package(app, runner, name, fragment):
    before = stored_files(app)
    code, out = run_import(runner, CORPUS / name)
    assert code == 1
    assert list(out) == ["errors"]
    assert any(fragment in e["message"] for e in out["errors"])
    # The English message for programs; a text with values also gives its catalogue
    # text and values (packages.report.Problem.as_dict), for a reader in another language.
    assert all(set(e) in ({"file", "line", "message"}, BOTH) for e in out["errors"])
    assert stored_files(app) == before
    with app.app_context():
        assert service.list_courses() == []


def test_packages_cli_error_names_file_and_line(runner):
    code, out = run_import(runner, CORPUS / "bad_scorm12_item_bad_identifierref.zip")
    assert code == 1
    assert out["errors"][0]["file"] == "imsmanifest.xml"
    assert isinstance(out["errors"][0]["line"], int)


def test_packages_cli_badscorm_names_file_inside_folder(runner):
    code, out = run_import(runner, CORPUS / "moodle_badscorm.zip")
    assert code == 1
    assert out["errors"][0]["file"] == "badscorm/imsmanifest.xml"


def test_packages_cli_new_version_keeps_old_one(app, runner, make_zip):
    first = make_zip({"imsmanifest.xml": MANIFEST_12, "index.html": "v1"})
    second = make_zip({"imsmanifest.xml": MANIFEST_12, "index.html": "v2", "extra.css": "x"})
    code, out1 = run_import(runner, first)
    assert code == 0
    code, out2 = run_import(runner, second, "--course", out1["course"])
    assert code == 0
    assert (out2["course"], out2["version"]) == (out1["course"], 2)
    with app.app_context():
        course = service.get_course(out1["course"])
        v1, v2 = service.list_versions(course)
        assert service.latest_published_version(course) == v2
        # An attempt on version 1 still finds its own files.
        old = service.find_file(v1.id, "index.html")
        assert old is not None
        with service.get_storage().open(old.sha256) as stream:
            assert stream.read() == b"v1"
        assert service.find_file(v1.id, "extra.css") is None


def test_packages_cli_draft_version_not_offered(app, runner, scorm12_zip):
    code, out = run_import(runner, scorm12_zip)
    code, _draft = run_import(runner, scorm12_zip, "--course", out["course"], "--draft")
    assert code == 0
    with app.app_context():
        latest = service.latest_published_version(out["course"])
        assert latest is not None
        assert latest.number == 1


def test_packages_cli_same_files_stored_once(app, runner, scorm12_zip):
    run_import(runner, scorm12_zip)
    before = stored_files(app)
    code, _out = run_import(runner, scorm12_zip)
    assert code == 0
    assert stored_files(app) == before
    with app.app_context():
        rows = db.session.scalars(db.select(PackageFile)).all()
        assert len(rows) == 4
        assert len({r.sha256 for r in rows}) == 2


def test_packages_cli_unknown_course(runner, scorm12_zip):
    code, out = run_import(runner, scorm12_zip, "--course", "999")
    assert code == 1
    assert out == {"errors": [{"file": None, "line": None, "message": "No course 999"}]}


def test_packages_cli_missing_file(runner, tmp_path):
    code, out = run_import(runner, tmp_path / "nope.zip")
    assert code == 1
    assert out["errors"][0]["message"] == "No such file"


def test_packages_cli_hostile_zip_leaves_nothing(app, runner, make_zip):
    from tests.packages.test_extract import GOOD as FILES
    from tests.packages.test_extract import _info

    before = stored_files(app)
    code, out = run_import(runner, make_zip(FILES, [(_info("../../evil.sh"), b"rm -rf")]))
    assert code == 1
    assert "Unsafe path" in out["errors"][0]["message"]
    assert stored_files(app) == before


def test_packages_cli_damaged_entry_stores_nothing(app, runner, make_zip):
    shared = make_zip({"imsmanifest.xml": MANIFEST_12, "index.html": "hello " * 1000})
    assert run_import(runner, shared)[0] == 0
    path = make_zip(
        {"imsmanifest.xml": MANIFEST_12, "index.html": "hello " * 1000, "zz.html": "tail " * 1000}
    )
    data = bytearray(path.read_bytes())
    at = data.rfind(b"zz.html", 0, data.find(b"PK\x01\x02")) + len("zz.html") + 5
    data[at : at + 20] = bytes(20)  # corrupt zz.html's compressed data
    path.write_bytes(bytes(data))
    before = stored_files(app)
    code, out = run_import(runner, path)
    assert code == 1
    assert "damaged" in out["errors"][0]["message"]
    # Nothing new, and the file the earlier version shares is still there.
    assert stored_files(app) == before


def test_packages_cli_text_output(runner, scorm12_zip):
    result = runner.invoke(args=["packages", "import", str(scorm12_zip)])
    assert result.exit_code == 0
    assert "scorm12 1.2, 1 launchable, 2 files" in result.output


def test_packages_cli_publish_and_unit(app, runner, scorm12_zip, make_unit):
    make_unit("hr")
    code, out = run_import(runner, scorm12_zip, "--publish", "--unit", "hr", "--category", "Säk")
    assert code == 0
    with app.app_context():
        course = service.get_course(out["course"])
        assert (course.published, course.owner_unit, course.category) == (True, "hr", "Säk")


def test_packages_cli_unknown_unit(runner, scorm12_zip):
    code, out = run_import(runner, scorm12_zip, "--unit", "nowhere")
    assert code == 1
    assert out["errors"][0]["message"] == "No organisation unit with code 'nowhere'"
