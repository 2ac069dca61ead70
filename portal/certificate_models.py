"""Certificates: one per certified result, checkable by anyone who has its code."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model


class Certificate(Model):
    """A certificate for one completed or passed result (the statement behind it).

    What it says (name, course, date, validity, issuer) is kept as it was issued, so a
    printed copy and the verification page agree even after a rename; whether it still
    holds is decided when it is checked (portal/certificates.py): a voided result
    withdraws it, and it expires after ``valid_until``.
    """

    __tablename__ = "portal_certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The secret in the verification address (128 random bits): knowing it is what lets
    # someone without an account check the certificate.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("package_course.id", ondelete="SET NULL"), nullable=True, index=True
    )
    learner_name: Mapped[str] = mapped_column(String(300))
    course_title: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(300))
    completed_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
