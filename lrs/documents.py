"""Document storage: State, Activity Profile and Agent Profile (xAPI Communication §2.2-2.7).

The Python API behind ``lrs.document_views``; the player can call it directly for SCORM and
cmi5 state.  Functions take typed values, ``flush()`` and never commit: the caller commits
once.  Concurrency follows Communication §3.1 (ETags, If-Match, If-None-Match):
https://github.com/adlnet/xAPI-Spec/blob/1.0.3/xAPI-Communication.md#concurrency
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum, IntEnum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core.db import db
from core.errors import BadRequest, Conflict, NotFound, PreconditionFailed
from core.jsoncodec import JSONTooDeep, check_depth
from core.schemas import too_deep
from lrs.keys import sha256_hex
from lrs.models import Activity, Document

JSON_TYPE = "application/json"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
MAX_CONTENT_TYPE_LENGTH = 255


class Kind(IntEnum):
    """The three document resources (the ``Document.kind`` column)."""

    STATE = 1
    ACTIVITY_PROFILE = 2
    AGENT_PROFILE = 3


@dataclass(frozen=True)
class DocumentSet:
    """The documents a list or delete-all works on: one resource, activity, agent, registration.

    ``registration`` is ``""`` when none was given.  A single document's identity
    includes its registration, so registration-scoped and unscoped state are distinct;
    but a list or a delete-all covers "Activity + Agent [+ registration if specified]"
    (Communication §2.3), so without a registration it spans every registration.
    """

    kind: Kind
    activity_id: str | None = None
    agent_key: str | None = None
    registration: str = ""

    @property
    def set_key(self) -> str:
        """The ``Document.set_key`` of this set."""
        return sha256_hex(str(int(self.kind)), self.activity_id or "", self.agent_key or "")


@dataclass(frozen=True)
class Precondition:
    """The If-Match and If-None-Match headers of a write (RFC 7232 §3.1-3.2).

    ``None`` means the header was absent; ``"*"`` in a set matches any existing document.
    Entity tags are held without quotes.
    """

    if_match: frozenset[str] | None = None
    if_none_match: frozenset[str] | None = None

    @property
    def given(self) -> bool:
        """True when the client sent either header."""
        return self.if_match is not None or self.if_none_match is not None


@dataclass(frozen=True)
class StoredDocument:
    """One document as stored."""

    doc_id: str
    content_type: str
    content: bytes
    etag: str  # unquoted lowercase SHA-1 hex
    updated: datetime  # aware, UTC


@dataclass(frozen=True)
class DocumentIds:
    """The ids of a set, and when the newest of them was written (None if there are none)."""

    ids: list[str]
    last_modified: datetime | None


class PutRule(Enum):
    """What a PUT without If-Match or If-None-Match may do (Communication §3.1)."""

    # 1.0.x State: "The State Resource will permit PUT, POST and DELETE requests without
    # concurrency headers"; SCORM and cmi5 content that writes state blindly relies on it.
    PERMISSIVE = "permissive"
    # 409 Conflict when the document exists (2.0.0, IEEE 9274.1.1 §4.1.4: all three).
    NOT_OVER_EXISTING = "not-over-existing"
    # Also 400 when it does not exist: 1.0.3 profiles, as the 1.0.3 conformance suite
    # checks it (XAPI-00273, "a PUT request without an ETag header returns an error").
    NEVER = "never"


def put_rule(kind: Kind, version: str) -> PutRule:
    """Return the PUT-without-precondition rule of a resource under an xAPI version."""
    if version.startswith("1."):
        return PutRule.PERMISSIVE if kind is Kind.STATE else PutRule.NEVER
    return PutRule.NOT_OVER_EXISTING


def etag_of(content: bytes) -> str:
    """Return the ETag of a document: lowercase SHA-1 hex of its bytes (Communication §3.1)."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def is_json_type(content_type: str) -> bool:
    """Tell whether a Content-Type is ``application/json`` (parameters such as charset allowed)."""
    return content_type.split(";", 1)[0].strip().lower() == JSON_TYPE


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(content: bytes) -> Any:
    """Parse a JSON document; raise ValueError if it is not strict JSON.

    JSONTooDeep (a ValueError) when it nests deeper than ``core.jsoncodec.MAX_DEPTH``.
    """
    check_depth(content)
    return json.loads(content, parse_constant=_reject_constant)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _stored(document: Document) -> StoredDocument:
    return StoredDocument(
        doc_id=document.doc_id,
        content_type=document.content_type,
        content=document.content,
        etag=document.etag,
        updated=_aware(document.updated),
    )


