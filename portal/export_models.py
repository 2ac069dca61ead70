"""Files a page hands to a background job or a job to a page, kept in the database.

In the database, not in a node's instance directory: with several nodes, the job runs
on whichever node's worker takes it and the page is answered by any node.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from accounts.models import User  # noqa: F401  (the foreign key's table)
from core.db import Model

# queued: waiting for its job (or running: Admin → Jobs and the page show how far);
# ready: the file is there until expires_at; refused: the person's scope changed before
# the job ran, so no file was made.
EXPORT_STATUSES = ("queued", "ready", "refused")


class ReportExport(Model):
    """One export asked for: who, which report with which arguments, and its file."""

    __tablename__ = "portal_export"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Random, never shown in a URL.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    # The report's arguments as the page had them (ids, a status, a file format).
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A digest of the rows the person may read when asking (role, units or manager
    # line): the job and every download check the person still has this very scope.
    scope: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(200))
    task_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # How a download is audited: the report's name and details, as a page's export is.
    audit: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The file and this row go at this moment (a job sweeps them away every hour).
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # The file once made (loaded only when downloaded: lists of exports do not read it).
    body: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))


class PeopleImportFile(Model):
    """A large people import's file, waiting for its job (portal/tasks.py import_people)."""

    __tablename__ = "portal_people_import_file"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
