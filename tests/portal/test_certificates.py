"""Certificates: a learner's PDF with a QR code that anyone can follow to check it,
a manager's copy within their scope, and the checks that it is valid, expired or
withdrawn (issue 15, "Certificates")."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from portal.compliance import add_months
from tests.portal.conftest import Portal

VERB = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def org(portal: Portal) -> dict[str, int]:
    soc = portal.unit("SOC", "Socialförvaltningen")
    ifo = portal.unit("IFO", "Individ- och familjeomsorg", parent=soc)
    utb = portal.unit("UTB", "Utbildningsförvaltningen")
    return {
        "soc": soc,
        "ifo": ifo,
        "utb": utb,
        "admin": portal.user("ada@example.org", role="admin", name="Ada Admin"),
        "boss": portal.user("bea@example.org", role="manager", unit_id=soc, name="Bea Boss"),
        "other_boss": portal.user("ola@example.org", role="manager", unit_id=utb),
        "lea": portal.user("lea@example.org", unit_id=ifo, name="Lea Lindström"),
        "sam": portal.user("sam@example.org", unit_id=utb, name="Sam Svensson"),
        "course": portal.course("Brandskydd grund", unit="IFO"),
    }


@pytest.fixture
def record(app: Flask, make_xapi: Any) -> Callable[..., str]:
    """Store an outcome of a course for a person, as a trusted LRS client would."""
    xapi = make_xapi(["all"], trusted=True)
    home = app.config["AGENT_HOMEPAGE"]

    def post(user: int, course: int, verb: str, registration: str | None = None) -> str:
        statement: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "account": {"homePage": home, "name": str(user)}},
            "verb": {"id": VERB + verb},
            "object": {"objectType": "Activity", "id": f"{home}/courses/{course}"},
        }
        if registration:
            statement["context"] = {"registration": registration}
        assert xapi.post("statements", [statement]).status_code == 200
        return str(statement["id"])

    post.xapi = xapi  # type: ignore[attr-defined]
    return post


def read_pdf(body: bytes) -> tuple[str, str]:
    """The PDF's text and the text of the QR code on its page."""
    assert body.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(body)
    assert len(pdf) == 1
    page = pdf[0]
    text = page.get_textpage().get_text_range()
    image = page.render(scale=3).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert [c.format for c in codes] == [zxingcpp.BarcodeFormat.QRCode]
    return text, codes[0].text


def test_learner_downloads_a_certificate_that_anyone_checks_through_its_qr_code(
    app: Flask, client: FlaskClient, login: Any, org: dict[str, int], record: Any
) -> None:
    record(org["lea"], org["course"], "passed")
    lea = login(org["lea"])
    my = lea.get("/my").get_data(as_text=True)
    link = f"/my/certificates/{org['course']}"
    assert f'href="{link}"' in my

    response = lea.get(link + "?lang=sv")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text, url = read_pdf(response.data)
    for shown in ("Kursintyg", "Lea Lindström", "Brandskydd grund", "Härmed intygas att"):
        assert shown in text
    # Issued by the unit that owns the course, and the top of its branch of the tree.
    assert "Utfärdat av: Individ- och familjeomsorg, Socialförvaltningen" in text
    code = re.fullmatch(r"http://localhost/certificates/([A-Za-z0-9_-]{22})", url)
    assert code is not None, url
    assert url in text.replace("\r\n", "").replace("\n", "")  # printed under the QR code

    # Anyone, signed in or not, checks it with the address from the QR code.
    anyone = app.test_client()
    page = anyone.get(url, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert "This certificate is genuine and valid." in shown
    assert "Lea Lindström" in shown
    assert "Brandskydd grund" in shown
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"

    # The same result, the same certificate; English on request.
    again = lea.get(link + "?lang=en")
    text_en, url_en = read_pdf(again.data)
    assert url_en == url
    assert "Certificate" in text_en
    assert "This certifies that" in text_en


def test_certificate_needs_a_successful_result(
    app: Flask, login: Any, org: dict[str, int], record: Any, portal: Portal
) -> None:
    lea = login(org["lea"])
    assert lea.get(f"/my/certificates/{org['course']}").status_code == 404
    # Completed and failed in one attempt: not a success.
    attempt = str(uuid.uuid4())
    record(org["lea"], org["course"], "completed", attempt)
    record(org["lea"], org["course"], "failed", attempt)
    refused = lea.get(f"/my/certificates/{org['course']}", headers={"Accept-Language": "en"})
    assert refused.status_code == 404
    assert "no completed result of this course" in refused.get_data(as_text=True)
    assert "/my/certificates/" not in lea.get("/my").get_data(as_text=True)
    assert lea.get("/my/certificates/999999").status_code == 404
    # A later attempt that passes is certified.
    record(org["lea"], org["course"], "passed", str(uuid.uuid4()))
    assert lea.get(f"/my/certificates/{org['course']}").status_code == 200


def test_a_learner_gets_only_their_own_certificate(
    login: Any, org: dict[str, int], record: Any, client: FlaskClient
) -> None:
    record(org["lea"], org["course"], "passed")
    sam = login(org["sam"])
    # Sam has no result: the learner's address never serves someone else's certificate.
    assert sam.get(f"/my/certificates/{org['course']}").status_code == 404
    managers_address = f"/reports/learners/{org['lea']}/certificates/{org['course']}"
    assert sam.get(managers_address).status_code == 403
    anonymous = client.get(f"/my/certificates/{org['course']}")
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]


