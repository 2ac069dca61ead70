"""Swedish and English: the locale from the user's setting, else the browser's language."""

from __future__ import annotations

from typing import Any

from flask import Flask, request, session
from flask_babel import Babel, format_decimal, format_percent, get_locale

LOCALES = ("sv", "en")
LOCALE_NAMES = {"sv": "Svenska", "en": "English"}

babel = Babel()


def N_(text: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return text


ROLE_NAMES = {
    "learner": N_("Learner"),
    "author": N_("Author/trainer"),
    "manager": N_("Manager"),
    "admin": N_("Admin"),
}

# Messages the services raise (core.errors) that views show translated (portal/views/common.py).
SERVICE_MESSAGES = (
    N_("This course belongs to another unit"),
    N_("Nothing has been recorded for this learner yet"),
    N_("Only the session's trainer records attendance"),
    N_("The session is full"),
    N_("You are enrolled on this session already"),
    N_("This session has taken place already"),
    N_("Attendance has been recorded already"),
    N_("Upload a package before publishing the course"),
    N_("Unknown organisation unit"),
    N_("The last admin cannot lose the admin role or be deactivated"),
    N_("The password needs at least 8 characters"),
    N_("The code may hold lower-case letters, digits, - and _"),
    N_("Assign to either a person or a unit"),
    N_("A manager assigns only to their own unit"),
    N_("A manager assigns only to people in their own unit"),
    N_("The trainer needs the author/trainer role"),
    # player.cmi5.waive_au
    N_("Only the AUs of a cmi5 course can be waived"),
    N_("This AU has been waived already"),
    N_("This AU is satisfied already; there is nothing to waive"),
)


def select_locale() -> str:
    """The signed-in user's choice, the session's choice, or the best Accept-Language match."""
    from portal.auth import current_user

    user = current_user() if request else None
    if user is not None and user.locale in LOCALES:
        return str(user.locale)
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    return request.accept_languages.best_match(LOCALES) or "en"


def number(value: Any, digits: int = 0) -> str:
    """A number in the request's locale (``1 234,5`` in Swedish)."""
    if value is None:
        return ""
    if digits:
        return str(format_decimal(value, format="#,##0." + "0" * digits))
    return str(format_decimal(value))


def percent(value: Any) -> str:
    """A scaled score (0..1) as a percentage in the request's locale."""
    if value is None:
        return ""
    return str(format_percent(value))


def init_app(app: Flask) -> None:
    """Attach Flask-Babel and the number filters."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.globals["LOCALE_NAMES"] = LOCALE_NAMES
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["ROLE_NAMES"] = ROLE_NAMES
