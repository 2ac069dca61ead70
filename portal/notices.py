"""Notifications: what each kind of message says, the outbox, and sending it once.

Every message is an outbox row with a unique key (kind, recipient, subject, period), so
a job run again makes no second row. Sending claims the row (``sending``, with the
moment), sends, then marks it ``sent``; a claim older than MAIL_CLAIM_SECONDS is a
sender that died before sending, and the row is sent again. (A sender that dies after
the relay accepted the message but before marking it would send it twice: the window is
one UPDATE, and the same Message-ID lets a mail program tell.)

A kind is a function that writes a message's words in the recipient's language; adding
one is adding a :class:`Kind` to ``KINDS`` (classroom mails will be).
"""

from __future__ import annotations

import hashlib
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, delete, event, func, insert, or_, select, update
from sqlalchemy.orm import Session

from accounts.models import User
from core import jobs
from core.db import db
from core.errors import NotFound
from core.i18n import N_
from core.jobs.runs import error_text
from portal import mailer
from portal.notice_models import NoticeOptOut, OutboxKey, OutboxMessage

ERROR_LENGTH = 300


@dataclass
class Content:
    """A message's words, in one language: the HTML and plain text parts share them."""

    subject: str
    paragraphs: list[str]
    items: list[str] = field(default_factory=list)
    link: str = ""
    link_text: str = ""


@dataclass(frozen=True)
class Kind:
    """A kind of message: its name in settings, whether people may turn its e-mail off."""

    label: str
    optional: bool
    write: Callable[[User, dict[str, Any]], Content]


KINDS: dict[str, Kind] = {}


def kind(name: str, label: str, optional: bool) -> Callable[..., Any]:
    """Register a kind of message (its writer is called inside the recipient's locale)."""

    def register(write: Callable[[User, dict[str, Any]], Content]) -> Any:
        KINDS[name] = Kind(label, optional, write)
        return write

    return register


def optional_kinds() -> dict[str, Kind]:
    """The kinds a person may choose not to get by e-mail."""
    return {name: k for name, k in KINDS.items() if k.optional}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def locale_of(user: User) -> str:
    """The person's language, else the organisation's."""
    chosen = user.locale if user.locale in ("sv", "en") else None
    return str(chosen or current_app.config["ORGANISATION_LOCALE"])


def portal_link(path: str) -> str:
    """An absolute link into the portal (none without PORTAL_URL: no host is known)."""
    base = current_app.config.get("PORTAL_URL", "")
    return base.rstrip("/") + path if base else ""


def render(name: str, user: User, context: dict[str, Any]) -> tuple[str, str, str, str]:
    """Subject, plain text and HTML of a ``name`` message to ``user``, and its locale."""
    locale = locale_of(user)
    with force_locale(locale):
        content = KINDS[name].write(user, context)
        # The templates alone: the pages' context processors need a request, a job has none.
        env = current_app.jinja_env
        text = env.get_template("mail/notice.txt").render(user=user, c=content)
        html = env.get_template("mail/notice.html").render(user=user, c=content, locale=locale)
    return content.subject, text, html, locale


def opted_out(user_ids: Iterable[int]) -> set[tuple[int, str]]:
    """(person, kind) pairs not wanted by e-mail, for ``user_ids``."""
    ids = list(set(user_ids))
    if not ids:
        return set()
    rows = db.session.execute(
        select(NoticeOptOut.user_id, NoticeOptOut.kind).where(NoticeOptOut.user_id.in_(ids))
    )
    return {(uid, k) for uid, k in rows}


@dataclass
class Draft:
    """A message to store: its kind, unique key, recipient and what its writer needs."""

    kind: str
    key: str
    user: User
    context: dict[str, Any]
    invitation: bytes | None = None  # an .ics to send with it (portal/invitations.py)


