"""The application factory."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import Migrate

from config import BASE_DIR, Config
from core import bodies, files, jsoncodec, nodes, origins, proxy
from core.db import db, pooler_options
from core.errors import register_error_handlers

migrate = Migrate(directory=str(BASE_DIR / "migrations"), render_as_batch=True, compare_type=True)


def _instance_secret(instance_path: Path) -> str:
    """Generate the secret key once and keep it under ``instance/`` (never hard-coded)."""
    path = instance_path / "secret_key"
    if path.exists():
        files.private(path)
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app from ``config.Config`` overlaid with ``config``."""
    app = Flask(__name__, instance_path=Config.INSTANCE_PATH, instance_relative_config=False)
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    # Before a secret key is generated: several nodes need the one from the environment.
    nodes.check(app.config)
    instance_path = files.private_dir(Path(app.config["INSTANCE_PATH"]))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance_path)
    app.json = jsoncodec.FastJSONProvider(app)
    # JSON columns (statements, definitions) read and written with orjson as well.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "json_serializer": jsoncodec.dumps,
        "json_deserializer": jsoncodec.loads,
        **pooler_options(app.config),
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }

    db.init_app(app)
    migrate.init_app(app, db)
    # Here, not at the top: gunicorn's master imports core (its access logger) before
    # its gevent workers patch ssl, and the queue's client (redis) imports ssl.
    from core import jobs

    jobs.init_app(app)
    register_error_handlers(app)
    # Forwarded headers from trusted proxies only; the cookie's Secure flag by scheme.
    proxy.init_app(app)
    # Small bodies read before the app runs, every read timed (areas' middleware, such
    # as the LRS's alternate syntax with its own cap, wraps this).
    app.wsgi_app = bodies.BufferedBodies(  # type: ignore[method-assign]
        app.wsgi_app, float(app.config["REQUEST_BODY_IDLE_TIMEOUT"])
    )

    import accounts
    import lrs
    import packages
    import player
    import portal

    accounts.init_app(app)
    lrs.init_app(app)
    packages.init_app(app)
    portal.init_app(app)
    player.init_app(app)
    origins.init_app(app)
    # Last: its request layer (ids, log fields, metrics) wraps every other layer.
    from core import ops

    ops.init_app(app)
    return app
