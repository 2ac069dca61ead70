"""Marking texts for translation where no request (and no locale) is at hand yet."""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return text
