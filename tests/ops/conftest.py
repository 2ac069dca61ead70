"""Apps of their own for the operations tests (a database at another revision, storage
that cannot be written), and a portal account for requests that log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.security import generate_password_hash

from config import TestConfig
from core import create_app
from core.db import db


@pytest.fixture
def own_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """``own_app(**settings)``: an app on a SQLite file of its own (not migrated)."""
    made: list[Flask] = []

    def make(**settings: Any) -> Flask:
        config = {
            "TESTING": True,
            "SECRET_KEY": TestConfig.SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'own.db'}",
            "INSTANCE_PATH": str(tmp_path),
            "STORAGE_PATH": str(tmp_path / "storage"),
            **settings,
        }
        made.append(create_app(config))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def make_author(app: Flask) -> Callable[[], tuple[str, str]]:
    """A portal author; returns (e-mail, password)."""
    from accounts.models import User

    def make() -> tuple[str, str]:
        with app.app_context():
            db.session.add(
                User(
                    email="author@example.org",
                    name="Author",
                    password_hash=generate_password_hash("correct horse", "pbkdf2:sha256:1000"),
                    role="author",
                    active=True,
                    created_at=datetime(2026, 1, 1),
                )
            )
            db.session.commit()
        return "author@example.org", "correct horse"

    return make
