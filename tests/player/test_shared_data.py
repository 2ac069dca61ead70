"""SCORM 2004 4th-ed. shared data (``adl.data``) over the runtime endpoints.

CAM §3.4.1.x ``<adlcp:data>`` / ``<adlcp:map targetID readSharedData writeSharedData>``
(defaults from ADL's adlcp_v1p3.xsd: read true, write false) and the organization's
``adlcp:sharedDataGlobalToSystem`` (default true); RTE ``adl.data`` (``id`` read-only,
``store`` per the map). Packages are built in the test.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from core.db import db
from player.cmi import shared_data as cmi
from tests.player.test_runtime import Player

NOTES = "urn:example:notes"
FIXED = "urn:example:fixed"
SECRET = "urn:example:secret"

#: writer: notes read/write, fixed read-only (the defaults), secret write-only.
#: reader: notes read-only (defaults), secret readable.
ITEMS = f"""
    <item identifier="writer" identifierref="r1"><title>Writer</title>
      <adlcp:data>
        <adlcp:map targetID="{NOTES}" readSharedData="true" writeSharedData="true"/>
        <adlcp:map targetID="{FIXED}"/>
        <adlcp:map targetID="{SECRET}" readSharedData="false" writeSharedData="true"/>
      </adlcp:data>
    </item>
    <item identifier="reader" identifierref="r2"><title>Reader</title>
      <adlcp:data>
        <adlcp:map targetID="{NOTES}"/>
        <adlcp:map targetID="{SECRET}" readSharedData="true"/>
      </adlcp:data>
    </item>
"""


def manifest(global_to_system: str | None) -> str:
    attr = f' adlcp:sharedDataGlobalToSystem="{global_to_system}"' if global_to_system else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="shared" version="1"
    xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
    xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
    xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3"
    xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org"{attr}>
      <title>Shared notes</title>
      {ITEMS}
    </organization>
  </organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="a.html">
      <file href="a.html"/>
    </resource>
    <resource identifier="r2" type="webcontent" adlcp:scormType="sco" href="b.html">
      <file href="b.html"/>
    </resource>
  </resources>
</manifest>"""


@pytest.fixture
def make_course(app: Flask, tmp_path: Path) -> Callable[..., int]:
    """Import the shared-data package as a published course; return its id."""
    from packages import service as packages

    def make(global_to_system: str | None = None, label: str = "shared.zip") -> int:
        path = tmp_path / f"{label}-{global_to_system}.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("imsmanifest.xml", manifest(global_to_system))
            zf.writestr("a.html", "<html><body>a</body></html>")
            zf.writestr("b.html", "<html><body>b</body></html>")
        with app.app_context():
            result = packages.import_package(path, published=True, label=label)
            packages.set_published(result.course, True)
            db.session.commit()
            return result.course.id

    return make


@pytest.fixture
def make_learner(app: Flask) -> Callable[[str], int]:
    """Create a portal account; return its id."""
    from accounts.models import User

    def make(email: str = "learner@example.org") -> int:
        with app.app_context():
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

    return make


@pytest.fixture
def open_player(app: Flask, client: FlaskClient) -> Callable[[int, int], Player]:
    """Launch (or resume) a course for a learner; return the shell-side helper."""
    from accounts.models import User
    from packages.service import get_course
    from player import attempts

    def run(user_id: int, course_id: int) -> Player:
        with app.test_request_context("/"):
            user = db.session.get(User, user_id)
            assert user is not None
            _attempt, token = attempts.launch(user, get_course(course_id))
            db.session.commit()
        return Player(client, token)

    return run


def data(*stores: str | None) -> dict[str, Any]:
    """A commit's ``adl`` as scorm-again renders it (index-keyed; "" for an unset store)."""
    ids = (NOTES, FIXED, SECRET)
    return {"data": {str(i): {"id": ids[i], "store": s or ""} for i, s in enumerate(stores)}}


def start(p: Player, sco: str) -> list[dict[str, Any]]:
    if not p.launch:
        assert p.navigate("start").status_code == 200
    if p.launch["sco"] != sco:
        response = p.navigate("choice", sco)
        assert response.status_code == 200, response.get_data(as_text=True)
    assert p.launch["sco"] == sco
    return p.launch["adl_data"]


