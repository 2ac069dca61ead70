"""The database object shared by every area."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base for all models."""


db = SQLAlchemy(model_class=Base)

# Models subclass ``Model``: at run time it is Flask-SQLAlchemy's ``db.Model``; for the
# type checker, which cannot see that dynamic class, it is the typed declarative base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def dialect_insert(target: Any, dialect: str | None = None) -> Any:
    """The database's own INSERT construct, the one with ON CONFLICT clauses.

    ``dialect`` names the database ("postgresql", else SQLite); by default the
    session's.
    """
    if (dialect or db.session.get_bind().dialect.name) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    return insert(target)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Let several gunicorn workers share one SQLite file (WAL, busy timeout)."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
