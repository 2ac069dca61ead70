"""A large people import runs as a background job, its progress and report on a page.

PEOPLE_IMPORT_BACKGROUND_BYTES is lowered so the test's small file counts as large; the
job runs from the real queue (``drain``).
"""

# ruff: noqa: F811  (the fixtures imported from other test modules are parameters here)

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from core import jobs
from tests.accounts.test_people_import import SWEDISH, people
from tests.portal.jobs_fixtures import queue  # noqa: F401
from tests.portal.mail_helpers import drain
from tests.portal.test_people_import_page import SV, send, units  # noqa: F401


@pytest.fixture
def large(app: Flask) -> Iterator[None]:
    saved = app.config["PEOPLE_IMPORT_BACKGROUND_BYTES"]
    app.config["PEOPLE_IMPORT_BACKGROUND_BYTES"] = 10
    yield
    app.config["PEOPLE_IMPORT_BACKGROUND_BYTES"] = saved


def test_a_large_import_runs_in_the_background_and_reports_on_its_page(
    app, portal, login, units, queue, large
):
    admin = login(portal.user("boss@example.org", role="admin"))
    started = send(admin, SWEDISH, "import", SV)
    assert started.status_code == 302
    job_page = started.headers["Location"]
    waiting = admin.get(job_page, headers=SV).get_data(as_text=True)
    assert "Väntar på sin tur." in waiting
    assert f'href="{job_page}">Se hur det går' in waiting
    assert people(app) == {}

    drain(jobs.huey)
    done = admin.get(job_page, headers=SV).get_data(as_text=True)
    assert "Se hur det går" not in done
    assert "3 rader: 3 nya, 0 ändrade, 0 oförändrade, 0 fel." in done
    assert set(people(app)) == {"1001", "1002", "1003"}
    audit = admin.get("/admin/audit?action=people.imported").get_data(as_text=True)
    assert "hr.csv" in audit
    assert not list((Path(app.config["INSTANCE_PATH"]) / "imports").glob("*"))  # removed


def test_a_large_file_with_problems_imports_nothing_and_lists_them(
    app, portal, login, units, queue, large
):
    admin = login(portal.user("boss@example.org", role="admin"))
    bad = "Anställningsnummer;Namn;E-post;Enhet\n1;A;a@kommun.se;NOPE\n1;B;b@kommun.se;SOC\n"
    started = send(admin, bad, "import", SV)
    drain(jobs.huey)
    page = admin.get(started.headers["Location"], headers=SV).get_data(as_text=True)
    assert "Ingenting importerades" in page
    assert "Ingen enhet har koden NOPE" in page
    assert people(app) == {}


def test_only_admins_see_an_import_job(app, portal, login, units, queue, large):
    admin = login(portal.user("boss@example.org", role="admin"))
    location = send(admin, SWEDISH, "import").headers["Location"]
    manager = login(portal.user("mia@example.org", role="manager"))
    assert manager.get(location).status_code == 403
    assert admin.get("/admin/people/import/jobs/nope").status_code == 404
