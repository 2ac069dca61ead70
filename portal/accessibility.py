"""The accessibility statement: what it says about the organisation, and reports of problems.

Lag (2018:1937) om tillgänglighet till digital offentlig service asks a public body for a
statement (DIGG's template: how accessible the service is, what is not, how to tell the
organisation, the supervisory authority, how and when it was assessed) with a way to
report a problem. The page (/accessibility) is open to anyone, signed in or not; its
texts are the portal's (both languages), the organisation's details come from settings
(``statement``).

A report is kept (``AccessibilityReport``) for Admin → Accessibility reports, and every
active admin is told in the same transaction (an outbox message, e-mailed when mail is
on). One client address may send ACCESSIBILITY_REPORT_LIMIT reports in
ACCESSIBILITY_REPORT_WINDOW seconds (accounts/ratelimit.py, under a key of its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import aliased

from accounts import ratelimit
from accounts.models import User
from core.db import db
from core.errors import NotFound
from core.i18n import N_
from portal import notices
from portal.accessibility_models import AccessibilityReport
from portal.notices import Content, Draft, kind, portal_link

KIND = "accessibility_report"
SHOWN = 200  # reports on the admin page at a time


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Statement:
    """The organisation's part of the statement (settings; README, "Accessibility")."""

    organisation: str
    contact: str
    phone: str
    assessed: date
    updated: date


def statement() -> Statement:
    """What the settings say about who runs the service and when it was assessed."""
    config = current_app.config
    return Statement(
        organisation=str(config["ORGANISATION_NAME"]).strip(),
        contact=str(config["ACCESSIBILITY_CONTACT"]).strip(),
        phone=str(config["ACCESSIBILITY_PHONE"]).strip(),
        assessed=config["ACCESSIBILITY_ASSESSED"],
        updated=config["ACCESSIBILITY_UPDATED"],
    )


# -- Limiting reports per client ------------------------------------------------------


def _limit() -> ratelimit.Limit:
    config = current_app.config
    return ratelimit.Limit(
        int(config["ACCESSIBILITY_REPORT_LIMIT"]),
        timedelta(seconds=int(config["ACCESSIBILITY_REPORT_WINDOW"])),
    )


def _client() -> str:
    """The key reports of this client count under (apart from its failed sign-ins)."""
    return ("report " + ratelimit.this_client())[:64]


def check_limit() -> None:
    """Raise ratelimit.TooManyRequests while this client may send no more reports."""
    ratelimit.check(_client(), _limit())


# -- Receiving and handling reports ----------------------------------------------------


def receive(
    data: dict[str, Any], user: User | None, locale: str
) -> tuple[AccessibilityReport, list[int]]:
    """Keep a report and tell the admins; the report and the ids of messages to e-mail.

    Counted against the client first: when two reports from one address race past
    ``check_limit``, the count taken here refuses the one too many.
    """
    limit = _limit()
    if ratelimit.record_failure(_client(), limit) > limit.count:
        raise ratelimit.TooManyRequests(retry_after=int(limit.window.total_seconds()))
    report = AccessibilityReport(
        created_at=_now(),
        page=data["page"].strip(),
        message=data["message"].strip(),
        name=data["name"].strip(),
        email=data["email"].strip(),
        locale=locale,
        user_id=user.id if user is not None else None,
    )
    db.session.add(report)
    db.session.flush()
    admins = db.session.scalars(
        select(User).where(User.role == "admin", User.active.is_(True)).order_by(User.id)
    )
    context = {
        "page": report.page,
        "message": report.message,
        "from": _sender(report, user),
    }
    drafts = [Draft(KIND, f"{KIND}:{report.id}:{admin.id}", admin, context) for admin in admins]
    return report, notices.store(drafts)


def _sender(report: AccessibilityReport, user: User | None) -> str:
    """Who sent it, as they gave it (their account's e-mail when signed in)."""
    parts = [report.name, report.email]
    if user is not None and user.email and user.email != report.email:
        parts.append(user.email)
    return ", ".join(p for p in parts if p)


@kind(KIND, N_("An accessibility problem is reported"), optional=False)
def _tell_admin(user: User, c: dict[str, Any]) -> Content:
    """An admin is told of a new report (in the admin's language; the report as written)."""
    lines = [
        gettext("Hello %(name)s,", name=user.name),
        gettext("Someone has reported a problem with the accessibility of Kompetens:"),
        str(c["message"]),
    ]
    if c.get("page"):
        lines.append(gettext("Page or course: %(page)s", page=c["page"]))
    lines.append(
        gettext("From: %(who)s", who=c["from"]) if c.get("from") else gettext("No name given.")
    )
    return Content(
        gettext("An accessibility problem is reported"),
        lines,
        link=portal_link("/admin/accessibility"),
        link_text=gettext("Open the accessibility reports"),
    )


@dataclass
class Listed:
    """A report on the admin page, with the names of its sender's and handler's accounts."""

    report: AccessibilityReport
    account: str | None
    handled_by: str | None


def listed(show_all: bool) -> list[Listed]:
    """Reports newest first: those not handled yet, or every one."""
    sender, handler = aliased(User), aliased(User)
    stmt = (
        select(AccessibilityReport, sender.name, handler.name)
        .outerjoin(sender, sender.id == AccessibilityReport.user_id)
        .outerjoin(handler, handler.id == AccessibilityReport.handled_by_id)
        .order_by(AccessibilityReport.created_at.desc(), AccessibilityReport.id.desc())
        .limit(SHOWN)
    )
    if not show_all:
        stmt = stmt.where(AccessibilityReport.handled_at.is_(None))
    return [Listed(r, a, h) for r, a, h in db.session.execute(stmt)]


def mark_handled(report_id: int, admin: User) -> AccessibilityReport:
    """Mark a report handled by ``admin`` (one already handled keeps who did it)."""
    report = db.session.get(AccessibilityReport, report_id)
    if report is None:
        raise NotFound(f"No accessibility report {report_id}")
    if report.handled_at is None:
        report.handled_at = _now()
        report.handled_by_id = admin.id
        db.session.flush()
    return report
