"""Import time and peak memory of package imports (``packages.service.import_package``).

Measures, each in a fresh subprocess (so peak RSS belongs to that import alone):
- generated SCORM 1.2 packages of N files and M MB (default 5,000 files / 200 MB), plus
  N/4 files in M/4 MB and N/4 files in M MB, to show that memory does not grow with the
  bytes in a package (only, a little, with the number of files: one row per file);
- the whole corpus in ../shared/corpus/scorm (30 zips, the broken ones refused).

Each run is done twice: once for wall time and RSS (no tracing), once under tracemalloc
for the peak of Python allocations.  The database is a SQLite file and the storage a
directory in a temporary instance, as in the embedded default.

    .venv/bin/python bench/packages_import.py [--files 5000] [--mb 200] [--skip-corpus]

Prints a Markdown table (for bench/README.md) and writes bench/results/packages.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "scorm"


def make_package(path: Path, files: int, megabytes: int) -> None:
    """Write a SCORM 1.2 zip: one SCO listing ``files`` files of ``megabytes`` in all.

    Half of each file is random (media does not compress), half text (HTML/JS does).
    """
    size = megabytes * 1024 * 1024 // files
    names = [f"content/m{i // 100:03d}/f{i:05d}.bin" for i in range(files - 1)]
    listing = "\n".join(f'      <file href="{n}"/>' for n in names)
    manifest = f"""<?xml version="1.0"?>
<manifest identifier="bench" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Bench</title>
    <item identifier="i" identifierref="r"><title>Bench SCO</title></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco"
    href="index.html"><file href="index.html"/>
{listing}
  </resource></resources>
</manifest>"""
    text = (b"<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n" * 64)[: size // 2]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("imsmanifest.xml", manifest)
        archive.writestr("index.html", "<html><body>bench</body></html>")
        for name in names:
            archive.writestr(name, os.urandom(size - len(text)) + text)


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(paths: list[str], trace: bool) -> dict[str, Any]:
    """Import ``paths`` in this process into a fresh instance; measure."""
    import tracemalloc

    instance = Path(tempfile.mkdtemp(prefix="pkgbench-"))
    from core import create_app
    from core.db import db
    from packages import service
    from packages.report import PackageRefused

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bench.db'}",
            "INSTANCE_PATH": str(instance),
            "STORAGE_PATH": str(instance / "storage"),
            "SECRET_KEY": "bench",
        }
    )
    imported = refused = 0
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.session.commit()
        rss_before = _rss_kib()
        if trace:
            tracemalloc.start()
        start = time.perf_counter()
        for path in paths:
            try:
                service.import_package(path, label=Path(path).name)
                db.session.commit()
                imported += 1
            except PackageRefused:
                db.session.rollback()
                refused += 1
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if trace else None
    stored = sum(p.stat().st_size for p in (instance / "storage").rglob("*") if p.is_file())
    return {
        "seconds": seconds,
        "imported": imported,
        "refused": refused,
        "python_peak_bytes": peak,
        "rss_before_kib": rss_before,
        "rss_peak_kib": _rss_kib(),
        "stored_bytes": stored,
    }


def measure(paths: list[Path]) -> dict[str, Any]:
    """Run the child twice (timing/RSS, then tracemalloc) and merge the results."""
    results = []
    for trace in (False, True):
        cmd = [sys.executable, __file__, "--child", *(["--trace"] if trace else []),
               *map(str, paths)]  # fmt: skip
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    timed, traced = results
    timed["python_peak_bytes"] = traced["python_peak_bytes"]
    timed["zip_bytes"] = sum(p.stat().st_size for p in paths)
    return timed


def main() -> None:
    """Parse arguments and run the benchmark (or one child measurement)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.paths, args.trace)))
        return

    rows: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="pkgbench-zip-") as tmp:
        # Same file count with 4x the bytes isolates growth with size from growth with count.
        configs = (
            (args.files // 4, args.mb // 4),
            (args.files // 4, args.mb),
            (args.files, args.mb),
        )
        for files, mb in configs:
            path = Path(tmp) / f"generated_{files}_{mb}.zip"
            make_package(path, files, mb)
            rows.append((f"generated: {files} files, {mb} MB", measure([path])))
            path.unlink()
    if not args.skip_corpus:
        corpus = sorted(CORPUS.glob("*.zip"))
        rows.append((f"corpus: {len(corpus)} zips", measure(corpus)))

    print(
        "| input | zip size | import time | stored | peak Python heap (tracemalloc) "
        "| peak RSS (process) | imported / refused |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, r in rows:
        print(
            f"| {label} | {r['zip_bytes'] / 2**20:.1f} MB | {r['seconds']:.2f} s "
            f"| {r['stored_bytes'] / 2**20:.1f} MB | {r['python_peak_bytes'] / 2**20:.1f} MB "
            f"| {r['rss_peak_kib'] / 1024:.0f} MB "
            f"(before import {r['rss_before_kib'] / 1024:.0f} MB) "
            f"| {r['imported']} / {r['refused']} |"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "packages.json").write_text(json.dumps(dict(rows), indent=2))


if __name__ == "__main__":
    main()
