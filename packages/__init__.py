"""Course packages: upload, validation, storage and serving (being written)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the packages area (blueprint, CLI) on the app."""