def _find(doc_set: DocumentSet, doc_id: str, for_update: bool = False) -> Document | None:
    query = select(Document).where(
        Document.set_key == doc_set.set_key,
        Document.registration == doc_set.registration,
        Document.doc_hash == sha256_hex(doc_id),
    )
    if for_update:
        # Row lock on PostgreSQL so two If-Match writers cannot both win; SQLite
        # serialises writers anyway and ignores the clause.
        query = query.with_for_update()
    return db.session.scalar(query)


def _check(precondition: Precondition, document: Document | None) -> None:
    """Apply If-Match / If-None-Match to the current document (RFC 7232 §3.1-3.2)."""
    if precondition.if_match is not None and (
        document is None
        or ("*" not in precondition.if_match and document.etag not in precondition.if_match)
    ):
        raise PreconditionFailed(
            "If-Match does not match the current document"
            if document is not None
            else "If-Match was given but the document does not exist",
            errors=[{"path": "header:If-Match", "message": "does not match"}],
        )
    if (
        precondition.if_none_match is not None
        and document is not None
        and ("*" in precondition.if_none_match or document.etag in precondition.if_none_match)
    ):
        raise PreconditionFailed(
            "If-None-Match: the document already exists",
            errors=[{"path": "header:If-None-Match", "message": "document exists"}],
        )


def _write(
    doc_set: DocumentSet,
    doc_id: str,
    document: Document | None,
    content: bytes,
    content_type: str,
) -> StoredDocument:
    if len(content_type) > MAX_CONTENT_TYPE_LENGTH:
        raise BadRequest(
            "The Content-Type is too long",
            errors=[{"path": "header:Content-Type", "message": "at most 255 characters"}],
        )
    if document is None:
        document = Document(
            kind=int(doc_set.kind),
            set_key=doc_set.set_key,
            activity_id=doc_set.activity_id,
            agent_key=doc_set.agent_key,
            registration=doc_set.registration,
            doc_id=doc_id,
            doc_hash=sha256_hex(doc_id),
        )
        db.session.add(document)
    document.content = content
    document.content_type = content_type
    document.etag = etag_of(content)
    document.updated = _now()
    try:
        db.session.flush()
    except IntegrityError:
        # Another request created the same document between our read and our insert.
        raise Conflict(
            "The document was created by another request at the same time; "
            "GET it for its ETag and retry with If-Match",
        ) from None
    return _stored(document)


def get_document(doc_set: DocumentSet, doc_id: str) -> StoredDocument:
    """One document; NotFound when there is none (Communication §2.2, §3.2)."""
    document = _find(doc_set, doc_id)
    if document is None:
        raise NotFound("No such document")
    return _stored(document)


def list_document_ids(doc_set: DocumentSet, since: datetime | None = None) -> DocumentIds:
    """List the ids in a set, optionally only those written after ``since`` (exclusive)."""
    conditions = [Document.set_key == doc_set.set_key]
    if doc_set.registration:
        conditions.append(Document.registration == doc_set.registration)
    if since is not None:
        conditions.append(Document.updated > _naive_utc(since))
    rows = db.session.execute(
        select(Document.doc_id, Document.updated).where(*conditions).order_by(Document.id)
    ).all()
    newest = max((row.updated for row in rows), default=None)
    return DocumentIds(
        # The same id may exist under several registrations: list it once.
        ids=list(dict.fromkeys(row.doc_id for row in rows)),
        last_modified=_aware(newest) if newest is not None else None,
    )


def put_document(
    doc_set: DocumentSet,
    doc_id: str,
    content: bytes,
    content_type: str,
    precondition: Precondition,
    rule: PutRule,
) -> StoredDocument:
    """Store or replace a document (PUT).

    Args:
        doc_set: where the document lives.
        doc_id: its stateId or profileId.
        content: the bytes, stored as they are.
        content_type: stored and returned on GET; JSON types must hold valid JSON.
        precondition: the request's If-Match / If-None-Match.
        rule: what happens when neither precondition header was given (``put_rule``).

    """
    if is_json_type(content_type):
        _require_json(content, what="document")
    document = _find(doc_set, doc_id, for_update=True)
    _check(precondition, document)
    if not precondition.given and rule is not PutRule.PERMISSIVE:
        _require_precondition(document, rule)
    return _write(doc_set, doc_id, document, content, content_type)


