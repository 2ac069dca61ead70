"""Helpers shared by the portal's views: forms, service calls, rendering.

One mechanism for refused forms: ``form_data`` (a schema's field errors) and ``attempt``
(a service's AppError) record what is wrong in ``g``, with the field's label and a message
in the user's language, and set the status; the view then renders its page as usual, and
the templates read the problems and the user's input back through ``form_state`` (see
templates/_form.html). Nothing is stored when a form is refused.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from flask import (
    flash,
    g,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError
from werkzeug.wrappers import Response as BaseResponse

from accounts.auth import current_user
from accounts.models import User
from core.db import db
from core.errors import AppError
from core.schemas import flatten_errors, load
from portal import bp
from portal.i18n import field_message, service_message, status_message

T = TypeVar("T")
Page = str | BaseResponse | tuple[str, int]


def this_user() -> User:
    """The signed-in user (the view is behind login_required)."""
    user = current_user()
    assert user is not None  # noqa: S101  (login_required ran)
    return user


# -- Refused forms --------------------------------------------------------------------------


@dataclass
class Problems:
    """What is wrong with the form just sent: messages and labels by field name."""

    messages: dict[str, list[str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, label: str, message: str) -> None:
        """Record one message for a field (shown at the field and in the summary)."""
        self.messages.setdefault(name, [])
        if message not in self.messages[name]:
            self.messages[name].append(message)
        self.labels.setdefault(name, label)


def problems() -> Problems:
    """The form problems of this request (none yet: an empty record)."""
    if "form_problems" not in g:
        g.form_problems = Problems()
    return g.form_problems  # type: ignore[no-any-return]


def label_of(schema: Schema | None, name: str) -> str:
    """The field's label, translated (the schema's ``metadata={"label": ...}``)."""
    found = schema.fields.get(name) if schema is not None else None
    label = found.metadata.get("label") if found is not None else None
    return _(label) if label else name.replace("_", " ").capitalize()


def refuse(
    schema: Schema | None,
    rows: list[dict[str, str]],
    status: int = 400,
    prefix: str = "",
    label: Callable[[str], str] | None = None,
) -> None:
    """Record field errors (``{"path", "message"}`` rows) and the status of the page."""
    g.form_status = status
    for row in rows:
        # "scopes[1]" or "a.b" belong to the form field they start with.
        name = row["path"].split(".", 1)[0].split("[", 1)[0]
        shown = label_of(schema, name)
        problems().add(prefix + name, label(shown) if label else shown, row["message"])


def form(schema: Schema) -> Any:
    """Load the request's form with ``schema`` (BadRequest naming the bad fields).

    For requests with no form to show again (the footer's language switch); pages with
    a form use ``form_data`` or ``submit``.
    """
    return load(schema, request.form, "form")


def form_data(
    schema: Schema,
    source: Mapping[str, Any] | None = None,
    prefix: str = "",
    label: Callable[[str], str] | None = None,
) -> Any:
    """Load the request's form (or ``source``) with ``schema``; None when it is refused.

    A refused form records each field's problem, human and translated, and status 400;
    the view goes on to render its page, which shows the form again as it was sent.
    ``prefix`` and ``label`` name rows of a table form (``e12-score``, "Score, Lea").
    """
    try:
        return schema.load(request.form if source is None else source)
    except ValidationError as exc:
        rows = [
            {"path": row["path"], "message": field_message(row["message"])}
            for row in flatten_errors(exc.messages)
        ]
        refuse(schema, rows, 400, prefix, label)
        return None


def attempt(
    action: Callable[[], T], done: str | None = None, schema: Schema | None = None
) -> T | None:
    """Run a service call and commit; on an AppError roll back and show its message."""
    try:
        result = action()
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        show_refusal(exc, schema)
        return None
    if done:
        flash(done, "success")
    return result


def show_refusal(exc: AppError, schema: Schema | None = None) -> None:
    """Show a service's refusal: at the first field it names, else above the page."""
    message = service_message(exc.message) or status_message(exc.status_code)
    paths = [row["path"] for row in exc.errors if row.get("path") not in (None, "", "$")]
    if paths:
        refuse(schema, [{"path": paths[0], "message": message}], exc.status_code)
    else:
        g.form_status = exc.status_code
        flash(message, "error")


def submit(schema: Schema, action: Callable[[Any], T], done: str | None = None) -> T | None:
    """Load the form with ``schema``, then ``attempt(action(data))``; None when refused."""
    data = form_data(schema)
    if data is None:
        return None
    return attempt(lambda: action(data), done, schema)


class FormState:
    """A form of the page as the template draws it: problems, and the input to show again.

    ``key`` names one form of a page with several (its ``form`` or ``action`` field); a
    form is drawn again with the user's input only when it is the one that was refused.
    """

    def __init__(self, key: str | None = None) -> None:
        sent = request.values.get("form") or request.values.get("action")
        self.refused = int(g.get("form_status", 200)) != 200 and (key is None or sent == key)
        self.problems = problems() if self.refused else Problems()

    def errors(self, name: str) -> list[str]:
        """The messages for a field of this form."""
        return self.problems.messages.get(name, [])

    def value(self, name: str, default: Any = "") -> Any:
        """What the user typed, when the form was refused and sent it; else ``default``."""
        if self.refused and name in request.values:
            return request.values[name]
        return "" if default is None else default

    def checked(self, name: str, default: bool = False, value: str = "true") -> bool:
        """Whether a checkbox is ticked: as sent, when the form was refused."""
        if self.refused:
            return value in request.values.getlist(name)
        return default

    def chosen(self, name: str, option: Any, default: bool = False) -> bool:
        """Whether a select's option (or a checkbox of a group) is selected."""
        if self.refused and name in request.values:
            return str(option) in request.values.getlist(name)
        return default


def form_problems() -> list[tuple[str, str]]:
    """(label, message) of each problem of the refused form, for the page's summary."""
    found = problems()
    return [
        (found.labels[name], message)
        for name, messages in found.messages.items()
        for message in messages
    ]


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


@bp.record_once
def _template_helpers(state: BlueprintSetupState) -> None:
    state.app.jinja_env.globals["form_state"] = FormState
    state.app.jinja_env.globals["form_problems"] = form_problems


# -- Where to go next --------------------------------------------------------------------------


def safe_next(target: str | None) -> str:
    """Follow only a path on this site after sign-in or a language switch (no open redirect).

    Nothing is cleaned up and then followed: browsers drop tab, CR and LF from a URL and
    read a backslash as a slash (WHATWG URL Standard, "basic URL parser"), so a value
    holding any control or format character or a backslash, in its own or in its
    percent-decoded form, is refused, as is one with a scheme or host, or one starting
    with ``//``. Refused values lead to the start page.
    """
    home_page = url_for("portal.home")
    if not target:
        return home_page
    for value in (target, unquote(target)):
        if any(c == "\\" or (unicodedata.category(c)[0] in "CZ" and c != " ") for c in value):
            return home_page
        parts = urlsplit(value)
        if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
            return home_page
    return target
