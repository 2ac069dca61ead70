#!/usr/bin/env python3
"""People import benchmark: an HR export of N rows through `flask users import`.

Each size runs in a fresh subprocess on a fresh SQLite instance with 40 units: the file is
imported once (all new people), then once more with every tenth row changed (updates).
Prints wall time, the peak of Python allocations (tracemalloc) and the process's peak
RSS. See bench/README.md ("People import").

    .venv/bin/python bench/people_import.py                 # 1,000 / 5,000 / 20,000 rows
    .venv/bin/python bench/people_import.py --rows 5000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNITS = 40


def hr_file(rows: int, changed: bool = False) -> bytes:
    """A Swedish Excel export: semicolons, UTF-8 with BOM, managers earlier in the file."""
    lines = ["Anställningsnummer;Förnamn;Efternamn;E-post;Enhetskod;Chef;Titel"]
    for n in range(1, rows + 1):
        manager = "" if n <= UNITS else str((n % UNITS) + 1)
        title = "Enhetschef" if changed and n % 10 == 0 else "Handläggare"
        lines.append(
            f"{n};Förnamn{n};Efternamnsson;person{n}@kommun.se;U{n % UNITS};{manager};{title}"
        )
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


def measure(rows: int) -> dict[str, float]:
    """Run in this (fresh) process: import, then re-import with changes."""
    sys.path.insert(0, str(ROOT))
    from accounts import people_import, service
    from core import create_app
    from core.db import db

    instance = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'b.db'}",
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench",
        }
    )
    result: dict[str, float] = {"rows": rows}
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        for n in range(UNITS):
            service.create_unit(f"U{n}", f"Enhet {n}")
        db.session.commit()
        for label, data in (("create", hr_file(rows)), ("update", hr_file(rows, True))):
            tracemalloc.start()
            start = time.perf_counter()
            plan = people_import.plan(data, db.session)
            assert not plan.rejected, plan.rejected[:3]
            people_import.apply(plan, db.session)
            db.session.commit()
            result[f"{label}_s"] = round(time.perf_counter() - start, 2)
            result[f"{label}_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            tracemalloc.stop()
    result["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, action="append")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    print("| rows | import (new) | peak heap | re-import (10 % changed) | peak heap | peak RSS |")
    print("|---|---|---|---|---|---|")
    for rows in args.rows or [1000, 5000, 20000]:
        out = (
            subprocess.run(
                [sys.executable, __file__, "--child", str(rows)],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        r = json.loads(out)
        print(
            f"| {rows:,} | {r['create_s']} s | {r['create_peak_mb']} MB | {r['update_s']} s "
            f"| {r['update_peak_mb']} MB | {r['rss_mb']} MB |"
        )


if __name__ == "__main__":
    main()
