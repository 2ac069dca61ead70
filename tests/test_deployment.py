"""The service as ``make run`` starts it, in real processes: files and the access log.

A fresh INSTANCE_PATH is set up by the CLI (``db upgrade``, ``bootstrap``) under a
permissive umask, so the modes checked here are the code's doing, not the umask's;
then gunicorn serves it with the redacting access logger.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

import pytest

from config import BASE_DIR
from tests.portal.conftest import package_zip

BIN = Path(sys.executable).parent
TOKEN = "Zq3x_Launch-Token-0123456789abcdefghijklmnop"  # shaped like secrets.token_urlsafe(32)
FETCH = "Fx9_Fetch-Token-0123456789abcdefghijklmnopqr"
AUTH = "Basic c2VjcmV0LWtleTpzZWNyZXQtdmFsdWU="
SECRETS = (TOKEN, FETCH, "c2VjcmV0LWtleTpzZWNyZXQtdmFsdWU", "s3cr3t-code", "st4te", "pw-in-url")


@dataclass
class Instance:
    path: Path
    env: dict[str, str]
    bootstrap_output: str


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603  (our own CLI, fixed arguments)
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        umask=0o022,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Instance:
    """A new instance directory set up the way ``make setup`` does it."""
    path = tmp_path_factory.mktemp("deploy") / "instance"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SECRET_KEY", "STORAGE_PATH", "TEST_DATABASE_URL")
    }
    env["INSTANCE_PATH"] = str(path)
    _run(env, "db", "upgrade")
    return Instance(path, env, _run(env, "bootstrap"))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_deploy_instance_files_are_private(instance):
    assert _mode(instance.path) == 0o700
    assert _mode(instance.path / "kompetens.db") == 0o600
    assert _mode(instance.path / "secret_key") == 0o600
    assert not (instance.path / "first-run.json").exists()
    assert "password:" in instance.bootstrap_output


def test_deploy_stored_course_files_are_private(instance):
    """An imported (unpublished) course's files are readable by the service alone."""
    package = instance.path.parent / "course.zip"
    package.write_bytes(package_zip("Unpublished"))
    _run(instance.env, "packages", "import", str(package))
    stored = [p for p in (instance.path / "storage").rglob("*") if p.is_file()]
    assert stored
    for path in stored:
        assert _mode(path) & 0o077 == 0, path


# -- gunicorn with the redacting access log ---------------------------------------------------


@dataclass
class Server:
    port: int
    process: subprocess.Popen[str]
    log: Path

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()


def _port_from(stream: IO[str]) -> int:
    """Read gunicorn's start-up log until it says where it listens."""
    seen = []
    for line in stream:
        seen.append(line)
        found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
        if found:
            return int(found.group(1))
    raise AssertionError("gunicorn did not start:\n" + "".join(seen))


@pytest.fixture(scope="module")
def server(instance: Instance) -> Iterator[Server]:
    log = instance.path.parent / "access.log"
    process = subprocess.Popen(  # noqa: S603  (our own server, fixed arguments)
        [
            str(BIN / "gunicorn"),
            "--logger-class",
            "core.accesslog.RedactingLogger",
            "--access-logfile",
            str(log),
            # The default format, and the atoms that hold URLs or credentials besides.
            "--access-logformat",
            '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" '
            '%(U)s %(q)s "%({location}o)s" "%({authorization}i)s" "%({raw_uri}e)s"',
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "wsgi:app",
        ],
        cwd=BASE_DIR,
        env=instance.env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        port = _port_from(process.stderr)
        # Keep reading its error log, so a full pipe never blocks the server.
        threading.Thread(target=process.stderr.read, daemon=True).start()
        yield Server(port, process, log)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[str]) -> None:
    """Stop gunicorn gracefully: the requests in hand are finished and logged first."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


def _stopped(server: Server) -> str:
    """Stop the server (so every access line is written) and return the access log."""
    _stop(server.process)
    return server.log.read_text()


def test_deploy_sqlite_side_files_are_private_while_serving(instance, server):
    # A launch token is looked up: the worker holds a database connection from now on.
    assert server.request("GET", "/player/not-a-launch-token-at-all") == 401
    for name in ("kompetens.db", "kompetens.db-wal", "kompetens.db-shm"):
        path = instance.path / name
        assert path.exists(), name
        assert _mode(path) == 0o600, name


def test_deploy_access_log_redacts_tokens_and_secrets(server):
    launch = urlencode(
        {
            "endpoint": "http://127.0.0.1/xapi/",
            "auth": AUTH,
            "actor": '{"name": "Lea"}',
            "registration": "8f0c4b6e-2f7c-4a43-9d5e-3f1d2a9b7c11",
        }
    )
    fetch_url = f"http://127.0.0.1/player/cmi5/fetch/{FETCH}"
    requests = [
        ("GET", f"/player/{TOKEN}", {}),
        ("GET", f"/player/{TOKEN}/runtime?ui=http%3A%2F%2F127.0.0.1", {}),
        ("POST", f"/player/api/{TOKEN}/commit", {}),
        ("POST", f"/player/cmi5/fetch/{FETCH}", {}),
        ("GET", f"/content/1/index.html?{launch}", {"Referer": f"http://x/player/{TOKEN}"}),
        ("GET", "/content/1/au.html?" + urlencode({"fetch": fetch_url, "endpoint": "e"}), {}),
        ("GET", "/login?TOKEN=s3cr3t-code&code=s3cr3t-code&state=st4te&next=%2Fmy", {}),
        ("GET", "/login?secret=s3cr3t-code&password=pw-in-url&%61uth=st4te", {}),
        ("GET", "/xapi/about", {"Authorization": AUTH}),
        ("GET", "/player/lib/3.0.0/scorm12.min.js", {}),
        ("GET", f"/login?next=%2Fplayer%2F{TOKEN}", {}),
    ]
    for method, path, headers in requests:
        assert server.request(method, path, headers) < 600
    log = _stopped(server)
    assert len(log.splitlines()) >= len(requests), log
    for secret in SECRETS:
        assert secret not in log
    assert "/player/[redacted]/runtime?ui=" in log
    assert "/player/api/[redacted]/commit" in log
    assert "/player/cmi5/fetch/[redacted]" in log
    assert "auth=[redacted]" in log
    assert "fetch=[redacted]" in log
    assert "endpoint=http" in log  # what is not secret stays readable
    assert "next=%2Fmy" in log
    assert "/player/lib/3.0.0/scorm12.min.js" in log
    assert '"http://x/player/[redacted]"' in log  # the Referer
    assert "next=%2Fplayer%2F[redacted]" in log
