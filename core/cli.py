"""What every area's ``flask`` commands share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from core.db import db
from core.errors import AppError

T = TypeVar("T")


def committed(action: Callable[[], T]) -> T:
    """Run a service call and commit it.

    A refusal (``AppError``) rolls back and ends the command with its message (exit 1).
    """
    try:
        result = action()
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    return result
