"""``/healthz`` and ``/readyz`` over HTTP: alive without the database; ready only with the
database reachable, the migrations at head and storage that can be written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from core.db import db

OLDER = "a9c4e1f0b2d3"  # a revision some way before head (tests/test_migrations.py)


def test_ops_healthz_answers_alive(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_ops_readyz_names_each_check(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "storage": "ok"},
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_ops_health_is_answered_on_the_content_port(app: Flask, client: FlaskClient) -> None:
    """A load balancer checks both ports of a node; the content port keeps portal pages away."""
    saved = app.config["CONTENT_PORT"], app.config["PORT"]
    app.config.update(CONTENT_PORT=5001, PORT=5000)
    try:
        content = "http://127.0.0.1:5001"
        assert client.get("/login", base_url=content).status_code == 303  # it is the content port
        assert client.get("/healthz", base_url=content).status_code == 200
        assert client.get("/readyz", base_url=content).get_json()["status"] == "ready"
        assert client.get("/readyz", base_url="http://127.0.0.1:5000").status_code == 200
    finally:
        app.config["CONTENT_PORT"], app.config["PORT"] = saved


def test_ops_database_unreachable_is_alive_but_not_ready(
    own_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = own_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # the database is never asked
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not ready",
        "checks": {"database": "failed", "migrations": "failed", "storage": "ok"},
    }
    assert str(tmp_path) not in response.get_data(as_text=True)  # names, no details


def test_ops_readyz_database_behind_head_then_upgraded(own_app: Callable[..., Flask]) -> None:
    app = own_app()
    client = app.test_client()
    with app.app_context():
        upgrade(revision=OLDER)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {
        "database": "ok",
        "migrations": "behind",
        "storage": "ok",
    }
    with app.app_context():
        upgrade()
    assert client.get("/readyz").status_code == 200


def test_ops_readyz_database_migrated_by_newer_code(own_app: Callable[..., Flask]) -> None:
    """Another node's newer code migrated past what this node knows: not ready either."""
    app = own_app()
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfacecafe'"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"] == "ahead"


def test_ops_readyz_database_never_migrated(own_app: Callable[..., Flask]) -> None:
    response = own_app().test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"] == "failed"


def test_ops_readyz_storage_not_writable(own_app: Callable[..., Flask], tmp_path: Path) -> None:
    """Storage where no file can be written (the path is a file: root writes anywhere else)."""
    blocked = tmp_path / "storage-is-a-file"
    blocked.write_text("not a directory")
    app = own_app(STORAGE_PATH=str(blocked))
    with app.app_context():
        upgrade()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not ready",
        "checks": {"database": "ok", "migrations": "ok", "storage": "failed"},
    }
    assert str(blocked) not in response.get_data(as_text=True)


def test_ops_readyz_storage_probe_leaves_nothing(app: Flask, client: FlaskClient) -> None:
    assert client.get("/readyz").status_code == 200
    staging = Path(app.config["STORAGE_PATH"]) / "tmp"
    assert [p.name for p in staging.iterdir() if p.name.startswith("ready-")] == []
