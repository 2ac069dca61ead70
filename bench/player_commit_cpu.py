#!/usr/bin/env python3
"""CPU, SQL statements and Python calls per player commit, in one process (issue 12).

The player benchmark's rates and CPU move with whatever else the shared machine runs,
often by more than a change to the commit's path does.  This runs the same commits as
``player_runtime.py`` (the golf SCORM 2004 course, a CMI tree growing with each commit,
the sixth commit a Terminate) through Flask's test client (no HTTP, no gunicorn: what
the app itself does), one learner after another, on a throwaway database.  The
learners are staggered by one commit each (six phases), as in a rush where some start
while others finish, so sessions' ends and courses' results come among the others'
commits.  It prints, per commit:

- the SQL statements the app sent (SQLAlchemy's, not the driver's BEGIN and COMMIT),
- the Python function calls and C calls (``--count-calls``, slower: a profile hook),
- CPU ms (``time.process_time``), which is the noisy one.

``--profile FILE`` writes a cProfile of the commits (``python -m pstats FILE``): where
a commit's calls go, to read beside the counts.

The counts do not depend on the machine: compare them between two checkouts.

  .venv/bin/python bench/player_commit_cpu.py                     # SQLite in a temp dir
  .venv/bin/python bench/player_commit_cpu.py --postgresql --count-calls
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import lrs_server  # noqa: E402
import player_runtime  # noqa: E402

COMMITS = 6  # per learner: five commits, then the Terminate


class Counter:
    """Python function calls and C calls while enabled (sys.setprofile)."""

    def __init__(self) -> None:
        self.python = 0
        self.c = 0

    def __call__(self, _frame: Any, event: str, _arg: Any) -> None:
        if event == "call":
            self.python += 1
        elif event == "c_call":
            self.c += 1


def _setup(app: Any, learners: int) -> list[str]:
    """A published course and ``learners`` accounts with an attempt each; their tokens."""
    from accounts.models import User
    from core.db import db
    from packages import service as packages
    from player import attempts

    with app.app_context():
        db.create_all()
        path = player_runtime.CORPUS / player_runtime.COURSE
        result = packages.import_package(path, published=True, label="bench.zip")
        packages.set_published(result.course, True)
        users = [
            User(
                email=f"learner{i}@bench.example",
                name=f"Learner {i}",
                password_hash="-",
                role="learner",
                active=True,
                created_at=datetime(2026, 1, 1),
            )
            for i in range(learners)
        ]
        db.session.add_all(users)
        db.session.flush()
        tokens = [attempts.launch(user, result.course)[1] for user in users]
        db.session.commit()
    return tokens


def measure(url: str, cfg: argparse.Namespace) -> dict[str, float]:
    """Run the staggered commits on ``url``; totals per commit."""
    from sqlalchemy import event

    from core import create_app
    from core.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    tokens = _setup(app, cfg.learners)
    client = app.test_client()
    launches = []
    for token in tokens:
        reply = client.post(f"/player/api/{token}/navigate", json={"request": "start"})
        launches.append(reply.get_json()["launch"])
    statements = [0]
    with app.app_context():
        event.listen(
            db.engine,
            "before_cursor_execute",
            lambda *_: statements.__setitem__(0, statements[0] + 1),
        )
    counter = Counter()
    profile = cProfile.Profile() if cfg.profile else None
    cpu, commits = 0.0, 0
    for turn in range(1, COMMITS + 6):
        for index, (token, launch) in enumerate(zip(tokens, launches, strict=True)):
            step = turn - index % 6
            if not 1 <= step <= COMMITS:
                continue
            final = step == COMMITS
            body = {
                "sco": launch["sco"],
                "session": launch["session"],
                "seq": step,
                "terminate": final,
                "cmi": player_runtime.cmi_tree(step, final),
            }
            data = json.dumps(body)
            started = time.process_time()
            if cfg.count_calls:
                sys.setprofile(counter)
            elif profile is not None:
                profile.enable()
            reply = client.post(
                f"/player/api/{token}/commit", data=data, content_type="application/json"
            )
            sys.setprofile(None)
            if profile is not None:
                profile.disable()
            cpu += time.process_time() - started
            commits += 1
            if reply.status_code != 200:
                raise SystemExit(f"commit answered {reply.status_code}: {reply.data[:300]!r}")
    if profile is not None:
        profile.dump_stats(cfg.profile)
    return {
        "commits": commits,
        "sql": statements[0] / commits,
        "python_calls": counter.python / commits,
        "c_calls": counter.c / commits,
        "cpu_ms": cpu / commits * 1000,
    }


def main() -> int:
    """Measure; print one line."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--postgresql", action="store_true", help="a throwaway PostgreSQL DB")
    p.add_argument("--learners", type=int, default=120)
    p.add_argument("--count-calls", action="store_true", help="count Python and C calls")
    p.add_argument("--profile", metavar="FILE", help="write a cProfile of the commits to FILE")
    cfg = p.parse_args()
    logging.disable(logging.WARNING)
    with lrs_server.scratch_database(cfg.postgresql, "kompetens-commit-cpu") as url:
        got = measure(url, cfg)
    calls = ""
    if cfg.count_calls:
        calls = f", {got['python_calls']:.0f} Python calls, {got['c_calls']:.0f} C calls"
    print(
        f"player commit ({url.split(':')[0]}, {got['commits']:.0f} commits): "
        f"{got['sql']:.2f} SQL statements{calls}, {got['cpu_ms']:.2f} ms CPU"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
