"""A real pgbouncer in transaction mode in front of the tests' PostgreSQL database.

Debian's ``pgbouncer`` (``make setup-test`` installs it), started on a free port with
one server connection per pool, so consecutive transactions of different clients share
a server connection, as they do under load in production.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from tests.portal.mail_helpers import free_port

BINARY = "/usr/sbin/pgbouncer"


def available() -> bool:
    """Whether the pgbouncer program is installed."""
    return Path(BINARY).exists()


@contextmanager
def pgbouncer(database_url: str, pool_size: int = 1) -> Iterator[str]:
    """Run pgbouncer for ``database_url``'s database; yield the URL that goes through it."""
    url = make_url(database_url)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="pgbouncer-") as directory:
        path = Path(directory)
        # pgbouncer will not run as root: as root it is started as nobody, who must read this.
        path.chmod(0o755)
        users = path / "users.txt"
        users.write_text(f'"{url.username}" "{url.password or ""}"\n')
        server = f"host={url.host or '127.0.0.1'} port={url.port or 5432} dbname={url.database}"
        ini = path / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"bounced = {server} user={url.username}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users}\n"
            f"pool_mode = transaction\ndefault_pool_size = {pool_size}\n"
            "max_client_conn = 200\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
        )
        for made in (users, ini):
            made.chmod(0o644)
        command = [BINARY, str(ini)]
        if os.geteuid() == 0:
            command[1:1] = ["-u", "nobody"]
        log = (path / "pgbouncer.log").open("w")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        bounced = url.set(host="127.0.0.1", port=port, database="bounced")
        try:
            _wait_until_up(process, port, url.username or "postgres", path / "pgbouncer.log")
            yield bounced.render_as_string(hide_password=False)
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()


def _wait_until_up(process: subprocess.Popen[bytes], port: int, user: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(host="127.0.0.1", port=port, user=user, dbname="bounced"):
                return
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("pgbouncer did not start:\n" + log.read_text()) from None
            time.sleep(0.05)
