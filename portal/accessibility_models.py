"""Reports of accessibility problems, sent from the accessibility statement's form."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model


class AccessibilityReport(Model):
    """One visitor's report of a problem (signed in or not), until an admin handles it.

    Lag (2018:1937) om tillgänglighet till digital offentlig service: the statement must
    offer a way to tell the organisation about shortcomings (DIGG, "Skapa en
    tillgänglighetsredogörelse": "meddelandefunktion"). Only what the visitor typed is
    kept, and who they were if they were signed in; not their address.
    """

    __tablename__ = "portal_accessibility_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # The page or course it is about, as the visitor wrote it (the footer's link fills in
    # the page they came from).
    page: Mapped[str] = mapped_column(String(500), default="")
    message: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Where to answer, if the visitor wants an answer.
    email: Mapped[str] = mapped_column(String(255), default="")
    # The language of the page the report was sent from (answer in it).
    locale: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id", ondelete="SET NULL"), nullable=True
    )
    handled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    handled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id", ondelete="SET NULL"), nullable=True
    )
