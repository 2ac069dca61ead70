"""The activity-definition merge on the statement write path, in-process (no HTTP server).

``POST /xapi/statements`` through Flask's test client, timed per request, in four cases:

- ``repeat-single``: one statement a request, every one with the same definition (what
  content sends: the merge was done long ago);
- ``repeat-batch``: batches of 50 statements, the same definition;
- ``new-single``: one statement a request, each with a definition never seen (a merge
  and a write every time);
- ``two-nodes``: the definition alternates between two names, as two nodes would see it
  when two versions of a course are live (a merge and a write every time now; before,
  a process that had merged a name once skipped it, and so kept the other node's).

Run it in a checkout to compare commits (the numbers are per process, one client):

    .venv/bin/python bench/lrs_definitions.py --database sqlite
    .venv/bin/python bench/lrs_definitions.py --database postgresql://postgres@127.0.0.1/bench_db

Prints one JSON object: requests/s, p50/p95 milliseconds and SQL statements sent per
request, per case. The last does not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ACTIVITY = "http://example.org/courses/fire-safety"


def _statement(name: str, activity: str = ACTIVITY) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:lea@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {
            "id": activity,
            "definition": {
                "name": {"sv-SE": name},
                "type": "http://adlnet.gov/expapi/activities/lesson",
            },
        },
    }


def _app(database: str, instance: Path) -> Any:
    from sqlalchemy import text

    from core import create_app
    from core.db import db

    url = f"sqlite:///{instance / 'bench.db'}" if database == "sqlite" else database
    app = create_app(
        {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)}
    )
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade()
    return app


def _auth(app: Any) -> str:
    from core.db import db
    from lrs import auth

    with app.app_context():
        credential, secret = auth.create_credential("bench", ["all"])
        db.session.commit()
        return "Basic " + base64.b64encode(f"{credential.key}:{secret}".encode()).decode()


def _case(client: Any, auth: str, bodies: list[Any]) -> dict[str, float]:
    from sqlalchemy import event

    from core.db import db

    headers = {"Authorization": auth, "X-Experience-API-Version": "1.0.3"}
    sent = [0]

    def count(*_: Any) -> None:
        sent[0] += 1

    with client.application.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    times = []
    for body in bodies:
        data = json.dumps(body)
        start = time.perf_counter()
        response = client.post(
            "/xapi/statements", data=data, headers=headers, content_type="application/json"
        )
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"{response.status_code}: {response.get_data(as_text=True)}")
    event.remove(engine, "before_cursor_execute", count)
    times.sort()
    return {
        "sql_per_request": round(sent[0] / len(times), 2),
        "requests_per_s": round(len(times) / sum(times), 1),
        "p50_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(times[int(len(times) * 0.95)] * 1000, 2),
    }


def main() -> None:
    """Run the four cases and print their numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--requests", type=int, default=600)
    cfg = parser.parse_args()
    n = cfg.requests
    with tempfile.TemporaryDirectory() as directory:
        app = _app(cfg.database, Path(directory))
        auth = _auth(app)
        client = app.test_client()
        _case(client, auth, [[_statement("Brandskydd")] for _ in range(50)])  # warm up
        results = {
            "repeat-single": _case(client, auth, [[_statement("Brandskydd")] for _ in range(n)]),
            "repeat-batch": _case(
                client,
                auth,
                [[_statement("Brandskydd") for _ in range(50)] for _ in range(n // 10)],
            ),
            "new-single": _case(
                client,
                auth,
                [[_statement("Kurs", f"{ACTIVITY}/{i}")] for i in range(n)],
            ),
            "two-nodes": _case(
                client,
                auth,
                [[_statement(("Brandskydd", "Brandskydd 2027")[i % 2])] for i in range(n)],
            ),
        }
        print(json.dumps({"database": cfg.database.split("@")[-1], **results}))


if __name__ == "__main__":
    main()
