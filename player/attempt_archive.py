"""The player's attempts as an optional part of the LRS archive (lrs.archive_parts).

``flask lrs export FILE --attempts`` adds ``attempts.ndjson``: one line per attempt with
its SCO runtime states, cmi5 sessions and attempt-scoped shared data, and one line per
learner-wide (``system``) shared data bucket.  Database ids never leave: a learner is
named by ``user_name`` (with e-mail and external id as fallbacks, as SCIM provisions
them), a course version by its package's ``content_hash`` (the same package imported in
another instance has the same one), with its course title and version number to choose
between versions of the same package.  Launch tokens (secrets, short-lived), cmi5 fetch
hashes and LRS credentials stay behind; refused values (authors' diagnostics) too.

An import stores attempts only for people and versions the instance has already; if any
is missing it refuses the whole import naming them, unless ``skip_missing_attempts``.
Registrations are kept, so the statements' ``context.registration`` still names them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Table, func, select

from accounts.models import User
from core import jsoncodec
from core.db import db
from core.errors import BadRequest, Conflict
from lrs import archive_parts
from packages.models import Course, PackageVersion
from player.models import Attempt, Cmi5Session, ScoState, SharedData

MEMBER = "attempts.ndjson"
CHUNK = 500
SYSTEM = "system"

# Columns that name rows of this instance (ids, tokens, credentials): never exported.
_LOCAL = {"id", "user_id", "course_id", "version_id", "attempt_id", "owner_token_id"}
_SESSION_LOCAL = _LOCAL | {"credential_id", "fetch_hash"}


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _plain(table: Table, row: Any, leave: set[str]) -> dict[str, Any]:
    """A row as JSON-ready values, without this instance's ids; times in ISO form."""
    values = {}
    for column in table.columns:
        if column.name in leave:
            continue
        value = row._mapping[column]
        if isinstance(value, datetime):
            value = value.isoformat(timespec="microseconds")
        values[column.name] = value
    return values


def _typed(table: Table, values: Mapping[str, Any], leave: set[str]) -> dict[str, Any]:
    """Values read back from a line: known columns only, times parsed."""
    row = {}
    for column in table.columns:
        if column.name in leave or column.name not in values:
            continue
        value = values[column.name]
        if isinstance(column.type, DateTime) and value is not None:
            value = datetime.fromisoformat(value)
        row[column.name] = value
    return row


# -- export ----------------------------------------------------------------------------


def export_attempts(connection: Connection, write: Callable[[bytes], None]) -> dict[str, int]:
    """Write every attempt and learner-wide shared data bucket; returns the counts."""
    counts = {"attempts": 0, "sco_states": 0, "cmi5_sessions": 0, "shared_data": 0}
    people = _people(connection)
    versions = _versions(connection)
    attempts = _table(Attempt)
    ids = list(connection.scalars(select(attempts.c.id).order_by(attempts.c.id)))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = connection.execute(select(attempts).where(attempts.c.id.in_(chunk)))
        children = _children(connection, chunk)
        for row in sorted(rows, key=lambda r: r.id):
            scos, sessions, shared = (children[kind].get(row.id, []) for kind in children)
            line = {
                "kind": "attempt",
                "learner": people[row.user_id],
                "course": versions[row.version_id],
                "attempt": _plain(attempts, row, _LOCAL),
                "scos": scos,
                "cmi5_sessions": sessions,
                "shared_data": shared,
            }
            write(jsoncodec.dumps_bytes(line))
            counts["attempts"] += 1
            counts["sco_states"] += len(scos)
            counts["cmi5_sessions"] += len(sessions)
            counts["shared_data"] += len(shared)
    shared_table = _table(SharedData)
    for row in connection.execute(
        select(shared_table).where(shared_table.c.scope == SYSTEM).order_by(shared_table.c.id)
    ):
        bucket = _plain(shared_table, row, _LOCAL)
        write(
            jsoncodec.dumps_bytes({"kind": "shared_data", "learner": people[row.user_id], **bucket})
        )
        counts["shared_data"] += 1
    return counts


