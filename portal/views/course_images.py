"""A course's catalogue picture, for those who may see the course."""

from __future__ import annotations

from flask import Response, request

from accounts.auth import login_required
from core.errors import NotFound
from core.i18n import N_
from portal import bp, catalogue, course_images
from portal.views.common import this_user


@bp.get("/catalogue/<int:course_id>/image")
@login_required
def course_image(course_id: int) -> Response:
    """The picture (its address carries its version, so it may be kept a day)."""
    course = catalogue.visible_course(this_user(), course_id)
    image = course_images.get(course.id)
    if image is None:
        raise NotFound(N_("This course has no picture"))
    headers = {"ETag": f'"{image.etag}"', "Cache-Control": "private, max-age=86400"}
    if request.if_none_match.contains(image.etag):
        return Response(status=304, headers=headers)
    return Response(image.data, mimetype=image.mimetype, headers=headers)
