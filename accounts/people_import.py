"""People from an HR export (CSV): what would change, every rejected row, all or nothing.

The file has a header row naming its columns, in Swedish or English (``COLUMNS``):
employee number, name (or given and family name), e-mail, unit code, the manager's
employee number and title. Swedish Excel saves semicolon-separated UTF-8 with a BOM;
comma-separated files and files without a BOM are read too.

People are matched by employee number, else by e-mail address. A file with any rejected
row changes nothing; a dry run reports what an import would do and changes nothing
either. New people get no usable password: they sign in through the organisation's
sign-in, or an admin sets one.

Memory stays flat with the file's length: the file is read as a stream, several times
(its keys; the check, 500 rows at a time against the people those rows name; the
writes; the managers), and the report keeps every rejected row but only the first
1,000 new and changed people (with the whole counts). What is kept per row is its
employee number and e-mail address, to find duplicates.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import selectinload
from werkzeug.security import generate_password_hash

from accounts import line, signals
from accounts.models import OrganisationUnit, User
from core.errors import Conflict
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
CHUNK = 500  # rows checked or written together (one query for the people they name)
DETAIL_LIMIT = 1_000  # new and changed people listed in the report (counts are whole)
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
    created_count: int = 0
    updated_count: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    applied: bool = False
    limit: int | None = DETAIL_LIMIT  # None: keep every new and changed person
    data: bytes = field(default=b"", repr=False)  # the file, read again by ``apply``

    def add_created(self, wanted: dict[str, Any]) -> None:
        """Count a new person; list them while under the limit."""
        self.created_count += 1
        if self.limit is None or len(self.created) < self.limit:
            self.created.append(wanted)

    def add_updated(self, change: dict[str, Any]) -> None:
        """Count a changed person; list them while under the limit."""
        self.updated_count += 1
        if self.limit is None or len(self.updated) < self.limit:
            self.updated.append(change)

    def as_dict(self, dry_run: bool) -> dict[str, Any]:
        """The report, as the CLI's --json prints it."""
        return {
            "dry_run": dry_run,
            "applied": self.applied,
            "rows": self.rows,
            "created_count": self.created_count,
            "updated_count": self.updated_count,
            "created": self.created,
            "updated": [
                {k: v for k, v in u.items() if k not in ("wanted", "version")} for u in self.updated
            ],
            "unchanged": self.unchanged,
            "rejected": [r.as_dict() for r in self.rejected],
        }


@dataclass
class _Header:
    fields: list[str | None]
    delimiter: str


