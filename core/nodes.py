"""Settings several app nodes need, checked before the service starts.

Kompetens runs on several nodes behind a load balancer when they share one PostgreSQL
database, one package storage and one SECRET_KEY (README, "Several nodes"). Settings
that only work on one node are refused at start with a message saying what to set, not
found out later as sign-ins that hold on one node only or packages that 404 on another.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def problems(config: Mapping[str, Any]) -> list[str]:
    """What keeps these settings from serving NODES nodes (empty: nothing)."""
    nodes = int(config.get("NODES") or 1)
    if nodes <= 1:
        return []
    found = []
    if not config.get("SECRET_KEY"):
        found.append(
            "SECRET_KEY must be set in the environment, the same on every node (a key each"
            " node generates for itself makes a sign-in on one node invalid on the others)"
        )
    if str(config.get("SQLALCHEMY_DATABASE_URI") or "").startswith("sqlite"):
        found.append(
            "DATABASE_URL must name a PostgreSQL database every node reaches"
            " (postgresql+psycopg://...), not an SQLite file on one node"
        )
    if config.get("STORAGE") != "s3" and not config.get("STORAGE_PATH_SHARED"):
        found.append(
            "package storage must be shared: STORAGE=s3, or STORAGE_PATH on a file system"
            " every node mounts and STORAGE_PATH_SHARED=1"
        )
    return found


def check(config: Mapping[str, Any]) -> None:
    """Exit with a message naming every problem (no traceback) if there are any."""
    found = problems(config)
    if found:
        lines = "\n".join(f"  - {problem}" for problem in found)
        raise SystemExit(
            f"Kompetens cannot start as one of NODES={config['NODES']} nodes:\n{lines}"
        )