def _people(connection: Connection) -> dict[int, dict[str, Any]]:
    users = _table(User)
    stmt = select(users.c.id, users.c.user_name, users.c.email, users.c.external_id)
    return {
        row.id: {"user_name": row.user_name, "email": row.email, "external_id": row.external_id}
        for row in connection.execute(stmt)
    }


def _versions(connection: Connection) -> dict[int, dict[str, Any]]:
    versions, courses = _table(PackageVersion), _table(Course)
    stmt = select(versions.c.id, versions.c.content_hash, versions.c.number, courses.c.title).join(
        courses, courses.c.id == versions.c.course_id
    )
    return {
        row.id: {"content_hash": row.content_hash, "version": row.number, "title": row.title}
        for row in connection.execute(stmt)
    }


def _children(connection: Connection, ids: list[int]) -> dict[str, dict[int, list[Any]]]:
    """The SCO states, cmi5 sessions and attempt-scoped shared data of attempts ``ids``."""
    found: dict[str, dict[int, list[Any]]] = {}
    for kind, model, leave in (
        ("scos", ScoState, _LOCAL),
        ("cmi5_sessions", Cmi5Session, _SESSION_LOCAL),
        ("shared_data", SharedData, _LOCAL | {"scope"}),
    ):
        table = _table(model)
        by_attempt: dict[int, list[Any]] = {}
        stmt = select(table).where(table.c.attempt_id.in_(ids)).order_by(table.c.id)
        for row in connection.execute(stmt):
            by_attempt.setdefault(row.attempt_id, []).append(_plain(table, row, leave))
        found[kind] = by_attempt
    return found


# -- import ----------------------------------------------------------------------------


def _refuse(number: int, what: str) -> BadRequest:
    return BadRequest(
        "The archive has an attempt line it cannot read",
        errors=[{"path": MEMBER, "message": f"line {number}: {what}"}],
    )


def _person_key(learner: Any) -> str:
    return (
        f"person {learner.get('user_name') or learner.get('email') or learner.get('external_id')}"
    )


def _version_key(course: Any) -> str:
    title, number = course.get("title"), course.get("version")
    return f"course version {course['content_hash'][:12]} ({title} v{number})"


def _find_person(learner: Mapping[str, Any]) -> int | None:
    """The person here with the learner's user name, else e-mail, else external id."""
    alive = User.deleted_at.is_(None)
    for column, value in (
        (func.lower(User.user_name), (learner.get("user_name") or "").lower()),
        (User.email, learner.get("email")),
        (User.external_id, learner.get("external_id")),
    ):
        if value:
            found = db.session.scalars(select(User.id).where(column == value, alive)).all()
            if len(found) == 1:
                return found[0]
    return None


def _find_version(course: Mapping[str, Any]) -> tuple[int, int] | None:
    """(version id, course id) of the same package here, best matching title and number."""
    rows = db.session.execute(
        select(PackageVersion.id, PackageVersion.course_id, PackageVersion.number, Course.title)
        .join(Course, Course.id == PackageVersion.course_id)
        .where(PackageVersion.content_hash == course["content_hash"])
        .order_by(PackageVersion.id)
    ).all()
    if not rows:
        return None
    best = max(
        rows, key=lambda r: (r.title == course.get("title"), r.number == course.get("version"))
    )
    return best.id, best.course_id


def _resolve(
    lines: archive_parts.Lines,
) -> tuple[dict[str, int | None], dict[str, tuple[int, int] | None], dict[str, int]]:
    """First pass: who and which versions the lines name, and how many lines each."""
    people: dict[str, int | None] = {}
    versions: dict[str, tuple[int, int] | None] = {}
    uses: dict[str, int] = {}
    for number, line in lines():
        try:
            person = _person_key(line["learner"])
            if person not in people:
                people[person] = _find_person(line["learner"])
            uses[person] = uses.get(person, 0) + 1
            if line["kind"] == "attempt":
                version = _version_key(line["course"])
                if version not in versions:
                    versions[version] = _find_version(line["course"])
                uses[version] = uses.get(version, 0) + 1
        except (KeyError, TypeError, AttributeError):
            raise _refuse(number, "no learner or course") from None
    return people, versions, uses