def _header(data: bytes) -> _Header | list[Rejected]:
    """The columns the header row names, or the problems that stop reading the file."""
    if len(data) > MAX_BYTES:
        too_large = N_("The file is larger than %(mb)d MB")
        return [Rejected(0, "", too_large, {"mb": MAX_BYTES // 2**20})]
    try:
        data.decode("utf-8-sig")  # the whole file, once: a bad byte anywhere stops it
    except UnicodeDecodeError:
        return [Rejected(0, "", N_("The file is not UTF-8 text (save it as CSV UTF-8)"))]
    first = data[:4096].decode("utf-8-sig", errors="ignore").split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    header = next(csv.reader(_lines(data), delimiter=delimiter), None)
    if not header:
        return [Rejected(1, "", N_("The file is empty"))]
    known = {alias.replace(" ", ""): name for name, aliases in COLUMNS.items() for alias in aliases}
    fields = [known.get(h.strip().lower().replace(" ", "")) for h in header]
    present = set(fields)
    has_name = "name" in present or {"given_name", "family_name"} <= present
    missing = [c for c in REQUIRED if c not in present] + ([] if has_name else ["name"])
    if missing:
        return [Rejected(1, c, N_("This column is missing from the header row")) for c in missing]
    return _Header(fields, delimiter)


def _lines(data: bytes) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")


def _rows(data: bytes, header: _Header) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, {field: value}) of each data row that is not empty, as a stream."""
    reader = csv.reader(_lines(data), delimiter=header.delimiter)
    next(reader, None)
    for index, values in enumerate(reader, start=2):
        if any(v.strip() for v in values):
            yield index, {f: v.strip() for f, v in zip(header.fields, values, strict=False) if f}


def _chunks(data: bytes, header: _Header) -> Iterator[list[tuple[int, dict[str, str]]]]:
    rows = _rows(data, header)
    while chunk := list(islice(rows, CHUNK)):
        yield chunk


@dataclass
class _Keys:
    """Where each employee number and address first occurs in the file."""

    numbers: dict[str, int] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)


def _keys(data: bytes, header: _Header) -> tuple[_Keys, int]:
    keys, count = _Keys(), 0
    for index, row in _rows(data, header):
        count += 1
        keys.numbers.setdefault(row.get("employee_number", ""), index)
        keys.emails.setdefault(row.get("email", "").lower(), index)
    return keys, count


@dataclass
class _Known:
    """The people of the database that one chunk of rows names."""

    by_number: dict[str, User]
    by_email: dict[str, User]
    numbers: set[str]  # employee numbers of anyone, for the rows' managers


def _known(session: Any, chunk: list[tuple[int, dict[str, str]]]) -> _Known:
    numbers = {row.get("employee_number", "") for _, row in chunk} - {""}
    emails = {row.get("email", "").lower() for _, row in chunk} - {""}
    managers = {row.get("manager", "") for _, row in chunk} - {""}
    people = session.scalars(
        select(User)
        .where(
            User.deleted_at.is_(None),
            # Addresses are stored in lower case (every way in lowers them): both indexed.
            or_(User.employee_number.in_(numbers), User.email.in_(emails)),
        )
        .options(selectinload(User.manager))
        .execution_options(populate_existing=True)  # fresh after the writes of a chunk
    ).all()
    existing = session.scalars(
        select(User.employee_number).where(
            User.deleted_at.is_(None), User.employee_number.in_(managers)
        )
    )
    return _Known(
        {p.employee_number: p for p in people if p.employee_number},
        {p.email.lower(): p for p in people if p.email},
        set(existing),
    )


def plan(data: bytes, session: Any) -> Plan:
    """Check every row against the file and the database; decide what would change."""
    header = _header(data)
    if isinstance(header, list):
        return Plan(rejected=header)
    keys, count = _keys(data, header)
    result = Plan(rows=count, data=data)
    units = {u.code: u for u in session.scalars(select(OrganisationUnit))}
    for chunk in _chunks(data, header):
        known = _known(session, chunk)
        for index, row in chunk:
            problems = _check(row, index, units, keys, known)
            if problems:
                result.rejected.extend(problems)
            else:
                _decide(row, index, known, units, result)
    result.rejected.sort(key=lambda r: r.row)
    return result


def _check(
    row: dict[str, str],
    index: int,
    units: dict[str, OrganisationUnit],
    keys: _Keys,
    known: _Known,
) -> list[Rejected]:
    found = []
    number, email = row.get("employee_number", ""), row.get("email", "").lower()
    if not number:
        found.append(Rejected(index, "employee_number", N_("Empty")))
    elif keys.numbers[number] != index:
        found.append(Rejected(index, "employee_number", ALSO, {"row": keys.numbers[number]}))
    if not EMAIL.match(email):
        found.append(Rejected(index, "email", N_("Not an e-mail address")))
    elif keys.emails[email] != index:
        found.append(Rejected(index, "email", ALSO, {"row": keys.emails[email]}))
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
    elif manager and manager not in keys.numbers and manager not in known.numbers:
        found.append(Rejected(index, "manager", NO_PERSON, {"number": manager}))
    if len(row.get("title", "")) > 200:
        found.append(Rejected(index, "title", N_("Longer than 200 characters")))
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
    known: _Known,
    units: dict[str, OrganisationUnit],
    result: Plan,
) -> None:
    wanted = _wanted(row, units)
    person = known.by_number.get(wanted["employee_number"]) or known.by_email.get(wanted["email"])
    owner = known.by_email.get(wanted["email"])
    if person is not None and owner is not None and owner is not person:
        number = owner.employee_number or "-"
        result.rejected.append(Rejected(index, "email", TAKEN, {"number": number}))
        return
    if person is None:
        result.add_created(wanted)
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
        result.add_updated(
            {
                "id": person.id,
                "employee_number": wanted["employee_number"],
                "changes": changes,
                "wanted": wanted,
                "version": person.version,
            }
        )
    else:
        result.unchanged += 1


def apply(result: Plan, session: Any) -> None:
    """Carry out a plan without rejected rows (the caller commits once).

    The file is read again, a chunk at a time: new people go in with one multi-row
    INSERT and the changes with one executemany UPDATE by primary key per chunk, then
    the managers are set (they may come later in the file). Changed people get a new
    version (their SCIM ETag), as the ORM's update hook would give.
    """
    header = _header(result.data)
    if result.rejected or isinstance(header, list):
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    unusable = generate_password_hash(secrets.token_urlsafe(32))  # one hash for all
    units = {u.code: u for u in session.scalars(select(OrganisationUnit))}
    for chunk in _chunks(result.data, header):
        known = _known(session, chunk)
        scratch = Plan(limit=None)
        for index, row in chunk:
            _decide(row, index, known, units, scratch)
        if scratch.rejected:
            # Only a file that moves an address from one person to another gets here.
            raise Conflict(scratch.rejected[0].reason)
        _write(session, scratch, now, unusable)
    moved: set[int] = set()
    for chunk in _chunks(result.data, header):
        moved.update(_set_managers(session, chunk))
    session.expire_all()
    signals.people_changed.send(None, user_ids=None)
    # The bulk UPDATE is no flush: the manager line is kept here, last, as its lock
    # (PostgreSQL) holds up results being stored until the commit (accounts/line.py).
    line.refresh(session, moved)
    result.applied = True


def _write(session: Any, scratch: Plan, now: datetime, unusable: str) -> None:
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
        for wanted in scratch.created
    ]
    if new:
        session.execute(insert(User), new)
    changed = [
        {"id": u["id"], **_columns(u["wanted"]), "version": u["version"] + 1, "updated_at": now}
        for u in scratch.updated
    ]
    if changed:
        session.execute(update(User), changed)


def _set_managers(session: Any, chunk: list[tuple[int, dict[str, str]]]) -> list[int]:
    """Each row's person gets the manager the row names (or none); returns who changed."""
    wanted = {row["employee_number"]: row.get("manager") or None for _, row in chunk}
    numbers = set(wanted) | {m for m in wanted.values() if m}
    found = session.execute(
        select(User.id, User.employee_number, User.manager_id).where(
            User.employee_number.in_(numbers), User.deleted_at.is_(None)
        )
    ).all()
    ids = {number: user_id for user_id, number, _ in found}
    changes = [
        {"id": user_id, "manager_id": ids.get(wanted[number]) if wanted[number] else None}
        for user_id, number, manager_id in found
        if number in wanted and manager_id != (ids.get(wanted[number]) if wanted[number] else None)
    ]
    if changes:
        session.execute(update(User), changes)
    return [change["id"] for change in changes]


def _columns(wanted: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in wanted.items() if k != "manager"}


REPORT_LIMIT = 500  # people listed in a background import's stored report


def report(result: Plan) -> dict[str, Any]:
    """A result kept for the page after a background import (catalogue texts kept)."""
    return {
        "applied": result.applied,
        "rows": result.rows,
        "created_count": result.created_count,
        "updated_count": result.updated_count,
        "unchanged": result.unchanged,
        "created": result.created[:REPORT_LIMIT],
        "updated": [
            {k: v for k, v in u.items() if k not in ("wanted", "version")}
            for u in result.updated[:REPORT_LIMIT]
        ],
        "rejected": [
            {"row": r.row, "column": r.column, "message": r.message, "params": r.params}
            for r in result.rejected[: REPORT_LIMIT * 2]
        ],
    }


def from_report(stored: dict[str, Any]) -> Plan:
    """The stored report as a result the import page shows."""
    return Plan(
        rows=stored["rows"],
        created=stored["created"],
        updated=stored["updated"],
        created_count=stored["created_count"],
        updated_count=stored["updated_count"],
        unchanged=stored["unchanged"],
        rejected=[Rejected(**r) for r in stored["rejected"]],
        applied=stored["applied"],
    )
