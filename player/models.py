"""Attempts, per-SCO runtime state, launch tokens and cmi5 sessions.

An attempt belongs to one learner, one course and one package version: a new attempt
takes the newest published version, an open attempt keeps its own (packages.service).
Everything the browser sends lands in ``ScoState`` (one row per SCO or cmi5 AU of the
attempt); the attempt holds the rolled-up course status.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Model

if TYPE_CHECKING:
    from accounts.models import User
    from packages.models import PackageVersion


class Attempt(Model):
    """One learner's attempt at a course, on one package version."""

    __tablename__ = "player_attempt"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "number", name="uq_attempt_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(
        ForeignKey("package_course.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("package_version.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # The xAPI registration of every statement about this attempt (also the cmi5 one).
    registration: Mapped[str] = mapped_column(String(36), unique=True)
    completion_status: Mapped[str] = mapped_column(String(20), default="not attempted")
    success_status: Mapped[str] = mapped_column(String(20), default="unknown")
    score_scaled: Mapped[float | None] = mapped_column(Float, nullable=True)
    total_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # Server wall-clock seconds in sessions (audit; SCORM_CHECKS.md pain point 7).
    wall_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    current_sco: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # SCORM 2004 sequencing state (player.sequencing.SequencingState, as JSON).
    sequencing: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # None while the attempt is open; a closed attempt is never resumed.
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # An author's preview (GET /courses/<id>/preview): plays like any attempt, on the
    # newest version even unpublished, but is never a learner's attempt: not resumed by
    # a launch, not in My learning, and its results count in no report.
    preview: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The launch token whose player page owns the attempt: the one that started it last
    # (player.ownership.claim). Runtime calls of the attempt's other tokens are refused
    # with 409 "taken over", so two tabs never overwrite each other's data.
    owner_token_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    scos: Mapped[list[ScoState]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="ScoState.id"
    )
    # Loaded with the attempt by every runtime call (attempts.attempt_for_token), which
    # keeps them in the session's identity map for version_of and player.lms.learner;
    # read through those, never lazily here.
    version: Mapped[PackageVersion] = relationship(viewonly=True, lazy="raise_on_sql")
    user: Mapped[User] = relationship(viewonly=True, lazy="raise_on_sql")


class ScoState(Model):
    """The runtime state of one SCO (or cmi5 AU) in an attempt."""

    __tablename__ = "player_sco_state"
    __table_args__ = (UniqueConstraint("attempt_id", "sco_id", name="uq_sco_state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("player_attempt.id", ondelete="CASCADE"), index=True
    )
    sco_id: Mapped[str] = mapped_column(String(255))
    # The stored CMI tree (player.cmi shape: the object under "cmi" in a commit).
    cmi: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The tree the LMS handed the running session (read-only values are checked against
    # it, and restored from it, on every commit: player.cmi.check_readonly).
    launch_cmi: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The adl.data entries the LMS handed the running session (player.cmi.initial_adl_data):
    # a store is written only when a commit changes it from what was sent.
    launch_adl: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # cmi.entry / cmi.core.entry of the session that is running or starts next.
    entry: Mapped[str] = mapped_column(String(20), default="ab-initio")
    # Each launch of the SCO is a session; commits carry (session, seq), and anything
    # older than what was stored is ignored, so retries and late beacons are harmless.
    session_no: Mapped[int] = mapped_column(Integer, default=0)
    commit_seq: Mapped[int] = mapped_column(Integer, default=0)
    session_started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    session_finished: Mapped[bool] = mapped_column(Boolean, default=True)
    # total_time before the running session; total = base + the session's session_time.
    base_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    total_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    wall_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # How many cmi.interactions were already sent to the LRS as "answered" statements.
    sent_interactions: Mapped[int] = mapped_column(Integer, default=0)
    completion_status: Mapped[str] = mapped_column(String(20), default="not attempted")
    success_status: Mapped[str] = mapped_column(String(20), default="unknown")
    score_scaled: Mapped[float | None] = mapped_column(Float, nullable=True)
    exit: Mapped[str] = mapped_column(String(20), default="")
    launches: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # The refused values (player.refusals digests) already counted in this session, so a
    # value the SCO sends with every commit is counted once per session.
    refused: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)

    attempt: Mapped[Attempt] = relationship(back_populates="scos")


class SharedData(Model):
    """One SCORM 2004 4th-ed. shared data bucket (``adl.data``) of a learner.

    Buckets are named by the ``targetID`` of the items' ``adlcp:map`` (CAM §3.4.1.x,
    ``adlcp:data``). ``scope`` is ``"system"`` when the organization's
    ``adlcp:sharedDataGlobalToSystem`` is true (the default: one bucket per learner and
    targetID, whatever the course), else ``"attempt:<id>"`` with ``attempt_id`` set, so the
    bucket lives and dies with that attempt. A bucket exists once a SCO wrote it; an
    unwritten one is "not initialized" (RTE adl.data.n.store, error 403).
    """

    __tablename__ = "player_shared_data"
    __table_args__ = (
        UniqueConstraint("user_id", "scope", "target_hash", name="uq_shared_data_bucket"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(40))
    attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("player_attempt.id", ondelete="CASCADE"), nullable=True, index=True
    )
    # SHA-256 of target_id: targetIDs are URIs of any length, too long for a unique index.
    target_hash: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(Text)
    store: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class LaunchToken(Model):
    """A random, expiring token that stands for an attempt in runtime calls.

    Only its SHA-256 is stored; the player shell and runtime URLs carry the token, never
    the portal session cookie (DESIGN.md, security model).
    """

    __tablename__ = "player_launch_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("player_attempt.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Sliding: each runtime call pushes it to now + PLAYER_TOKEN_TTL (service.attempt_for_token).
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    # "normal", or "review": the learner looks at an attempt again and nothing they do
    # changes its tracking data (SCORM 2004 RTE §4.2.13 cmi.mode, 1.2 cmi.core.lesson_mode).
    mode: Mapped[str] = mapped_column(String(10), default="normal", server_default="normal")
    # Where a review session is (a review never moves the attempt's own current_sco).
    review_sco: Mapped[str | None] = mapped_column(String(255), nullable=True)

    attempt: Mapped[Attempt] = relationship()


class Cmi5Session(Model):
    """One cmi5 AU launch: its session id, one-time fetch token and LRS credential.

    The credential is created when the fetch URL is called, so its secret is never stored.

    cmi5 spec §8.1 (launch URL), §8.2 (fetch URL, one use), §9.6.2.1 (session id).
    """

    __tablename__ = "player_cmi5_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("player_attempt.id", ondelete="CASCADE"), index=True
    )
    au_id: Mapped[str] = mapped_column(String(255))
    session_id: Mapped[str] = mapped_column(String(36), unique=True)
    fetch_hash: Mapped[str] = mapped_column(String(64), unique=True)
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("lrs_credential.id", ondelete="SET NULL"), nullable=True
    )
    move_on: Mapped[str] = mapped_column(String(30))
    launch_mode: Mapped[str] = mapped_column(String(20), default="Normal")
    launched_at: Mapped[datetime] = mapped_column(DateTime)
    # When the AU's terminated statement was seen, or the LMS abandoned the session.
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    abandoned: Mapped[bool] = mapped_column(Boolean, default=False)


class RefusedValue(Model):
    """A value a course tried to store and the player refused, for the course's authors.

    One row per package version, SCO, element, error code and value (truncated), with the
    number of sessions it happened in. ``source`` is "browser" (refused at SetValue, the
    SCO was told) or "server" (found in a commit and left out, the rest was stored).
    """

    __tablename__ = "player_refused_value"
    __table_args__ = (UniqueConstraint("version_id", "digest", name="uq_refused_value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("package_version.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64))
    sco_id: Mapped[str] = mapped_column(String(255))
    element: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(Text)
    code: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(10))
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
