"""Swedish and English: the locale from the user's setting, else the browser's language."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, request, session
from flask_babel import (
    Babel,
    format_decimal,
    format_percent,
    get_locale,
    gettext,
    pgettext,
)

from accounts.auth import current_user
from core.i18n import N_
from packages.report import Problem

LOCALES = ("sv", "en")
LOCALE_NAMES = {"sv": "Svenska", "en": "English"}

babel = Babel()


ROLE_NAMES = {
    "learner": N_("Learner"),
    "author": N_("Author/trainer"),
    "manager": N_("Manager"),
    "admin": N_("Admin"),
}

UNIT_KIND_NAMES = {
    "department": N_("Department"),
    "company": N_("Municipal company"),
    "section": N_("Section"),
    "unit": N_("Unit"),
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
    N_("No version of this course is published yet: submit one for review"),
    N_("Unknown organisation unit"),
    N_("The last admin cannot lose the admin role or be deactivated"),
    N_("The password needs at least 8 characters"),
    N_("The code may hold letters A-Z, digits, - _ and . and begins with a letter or digit"),
    N_("A unit cannot be placed below itself or one of its own units"),
    N_("No such parent unit"),
    N_("Assign to either a person or a unit"),
    N_("A manager assigns only to their own unit"),
    N_("A manager assigns only to people in their own unit"),
    N_("This course is already assigned to them with that due date"),
    N_("No such sign-in link for this account"),
    N_("An account with this e-mail address exists already"),
    N_("Another unit has this code already"),
    N_("The trainer needs the author/trainer role"),
    # portal.classroom, portal.bookings, portal.session_changes
    N_("The session must end after it starts"),
    N_("The start is in the past: tick the box to confirm it"),
    N_("Fewer seats than people booked"),
    N_("This session is cancelled"),
    N_("You have booked another session of this course already"),
    N_("You are not enrolled on this session"),
    N_("Only the session's trainer, its planner or an admin may do this"),
    N_("This booking has been decided already"),
    N_("Only classroom courses have bookings"),
    # portal.requirements
    N_("A requirement needs a name"),
    N_("Choose at least one course"),
    N_("No such course"),
    N_("Choose who must complete it"),
    N_("Give either a due date or a number of days"),
    N_("Validity is at least one month"),
    N_("A renewal window needs a validity"),
    N_("No such unit"),
    N_("Unknown kind of audience"),
    N_("Not a unit or person"),
    N_("Unknown role"),
    N_("No such person"),
    N_("The same courses, audience and due rule are already a requirement"),
    N_("A manager's requirement belongs to their own unit"),
    N_("A manager's requirement reaches only their own units"),
    N_("A manager's requirement reaches only their own people"),
    N_("This requirement belongs to another unit"),
    N_("Only an admin or the person's manager may exempt them"),
    N_("Give a reason"),
    # portal.report_exports, portal.notices
    N_("No such export"),
    N_("The file is not ready"),
    N_("The file is no longer kept"),
    N_("You no longer have access to this report"),
    N_("No such notification"),
    # portal.views.compliance
    N_("Choose a unit from the list"),
    # player.cmi5.waive_au
    N_("Only the AUs of a cmi5 course can be waived"),
    N_("This AU has been waived already"),
    N_("This AU is satisfied already; there is nothing to waive"),
    # packages/review.py, packages/review_setup.py and their pages (course review)
    N_("Only authors may submit, withdraw or publish a version"),
    N_("Only a draft can be submitted for review"),
    N_("Another version of this course is waiting for review"),
    N_("This version is not waiting for review"),
    N_("You do not review courses of this unit"),
    N_("You cannot review a course you have written"),
    N_("Tick every item of the checklist to approve"),
    N_("Say what needs to change"),
    N_("This version is published already"),
    N_("This version needs an approved review before it is published"),
    N_("A newer version of this course is published already"),
    N_("Courses are reviewed before they are published: submit the version for review"),
    N_("Write the item's text"),
    N_("A reviewer needs the author/trainer role or a higher one"),
    N_("No such checklist item"),
    N_("No such reviewer"),
    N_("No such version of this course"),
    N_("Only reviewers of courses may open this page"),
    # accounts.auth.check_csrf
    N_("The form has expired or did not come from this site; reload the page and try again"),
)

# The error pages (portal/views/errors.py): a title and what to do, per HTTP status.
_ERROR_TEXTS = {
    400: (
        N_("The request could not be used"),
        N_("Something in what was sent was not right. Go back, check it and try again."),
    ),
    401: (N_("Sign-in needed"), N_("Sign in to see this page.")),
    403: (N_("Not allowed"), N_("Your account does not have access to this page.")),
    404: (
        N_("Page not found"),
        N_(
            "There is nothing at this address. It may have been moved or removed, "
            "or the address may be mistyped."
        ),
    ),
    405: (
        N_("Not possible"),
        N_("This address cannot be used that way. Go back and use the page's buttons."),
    ),
    409: (
        N_("Conflict"),
        N_("This contradicts what is already saved. Reload the page and try again."),
    ),
    412: (
        N_("Changed in the meantime"),
        N_("Someone changed this in the meantime. Reload the page and try again."),
    ),
    413: (
        N_("Too large"),
        N_("What you sent is larger than the %(limit)s the service accepts."),
    ),
    429: (
        N_("Too many requests"),
        N_("Too many attempts in a short time. Wait a moment and try again."),
    ),
    503: (
        N_("The service is busy"),
        N_("Many are using the service right now. Wait a moment and try again."),
    ),
    500: (
        N_("Something went wrong"),
        N_(
            "An unexpected error occurred. Try again in a moment; "
            "if it happens again, contact support."
        ),
    ),
}


def _size(limit: int) -> str:
    """A byte count as "512 MB" or "4 KB" (binary units, as MAX_CONTENT_LENGTH is set)."""
    if limit >= 1024 * 1024:
        return f"{number(round(limit / (1024 * 1024)))} MB"
    return f"{number(max(1, round(limit / 1024)))} KB"


def error_texts(status: int) -> tuple[str, str]:
    """The translated title and message of an error page for ``status``."""
    fallback = 500 if status >= 500 else 400
    title, text = _ERROR_TEXTS.get(status, _ERROR_TEXTS[fallback])
    if status == 413:
        limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
        return gettext(title), gettext(text, limit=_size(limit))
    return gettext(title), gettext(text)


def status_message(status: int) -> str:
    """The translated message of an error page, for a refusal without its own text."""
    return error_texts(status)[1]


def service_message(text: str) -> str | None:
    """A service's message in the user's language; None when Swedish is asked and missing.

    Messages built with values (``f"No course {id}"``) have no translation; in English
    they are shown as they are, in Swedish the caller shows a generic text instead.
    """
    translated = gettext(text)
    if translated != text or str(get_locale() or "en").startswith("en"):
        return translated
    return None


# marshmallow's messages (marshmallow 4: fields' error_messages and validators' defaults)
# as the portal shows them.  {name} is marshmallow's placeholder; our text gets it as
# %(name)s.  More specific patterns first.
_FIELD_MESSAGES = (
    ("Missing data for required field.", N_("Fill in this field.")),
    ("Field may not be null.", N_("Fill in this field.")),
    ("Not a valid string.", N_("Enter text.")),
    ("Not a valid utf-8 string.", N_("Enter text.")),
    ("Not a valid integer.", N_("Enter a whole number.")),
    ("Not a valid number.", N_("Enter a number.")),
    ("Number too large.", N_("The number is too large.")),
    ("Special numeric values (nan or infinity) are not permitted.", N_("Enter a number.")),
    ("Not a valid boolean.", N_("Choose yes or no.")),
    ("Not a valid email address.", N_("Enter an e-mail address, such as name@example.org.")),
    ("Not a valid date.", N_("Enter a date as YYYY-MM-DD.")),
    ("Not a valid datetime.", N_("Enter a date and a time.")),
    ("Not a valid list.", N_("Choose from the list.")),
    ("Must be one of: {choices}.", N_("Choose one of the options.")),
    ("Length must be between {min} and {max}.", N_("Use %(min)s to %(max)s characters.")),
    ("Length must be {equal}.", N_("Use exactly %(equal)s characters.")),
    ("Shorter than minimum length {min}.", N_("Use at least %(min)s characters.")),
    ("Longer than maximum length {max}.", N_("Use at most %(max)s characters.")),
    (
        "Must be greater than or equal to {min} and less than or equal to {max}.",
        N_("Enter a number from %(min)s to %(max)s."),
    ),
    ("Must be greater than or equal to {min}.", N_("Enter %(min)s or more.")),
    ("Must be less than or equal to {max}.", N_("Enter %(max)s or less.")),
    ("String does not match expected pattern.", N_("The value is not in the expected form.")),
    ('"{input}" cannot be formatted as a {what}.', N_("The value is not valid.")),
    ("Not a valid {what}.", N_("The value is not valid.")),
    ("Invalid value.", N_("The value is not valid.")),
    ("Invalid input.", N_("The value is not valid.")),
    ("Invalid input type.", N_("The value is not valid.")),
    ("Invalid type.", N_("The value is not valid.")),
    ("Unknown field.", N_("This field is not part of the form.")),
)


def _pattern(template: str) -> re.Pattern[str]:
    escaped = re.escape(template)
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", escaped))


_FIELD_PATTERNS = tuple((_pattern(template), text) for template, text in _FIELD_MESSAGES)


def _shown(value: str) -> str:
    """A number in a message in the user's locale ("10 000"); other values as they are."""
    try:
        return number(int(value)) if value.lstrip("-").isdigit() else number(float(value))
    except ValueError:
        return value


