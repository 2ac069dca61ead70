"""Course pictures for the catalogue: checked, scaled and re-encoded before they are kept.

An author's upload is opened with Pillow (PNG, JPEG, WebP or GIF, at most
``MAX_BYTES``; a picture of more than ``MAX_PIXELS`` is refused before it is decoded, so
a "decompression bomb" cannot take the worker's memory), scaled to fit ``BOX`` and saved
again as JPEG: what is served is always an image we made, without the upload's metadata
(camera, place) or anything hidden after the picture data.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from typing import IO

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from core.db import db
from core.errors import BadRequest
from core.i18n import N_
from packages.models import Course
from portal.models import CourseImage

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
BOX = (960, 540)
FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}


def _refuse(message: str) -> BadRequest:
    return BadRequest(message, errors=[{"path": "image", "message": message}])


def store(course: Course, stream: IO[bytes]) -> CourseImage:
    """Check the upload, scale and re-encode it, and keep it as the course's picture."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _refuse(N_("The picture is too large: at most 5 MB."))
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format not in FORMATS:
                raise _refuse(N_("Choose a PNG, JPEG, WebP or GIF picture."))
            if opened.width * opened.height > MAX_PIXELS:
                raise _refuse(N_("The picture has too many pixels."))
            picture = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise _refuse(N_("Choose a PNG, JPEG, WebP or GIF picture.")) from None
    picture.thumbnail(BOX)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85, optimize=True)
    encoded = out.getvalue()
    image = db.session.get(CourseImage, course.id) or CourseImage(course_id=course.id)
    image.data = encoded
    image.mimetype = "image/jpeg"
    image.width, image.height = picture.size
    image.etag = hashlib.sha256(encoded).hexdigest()[:32]
    image.updated_at = datetime.now(UTC).replace(tzinfo=None)
    db.session.add(image)
    db.session.flush()
    return image


def remove(course: Course) -> None:
    """The course has no picture any more."""
    image = db.session.get(CourseImage, course.id)
    if image is not None:
        db.session.delete(image)
        db.session.flush()


def get(course_id: int) -> CourseImage | None:
    """The course's picture, if it has one."""
    return db.session.get(CourseImage, course_id)


def etags(course_ids: list[int]) -> dict[int, str]:
    """For the catalogue's cards: which courses have a picture, and its version."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(CourseImage.course_id, CourseImage.etag).where(CourseImage.course_id.in_(course_ids))
    )
    return {course_id: etag for course_id, etag in rows}
