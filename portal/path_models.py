"""Learning paths: an ordered set of catalogue courses, taken and completed as one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model


class LearningPath(Model):
    """A path in the catalogue; who sees it follows the same rule as a course's owner."""

    __tablename__ = "portal_learning_path"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_unit.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class LearningPathCourse(Model):
    """One step of a path: a course at a position (1, 2, ...)."""

    __tablename__ = "portal_learning_path_course"

    path_id: Mapped[int] = mapped_column(
        ForeignKey("portal_learning_path.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[int] = mapped_column(
        ForeignKey("package_course.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)