def store(drafts: list[Draft]) -> list[int]:
    """Add the drafts whose key is new to the outbox; the ids of those to e-mail."""
    keys = [d.key for d in drafts]
    seen: set[str] = set()
    for start in range(0, len(keys), 500):
        some = keys[start : start + 500]
        seen.update(
            db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(some)))
        )
        seen.update(db.session.scalars(select(OutboxKey.key).where(OutboxKey.key.in_(some))))
    fresh = []
    for draft in drafts:  # a key once: the same message may be collected twice in a run
        if draft.key not in seen:
            seen.add(draft.key)
            fresh.append(draft)
    unwanted = opted_out(d.user.id for d in fresh)
    mail_on = mailer.enabled(current_app.config)
    rows = []
    for draft in fresh:
        subject, text, html, locale = render(draft.kind, draft.user, draft.context)
        reason = ""
        if not mail_on:
            reason = "mail_off"
        elif (draft.user.id, draft.kind) in unwanted and KINDS[draft.kind].optional:
            reason = "opted_out"
        elif not draft.user.email:
            reason = "no_address"
        row = OutboxMessage(
            key=draft.key,
            kind=draft.kind,
            user_id=draft.user.id,
            address=draft.user.email or "",
            locale=locale,
            subject=subject[:300],
            body_text=text,
            body_html=html,
            created_at=_now(),
            status="not_sent" if reason else "pending",
            reason=reason,
            attempts=0,
            last_error="",
            invitation=draft.invitation.decode() if draft.invitation else None,
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return [r.id for r in rows if r.status == "pending"]


_PENDING = "outbox_ids_to_send"


def send_after_commit(message_ids: list[int]) -> None:
    """Give these stored messages their sending jobs once the transaction commits.

    For messages stored inside a request's change (a booking, a review): the change and
    its messages commit together, and only then is a job enqueued for each (the outbox
    sweep sends any whose job is lost). A rollback forgets them.
    """
    if message_ids:
        db.session.info.setdefault(_PENDING, []).extend(message_ids)


def connect_sending() -> None:
    """Listen for commits and rollbacks (connecting again changes nothing)."""
    if not event.contains(Session, "after_commit", _send_after_commit):
        event.listen(Session, "after_commit", _send_after_commit)
        event.listen(Session, "after_rollback", _forget_after_rollback)


def _send_after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING, None)
    if not ids:
        return
    for message_id in ids:
        if not jobs.try_enqueue("send_message", message_id):
            break  # no queue now: the outbox sweep sends them when a worker runs


def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _stale() -> datetime:
    return _now() - timedelta(seconds=int(current_app.config["MAIL_CLAIM_SECONDS"]))


def claim(message_id: int) -> OutboxMessage | None:
    """Take the message for sending (committed), or None: sent, or another sender has it.

    A failed message (every try used) is taken too: only an admin's retry of its job
    brings it here again (the sweep sends pending ones).
    """
    wanted = ("pending", "failed")
    taken = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            or_(
                OutboxMessage.status.in_(wanted),
                and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at <= _stale()),
            ),
        )
        .values(status="sending", claimed_at=_now(), attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return db.session.get(OutboxMessage, message_id)


def message_id_of(row: OutboxMessage) -> str:
    """The Message-ID header: the same for every try of one outbox row."""
    digest = hashlib.sha256(row.key.encode()).hexdigest()[:32]
    domain = str(current_app.config["MAIL_FROM"]).rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


MAX_ATTEMPTS = 6


def deliver(message_id: int) -> bool:
    """Send one outbox message if it still needs sending; True when this call sent it.

    An SMTP or network error puts the message back (``pending``, or ``failed`` after
    MAX_ATTEMPTS) and is raised again, so the job is retried with backoff.
    """
    row = claim(message_id)
    if row is None:
        return False
    config = current_app.config
    message = mailer.build(
        config,
        row.address,
        row.subject,
        row.body_text,
        row.body_html,
        row.locale,
        message_id_of(row),
    )
    if row.invitation:
        mailer.attach_invitation(message, row.invitation.encode())
    try:
        mailer.send(config, message)
    except (OSError, smtplib.SMTPException) as exc:
        row.status = "failed" if row.attempts >= MAX_ATTEMPTS else "pending"
        row.claimed_at = None
        row.last_error = error_text(exc)
        db.session.commit()
        raise
    row.status, row.sent_at, row.last_error = "sent", _now(), ""
    db.session.commit()
    return True


def waiting() -> list[int]:
    """Messages a sender should take: pending, or claimed by a sender that died."""
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                or_(
                    OutboxMessage.status == "pending",
                    and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at <= _stale()),
                )
            )
            .order_by(OutboxMessage.id)
        )
    )


