"""The catalogue's cards: a course picture (checked and re-encoded) and a short
description; My learning's progress bars (issue 15, "A finish people accept")."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from tests.player.builds import slides_zip
from tests.portal.conftest import Portal
from tests.portal.test_course_results import launch, upload


def picture(size: tuple[int, int] = (2000, 1000), fmt: str = "JPEG", **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **save)
    return out.getvalue()


def with_camera_and_place() -> bytes:
    """A JPEG carrying EXIF: the camera's make and a GPS block."""
    exif = Image.Exif()
    exif[0x010F] = "Phone maker"  # Make
    exif[0x8825] = {1: "N", 2: (59.0, 20.0, 0.0)}  # GPSInfo
    return picture(exif=exif.tobytes())


@pytest.fixture
def org(portal: Portal) -> dict[str, int]:
    soc = portal.unit("SOC", "Socialförvaltningen")
    utb = portal.unit("UTB", "Utbildningsförvaltningen")
    return {
        "ann": portal.user("ann@example.org", role="author", name="Ann Author"),
        "lea": portal.user("lea@example.org", unit_id=soc, name="Lea"),
        "sam": portal.user("sam@example.org", unit_id=utb, name="Sam"),
        "course": portal.course("Brandskydd", unit="SOC"),
    }


def present(author: FlaskClient, course: int, image: bytes | None, **fields: str) -> Any:
    data: dict[str, Any] = {"action": "presentation", "csrf_token": "test-csrf-token", **fields}
    if image is not None:
        data["image"] = (io.BytesIO(image), "picture.jpg")
    return author.post(
        f"/author/courses/{course}",
        data=data,
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )


def test_author_gives_a_course_a_picture_and_a_short_description(
    org: dict[str, int], login: Any
) -> None:
    author = login(org["ann"])
    summary = "Hur du förebygger brand och agerar när det brinner."
    answer = present(author, org["course"], with_camera_and_place(), summary=summary)
    assert answer.status_code == 200
    assert "Saved." in answer.get_data(as_text=True)

    lea = login(org["lea"])
    card = lea.get("/catalogue").get_data(as_text=True)
    assert summary in card
    source = re.search(rf'src="(/catalogue/{org["course"]}/image\?v=\w+)"', card)
    assert source is not None
    served = lea.get(source.group(1))
    assert served.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(served.data))
    assert image.size == (960, 480)  # scaled to fit 960 x 540, proportions kept
    assert dict(image.getexif()) == {}  # no camera, no place
    again = lea.get(source.group(1), headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304
    assert summary in lea.get(f"/catalogue/{org['course']}").get_data(as_text=True)


def test_the_picture_is_only_for_those_who_may_see_the_course(
    org: dict[str, int], login: Any, client: FlaskClient
) -> None:
    present(login(org["ann"]), org["course"], picture())
    address = f"/catalogue/{org['course']}/image"
    assert login(org["lea"]).get(address).status_code == 200
    assert login(org["sam"]).get(address).status_code == 404  # another department's course
    anonymous = client.get(address)
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (b"not a picture at all", "Choose a PNG, JPEG, WebP or GIF picture."),
        (b"%PDF-1.7 pretending", "Choose a PNG, JPEG, WebP or GIF picture."),
        (picture((10000, 5000), "PNG"), "The picture has too many pixels."),
        (b"\xff" * (5 * 1024 * 1024 + 1), "The picture is too large: at most 5 MB."),
    ],
)
def test_refused_pictures_keep_the_form_and_store_nothing(
    org: dict[str, int], login: Any, app: Flask, upload: bytes, message: str
) -> None:
    answer = present(login(org["ann"]), org["course"], upload, summary="Kept as typed")
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert message in page
    assert 'value="Kept as typed"' in page
    from core.db import db
    from packages.models import Course
    from portal.models import CourseImage

    with app.app_context():
        assert db.session.query(CourseImage).count() == 0
        course = db.session.get(Course, org["course"])
        assert course is not None
        assert course.summary is None


def test_removing_the_picture_and_who_may_change_it(org: dict[str, int], login: Any) -> None:
    author = login(org["ann"])
    present(author, org["course"], picture())
    assert "course-image" in author.get(f"/author/courses/{org['course']}").get_data(as_text=True)
    present(author, org["course"], None, remove_image="true")
    lea = login(org["lea"])
    assert lea.get(f"/catalogue/{org['course']}/image").status_code == 404
    assert present(lea, org["course"], picture()).status_code == 403
    forged = present(author, org["course"], picture(), csrf_token="guess")
    assert forged.status_code == 400


def test_my_learning_shows_how_far_a_course_has_come(
    app: Flask, client: FlaskClient, login: Any, org: dict[str, int]
) -> None:
    course = upload(app, slides_zip("1.2", scos=4, title="Four parts"), "Four parts")
    lea = login(org["lea"])
    player = launch(lea, client, course)
    player.navigate("start")
    assert (
        player.commit({"core": {"lesson_status": "completed"}}, terminate=True).status_code == 200
    )
    player.navigate("continue")
    assert player.commit({"core": {"lesson_status": "incomplete"}}).status_code == 200
    page = lea.get("/my", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    bar = re.search(
        r'<progress class="course-progress" max="100" value="(\d+)" aria-label="([^"]+)"', page
    )
    assert bar is not None
    assert bar.groups() == ("25", "Förlopp: Four parts")
    assert re.search(r"</progress> 25\s%", page)  # "25 %" with a no-break space
