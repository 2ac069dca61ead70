"""Two app nodes behind one PostgreSQL, one Redis queue and one package storage.

Each node is its own gunicorn (and instance directory), started at the same moment as
the other the way ``make run`` starts one; the tests speak HTTP to both and show that
what one node did holds on the other (issue 16, "More than one node").
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests

from config import TestConfig
from tests.portal.conftest import package_zip
from tests.s3_server import S3Server
from tests.two_nodes_cluster import Cluster, first_secrets, fresh_database, two_nodes

REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/5"
XAPI = {"X-Experience-API-Version": "2.0.0"}
ADMIN = "admin@example.org"

pytestmark = pytest.mark.skipif(
    not TestConfig.SQLALCHEMY_DATABASE_URI.startswith("postgresql"),
    reason="several nodes share a PostgreSQL database (set TEST_DATABASE_URL)",
)


@pytest.fixture(scope="module")
def bucket(s3_server: S3Server) -> str:
    """The nodes' package storage: one bucket of a real S3 server (SeaweedFS)."""
    return s3_server.create_bucket()


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server, bucket: str
) -> Iterator[Cluster]:
    """Both nodes, on a database of their own (they migrate it from empty) and one bucket."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).flushdb()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"Redis is not running at {REDIS_URL}")
    root = tmp_path_factory.mktemp("two-nodes")
    name = str(TestConfig.SQLALCHEMY_DATABASE_URI).rsplit("/", 1)[-1] + "_two_nodes"
    database = fresh_database(TestConfig.SQLALCHEMY_DATABASE_URI, name)
    with two_nodes(root, database, REDIS_URL, s3_server.settings(bucket)) as running:
        yield running
    redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture(scope="module")
def secrets_(cluster: Cluster) -> tuple[str, str, str]:
    return first_secrets(cluster.a.output() + cluster.b.output())


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, page[:2000]
    return found.group(1)


def _signed_in(cluster: Cluster, password: str) -> requests.Session:
    """A browser's session signed in on node a."""
    browser = requests.Session()
    form = {"csrf_token": _csrf(browser, cluster.a.url + "/login"), "email": ADMIN}
    signed = browser.post(
        cluster.a.url + "/login", data=form | {"password": password}, allow_redirects=False
    )
    assert signed.status_code == 302, signed.text[:2000]
    return browser


def test_two_nodes_migrate_and_bootstrap_once(cluster):
    outputs = [cluster.a.output(), cluster.b.output()]
    upgrades = [len(re.findall(r"Running upgrade", out)) for out in outputs]
    assert sorted(upgrades)[0] == 0 < sorted(upgrades)[1], upgrades
    assert sum("First admin:" in out for out in outputs) == 1
    assert sum("An admin account exists" in out for out in outputs) == 1
    assert cluster.sql("SELECT count(*) FROM portal_user WHERE role = 'admin'") == [(1,)]
    assert len(cluster.sql("SELECT version_num FROM alembic_version")) == 1
    for out in outputs:
        assert "UniqueViolation" not in out
        assert "Traceback" not in out


def test_two_nodes_sign_in_on_one_holds_on_the_other(cluster, secrets_):
    browser = _signed_in(cluster, secrets_[0])
    assert browser.get(cluster.b.url + "/my", allow_redirects=False, timeout=30).status_code == 200
    # Signing out on b ends the session on a too (it is a row in the database).
    out = browser.post(
        cluster.b.url + "/logout",
        data={"csrf_token": _csrf(browser, cluster.b.url + "/my")},
        allow_redirects=False,
    )
    assert out.status_code == 302
    again = browser.get(cluster.a.url + "/my", allow_redirects=False, timeout=30)
    assert again.status_code == 302
    assert "/login" in again.headers["Location"]