def leave(p: Player, adl: dict[str, Any] | None = None) -> None:
    body: dict[str, Any] = {"adl": adl} if adl is not None else {}
    response = p.commit({"exit": "suspend"}, terminate=True, **body)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_shared_data_launch_lists_the_maps_without_unwritten_stores(
    make_course: Callable[..., int],
    make_learner: Callable[[str], int],
    open_player: Callable[[int, int], Player],
) -> None:
    p = open_player(make_learner("a@example.org"), make_course())
    # Unwritten buckets carry no store: scorm-again answers GetValue with 403.
    assert start(p, "writer") == [
        {"id": NOTES, "read": True, "write": True},
        {"id": FIXED, "read": True, "write": False},
        {"id": SECRET, "read": False, "write": True},
    ]


def test_shared_data_written_in_one_sco_is_read_in_the_next(
    make_course: Callable[..., int],
    make_learner: Callable[[str], int],
    open_player: Callable[[int, int], Player],
) -> None:
    p = open_player(make_learner("a@example.org"), make_course())
    start(p, "writer")
    leave(p, data("Keep the head down", None, "s3cret"))
    assert start(p, "reader") == [
        {"id": NOTES, "read": True, "write": False, "store": "Keep the head down"},
        {"id": SECRET, "read": True, "write": False, "store": "s3cret"},
    ]
    leave(p, {"data": {"0": {"id": NOTES, "store": "Keep the head down"}}})
    # The write-only bucket is kept but not shown to the map that may not read it; its
    # "" (scorm-again's unset store) does not clear it.
    adl = start(p, "writer")
    assert adl[0]["store"] == "Keep the head down"
    assert "store" not in adl[1]
    assert "store" not in adl[2]
    leave(p, data("", None, None))  # the SCO empties the notes
    assert [e.get("store") for e in start(p, "reader")] == ["", "s3cret"]


def test_shared_data_only_changed_stores_count_as_writes(
    make_course: Callable[..., int],
    make_learner: Callable[[str], int],
    open_player: Callable[[int, int], Player],
) -> None:
    """A read-only map may send back what it was given (scorm-again renders every entry)."""
    learner, course = make_learner("a@example.org"), make_course()
    p = open_player(learner, course)
    start(p, "writer")
    leave(p, data("notes"))
    start(p, "reader")
    response = p.commit({}, adl={"data": {"0": {"id": NOTES, "store": "notes"}}})
    assert response.status_code == 200, response.get_data(as_text=True)
    response = p.commit({}, adl={"data": {"0": {"id": NOTES, "store": "changed"}}})
    # Left out (the rest of the commit is stored) and listed in the answer.
    assert response.status_code == 200
    assert response.get_json()["refused"] == [
        {
            "path": "adl.data.0.store",
            "message": "read-only: the map has writeSharedData false",
            "code": 404,
        }
    ]