def of_person(user: User, limit: int = 100) -> list[OutboxMessage]:
    """A person's own notifications, newest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.user_id == user.id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def unread_count(user_id: int) -> int:
    """How many of the person's notifications they have not marked read."""
    stmt = select(func.count()).where(
        OutboxMessage.user_id == user_id, OutboxMessage.read_at.is_(None)
    )
    return int(db.session.scalar(stmt) or 0)


def mark_read(user: User, message_id: int | None = None) -> int:
    """Mark one of the person's notifications read (``None``: all); how many changed.

    Another person's message is not found (NotFound), so ids reveal nothing.
    """
    stmt = update(OutboxMessage).where(
        OutboxMessage.user_id == user.id, OutboxMessage.read_at.is_(None)
    )
    if message_id is not None:
        if (
            db.session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.id == message_id, OutboxMessage.user_id == user.id
                )
            )
            is None
        ):
            raise NotFound("No such notification")
        stmt = stmt.where(OutboxMessage.id == message_id)
    done = db.session.execute(
        stmt.values(read_at=_now()).execution_options(synchronize_session=False)
    )
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


# Messages in a final state: e-mailed, or kept without e-mail (mail off, opted out, no
# address). Pending, sending and failed ones stay (an admin may try a failed one again).
PRUNED_STATUSES = ("sent", "not_sent")


def prune(days: int, limit: int = 1000) -> int:
    """Remove up to ``limit`` finished messages older than ``days``; how many went.

    Their keys are kept (``OutboxKey``), so a collector that finds the same message again
    (an overdue notice, while the person stays overdue) does not send it once more.
    """
    before = _now() - timedelta(days=days)
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.key, OutboxMessage.created_at)
        .where(OutboxMessage.status.in_(PRUNED_STATUSES), OutboxMessage.created_at < before)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    if not rows:
        return 0
    db.session.execute(insert(OutboxKey), [{"key": key, "created_at": at} for _id, key, at in rows])
    db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.id.in_([row_id for row_id, _key, _at in rows]))
        .execution_options(synchronize_session=False)
    )
    return len(rows)


def outbox(status: str | None = None, limit: int = 200) -> list[tuple[OutboxMessage, str]]:
    """The outbox for admins, newest first, with each recipient's name."""
    stmt = (
        select(OutboxMessage, User.name)
        .join(User, User.id == OutboxMessage.user_id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    return [(m, name) for m, name in db.session.execute(stmt)]


def set_wanted(user: User, wanted: set[str]) -> None:
    """Keep opt-outs for the optional kinds not in ``wanted`` (others are always sent)."""
    db.session.execute(delete(NoticeOptOut).where(NoticeOptOut.user_id == user.id))
    for name in optional_kinds():
        if name not in wanted:
            db.session.add(NoticeOptOut(user_id=user.id, kind=name))
    db.session.flush()


def wanted_by(user: User) -> set[str]:
    """The optional kinds the person gets by e-mail."""
    out = {k for _u, k in opted_out([user.id])}
    return {name for name in optional_kinds() if name not in out}


REASONS = {
    "mail_off": N_("E-mail is not set up"),
    "opted_out": N_("Turned off by the person"),
    "no_address": N_("No e-mail address"),
}
OUTBOX_STATUS_NAMES = {
    "pending": N_("Waiting"),
    "sending": N_("Being sent"),
    "sent": N_("Sent"),
    "failed": N_("Sending failed"),
    "not_sent": N_("Not e-mailed"),
}
