"""Notification tables: the outbox, keys of messages cleaned away, and opt-outs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model

# pending: to be sent; sending: claimed by a sender (claimed_at); sent; failed (every
# try used; Admin → Jobs can try again); not_sent: kept here only (``reason``).
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "not_sent")


class OutboxMessage(Model):
    """One message to one person, once: ``key`` names kind, person, subject and period."""

    __tablename__ = "portal_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(255), default="")
    locale: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    # Why a message is not e-mailed: "mail_off", "opted_out", "no_address".
    reason: Mapped[str] = mapped_column(String(20), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    # An iCalendar invitation sent with the message (text/calendar, RFC 6047), if any.
    invitation: Mapped[str | None] = mapped_column(Text, nullable=True)
    # When the person saw it on their Notifications page (None: unread).
    read_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class OutboxKey(Model):
    """The key of a message the outbox cleanup removed: that message is never made again.

    Collectors find some messages again day after day (an overdue notice, while the
    person stays overdue); without its key, a removed one would be sent once more.
    """

    __tablename__ = "portal_outbox_key"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class NoticeOptOut(Model):
    """An optional kind of e-mail a person does not want (still on their Notifications page)."""

    __tablename__ = "portal_notice_optout"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
