"""Marking texts for translation where no request (and no locale) is at hand yet."""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return text


def NC_(context: str, text: str) -> str:
    """Mark a message with its context (gettext's msgctxt) for extraction; return the text.

    One English word may need two Swedish ones: "Passed" heads a column of counts
    ("Godkända") and names one result ("Godkänd").  The heading is marked
    ``NC_("heading", "Passed")`` and shown with ``portal.i18n.heading``.
    """
    return text
