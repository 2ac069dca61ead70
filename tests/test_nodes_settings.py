"""Settings checked at start when several nodes are declared (core/nodes.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import BASE_DIR
from core import nodes

BIN = Path(sys.executable).parent
PG = "postgresql+psycopg://kompetens@db.example.org/kompetens"
GOOD = {
    "NODES": 2,
    "SECRET_KEY": "k" * 40,
    "SQLALCHEMY_DATABASE_URI": PG,
    "STORAGE": "s3",
    "STORAGE_PATH_SHARED": False,
}

PROBLEMS = [
    ({}, []),
    ({"NODES": 1, "SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"}, []),
    ({"STORAGE": "local", "STORAGE_PATH_SHARED": True}, []),
    ({"SECRET_KEY": None}, ["SECRET_KEY"]),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/kompetens.db"}, ["DATABASE_URL"]),
    ({"STORAGE": "local"}, ["storage"]),
    (
        {"SECRET_KEY": "", "SQLALCHEMY_DATABASE_URI": "sqlite://", "STORAGE": "local"},
        ["SECRET_KEY", "DATABASE_URL", "storage"],
    ),
]


@pytest.mark.parametrize(("changes", "named"), PROBLEMS)
def test_nodes_settings_problems(changes, named):
    found = nodes.problems(GOOD | changes)
    assert len(found) == len(named)
    for problem, name in zip(found, named, strict=True):
        assert name in problem


def _env(tmp_path: Path, **changes: str) -> dict[str, str]:
    keep = ("DATABASE_URL", "SECRET_KEY", "STORAGE", "STORAGE_PATH_SHARED", "TEST_DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if k not in keep}
    return env | {"INSTANCE_PATH": str(tmp_path / "instance"), "NODES": "3"} | changes


@pytest.mark.parametrize(
    "command",
    [
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0", "wsgi:app"],
    ],
    ids=["flask", "gunicorn"],
)
def test_nodes_settings_refused_at_start_with_a_message(tmp_path, command):
    done = subprocess.run(  # noqa: S603  (our own CLI and server, fixed arguments)
        command,
        cwd=BASE_DIR,
        env=_env(tmp_path, JOBS_WITH_SERVER="0"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Kompetens cannot start as one of NODES=3 nodes:" in done.stderr
    for name in ("SECRET_KEY", "DATABASE_URL", "STORAGE=s3"):
        assert name in done.stderr
    assert "Traceback" not in done.stderr
    # Nothing was made for a node that did not start: no secret key of its own.
    assert not (tmp_path / "instance" / "secret_key").exists()