def test_two_nodes_upload_on_one_play_on_the_other(cluster, secrets_, s3_server, bucket):
    uploaded = requests.post(
        cluster.a.url + "/api/packages/courses",
        data=package_zip("Brandskydd på två noder"),
        params={"publish": "true"},
        headers={"Content-Type": "application/zip"},
        auth=(ADMIN, secrets_[0]),
        timeout=60,
    )
    assert uploaded.status_code == 201, uploaded.text
    course_id = uploaded.json()["course"]
    browser = _signed_in(cluster, secrets_[0])
    launched = browser.get(
        f"{cluster.b.url}/courses/{course_id}/launch", allow_redirects=False, timeout=30
    )
    assert launched.status_code == 303, launched.text[:2000]
    token = launched.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    api = f"{cluster.b.url}/player/api/{token}"
    start = browser.post(api + "/navigate", json={"request": "start"}, timeout=30).json()
    assert "launch" in start, start
    launch = start["launch"]
    content = browser.get(cluster.b.url + launch["url"].split("?")[0], timeout=30)
    assert content.status_code == 200
    assert "<h1>Hi</h1>" in content.text
    # The files are in the bucket (by content hash), on neither node's disk.
    digest = hashlib.sha256(content.content).hexdigest()
    assert any(key.endswith(digest) for key in s3_server.keys(bucket))
    for node in (cluster.a, cluster.b):
        assert list((node.log.parent / "instance").rglob(f"*{digest}*")) == []
    body = {"sco": launch["sco"], "session": launch["session"], "seq": 1, "terminate": True}
    cmi = {"core": {"lesson_status": "completed", "lesson_location": "p2"}}
    committed = browser.post(api + "/commit", json=body | {"cmi": cmi}, timeout=30)
    assert committed.status_code == 200, committed.text
    # What was played on b is the attempt node a sees.
    seen = browser.get(f"{cluster.a.url}/player/api/{token}/attempt", timeout=30).json()
    assert seen["completion_status"] == "completed"


def test_two_nodes_report_file_made_on_one_downloaded_from_the_other(cluster, secrets_):
    """Asked on a, made by b's worker, downloaded from a (the file is in the database)."""
    browser = _signed_in(cluster, secrets_[0])
    asked = browser.get(cluster.a.url + "/admin/audit?format=csv", allow_redirects=False)
    assert asked.status_code == 302, asked.text[:2000]
    page = cluster.a.url + asked.headers["Location"]
    deadline = time.monotonic() + 120
    while (got := browser.get(page + "/file", timeout=30)).status_code == 409:  # not ready
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert got.status_code == 200, got.text[:2000]
    assert "attachment" in got.headers["Content-Disposition"]
    assert len(got.text.splitlines()) >= 2  # the header and the entries (a job: more than 0)
    ran = cluster.sql("SELECT worker FROM job_run WHERE name = 'export_report'")
    assert len(ran) == 1
    assert str(ran[0][0]).endswith(f":{_jobs_worker_pid(cluster)}")


def test_two_nodes_lrs_archive_made_on_one_downloaded_from_the_other(cluster, secrets_):
    """Asked on a, made by b's worker, downloaded from a (the file is in the bucket)."""
    browser = _signed_in(cluster, secrets_[0])
    page = cluster.a.url + "/admin/lrs/archive"
    form = {"csrf_token": _csrf(browser, page)}
    asked = browser.post(page + "/export", data=form, allow_redirects=False)
    assert asked.status_code == 302, asked.text[:2000]
    job = cluster.a.url + asked.headers["Location"]
    deadline = time.monotonic() + 120
    while (got := browser.get(job + "/file", timeout=30)).status_code == 404:  # not ready
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert got.status_code == 200, got.text[:2000]
    assert got.content.startswith(b"PK")  # a zip
    ran = cluster.sql("SELECT worker FROM job_run WHERE name = 'export_lrs_archive'")
    assert len(ran) == 1
    assert str(ran[0][0]).endswith(f":{_jobs_worker_pid(cluster)}")


def _jobs_worker_pid(cluster: Cluster) -> str:
    started = re.search(r"Background jobs: worker started \(pid (\d+)\)", cluster.b.output())
    assert started is not None
    return started.group(1)


def _statement(n: int, name: str = "Brandskydd") -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:lea@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {
            "id": "http://example.org/courses/fire-safety",
            "definition": {"name": {"sv-SE": name}},
        },
        "result": {"extensions": {"http://example.org/n": n}},
    }


