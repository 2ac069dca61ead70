"""The migrations build the schema the models describe (``flask db check``, in the suite)."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from core.db import db


def test_migrations_match_the_models(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        with warnings.catch_warnings():
            # Alembic cannot compare expression indexes (lower(user_name)); it says so.
            warnings.filterwarnings("ignore", message=".*expression.*")
            differences = compare_metadata(context, db.metadata)
    assert differences == []
