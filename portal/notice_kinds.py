"""The kinds of message and their words (each written in the recipient's language).

Each writer gets the recipient and the context its collector stored; it runs inside
``force_locale``, so ``gettext`` and dates follow the recipient. Reminders and digests are
optional; overdue notices are not (portal/notices.py ``Kind.optional``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import format_date, gettext

from accounts.models import User
from core.i18n import N_
from portal.notices import Content, kind, portal_link


def _day(value: str | date | None) -> str:
    if value is None or value == "":
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return str(format_date(day, format="long"))


def _hello(user: User) -> str:
    return gettext("Hello %(name)s,", name=user.name)


@kind("assigned", N_("A course is assigned to me"), optional=True)
def assigned(user: User, c: dict[str, Any]) -> Content:
    """A manager assigned a course (to the person or their unit)."""
    lines = [
        _hello(user),
        gettext("You have been assigned the course %(course)s.", course=c["what"]),
    ]
    if c.get("due"):
        lines.append(gettext("Complete it by %(due)s.", due=_day(c["due"])))
    if c.get("note"):
        lines.append(str(c["note"]))
    return Content(
        gettext("New course to complete: %(course)s", course=c["what"]),
        lines,
        link=portal_link("/my"),
        link_text=gettext("Open My learning"),
    )


@kind("reminder", N_("Reminders before a due date"), optional=True)
def reminder(user: User, c: dict[str, Any]) -> Content:
    """A course or mandatory training is due soon and not completed."""
    return Content(
        gettext("Reminder: %(what)s is due on %(due)s", what=c["what"], due=_day(c["due"])),
        [
            _hello(user),
            gettext(
                "%(what)s is to be completed by %(due)s, and you have not completed it yet.",
                what=c["what"],
                due=_day(c["due"]),
            ),
        ],
        link=portal_link("/my"),
        link_text=gettext("Open My learning"),
    )


@kind("overdue", N_("Overdue training"), optional=False)
def overdue(user: User, c: dict[str, Any]) -> Content:
    """The person's course or mandatory training is overdue."""
    lines = [
        _hello(user),
        gettext(
            "%(what)s was to be completed by %(due)s. Please complete it as soon as you can.",
            what=c["what"],
            due=_day(c["due"]),
        ),
    ]
    if c.get("told"):
        lines.append(gettext("Your manager has been told as well."))
    return Content(
        gettext("Overdue: %(what)s", what=c["what"]),
        lines,
        link=portal_link("/my"),
        link_text=gettext("Open My learning"),
    )


@kind("overdue_staff", N_("Overdue training of my staff"), optional=False)
def overdue_staff(user: User, c: dict[str, Any]) -> Content:
    """One of the manager's people is overdue."""
    return Content(
        gettext("%(person)s is overdue: %(what)s", person=c["person"], what=c["what"]),
        [
            _hello(user),
            gettext(
                "%(person)s has not completed %(what)s, which was due on %(due)s.",
                person=c["person"],
                what=c["what"],
                due=_day(c["due"]),
            ),
        ],
        link=portal_link("/compliance"),
        link_text=gettext("Open Compliance"),
    )


@kind("expiring", N_("Mandatory training that expires soon"), optional=True)
def expiring(user: User, c: dict[str, Any]) -> Content:
    """A completion of mandatory training is valid only a little longer."""
    return Content(
        gettext("%(what)s expires on %(until)s", what=c["what"], until=_day(c["until"])),
        [
            _hello(user),
            gettext(
                "Your completion of %(what)s is valid until %(until)s. "
                "Complete it again before then to stay up to date.",
                what=c["what"],
                until=_day(c["until"]),
            ),
        ],
        link=portal_link("/my"),
        link_text=gettext("Open My learning"),
    )


@kind("digest", N_("Weekly summary of my staff's overdue training"), optional=True)
def digest(user: User, c: dict[str, Any]) -> Content:
    """Every Monday: who among the manager's people is overdue on what."""
    items = [
        gettext("%(person)s: %(what)s (due %(due)s)", person=p, what=w, due=_day(d))
        for p, w, d in c["rows"]
    ]
    return Content(
        gettext("Overdue training in your unit: %(count)d", count=len(items)),
        [
            _hello(user),
            gettext("These people in your unit have overdue training this week:"),
        ],
        items=items,
        link=portal_link("/compliance"),
        link_text=gettext("Open Compliance"),
    )