def test_two_nodes_statements_written_on_one_read_at_once_on_the_other(cluster, secrets_):
    auth = secrets_[1:]
    written = []
    for n in range(10):  # a, b, a, b...: one order of `stored` whichever node stored it
        node = (cluster.a, cluster.b)[n % 2]
        statement = _statement(n)
        stored = requests.post(
            node.url + "/xapi/statements", json=statement, auth=auth, headers=XAPI, timeout=30
        )
        assert stored.status_code == 200, stored.text
        other = (cluster.b, cluster.a)[n % 2]
        read = requests.get(
            other.url + "/xapi/statements",
            params={"statementId": statement["id"]},
            auth=auth,
            headers=XAPI,
            timeout=30,
        )
        assert read.status_code == 200, read.text
        written.append(statement["id"])
    listed = requests.get(
        cluster.a.url + "/xapi/statements",
        params={"ascending": "true", "limit": "100"},
        auth=auth,
        headers=XAPI,
        timeout=30,
    ).json()["statements"]
    mine = [s for s in listed if s["id"] in written]
    assert [s["id"] for s in mine] == written
    stamps = [s["stored"] for s in mine]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)


def test_two_nodes_activity_definition_newest_wins_on_either(cluster, secrets_):
    auth = secrets_[1:]
    activity = "http://example.org/courses/fire-safety"
    for node, name in ((cluster.a, "Brandskydd"), (cluster.b, "Brandskydd 2027")) * 2:
        sent = requests.post(
            node.url + "/xapi/statements",
            json=_statement(0, name),
            auth=auth,
            headers=XAPI,
            timeout=30,
        )
        assert sent.status_code == 200, sent.text
        for reader in (cluster.a, cluster.b):
            got = requests.get(
                reader.url + "/xapi/activities",
                params={"activityId": activity},
                auth=auth,
                headers=XAPI,
                timeout=30,
            )
            assert got.json()["definition"]["name"]["sv-SE"] == name


def test_two_nodes_state_etags_agree(cluster, secrets_):
    client = requests.Session()
    client.auth = secrets_[1:]
    client.headers.update(XAPI)
    query = {
        "activityId": "http://example.org/courses/fire-safety",
        "agent": json.dumps({"mbox": "mailto:lea@example.org"}),
        "stateId": "bookmark",
    }
    url_a = cluster.a.url + "/xapi/activities/state"
    url_b = cluster.b.url + "/xapi/activities/state"

    def put(url: str, page: int, condition: dict[str, str]) -> requests.Response:
        return client.put(url, params=query, json={"page": page}, headers=condition, timeout=30)

    def get(url: str) -> requests.Response:
        return client.get(url, params=query, timeout=30)

    assert put(url_a, 1, {"If-None-Match": "*"}).status_code == 204
    etags = {get(url).headers["ETag"] for url in (url_a, url_b)}
    assert len(etags) == 1
    (etag,) = etags
    # b accepts the ETag a gave (xAPI 2.0.0 Communication §2.2.3, concurrency) ...
    assert put(url_b, 2, {"If-Match": etag}).status_code == 204
    # ... and a then refuses the old one: both hold the same document.
    assert put(url_a, 3, {"If-Match": etag}).status_code == 412
    now = [get(url) for url in (url_a, url_b)]
    assert [r.json() for r in now] == [{"page": 2}, {"page": 2}]
    assert now[0].headers["ETag"] == now[1].headers["ETag"] != etag


def test_two_nodes_job_enqueued_on_one_runs_once_on_the_other(cluster):
    """a enqueues (an accessibility report's e-mail to the admin); b's worker sends it once."""
    visitor = requests.Session()
    form = {
        "csrf_token": _csrf(visitor, cluster.a.url + "/accessibility"),
        "message": "Knappen går inte att nå med tangentbordet.",
    }
    sent = visitor.post(cluster.a.url + "/accessibility", data=form, allow_redirects=False)
    assert sent.status_code == 302, sent.text[:2000]
    assert cluster.smtp.sink.wait_for(1, timeout=120)
    query = "SELECT status, attempts, worker FROM job_run WHERE name = 'send_message'"
    deadline = time.monotonic() + 60
    while (runs := cluster.sql(query)) and runs[0][0] == "running":  # sent, being recorded
        assert time.monotonic() < deadline, runs
        time.sleep(0.1)
    assert len(runs) == 1
    status, attempts, worker = runs[0]
    assert (status, attempts) == ("done", 1)
    assert str(worker).endswith(f":{_jobs_worker_pid(cluster)}")
    assert "Background jobs" not in cluster.a.output()
    assert len(cluster.smtp.sink.received) == 1
    assert cluster.smtp.sink.recipients() == [ADMIN]


def test_two_nodes_no_server_errors(cluster):
    for node in (cluster.a, cluster.b):
        assert '" 500 ' not in node.output()