@pytest.mark.parametrize(
    ("who", "status"), [("boss", 200), ("admin", 200), ("other_boss", 403), ("lea", 403)]
)
def test_managers_download_certificates_of_people_in_their_scope(
    app: Flask, login: Any, org: dict[str, int], record: Any, who: str, status: int
) -> None:
    record(org["lea"], org["course"], "completed")
    response = login(org[who]).get(f"/reports/learners/{org['lea']}/certificates/{org['course']}")
    assert response.status_code == status
    if status == 200:
        assert "Lea Lindström" in read_pdf(response.data)[0]
        from accounts.models import AuditEvent

        with app.app_context():
            actions = [e.action for e in db.session.query(AuditEvent).all()]
        assert actions.count("certificate.downloaded") == 1


def test_manager_following_the_line_gets_certificates_of_their_people(
    login: Any, org: dict[str, int], record: Any, portal: Portal
) -> None:
    portal.manage(org["sam"], org["boss"])
    record(org["sam"], org["course"], "passed")
    boss = login(org["boss"])
    by_unit = f"/reports/learners/{org['sam']}/certificates/{org['course']}"
    assert boss.get(by_unit).status_code == 403  # Sam is in another department
    assert boss.get(by_unit + "?by=line").status_code == 200


def test_transcript_links_each_course_certificate(
    login: Any, org: dict[str, int], record: Any
) -> None:
    record(org["lea"], org["course"], "passed")
    boss = login(org["boss"])
    page = boss.get(f"/reports/learners/{org['lea']}").get_data(as_text=True)
    assert f"/reports/learners/{org['lea']}/certificates/{org['course']}" in page
    csv = boss.get(f"/reports/learners/{org['lea']}?format=csv").get_data(as_text=True)
    assert csv.splitlines()[0].endswith(",Certificate")
    assert f"/certificates/{org['course']}" in csv.splitlines()[1]


def test_voiding_the_result_withdraws_the_certificate(
    app: Flask, login: Any, org: dict[str, int], record: Any
) -> None:
    statement = record(org["lea"], org["course"], "passed")
    _text, url = read_pdf(login(org["lea"]).get(f"/my/certificates/{org['course']}").data)
    voiding = {
        "actor": {"mbox": "mailto:admin@example.org"},
        "verb": {"id": VERB + "voided"},
        "object": {"objectType": "StatementRef", "id": statement},
    }
    assert record.xapi.post("statements", [voiding]).status_code == 200
    page = app.test_client().get(url, headers={"Accept-Language": "sv"})
    assert page.status_code == 200
    assert "Intyget har återkallats" in page.get_data(as_text=True)


def test_certificate_valid_for_the_requirement_and_then_expired(
    app: Flask, login: Any, org: dict[str, int], record: Any
) -> None:
    from accounts.models import User
    from portal import requirements
    from portal.certificate_models import Certificate

    with app.app_context():
        admin = db.session.get(User, org["admin"])
        assert admin is not None
        draft = requirements.Draft(
            "Brandskydd",
            [org["course"]],
            [("unit", str(org["soc"]))],
            due_days=30,
            validity_months=36,
        )
        requirements.create(admin, draft)
        db.session.commit()
    record(org["lea"], org["course"], "passed")
    text, url = read_pdf(login(org["lea"]).get(f"/my/certificates/{org['course']}?lang=en").data)
    until = add_months(date.today(), 36)
    assert re.search(rf"Valid until:\s*{until:%B} {until.day}, {until.year}", text), text
    with app.app_context():  # three years and a day later
        certificate = db.session.query(Certificate).one()
        certificate.valid_until = date.today() - timedelta(days=1)
        db.session.commit()
    shown = app.test_client().get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "genuine, but it is no longer valid" in shown


def test_unknown_code_is_a_clear_not_found(client: FlaskClient) -> None:
    page = client.get("/certificates/not-a-real-code", headers={"Accept-Language": "sv"})
    assert page.status_code == 404
    assert "Inget intyg har den koden" in page.get_data(as_text=True)
