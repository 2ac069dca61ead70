"""Export and import time of the whole LRS (``flask lrs export`` / ``flask lrs import``).

A source database is filled with ``--statements`` generated statements (lrs_data.py's
realistic ~1.2 KB statements, stored through the LRS's own row builder and inserting in
batches of 500, so their filter rows are the real ones, and every 50th statement voided
by a voiding statement), then the two commands run as separate processes, as an
operator would run them: the export from the source, the import into a new, migrated,
empty database. Each is timed from outside, with its peak memory (max RSS), and the
archive's size is reported; the per-million figures are extrapolated linearly from
the commands' own times (their ``--json`` ``seconds``, without the process start).

    .venv/bin/python bench/lrs_archive.py --statements 200000              # SQLite
    .venv/bin/python bench/lrs_archive.py --statements 200000 \\
        --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/kompetens_test_backup

With ``--postgresql URL`` the source and target are URL's database name plus ``_benchsrc``
and ``_benchdst``, dropped and created again. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

import lrs_data  # noqa: E402

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def _database(base: str | None, name: str, directory: Path) -> str:
    if base is None:
        return f"sqlite:///{directory / (name + '.db')}"
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base)
    database = f"{url.database}_{name}"
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    return url.set(database=database).render_as_string(hide_password=False)


def _env(url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "STORAGE_PATH")}
    env.update(DATABASE_URL=url, INSTANCE_PATH=str(instance), SECRET_KEY="bench")
    return env


# Runs one command and prints its peak RSS (KiB) last: the wrapper's only child is the
# command, so RUSAGE_CHILDREN is that command's alone.
_WRAPPER = (
    "import resource, subprocess, sys; "
    "code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)


def _flask(env: dict[str, str], *args: str) -> tuple[float, int, str]:
    """Run a flask command; (seconds, its peak RSS in MiB, stdout)."""
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _WRAPPER,
            str(Path(sys.executable).parent / "flask"),
            "--app",
            "wsgi",
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    return seconds, peak_kib // 1024, done.stdout


def _fill(url: str, instance: Path, count: int) -> float:
    """Store ``count`` statements (and a voiding one for every 50th) into ``url``."""
    os.environ.update(_env(url, instance))
    from core import create_app
    from core.db import db
    from lrs import auth, inserting, rows
    from lrs.auth import Client
    from lrs.clock import next_stored

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)})
    started = time.perf_counter()
    with app.app_context():
        credential, _ = auth.create_credential("bench", ["all"])
        db.session.commit()
        client = Client(
            id=credential.id,
            scopes=frozenset(credential.scopes),
            authority=credential.authority,
        )
        factory = lrs_data.StatementFactory(lrs_data.Population(seed=7), 0)
        stored = 0
        while stored < count:
            batch = factory.batch(min(500, count - stored))
            batch += [
                {
                    "actor": s["actor"],
                    "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
                    "object": {"objectType": "StatementRef", "id": s["id"]},
                }
                for s in batch[::50]
            ]
            prepared = rows.prepare(batch, client, "2.0.0", next_stored())
            inserting.insert_prepared(prepared)
            db.session.commit()
            stored += len(batch)
        db.engine.dispose()
    return time.perf_counter() - started


def main() -> None:
    """Fill, export, import; print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=200_000)
    parser.add_argument("--postgresql", metavar="URL", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        source = _database(args.postgresql, "benchsrc", directory)
        target = _database(args.postgresql, "benchdst", directory)
        source_env = _env(source, directory / "source")
        target_env = _env(target, directory / "target")
        _flask(source_env, "db", "upgrade")
        _flask(target_env, "db", "upgrade")
        fill_s = _fill(source, directory / "source", args.statements)
        archive = directory / "lrs.zip"
        export_wall, export_mib, out = _flask(source_env, "lrs", "export", str(archive), "--json")
        counts, export_s = json.loads(out)["counts"], json.loads(out)["seconds"]
        import_wall, import_mib, out = _flask(target_env, "lrs", "import", str(archive), "--json")
        import_s = json.loads(out)["seconds"]
        per_million = 1_000_000 / counts["statements"]
        result: dict[str, Any] = {
            "database": "postgresql" if args.postgresql else "sqlite",
            "statements": counts["statements"],
            "filter_rows": counts["statement_filters"],
            "fill_seconds": round(fill_s, 1),
            "archive_mib": round(archive.stat().st_size / 2**20, 1),
            # The command's own time (its JSON), and the process's from start to exit.
            "export_seconds": round(export_s, 1),
            "export_wall_seconds": round(export_wall, 1),
            "export_peak_rss_mib": export_mib,
            "import_seconds": round(import_s, 1),
            "import_wall_seconds": round(import_wall, 1),
            "import_peak_rss_mib": import_mib,
            "export_seconds_per_million": round(export_s * per_million),
            "import_seconds_per_million": round(import_s * per_million),
            "archive_mib_per_million": round(archive.stat().st_size / 2**20 * per_million),
        }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
