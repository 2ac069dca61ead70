"""People from an HR export (CSV): what would change, every rejected row, all or nothing.

The file has a header row naming its columns, in Swedish or English (``COLUMNS``):
employee number, name (or given and family name), e-mail, unit code, the manager's
employee number and title. Swedish Excel saves semicolon-separated UTF-8 with a BOM;
comma-separated files and files without a BOM are read too.

People are matched by employee number, else by e-mail address. A file with any rejected
row changes nothing; a dry run reports what an import would do and changes nothing
either. New people get no usable password: they sign in through the organisation's
sign-in, or an admin sets one.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from werkzeug.security import generate_password_hash

from accounts.models import OrganisationUnit, User
from core.i18n import N_

# Each field and the header names it is known by (compared without case and spaces).
COLUMNS = {
    "employee_number": ("employee number", "employee_number", "anställningsnummer", "anstnr"),
    "name": ("name", "namn", "fullständigt namn"),
    "given_name": ("given name", "first name", "förnamn"),
    "family_name": ("family name", "last name", "surname", "efternamn"),
    "email": ("e-mail", "email", "e-post", "epost", "e-postadress"),
    "unit": ("unit", "unit code", "enhet", "enhetskod"),
    "manager": ("manager", "manager employee number", "chef", "chefens anställningsnummer"),
    "title": ("title", "job title", "titel", "befattning"),
}
REQUIRED = ("employee_number", "email", "unit")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_BYTES = 20 * 1024 * 1024
ALSO = N_("Also on row %(row)d")
NO_PERSON = N_("No person has employee number %(number)s")
TAKEN = N_("The address belongs to another person (employee number %(number)s)")


@dataclass(frozen=True)
class Rejected:
    """A row the import refuses: its row in the file (the header is row 1), column, why.

    ``message`` is a catalogue text (translated where shown) with ``%(name)s`` fields
    filled from ``params``; ``reason`` is the English sentence (CLI, JSON).
    """

    row: int
    column: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """The English sentence."""
        return self.message % self.params

    def as_dict(self) -> dict[str, Any]:
        """As the CLI's --json prints it."""
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class Plan:
    """What an import does (or would do, in a dry run)."""

    rows: int = 0
    created: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    applied: bool = False

    def as_dict(self, dry_run: bool) -> dict[str, Any]:
        """The report, as the CLI's --json prints it."""
        return {
            "dry_run": dry_run,
            "applied": self.applied,
            "rows": self.rows,
            "created": self.created,
            "updated": [{k: v for k, v in u.items() if k != "wanted"} for u in self.updated],
            "unchanged": self.unchanged,
            "rejected": [r.as_dict() for r in self.rejected],
        }


