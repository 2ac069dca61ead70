"""LRS tables: statements with their filter index, attachments, documents, activities, credentials.

DESIGN.md, "Storage": the full statement JSON is kept beside indexed columns, and every
query parameter is answered from ``statement_filter`` rows (hashed keys), so a filtered
GET never scans statement bodies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JsonType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY columns.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Credential(Model):
    """An LRS client: key and (hashed) secret, scopes and the authority it stores under."""

    __tablename__ = "lrs_credential"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_salt: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    authority: Mapped[dict[str, Any]] = mapped_column(JSON)
    # A learner-bound credential (player launches) may only act as this agent, in this
    # registration, about these activities and what lies under them (lrs/learner_scope.py)
    # and, for a cmi5 AU, in this session.
    agent: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    registration: Mapped[str | None] = mapped_column(String(36), nullable=True)
    activity_roots: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # An admin trusts this client's results: its completed/passed/failed statements count
    # in reports without a launch of ours behind them (portal/projection.py).
    trusted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The xAPI version this client last spoke: answers a request that names none.
    preferred_version: Mapped[str | None] = mapped_column(String(8), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Statement(Model):
    """One stored statement; ``data`` is returned as is (format=exact)."""

    __tablename__ = "lrs_statement"

    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    stored: Mapped[datetime] = mapped_column(DateTime)
    verb_id: Mapped[str] = mapped_column(Text)
    # Target of a StatementRef object (voiding, and filters that follow refs).
    object_ref: Mapped[str | None] = mapped_column(String(36), nullable=True)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("lrs_credential.id", ondelete="SET NULL"), nullable=True
    )
    has_attachments: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_lrs_statement_credential_pk", "credential_id", "pk"),
        # Partial: few statements have a StatementRef object, and every insert of one
        # without it would otherwise pay for an index entry of NULL.
        Index(
            "ix_lrs_statement_object_ref",
            "object_ref",
            postgresql_where=text("object_ref IS NOT NULL"),
            sqlite_where=text("object_ref IS NOT NULL"),
        ),
    )


class StatementFilter(Model):
    """One queryable key of a statement: (kind, hashed key) → statement.

    Kinds are the query parameters: see ``lrs.filters``.  A statement whose object is a
    StatementRef also carries its target's rows, which is how "Filter Conditions for
    StatementRefs" (xAPI 1.0.3 Communication §2.1.3) is answered without recursion.

    The table is only an index, written in the same transaction as the statement and
    read through its primary key (kind, key, statement): it has no foreign key (a
    per-row check that cost more than the row itself) and no index by statement
    (statements are never deleted one by one); SQLite keeps it WITHOUT ROWID, one
    b-tree instead of two.
    """

    __tablename__ = "lrs_statement_filter"

    kind: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    key_hash: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    statement_pk: Mapped[int] = mapped_column(BigId, primary_key=True)

    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012  (SQLAlchemy reads it)


class Attachment(Model):
    """Raw attachment data, stored once per SHA-2 however many statements use it."""

    __tablename__ = "lrs_attachment"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Activity(Model):
    """The canonical definition of an activity, merged from every statement that had one."""

    __tablename__ = "lrs_activity"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    activity_id: Mapped[str] = mapped_column(Text)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Digest of the definition merged last (lrs/definitions.py): the same one again is
    # not merged, on any node. NULL for rows from before it was kept.
    merged_digest: Mapped[bytes | None] = mapped_column(LargeBinary(16), nullable=True)


class Document(Model):
    """A State, Activity Profile or Agent Profile document (xAPI Communication §2.2)."""

    __tablename__ = "lrs_document"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # 1 state, 2 activity profile, 3 agent profile
    kind: Mapped[int] = mapped_column(SmallInteger)
    # sha256 of (kind, activityId, agent key): the set a list/delete-all works on.
    set_key: Mapped[str] = mapped_column(String(64))
    activity_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    agent_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    registration: Mapped[str] = mapped_column(String(36), default="")  # "" = none
    doc_id: Mapped[str] = mapped_column(Text)
    doc_hash: Mapped[str] = mapped_column(String(64))  # sha256 of doc_id: ids may be long
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(64))
    updated: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("uq_lrs_document_identity", "set_key", "registration", "doc_hash", unique=True),
    )


class StoredClock(Model):
    """The last ``stored`` the LRS gave, in milliseconds since the epoch (one row, id 1).

    Every batch takes its ``stored`` from here, one millisecond past the last one at
    least, under this row's lock until its transaction commits (lrs/clock.py): so
    ``stored`` grows in the order statements become visible, and a client that polls
    with ``since`` never misses one.
    """

    __tablename__ = "lrs_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stored_ms: Mapped[int] = mapped_column(BigInteger)
