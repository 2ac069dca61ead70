"""Readiness: may this node take requests? The database, the migrations, the storage.

Each check is a function an area adds with :func:`add_check` (core adds the database
and the migrations, the packages area its storage backend's own check), run in turn by
``/readyz``. A check returns when all is well and raises otherwise: :class:`NotReady`
with a short reason for the answer, or any other error, which the answer calls
"failed" and the log tells in full (the answer, to anyone who asks, holds no detail).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache

from alembic.script import ScriptDirectory
from flask import Flask

from config import BASE_DIR
from core.db import db

log = logging.getLogger(__name__)

_CHECKS = "kompetens.readiness_checks"


class NotReady(Exception):
    """A check's known failure; ``reason`` is shown in the answer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def add_check(app: Flask, name: str, check: Callable[[], None]) -> None:
    """Let ``/readyz`` run ``check`` under ``name``."""
    app.extensions.setdefault(_CHECKS, {})[name] = check


def run(app: Flask) -> dict[str, str]:
    """Each check's name and "ok", or why it is not."""
    results: dict[str, str] = {}
    checks: dict[str, Callable[[], None]] = app.extensions.get(_CHECKS, {})
    for name, check in checks.items():
        try:
            check()
        except NotReady as exc:
            log.warning("not ready: %s: %s", name, exc.reason)
            results[name] = exc.reason
        except Exception as exc:
            log.warning("not ready: %s: %s: %s", name, type(exc).__name__, exc)
            results[name] = "failed"
        else:
            results[name] = "ok"
    return results


def database() -> None:
    """The database answers a query (on a connection of the pool, not the request's session)."""
    with db.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1").scalar()


@cache
def _revisions() -> tuple[frozenset[str], frozenset[str]]:
    """The migrations' heads and every revision this code knows (read once a process)."""
    script = ScriptDirectory(str(BASE_DIR / "migrations"))
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return frozenset(script.get_heads()), known


def migrations() -> None:
    """The database's ``alembic_version`` is the migrations' head(s).

    "behind": ``flask db upgrade`` has not run since this code came; "ahead": newer code
    (another node's) migrated the database past what this code knows.
    """
    with db.engine.connect() as connection:
        found = frozenset(
            connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
        )
    heads, known = _revisions()
    if found == heads:
        return
    raise NotReady("ahead" if found - known else "behind")
