"""The SCORM data model is pure: its tests need no app and no database."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Override the suite's table cleaner: these modules are pure, no app, no database."""
