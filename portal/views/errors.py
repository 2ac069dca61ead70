"""The portal's error page: every HTML error of the app, in the portal's layout and language.

core/errors.py answers every error (JSON for APIs); for HTML it calls the renderer this
module registers when the portal's blueprint is registered on the app (core never
imports the portal).  On the content origin the page is drawn without the user's menu
and without forms: content scripts may read any page of their origin, so no CSRF token
and no personal data may be on it.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Flask, render_template
from flask.blueprints import BlueprintSetupState

from core import origins
from core.db import db
from core.errors import set_html_renderer
from portal import bp
from portal.i18n import error_texts, service_message


def render_error_page(status: int, message: str | None, errors: list[dict[str, Any]]) -> str:
    """The error page (core.errors' HTML renderer); ``message`` is None when generic.

    A detail that has no translation is left out in Swedish: the generic text of the
    status says what happened in the user's language.  A 500 shows no detail at all.
    Field errors (``errors``) are not listed: forms show theirs at the fields
    (views/common.py), and the rows of other requests name no field of a page.
    """
    if status >= 500:
        db.session.rollback()  # the failed request's transaction may be broken
    title, text = error_texts(status)
    detail = service_message(message) if message and status < 500 else None
    return render_template(
        "error.html",
        status=status,
        title=title,
        message=text,
        detail=detail if detail != text else None,
        plain=origins.on_content_host(),
    )


@bp.record_once
def _register(state: BlueprintSetupState) -> None:
    set_html_renderer(cast(Flask, state.app), render_error_page)