def load_attempts(lines: archive_parts.Lines, options: Mapping[str, Any]) -> dict[str, int]:
    """Store the attempts of the archive's ``attempts.ndjson`` (see the module's text)."""
    people, versions, uses = _resolve(lines)
    missing = [key for key, found in {**people, **versions}.items() if found is None]
    if missing and not options.get("skip_missing_attempts"):
        raise Conflict(
            "Attempts refer to people or course versions this instance does not have: "
            "provision the people and import the packages first, or skip those attempts",
            errors=[
                {"path": MEMBER, "message": f"{key} is missing ({uses[key]} lines)"}
                for key in sorted(missing)
            ],
        )
    counts = {"attempts": 0, "sco_states": 0, "cmi5_sessions": 0, "shared_data": 0}
    skipped = {"attempts_skipped": 0, "shared_data_skipped": 0}
    for number, line in lines():
        try:
            user_id = people[_person_key(line["learner"])]
            if line["kind"] == "shared_data":
                if user_id is None:
                    skipped["shared_data_skipped"] += 1
                    continue
                _add_shared(user_id, SYSTEM, None, line)
                counts["shared_data"] += 1
                continue
            version = versions[_version_key(line["course"])]
            if user_id is None or version is None:
                skipped["attempts_skipped"] += 1
                continue
            _add_attempt(user_id, version, line, counts)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _refuse(number, type(exc).__name__) from None
    db.session.flush()
    return counts | skipped


def _add_attempt(
    user_id: int, version: tuple[int, int], line: Mapping[str, Any], counts: dict[str, int]
) -> None:
    values = _typed(_table(Attempt), line["attempt"], _LOCAL)
    taken = db.session.scalar(
        select(Attempt.id).where(
            (Attempt.registration == values["registration"])
            | (
                (Attempt.user_id == user_id)
                & (Attempt.course_id == version[1])
                & (Attempt.number == values["number"])
            )
        )
    )
    if taken is not None:
        raise Conflict(
            "An attempt in the archive is here already",
            errors=[{"path": MEMBER, "message": f"registration {values['registration']}"}],
        )
    attempt = Attempt(**values, user_id=user_id, version_id=version[0], course_id=version[1])
    db.session.add(attempt)
    db.session.flush()
    for sco in line["scos"]:
        db.session.add(ScoState(**_typed(_table(ScoState), sco, _LOCAL), attempt_id=attempt.id))
    for session in line["cmi5_sessions"]:
        values = _typed(_table(Cmi5Session), session, _SESSION_LOCAL)
        # The fetch token stayed behind: a hash no token has, so its URL is spent.
        unusable = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
        db.session.add(Cmi5Session(**values, attempt_id=attempt.id, fetch_hash=unusable))
    for bucket in line["shared_data"]:
        _add_shared(user_id, f"attempt:{attempt.id}", attempt.id, bucket)
    counts["attempts"] += 1
    counts["sco_states"] += len(line["scos"])
    counts["cmi5_sessions"] += len(line["cmi5_sessions"])
    counts["shared_data"] += len(line["shared_data"])


def _add_shared(
    user_id: int, scope: str, attempt_id: int | None, values: Mapping[str, Any]
) -> None:
    row = _typed(_table(SharedData), values, _LOCAL | {"scope"})
    taken = db.session.scalar(
        select(SharedData.id).where(
            SharedData.user_id == user_id,
            SharedData.scope == scope,
            SharedData.target_hash == row["target_hash"],
        )
    )
    if taken is not None:  # a learner-wide bucket the person has written here already
        raise Conflict(
            "A shared data bucket in the archive is here already",
            errors=[{"path": MEMBER, "message": f"{row['target_id']} of user {user_id}"}],
        )
    db.session.add(SharedData(**row, user_id=user_id, scope=scope, attempt_id=attempt_id))


PART = archive_parts.ArchivePart(
    name="attempts", member=MEMBER, export=export_attempts, load=load_attempts
)