@pytest.mark.parametrize(
    ("adl", "path", "code", "kept"),
    [
        (data("kept?", "fixed"), "adl.data.1.store", 404, True),  # writeSharedData is false
        ({"data": {"0": {"id": "urn:example:other", "store": "x"}}}, "adl.data.0.id", 404, False),
        ({"data": {"3": {"id": "urn:example:more", "store": "x"}}}, "adl.data.3", 351, True),
        (data("x" * 65537), "adl.data.0.store", 406, False),  # over the hard cap (SPM 64000)
        ({"data": {"0": {"id": NOTES, "store": {"a": 1}}}}, "adl.data.0.store", 406, False),
        ({"data": "notes"}, "adl.data", 406, False),
    ],
)
def test_shared_data_refused_stores_are_left_out_and_the_rest_kept(
    make_course: Callable[..., int],
    make_learner: Callable[[str], int],
    open_player: Callable[[int, int], Player],
    adl: dict[str, Any],
    path: str,
    code: int,
    kept: bool,
) -> None:
    p = open_player(make_learner("a@example.org"), make_course())
    start(p, "writer")
    ok = {"data": {"0": {"id": NOTES, "store": "kept?"}}}
    response = p.commit(
        {"location": "page 3"},
        adl={"data": {**ok["data"], **adl["data"]}} if isinstance(adl["data"], dict) else adl,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    refused = response.get_json()["refused"]
    assert {"path": path, "code": code} in [{"path": e["path"], "code": e["code"]} for e in refused]
    leave(p)
    # The valid store of the same commit was written; the refused one was not.
    assert start(p, "reader")[0].get("store") == ("kept?" if kept else None)


def test_shared_data_store_at_the_spm_is_kept(
    make_course: Callable[..., int],
    make_learner: Callable[[str], int],
    open_player: Callable[[int, int], Player],
) -> None:
    p = open_player(make_learner("a@example.org"), make_course())
    start(p, "writer")
    leave(p, data("é" * cmi.SHARED_DATA_SPM))
    assert start(p, "reader")[0]["store"] == "é" * cmi.SHARED_DATA_SPM


def _new_attempt(p: Player) -> None:
    response = p.navigate("exitAll")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert p.attempt()["ended"] is True


@pytest.mark.parametrize(
    ("global_to_system", "next_attempt", "other_course"),
    [
        (None, True, True),  # default: global to the learner and the system
        ("true", True, True),
        ("false", False, False),  # scoped to the attempt of this course
    ],
)
def test_shared_data_scope_across_attempts_and_courses(
    make_course: Callable[..., int],
    make_learner: Callable[[str], int],
    open_player: Callable[[int, int], Player],
    global_to_system: str | None,
    next_attempt: bool,
    other_course: bool,
) -> None:
    learner = make_learner("a@example.org")
    course = make_course(global_to_system)
    other = make_course(global_to_system, label="other.zip")
    p = open_player(learner, course)
    start(p, "writer")
    leave(p, data("mine"))
    assert start(p, "reader")[0].get("store") == "mine"  # always: same attempt
    _new_attempt(p)

    again = open_player(learner, course)
    assert (start(again, "writer")[0].get("store") == "mine") is next_attempt
    elsewhere = open_player(learner, other)
    assert (start(elsewhere, "reader")[0].get("store") == "mine") is other_course
    # Another learner never sees it.
    stranger = open_player(make_learner("b@example.org"), course)
    assert "store" not in start(stranger, "reader")[0]


def test_shared_data_scoped_buckets_of_one_attempt_are_its_own(
    make_course: Callable[..., int],
    make_learner: Callable[[str], int],
    open_player: Callable[[int, int], Player],
) -> None:
    """With sharedDataGlobalToSystem false, a new attempt writes its own bucket."""
    learner, course = make_learner("a@example.org"), make_course("false")
    first = open_player(learner, course)
    start(first, "writer")
    leave(first, data("first"))
    _new_attempt(first)
    second = open_player(learner, course)
    start(second, "writer")
    leave(second, data("second"))
    assert start(second, "reader")[0]["store"] == "second"


@pytest.mark.corpus
def test_shared_data_scorm12_commits_ignore_adl(
    app: Flask,
    make_learner: Callable[[str], int],
    open_player: Callable[[int, int], Player],
) -> None:
    """Shared data is SCORM 2004 4th ed. only: a 1.2 SCO has no adl.data."""
    from packages import service as packages
    from tests.conftest import SHARED

    with app.app_context():
        result = packages.import_package(
            SHARED / "corpus" / "scorm" / "golf_scorm12_runtime_basic_calls.zip",
            published=True,
            label="golf12.zip",
        )
        db.session.commit()
        course = result.course.id
    p = open_player(make_learner("a@example.org"), course)
    assert p.navigate().status_code == 200
    assert p.launch["adl_data"] == []
    response = p.commit({"core": {"lesson_location": "1"}}, adl=data("ignored"))
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("maps", "expected"),
    [
        ([], []),
        ([{"targetID": "a"}], [cmi.SharedDataMap("a", read=True, write=False)]),
        (
            [{"targetID": "a", "readSharedData": False, "writeSharedData": True}],
            [cmi.SharedDataMap("a", read=False, write=True)],
        ),
        # No targetID: skipped; a repeated targetID keeps its first map.
        (
            [
                {"readSharedData": True},
                {"targetID": "a"},
                {"targetID": "a", "writeSharedData": True},
            ],
            [cmi.SharedDataMap("a")],
        ),
    ],
)
def test_shared_data_maps_defaults(maps: list[dict[str, Any]], expected: list[Any]) -> None:
    assert cmi.shared_data_maps({"shared_data": maps}) == expected