def _require_precondition(document: Document | None, rule: PutRule) -> None:
    if document is not None:
        raise Conflict(
            "This document already exists. GET it to read its current ETag, then retry "
            'the PUT with the header If-Match: "<etag>"',
            errors=[{"path": "header:If-Match", "message": "required to replace a document"}],
        )
    if rule is PutRule.NEVER:
        raise BadRequest(
            "A PUT to this resource needs If-None-Match: * to create a document, or "
            'If-Match: "<etag>" (the ETag from a GET) to replace one',
            errors=[{"path": "header:If-None-Match", "message": "required to create a document"}],
        )


def post_document(
    doc_set: DocumentSet,
    doc_id: str,
    content: bytes,
    content_type: str,
    precondition: Precondition,
) -> StoredDocument:
    """Merge into a document, or create it when missing (POST, Communication §2.2).

    When both the stored and the posted document are ``application/json`` objects,
    their top-level properties are merged, the posted value replacing the stored one
    (no deep merge).  Anything else posted onto an existing document is a 400.
    """
    posted: dict[str, Any] | None = None
    if is_json_type(content_type):
        posted = _require_json_object(content, what="posted document")
    document = _find(doc_set, doc_id, for_update=True)
    _check(precondition, document)
    if document is None:
        return _write(doc_set, doc_id, None, content, content_type)
    if posted is None or not is_json_type(document.content_type):
        raise BadRequest(
            "POST merges JSON documents only: both the stored and the posted document "
            "must be application/json objects; use PUT to replace a document",
            errors=[{"path": "header:Content-Type", "message": "application/json required"}],
        )
    try:
        stored = parse_json(document.content)
    except ValueError:
        stored = None
    if not isinstance(stored, dict):
        raise BadRequest(
            "The stored document is not a JSON object, so nothing can be merged into it; "
            "use PUT to replace it",
            errors=[{"path": "body", "message": "stored document is not a JSON object"}],
        )
    merged = {**stored, **posted}
    body = json.dumps(merged, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _write(doc_set, doc_id, document, body, JSON_TYPE)


def delete_document(doc_set: DocumentSet, doc_id: str, precondition: Precondition) -> None:
    """Delete one document; deleting a missing one is not an error (unless If-Match)."""
    document = _find(doc_set, doc_id, for_update=True)
    _check(precondition, document)
    if document is not None:
        db.session.delete(document)
        db.session.flush()


def delete_documents(doc_set: DocumentSet) -> int:
    """Delete every document of a set (State "delete all", Communication §2.3)."""
    conditions = [Document.set_key == doc_set.set_key]
    if doc_set.registration:
        conditions.append(Document.registration == doc_set.registration)
    result = db.session.execute(delete(Document).where(*conditions))
    db.session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def _require_json(content: bytes, what: str) -> Any:
    try:
        return parse_json(content)
    except JSONTooDeep as exc:
        raise too_deep("body", exc) from None
    except ValueError:
        raise BadRequest(
            f"The {what} is declared application/json but is not valid JSON",
            errors=[{"path": "body", "message": "invalid JSON"}],
        ) from None


def _require_json_object(content: bytes, what: str) -> dict[str, Any]:
    value = _require_json(content, what)
    if not isinstance(value, dict):
        raise BadRequest(
            f"The {what} must be a JSON object to be merged",
            errors=[{"path": "body", "message": "not a JSON object"}],
        )
    return value


# -- Activities and Agents resources (Communication §2.4, §2.5) -----------------------


def get_activity(activity_id: str) -> dict[str, Any]:
    """Return the canonical Activity Object; just objectType and id when it is unknown.

    xAPI 2.0 (IEEE 9274.1.1 §4.1.6.4): "If an LRS does not have a canonical definition
    of the Activity to return, the LRS shall still return an Activity Object".
    """
    row = db.session.get(Activity, sha256_hex(activity_id))
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if row is not None and row.definition:
        activity["definition"] = row.definition
    return activity


PERSON_PROPERTIES = ("name", "mbox", "mbox_sha1sum", "openid", "account")


def person_of(agent: dict[str, Any]) -> dict[str, Any]:
    """Build the Person Object for an Agent (Communication §2.4): each property an array.

    Identities are not merged across IFIs here (that would need explicit permission,
    §2.4), so the Person holds just the requested agent's data.
    """
    person: dict[str, Any] = {"objectType": "Person"}
    for name in PERSON_PROPERTIES:
        value = agent.get(name)
        if value is not None and value != "":
            person[name] = [value]
    return person
