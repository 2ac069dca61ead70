"""A person's data as one archive, for an access request (GDPR art. 15, dataskyddsförordningen).

The archive is a zip of JSON files, one per kind of record, with a manifest naming
each file's SHA-256 and row count: the account (without its password hash), the
statements where the person is the actor (as stored, voided ones marked), their
attempts with each SCO's runtime data, bookings, results (the reports' projection),
mandatory training (memberships and exemptions), evaluations they gave (they are
attributable: the row keeps the person so they are asked once), certificates,
notifications and the audit entries by or about them. Made on request by an admin
(page or CLI) and audited as ``gdpr.exported``; nothing is kept on the server.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from accounts import audit
from accounts.models import AuditEvent, GroupMember, SsoLink, User
from core.db import Model, db
from lrs.filters import AGENT
from lrs.keys import agent_key, key_hash
from lrs.models import Statement, StatementFilter
from player.models import Attempt, ScoState
from portal.certificate_models import Certificate
from portal.evaluation_models import Evaluation, EvaluationAnswer
from portal.models import Completion, Enrolment, RequirementExemption, RequirementMember
from portal.notice_models import OutboxMessage
from portal.retention_holds import person_agent_key

#: Columns never put in an archive: secrets, not the person's data.
SECRET_COLUMNS = {"password_hash"}
_CHUNK = 500


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _row(obj: Model) -> dict[str, Any]:
    table = obj.__table__  # type: ignore[attr-defined]
    return {
        c.key: _value(getattr(obj, c.key)) for c in table.columns if c.key not in SECRET_COLUMNS
    }


def _rows(objects: Iterable[Model]) -> list[dict[str, Any]]:
    return [_row(o) for o in objects]


def statements_of(user_id: int) -> list[dict[str, Any]]:
    """The statements whose actor is the person, oldest first, each with ``voided``."""
    key = person_agent_key(user_id)
    pks = select(StatementFilter.statement_pk).where(
        StatementFilter.kind == AGENT, StatementFilter.key_hash == key_hash(key)
    )
    found = []
    stmt = (
        select(Statement.data, Statement.voided).where(Statement.pk.in_(pks)).order_by(Statement.pk)
    )
    for data, voided in db.session.execute(stmt.execution_options(yield_per=_CHUNK)):
        if isinstance(data.get("actor"), dict) and agent_key(data["actor"]) == key:
            found.append({"voided": voided, "statement": data})
    return found


def _attempts(user_id: int) -> list[dict[str, Any]]:
    attempts = list(
        db.session.scalars(select(Attempt).where(Attempt.user_id == user_id).order_by(Attempt.id))
    )
    scos: dict[int, list[dict[str, Any]]] = {}
    if attempts:
        for sco in db.session.scalars(
            select(ScoState)
            .where(ScoState.attempt_id.in_([a.id for a in attempts]))
            .order_by(ScoState.id)
        ):
            scos.setdefault(sco.attempt_id, []).append(_row(sco))
    return [_row(a) | {"scos": scos.get(a.id, [])} for a in attempts]


def _evaluations(user_id: int) -> list[dict[str, Any]]:
    evaluations = list(db.session.scalars(select(Evaluation).where(Evaluation.user_id == user_id)))
    answers: dict[int, list[dict[str, Any]]] = {}
    if evaluations:
        for answer in db.session.scalars(
            select(EvaluationAnswer).where(
                EvaluationAnswer.evaluation_id.in_([e.id for e in evaluations])
            )
        ):
            answers.setdefault(answer.evaluation_id, []).append(
                {"question_id": answer.question_id, "value": answer.value}
            )
    return [_row(e) | {"answers": answers.get(e.id, [])} for e in evaluations]


def _of(model: Any, user_id: int) -> list[dict[str, Any]]:
    return _rows(db.session.scalars(select(model).where(model.user_id == user_id)))


def collect(user: User) -> dict[str, Any]:
    """Every file of the archive as data, by file name (without ``.json``)."""
    uid = user.id
    account = _row(user) | {
        "unit": {"code": user.unit.code, "name": user.unit.name} if user.unit else None,
        "sign_in_links": _of(SsoLink, uid),
        "groups": _of(GroupMember, uid),
    }
    audit_rows = db.session.scalars(
        select(AuditEvent)
        .where(
            (AuditEvent.actor_id == uid)
            | ((AuditEvent.target_type == "user") & (AuditEvent.target_id == str(uid)))
        )
        .order_by(AuditEvent.id)
    )
    return {
        "account": account,
        "statements": statements_of(uid),
        "attempts": _attempts(uid),
        "bookings": _of(Enrolment, uid),
        "results": _of(Completion, uid),
        "mandatory_training": {
            "memberships": _of(RequirementMember, uid),
            "exemptions": _of(RequirementExemption, uid),
        },
        "evaluations": _evaluations(uid),
        "certificates": _of(Certificate, uid),
        "notifications": _of(OutboxMessage, uid),
        "audit_log": _rows(audit_rows),
    }


def archive(user: User, by: User | None, by_name: str = "") -> bytes:
    """The zip of ``collect(user)`` with its manifest; the export is audited (caller commits)."""
    made = datetime.now(UTC).replace(microsecond=0)
    files = collect(user)
    buffer = io.BytesIO()
    manifest: dict[str, Any] = {
        "person": user.id,
        "made": made.isoformat(),
        "by": (by.email or by.user_name) if by else by_name or "system",
        "basis": "GDPR art. 15 (access request)",
        "files": {},
    }
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, content in files.items():
            body = json.dumps(content, ensure_ascii=False, indent=1, sort_keys=True).encode()
            zipped.writestr(f"{name}.json", body)
            rows = len(content) if isinstance(content, list) else 1
            manifest["files"][f"{name}.json"] = {
                "sha256": hashlib.sha256(body).hexdigest(),
                "rows": rows,
            }
        zipped.writestr("manifest.json", json.dumps(manifest, indent=1, sort_keys=True))
    audit.record(
        "gdpr.exported",
        "user",
        user.id,
        user.email or user.user_name,
        actor=by,
        actor_name=by_name or None,
        details={"archive": {n: f["rows"] for n, f in manifest["files"].items()}},
    )
    return buffer.getvalue()


def file_name(user: User) -> str:
    """The archive's download name."""
    return f"person-{user.id}-{date.today().isoformat()}.zip"
