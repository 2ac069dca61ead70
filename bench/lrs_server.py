"""Start and stop the service for ``lrs_load.py --start``, and watch its workers' memory.

``--start`` runs the service the way ``make run`` does (``.venv/bin/gunicorn`` with the
Makefile's worker count, ``wsgi:app``), but on a throwaway database and instance folder,
bound to 127.0.0.1 on a free port.  psutil is not a dependency, so worker RSS is read
from ``/proc/<pid>/status``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
PG_ADMIN = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


@contextlib.contextmanager
def scratch_database(postgresql: bool, prefix: str) -> Iterator[str]:
    """The URL of a throwaway database for a bench in one process, dropped afterwards.

    SQLite in a temp dir, or a new PostgreSQL database; INSTANCE_PATH is set beside it
    unless it is set already.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    os.environ.setdefault("INSTANCE_PATH", str(tmp / "instance"))
    if not postgresql:
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    name = f"{prefix.replace('-', '_')}_{os.getpid()}"
    subprocess.run([*PG_ADMIN, "-c", f'CREATE DATABASE "{name}"'], check=True)
    try:
        yield PG_URL.format(name=name)
    finally:
        subprocess.run(
            [*PG_ADMIN, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=False
        )


def makefile_workers() -> int:
    """The gunicorn worker count ``make run`` uses (``WORKERS ?= N`` in the Makefile)."""
    match = re.search(r"^WORKERS\s*\?=\s*(\d+)", (REPO / "Makefile").read_text(), re.M)
    return int(match.group(1)) if match else 2


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    """A gunicorn started by the benchmark, with its throwaway database."""

    database: str
    workers: int
    tmpdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="kompetens-bench-")))
    port: int = field(default_factory=free_port)
    db_name: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    key: str = ""
    secret: str = ""
    log_path: Path | None = None

    @property
    def url(self) -> str:
        """Base URL of the LRS."""
        return f"http://127.0.0.1:{self.port}/xapi"

    @property
    def database_url(self) -> str:
        """DATABASE_URL of the throwaway database."""
        if self.database == "postgresql":
            return PG_URL.format(name=self.db_name)
        return "sqlite:///" + str(self.tmpdir / "bench.db")

    def env(self) -> dict[str, str]:
        """The service's environment: the caller's, plus the throwaway instance and DB."""
        env = dict(os.environ)
        env["INSTANCE_PATH"] = str(self.tmpdir / "instance")
        env["DATABASE_URL"] = self.database_url
        env["STORAGE_PATH"] = str(self.tmpdir / "storage")
        return env

    def flask(self, *args: str) -> str:
        """Run ``.venv/bin/flask --app wsgi ARGS`` against the throwaway instance."""
        out = subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
            cwd=REPO,
            env=self.env(),
            check=False,
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{out.stderr[-2000:]}")
        return out.stdout

    def setup(self) -> None:
        """Create the database, apply migrations and create the ``bench`` credential."""
        if self.database == "postgresql":
            self.db_name = f"kompetens_bench_{os.getpid()}"
            subprocess.run(
                [
                    *PG_ADMIN,
                    "-c",
                    f'DROP DATABASE IF EXISTS "{self.db_name}"',
                    "-c",
                    f'CREATE DATABASE "{self.db_name}"',
                ],
                check=True,
            )
        self.flask("db", "upgrade")
        created = json.loads(
            self.flask("credentials", "create", "bench", "--scope", "all", "--json")
        )
        self.key, self.secret = created["key"], created["secret"]

    def start(self) -> None:
        """Start gunicorn in its own process group; its access log goes to the temp dir."""
        self.log_path = self.tmpdir / "gunicorn.log"
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--access-logfile",
                str(self.tmpdir / "access.log"),
                "wsgi:app",
            ],
            cwd=REPO,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, drop: bool = True) -> None:
        """Stop gunicorn (TERM, then KILL after 20 s) and drop the throwaway database."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.db_name and drop:
            subprocess.run(
                [*PG_ADMIN, "-c", f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'],
                check=False,
            )


@dataclass
class Ceiling:
    """The bare Flask endpoint (``lrs_ceiling_app.py``) under the service's gunicorn settings.

    Same ``gunicorn.conf.py`` (gunicorn reads it from the working directory: worker
    class and connections) and the same worker count; only the port and the app differ.
    """

    workers: int
    key: str
    secret: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL, as the LRS's (``/xapi``)."""
        return f"http://127.0.0.1:{self.port}/xapi"

    def start(self, log_dir: Path) -> None:
        """Start gunicorn in its own process group; logs go to ``log_dir``."""
        env = dict(os.environ, CEILING_KEY=self.key, CEILING_SECRET=self.secret)
        log = (log_dir / "ceiling.log").open("wb")
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--access-logfile",
                str(log_dir / "ceiling-access.log"),
                "--pythonpath",
                str(REPO / "bench"),
                "lrs_ceiling_app:app",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        """Stop it (TERM, then KILL after 20 s)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# -- memory of the gunicorn workers ------------------------------------------------


def _ppid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def children(pid: int) -> list[int]:
    """Direct children of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if _ppid(int(entry.name)) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return sorted(found)


def listener_pids(port: int) -> list[int]:
    """Processes holding the listening socket of 127.0.0.1:``port`` (master and workers)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:  # 0A = LISTEN
                inodes.add(cols[9])
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    pids.append(int(entry.name))
                    break
        except OSError:
            continue
    return sorted(pids)


def worker_pids(master: int | None, port: int) -> list[int]:
    """The gunicorn workers: children of the master (found via the port if not given)."""
    if master is not None:
        return children(master)
    holders = set(listener_pids(port))
    workers = []
    for pid in holders:
        try:
            if _ppid(pid) in holders:
                workers.append(pid)
        except OSError:
            continue
    return sorted(workers)


def rss_kib(pid: int) -> int | None:
    """VmRSS of ``pid`` in KiB, or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(fields[:8])
    idle = fields[3] + fields[4]  # idle + iowait
    return total - idle, total


def process_jiffies(pids: list[int]) -> int:
    """utime + stime of ``pids`` (gone ones count 0)."""
    used = 0
    for pid in pids:
        try:
            cols = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used += int(cols[11]) + int(cols[12])
    return used


def loadavg() -> float:
    """1-minute load average."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def analyze(database_url: str) -> float:
    """Refresh the planner statistics (PostgreSQL VACUUM ANALYZE, SQLite ANALYZE); seconds.

    Right after a bulk load neither database has statistics yet (PostgreSQL's autovacuum
    gets to it later, SQLite never does by itself), and plans chosen without them are not
    the ones a long-running service gets.
    """
    started = time.perf_counter()
    parts = urlsplit(database_url)
    if database_url.startswith("postgresql"):
        name = parts.path.lstrip("/")
        subprocess.run([*PG_ADMIN, "-d", name, "-c", "VACUUM ANALYZE"], check=True)
    elif database_url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(database_url[len("sqlite:///") :])) as conn:
            conn.execute("PRAGMA busy_timeout=60000")
            conn.execute("ANALYZE")
            conn.commit()
    return time.perf_counter() - started
