"""What an organisation sets up for course review: its checklist and its reviewers.

The checklist starts as the built-in items, shown in each reader's language; the first
change an admin makes stores them (``package_review_item``), and from then on the
table is the checklist. Items are deactivated, never deleted: decisions keep the text
they were made against (ReviewEvent.checklist). A reviewer reviews the courses of a
unit and every unit below it, or every course (no unit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext
from sqlalchemy import func, select

from accounts import audit
from accounts.auth import has_role
from accounts.models import OrganisationUnit, User
from core.db import db
from core.errors import BadRequest, NotFound
from core.i18n import N_
from packages.review_models import ChecklistItem, ReviewerGrant

# The items an organisation starts with (the list); their keys never change.
BUILT_IN = (
    ("goals", N_("The learning goals are stated")),
    ("audience", N_("The target group is stated")),
    ("duration", N_("The expected time it takes is stated")),
    ("contact", N_("A contact person is named")),
    ("language", N_("The language has been checked (plain language, spelling)")),
    ("accessibility", N_("Accessibility has been checked (WCAG 2.1 AA)")),
    ("mobile", N_("It works on a phone")),
)
_BUILT_IN_TEXT = dict(BUILT_IN)


@dataclass(frozen=True)
class Item:
    """A checklist item as shown: ``ref`` names it in forms (a built-in key, or ``i<id>``).

    ``builtin``: its text is the built-in one, shown in each reader's language.
    """

    ref: str
    text: str
    active: bool
    builtin: bool


def _shown(row: ChecklistItem) -> Item:
    builtin = row.label is None and row.key in _BUILT_IN_TEXT
    text = gettext(_BUILT_IN_TEXT[row.key or ""]) if builtin else row.label or ""
    return Item(row.key or f"i{row.id}", text, row.active, builtin)


def items(active_only: bool = True) -> list[Item]:
    """The checklist in order, each item's text in the reader's language."""
    rows = list(db.session.scalars(select(ChecklistItem).order_by(ChecklistItem.position)))
    if not rows:
        return [Item(key, gettext(text), True, True) for key, text in BUILT_IN]
    return [_shown(row) for row in rows if row.active or not active_only]


def label(row: dict[str, object]) -> str:
    """A decision's checklist row as the reader reads it: a built-in text in their language."""
    if row.get("builtin") and row.get("ref") in _BUILT_IN_TEXT:
        return str(gettext(_BUILT_IN_TEXT[str(row["ref"])]))
    return str(row.get("label", ""))


def _stored() -> list[ChecklistItem]:
    """The checklist's rows, storing the built-in items first if nothing is stored yet."""
    rows = list(db.session.scalars(select(ChecklistItem).order_by(ChecklistItem.position)))
    if rows:
        return rows
    for position, (key, _text) in enumerate(BUILT_IN):
        db.session.add(ChecklistItem(key=key, label=None, active=True, position=position))
    db.session.flush()
    return list(db.session.scalars(select(ChecklistItem).order_by(ChecklistItem.position)))


def _row(ref: str) -> ChecklistItem:
    for row in _stored():
        if (row.key or f"i{row.id}") == ref:
            return row
    raise NotFound("No such checklist item")


def _text(text: str) -> str:
    text = text.strip()
    if not text:
        raise BadRequest(
            "Write the item's text", errors=[{"path": "text", "message": "Write the item's text"}]
        )
    return text[:300]


def add_item(text: str) -> Item:
    """Add an item at the end of the checklist."""
    rows = _stored()
    row = ChecklistItem(
        key=None, label=_text(text), active=True, position=max(r.position for r in rows) + 1
    )
    db.session.add(row)
    db.session.flush()
    audit.record("checklist.changed", "checklist", row.id, row.label, details={"added": True})
    return _shown(row)


def change_item(ref: str, text: str | None = None, active: bool | None = None) -> Item:
    """Give an item new text, or take it off (``active`` False) or put it back."""
    row = _row(ref)
    details: dict[str, object] = {}
    if text is not None and _text(text) != _shown(row).text:
        details["text"] = [_shown(row).text, _text(text)]
        row.label = _text(text)
    if active is not None and active != row.active:
        details["active"] = active
        row.active = active
    db.session.flush()
    if details:
        audit.record("checklist.changed", "checklist", row.id, _shown(row).text, details=details)
    return _shown(row)


# -- reviewers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reviewer:
    """One grant as Admin → Course review lists it."""

    grant: ReviewerGrant
    person: User
    unit: OrganisationUnit | None


def reviewers() -> list[Reviewer]:
    """Every grant, by person's name then unit."""
    stmt = (
        select(ReviewerGrant, User, OrganisationUnit)
        .join(User, User.id == ReviewerGrant.user_id)
        .outerjoin(OrganisationUnit, OrganisationUnit.id == ReviewerGrant.unit_id)
        .order_by(User.name, OrganisationUnit.name)
    )
    return [Reviewer(g, p, u) for g, p, u in db.session.execute(stmt)]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def add_reviewer(email: str, unit_id: int | None) -> ReviewerGrant:
    """Let the person with this e-mail address review a unit's courses (None: all)."""
    person = db.session.scalar(
        select(User).where(func.lower(User.email) == email.strip().lower(), User.active)
    )
    if person is None:
        raise BadRequest("No such person", errors=[{"path": "email", "message": "No such person"}])
    if not has_role("author", person):
        message = "A reviewer needs the author/trainer role or a higher one"
        raise BadRequest(message, errors=[{"path": "email", "message": message}])
    unit = db.session.get(OrganisationUnit, unit_id) if unit_id is not None else None
    if unit_id is not None and unit is None:
        raise BadRequest("No such unit", errors=[{"path": "unit", "message": "No such unit"}])
    existing = db.session.scalar(
        select(ReviewerGrant).where(
            ReviewerGrant.user_id == person.id,
            ReviewerGrant.unit_id.is_(None)
            if unit_id is None
            else ReviewerGrant.unit_id == unit_id,
        )
    )
    if existing is not None:
        return existing
    grant = ReviewerGrant(user_id=person.id, unit_id=unit_id, created_at=_now())
    db.session.add(grant)
    db.session.flush()
    audit.record(
        "reviewer.added",
        "user",
        person.id,
        person.email,
        details={"unit": unit.code if unit is not None else None},
    )
    return grant


def remove_reviewer(grant_id: int) -> ReviewerGrant:
    """Take a grant away (decisions already made stay in the history); the grant removed."""
    grant = db.session.get(ReviewerGrant, grant_id)
    if grant is None:
        raise NotFound("No such reviewer")
    person = db.session.get(User, grant.user_id)
    unit = db.session.get(OrganisationUnit, grant.unit_id) if grant.unit_id else None
    audit.record(
        "reviewer.removed",
        "user",
        grant.user_id,
        person.email if person is not None else "",
        details={"unit": unit.code if unit is not None else None},
    )
    db.session.delete(grant)
    db.session.flush()
    return grant


def grants_of(user: User) -> list[int | None]:
    """The units whose courses ``user`` was given to review (None: every course)."""
    return list(
        db.session.scalars(select(ReviewerGrant.unit_id).where(ReviewerGrant.user_id == user.id))
    )
