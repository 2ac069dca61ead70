"""Sending one e-mail over SMTP (STARTTLS, implicit TLS or plain to a local relay)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any


def enabled(config: Mapping[str, Any]) -> bool:
    """Mail is on when a host is set."""
    return bool(config.get("MAIL_HOST"))


def build(
    config: Mapping[str, Any],
    to: str,
    subject: str,
    text: str,
    html: str,
    locale: str,
    message_id: str,
) -> EmailMessage:
    """A multipart/alternative message: plain text first, then HTML."""
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    # The same message sent again (a retry after a crash) has the same id, so a reader's
    # mail program can tell.
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    # After the parts: setting content clears the Content-* headers.
    message["Content-Language"] = locale
    return message


def attach_invitation(message: EmailMessage, ics: bytes) -> None:
    """Attach an iCalendar invitation: text/calendar with its METHOD (RFC 6047 §2.4).

    Mail programs then offer to add (or, for METHOD:CANCEL, remove) the event.
    """
    method = "CANCEL" if b"METHOD:CANCEL" in ics else "REQUEST"
    message.add_attachment(
        ics,
        maintype="text",
        subtype="calendar",
        filename="invitation.ics",
        params={"method": method, "charset": "utf-8"},
    )


def send(config: Mapping[str, Any], message: EmailMessage) -> None:
    """Deliver ``message`` to the relay; raises smtplib's errors or OSError."""
    host, port, timeout = config["MAIL_HOST"], int(config["MAIL_PORT"]), config["MAIL_TIMEOUT"]
    tls = str(config.get("MAIL_TLS", "starttls")).lower()
    context = ssl.create_default_context(cafile=config.get("MAIL_CA_FILE") or None)
    smtp: smtplib.SMTP
    if tls == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if tls == "starttls":
            smtp.starttls(context=context)
        if config.get("MAIL_USER"):
            smtp.login(config["MAIL_USER"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
