"""Admin → Import people: check a file, import it whole, or see every problem."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tests.accounts.test_people_import import SWEDISH, people
from tests.line_checks import assert_line_kept
from tests.portal.conftest import CSRF

SV = {"Accept-Language": "sv"}


@pytest.fixture
def units(portal):
    top = portal.unit("SOC", "Socialförvaltningen")
    portal.unit("SOC-AO", "Äldreomsorg", parent=top)


def send(client, content: str | bytes, mode: str, headers=None):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/admin/people/import",
        data={"csrf_token": CSRF, "mode": mode, "file": (io.BytesIO(data), "hr.csv")},
        content_type="multipart/form-data",
        headers=headers or {},
    )


def test_people_import_page_checks_then_imports(app, portal, login, units):
    admin = login(portal.user("boss@example.org", role="admin"))
    checked = send(admin, SWEDISH, "check", SV)
    assert checked.status_code == 200
    page = checked.get_data(as_text=True)
    assert "Det här skulle en import göra" in page
    assert "3 rader: 3 nya, 0 ändrade, 0 oförändrade, 0 fel." in page
    assert "Lea Lund" in page
    assert people(app) == {}
    imported = send(admin, SWEDISH, "import")
    assert imported.status_code == 200
    assert set(people(app)) == {"1001", "1002", "1003"}
    audit = admin.get("/admin/audit?action=people.imported").get_data(as_text=True)
    assert "hr.csv" in audit


def test_people_import_page_lists_every_problem_in_swedish(app, portal, login, units):
    admin = login(portal.user("boss@example.org", role="admin"))
    bad = "Anställningsnummer;Namn;E-post;Enhet\n1;A;a@kommun.se;NOPE\n1;B;b@kommun.se;SOC\n"
    response = send(admin, bad, "import", SV)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Ingenting importerades" in page
    assert "Ingen enhet har koden NOPE" in page
    assert "Finns också på rad 2" in page
    assert people(app) == {}


def test_people_import_page_without_a_file_says_so(portal, login):
    admin = login(portal.user("boss@example.org", role="admin"))
    response = admin.post(
        "/admin/people/import", data={"csrf_token": CSRF, "mode": "check"}, headers=SV
    )
    assert response.status_code == 400
    assert "Välj en CSV-fil." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["learner", "author", "manager"])
def test_people_import_page_is_for_admins_only(app, portal, login, units, role):
    client = login(portal.user(f"{role}@example.org", role=role))
    assert client.get("/admin/people/import").status_code == 403
    assert send(client, SWEDISH, "import").status_code == 403
    assert people(app) == {}


def test_people_import_page_needs_csrf(app, portal, login, units):
    admin = login(portal.user("boss@example.org", role="admin"))
    response = admin.post(
        "/admin/people/import",
        data={"mode": "import", "file": (io.BytesIO(SWEDISH.encode()), "hr.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert people(app) == {}


def test_people_import_fields_show_on_the_admin_user_page(app, portal, login, units):
    admin = login(portal.user("boss@example.org", role="admin"))
    send(admin, SWEDISH, "import")
    from accounts import service

    with app.app_context():
        lea = service.find_user("lea.lund@kommun.se")
        assert lea is not None
        lea_id, manager_id = lea.id, lea.manager_id
    page = admin.get(f"/admin/users/{lea_id}", headers=SV).get_data(as_text=True)
    assert "Anställningsnummer" in page
    assert "1002" in page
    assert "Undersköterska" in page
    assert f'href="/admin/users/{manager_id}">Åsa Öberg</a>' in page


def test_people_import_page_managers_lead_to_the_line_reports_at_once(app, portal, login, units):
    from accounts.models import User
    from core.db import db

    admin = login(portal.user("boss@example.org", role="admin"))
    assert send(admin, SWEDISH, "import").status_code == 200
    with app.app_context():
        asa = db.session.scalars(select(User).where(User.employee_number == "1001")).one()
        asa.role = "manager"
        db.session.commit()
        asa_id = asa.id
    asa_client = login(asa_id)

    def per_report() -> list[tuple[str, str]]:
        response = asa_client.get("/reports?by=line&start=&table=unit&format=csv")
        assert response.status_code == 200
        rows = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
        return [(r["Reports to the manager"], r["People"]) for r in rows]

    assert per_report() == [("Ali Hassan", "1"), ("Lea Lund", "1")]
    assert_line_kept(app)
    # Ali now reports to Lea: Lea's row holds both of them.
    moved = SWEDISH.replace(";SOC-AO;1001;Sj", ";SOC-AO;1002;Sj")
    assert send(admin, moved, "import").status_code == 200
    assert per_report() == [("Lea Lund", "2")]
    assert_line_kept(app)