def read_rows(data: bytes) -> tuple[list[dict[str, str]], list[Rejected]]:
    """The data rows as {field: value}, or the problems that stop reading the file."""
    if len(data) > MAX_BYTES:
        return [], [
            Rejected(0, "", N_("The file is larger than %(mb)d MB"), {"mb": MAX_BYTES // 2**20})
        ]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Rejected(0, "", N_("The file is not UTF-8 text (save it as CSV UTF-8)"))]
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        return [], [Rejected(1, "", N_("The file is empty"))]
    known = {alias.replace(" ", ""): name for name, aliases in COLUMNS.items() for alias in aliases}
    fields = [known.get(h.strip().lower().replace(" ", "")) for h in header]
    present = set(fields)
    has_name = "name" in present or {"given_name", "family_name"} <= present
    missing = [c for c in REQUIRED if c not in present] + ([] if has_name else ["name"])
    if missing:
        return [], [
            Rejected(1, c, N_("This column is missing from the header row")) for c in missing
        ]
    rows: list[dict[str, str]] = []
    for values in reader:
        if not any(v.strip() for v in values):
            rows.append({})  # an empty line keeps its row number, and is skipped
            continue
        rows.append({f: v.strip() for f, v in zip(fields, values, strict=False) if f})
    return rows, []


def plan(data: bytes, session: Any) -> Plan:
    """Check every row against the file and the database; decide what would change."""
    rows, problems = read_rows(data)
    result = Plan(rows=sum(1 for r in rows if r), rejected=problems)
    if problems:
        return result
    units = {u.code: u for u in session.scalars(select(OrganisationUnit))}
    people = list(session.scalars(select(User).where(User.deleted_at.is_(None))))
    by_number = {p.employee_number: p for p in people if p.employee_number}
    by_email = {p.email.lower(): p for p in people if p.email}
    numbers_in_file = {r.get("employee_number") for r in rows if r}
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for index, row in enumerate(rows, start=2):
        if not row:
            continue
        problems = _check(row, index, units, by_number, numbers_in_file, seen_numbers, seen_emails)
        if problems:
            result.rejected.extend(problems)
            continue
        _decide(row, index, by_number, by_email, units, result)
    if result.rejected:
        result.rejected.sort(key=lambda r: r.row)
    return result


def _check(
    row: dict[str, str],
    index: int,
    units: dict[str, OrganisationUnit],
    by_number: dict[str, User],
    numbers_in_file: set[str | None],
    seen_numbers: dict[str, int],
    seen_emails: dict[str, int],
) -> list[Rejected]:
    found = []
    number, email = row.get("employee_number", ""), row.get("email", "").lower()
    if not number:
        found.append(Rejected(index, "employee_number", N_("Empty")))
    elif number in seen_numbers:
        found.append(Rejected(index, "employee_number", ALSO, {"row": seen_numbers[number]}))
    if not EMAIL.match(email):
        found.append(Rejected(index, "email", N_("Not an e-mail address")))
    elif email in seen_emails:
        found.append(Rejected(index, "email", ALSO, {"row": seen_emails[email]}))
    if not _name(row):
        found.append(Rejected(index, "name", N_("Empty")))
    if row.get("unit", "") not in units:
        found.append(
            Rejected(
                index, "unit", N_("No unit has the code %(code)s"), {"code": row.get("unit", "")}
            )
        )
    manager = row.get("manager", "")
    if manager and manager == number:
        found.append(Rejected(index, "manager", N_("A person cannot be their own manager")))
    elif manager and manager not in numbers_in_file and manager not in by_number:
        found.append(Rejected(index, "manager", NO_PERSON, {"number": manager}))
    if len(row.get("title", "")) > 200:
        found.append(Rejected(index, "title", N_("Longer than 200 characters")))
    seen_numbers.setdefault(number, index)
    seen_emails.setdefault(email, index)
    return found


def _name(row: dict[str, str]) -> str:
    return row.get("name") or " ".join(
        p for p in (row.get("given_name", ""), row.get("family_name", "")) if p
    )


def _wanted(row: dict[str, str], units: dict[str, OrganisationUnit]) -> dict[str, Any]:
    return {
        "employee_number": row["employee_number"],
        "name": _name(row),
        "given_name": row.get("given_name") or None,
        "family_name": row.get("family_name") or None,
        "email": row["email"].lower(),
        "unit_id": units[row["unit"]].id,
        "title": row.get("title") or None,
        "manager": row.get("manager") or None,
    }


def _decide(
    row: dict[str, str],
    index: int,
    by_number: dict[str, User],
    by_email: dict[str, User],
    units: dict[str, OrganisationUnit],
    result: Plan,
) -> None:
    wanted = _wanted(row, units)
    person = by_number.get(wanted["employee_number"]) or by_email.get(wanted["email"])
    owner = by_email.get(wanted["email"])
    if person is not None and owner is not None and owner is not person:
        number = owner.employee_number or "-"
        result.rejected.append(Rejected(index, "email", TAKEN, {"number": number}))
        return
    if person is None:
        result.created.append(wanted)
        return
    current_manager = person.manager.employee_number if person.manager else None
    changes = {
        key: [getattr(person, key), value]
        for key, value in wanted.items()
        if key != "manager" and value != getattr(person, key)
    }
    if wanted["manager"] != current_manager:
        changes["manager"] = [current_manager, wanted["manager"]]
    if changes:
        result.updated.append(
            {
                "id": person.id,
                "employee_number": wanted["employee_number"],
                "changes": changes,
                "wanted": wanted,
            }
        )
    else:
        result.unchanged += 1


def apply(result: Plan, session: Any) -> None:
    """Carry out a plan without rejected rows (the caller commits once).

    New people go in with one multi-row INSERT and the changes with one executemany
    UPDATE by primary key, so 5,000 rows take seconds, not a flush per person. Changed
    people get a new version (their SCIM ETag), as the ORM's update hook would give.
    """
    if result.rejected:
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    unusable = generate_password_hash(secrets.token_urlsafe(32))  # one hash for all
    new = [
        {
            **_columns(wanted),
            "user_name": wanted["email"],
            "password_hash": unusable,
            "role": "learner",
            "active": True,
            "failed_logins": 0,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for wanted in result.created
    ]
    if new:
        session.execute(insert(User), new)
    numbers = {
        number: (user_id, version)
        for user_id, number, version in session.execute(
            select(User.id, User.employee_number, User.version).where(
                User.employee_number.is_not(None), User.deleted_at.is_(None)
            )
        )
    }
    changes = []
    updated = [(u["wanted"], True) for u in result.updated]
    for wanted, changed in [*((w, False) for w in result.created), *updated]:
        user_id, version = numbers[wanted["employee_number"]]
        manager = numbers.get(wanted["manager"]) if wanted["manager"] else None
        row = {"id": user_id, "manager_id": manager[0] if manager else None}
        if changed:
            row |= {**_columns(wanted), "version": version + 1, "updated_at": now}
        changes.append(row)
    if changes:
        session.execute(update(User), changes)
    session.expire_all()
    result.applied = True


def _columns(wanted: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in wanted.items() if k != "manager"}
