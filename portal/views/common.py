"""Helpers shared by the portal's views, and the portal's error page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    flash,
    g,
    render_template,
    request,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from core.db import db
from core.errors import AppError
from core.schemas import load
from portal import bp
from portal.auth import current_user
from portal.i18n import N_
from portal.models import User

T = TypeVar("T")
Page = str | BaseResponse | tuple[str, int]


def this_user() -> User:
    """The signed-in user (the view is behind login_required)."""
    user = current_user()
    assert user is not None  # noqa: S101  (login_required ran)
    return user


def form(schema: Any) -> Any:
    """Load the request's form with ``schema`` (BadRequest naming the bad fields)."""
    return load(schema, request.form, "form")


def attempt(action: Callable[[], T], done: str | None = None) -> T | None:
    """Run a service call and commit; on an AppError roll back and show its message."""
    try:
        result = action()
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        g.form_status = exc.status_code
        flash(_(exc.message), "error")
        return None
    if done:
        flash(done, "success")
    return result


def render(template: str, **context: Any) -> tuple[str, int]:
    """Render with the status an earlier failed action set (200 otherwise)."""
    return render_template(template, **context), int(g.get("form_status", 200))


def launch_url(course_id: int) -> str:
    """The launch entry (portal/views/launch.py, GET /courses/<id>/launch)."""
    return f"/courses/{course_id}/launch"


def preview_url(course_id: int) -> str:
    """An author's preview (portal/views/launch.py): counts for nobody."""
    return f"/courses/{course_id}/preview"


def review_url(course_id: int) -> str:
    """The review entry (portal/views/launch.py, GET /courses/<id>/review)."""
    return f"/courses/{course_id}/review"


_TITLES = {
    400: N_("The form could not be used"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Conflict"),
    413: N_("Too large"),
}


@bp.errorhandler(AppError)
def portal_error(exc: AppError) -> tuple[str, int]:
    """Portal errors on a page of the portal (with its navigation), translated."""
    title = _TITLES.get(exc.status_code, exc.title)
    page = render_template(
        "error.html",
        status=exc.status_code,
        title=_(title),
        message=_(exc.message),
        errors=exc.errors,
    )
    return page, exc.status_code
