"""Courses, their package versions, and each version's file map."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from accounts.models import OrganisationUnit
from core.db import Model


class Course(Model):
    """A course in the catalogue; its content comes from its package versions."""

    __tablename__ = "package_course"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    # A line or two for the catalogue's card (the description is the course page's).
    summary: Mapped[str | None] = mapped_column(String(300), nullable=True)
    category: Mapped[str | None] = mapped_column(String(200))
    # The owning organisation unit; None means the whole organisation. By id, so that a
    # unit renamed, given a new code or moved keeps its courses; a unit that owns courses
    # cannot be deleted (units are deactivated, never deleted, by the application).
    owner_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_unit.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    owner: Mapped[OrganisationUnit | None] = relationship()
    versions: WriteOnlyMapped[PackageVersion] = relationship(
        back_populates="course", order_by="PackageVersion.number", passive_deletes=True
    )

    @property
    def owner_unit(self) -> str | None:
        """The owning unit's code, as the API and the CLI name it (None: everyone)."""
        return self.owner.code if self.owner is not None else None


class PackageVersion(Model):
    """One uploaded package of a course; never changed after import."""

    __tablename__ = "package_version"
    __table_args__ = (UniqueConstraint("course_id", "number", name="uq_package_version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("package_course.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    edition: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(500))
    # Offered to new attempts (the newest published version is); kept equal to
    # review_state == "published" by packages/review.py and the import.
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where the version is on its way to learners (packages/review_models.REVIEW_STATES).
    review_state: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft")
    # The parsed manifest (packages.manifest.common.ParsedPackage.structure), for the player.
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    launch: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # sha256 over the sorted file map: the same package gives the same key, and content
    # URLs built from it (/content/<content_hash>/...) cannot be enumerated.
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    file_count: Mapped[int] = mapped_column(Integer)
    total_size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    course: Mapped[Course] = relationship(back_populates="versions")
    files: WriteOnlyMapped[PackageFile] = relationship(passive_deletes=True)


class PackageFile(Model):
    """The file map of a version: package path to content hash in storage."""

    __tablename__ = "package_file"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("package_version.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