def field_message(text: str) -> str:
    """A form field's error message in the user's language (marshmallow's, or ours)."""
    for pattern, message in _FIELD_PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return gettext(message, **{k: _shown(v) for k, v in found.groupdict().items()})
    return service_message(text) or gettext("The value is not valid.")


def heading(text: str) -> str:
    """A column's or a list's heading, in its "heading" form where it has one.

    That form is often a plural in Swedish (core.i18n.NC_); other texts are translated
    as they are.
    """
    translated = pgettext("heading", text)
    return str(translated) if translated != text else str(gettext(text))


def problem_message(problem: Problem | Mapping[str, Any]) -> str:
    """A package problem (packages.report), or one stored with a version, in the user's language.

    Its catalogue text gets its values, numbers in the user's locale.  A stored warning
    without values has only its ``message``, which is then the catalogue text itself.
    """
    if isinstance(problem, Problem):
        text, params = problem.text, problem.params
    else:
        text = problem.get("text") or problem.get("message") or ""
        params = problem.get("params") or {}
    if not text:
        return ""  # gettext("") would give the catalogue's header
    shown = {
        k: number(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
        for k, v in params.items()
    }
    try:
        return str(gettext(text, **shown))
    except (KeyError, TypeError, ValueError):
        # A stored warning whose values do not fit its text: say it as it was stored.
        return str(problem.message if isinstance(problem, Problem) else problem.get("message"))


def select_locale() -> str:
    """The signed-in user's choice, the session's choice, or the best Accept-Language match."""
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
    app.jinja_env.filters["problem"] = problem_message
    app.jinja_env.globals["heading"] = heading
    app.jinja_env.globals["LOCALE_NAMES"] = LOCALE_NAMES
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["ROLE_NAMES"] = ROLE_NAMES
    app.jinja_env.globals["UNIT_KIND_NAMES"] = UNIT_KIND_NAMES
