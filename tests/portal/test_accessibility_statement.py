"""The accessibility statement: open to anyone, its report form and Admin → Accessibility reports.

Reports are sent as a visitor's browser sends them: the CSRF token from the page the
visitor was shown (anonymous visitors have a session for it too).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core.db import db
from portal.accessibility_models import AccessibilityReport
from portal.notice_models import OutboxMessage
from tests.portal.conftest import CSRF, csrf_from, post, sign_in

REPORT = {
    "message": "The course player cannot be used with a keyboard.\nTab skips the Next button.",
    "page": "/catalogue/12",
    "name": "Sam Svensson",
    "email": "sam@example.org",
}


@pytest.fixture
def org(app, portal):
    from accounts.models import User

    soc = portal.unit("SOC", "Socialförvaltningen")
    gone = portal.user("old@example.org", role="admin", unit_id=soc, name="Former Admin")
    with app.app_context():
        former = db.session.get(User, gone)
        assert former is not None
        former.active = False
        db.session.commit()
    return {
        "ada": portal.user("ada@example.org", role="admin", unit_id=soc, name="Ada Admin"),
        "eva": portal.user("eva@example.org", role="admin", unit_id=soc, name="Eva Admin"),
        "bea": portal.user("bea@example.org", role="manager", unit_id=soc, name="Bea Boss"),
        "lea": portal.user("lea@example.org", unit_id=soc, name="Lea Larsson"),
    }


@pytest.fixture
def settings(app, monkeypatch):
    for key, value in {
        "ORGANISATION_NAME": "Exempelby kommun",
        "ACCESSIBILITY_CONTACT": "tillganglighet@exempelby.se",
        "ACCESSIBILITY_PHONE": "0123 45 67 89",
        "ACCESSIBILITY_ASSESSED": date(2026, 11, 30),
        "ACCESSIBILITY_UPDATED": date(2026, 12, 1),
    }.items():
        monkeypatch.setitem(app.config, key, value)


def _reports(app):
    with app.app_context():
        return list(
            db.session.scalars(select(AccessibilityReport).order_by(AccessibilityReport.id))
        )


def _outbox(app):
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.user_id)))


def _send(client, data, **kwargs):
    """Post the form with the token of the page this client was shown."""
    token = csrf_from(client, "/accessibility")
    return client.post("/accessibility", data={**data, "csrf_token": token}, **kwargs)


# -- The statement ----------------------------------------------------------------------------


def test_accessibility_statement_is_open_to_anyone_in_english(client, settings):
    page = client.get("/accessibility", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<h1>Accessibility statement for Kompetens</h1>" in text
    assert "Exempelby kommun is responsible for Kompetens" in text
    assert "partially compliant" in text
    assert 'href="mailto:tillganglighet@exempelby.se"' in text
    assert 'href="tel:0123456789">0123 45 67 89</a>' in text
    assert 'href="https://www.digg.se/tdosanmalan"' in text
    assert "Agency for Digital Government" in text
    assert "The latest assessment was made on November 30, 2026." in text
    assert "This statement was last updated on December 1, 2026." in text
    assert "Certificates are PDF files without tags" in text


def test_accessibility_statement_in_swedish(client, settings):
    text = client.get("/accessibility", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    # A soft hyphen lets the long word break on a phone.
    assert "<h1>Tillgänglighets\u00adredogörelse för Kompetens</h1>" in text
    assert "Exempelby kommun står bakom Kompetens" in text
    assert "delvis förenlig" in text
    assert "Myndigheten för digital förvaltning" in text
    assert "Senaste bedömningen gjordes den 30 november 2026." in text
    assert "Rapportera brister i tillgängligheten" in text


def test_accessibility_statement_without_contact_settings_offers_the_form(client):
    text = client.get("/accessibility", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The organisation that runs Kompetens is responsible" in text
    assert "mailto:" not in text
    assert "tel:" not in text
    assert '<a href="#report">The form on this page</a>' in text


def test_accessibility_statement_is_linked_from_every_page_footer(client, login, org):
    for page in (client.get("/login"), login(org["lea"]).get("/my")):
        text = page.get_data(as_text=True)
        footer = text[text.index("<footer>") :]
        assert 'href="/accessibility"' in footer


def test_accessibility_statement_fills_in_the_page_the_visitor_came_from(client):
    came = client.get("/accessibility", headers={"Referer": "http://localhost/catalogue?q=x"})
    assert 'name="page" type="text" maxlength="500" size="50" value="/catalogue"' in (
        came.get_data(as_text=True)
    )
    other = client.get("/accessibility", headers={"Referer": "https://evil.example/catalogue"})
    assert 'name="page" type="text" maxlength="500" size="50" value=""' in (
        other.get_data(as_text=True)
    )


# -- Reporting a problem ----------------------------------------------------------------------


def test_accessibility_report_from_an_anonymous_visitor_is_kept_and_told(app, client, org):
    response = _send(client, REPORT, headers={"Accept-Language": "sv"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/accessibility"
    thanks = client.get("/accessibility", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Tack för att du hör av dig" in thanks
    [report] = _reports(app)
    assert report.message == REPORT["message"]
    assert (report.page, report.name, report.email) == (
        "/catalogue/12",
        "Sam Svensson",
        REPORT["email"],
    )
    assert report.user_id is None
    assert report.locale == "sv"
    assert report.handled_at is None
    # Every active admin is told, in their language (the organisation's: Swedish); nobody else.
    told = _outbox(app)
    assert [m.user_id for m in told] == [org["ada"], org["eva"]]
    assert {m.kind for m in told} == {"accessibility_report"}
    assert "Tab skips the Next button." in told[0].body_text
    assert "Från: Sam Svensson, sam@example.org" in told[0].body_text
    assert told[0].subject == "Någon har rapporterat ett tillgänglighetsproblem"


def test_accessibility_report_from_a_signed_in_person_names_their_account(app, login, org):
    lea = login(org["lea"])
    form = lea.get("/accessibility").get_data(as_text=True)
    assert 'value="Lea Larsson"' in form
    assert 'value="lea@example.org"' in form
    response = post(lea, "/accessibility", {"message": "Low contrast on the buttons."})
    assert response.status_code == 302
    [report] = _reports(app)
    assert report.user_id == org["lea"]
    assert (report.name, report.email, report.page) == ("", "", "")


def test_accessibility_report_without_csrf_is_refused(app, client, login, org):
    client.get("/accessibility")  # a session, but no token sent
    assert client.post("/accessibility", data=REPORT).status_code == 400
    assert client.post("/accessibility", data={**REPORT, "csrf_token": "guess"}).status_code == 400
    assert login(org["lea"]).post("/accessibility", data=REPORT).status_code == 400
    assert _reports(app) == []
    assert _outbox(app) == []


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"message": "   "}, "message", "Fill in this field."),
        (
            {"email": "not an address"},
            "email",
            "Enter an e-mail address, such as name@example.org.",
        ),
        ({"page": "x" * 501}, "page", "Use at most 500 characters."),
        ({"message": "x" * 5001}, "message", "Use 1 to 5,000 characters."),
    ],
)
def test_accessibility_report_bad_input_comes_back_with_the_form(
    app, client, org, change, field, message
):
    response = _send(client, {**REPORT, **change}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert f'<p class="field-error" id="{field}-error">' in text
    assert message in text
    assert 'aria-invalid="true"' in text
    # What was typed is there again.
    for name in ("name", "page", "email"):
        if name not in change:
            assert f'value="{REPORT[name]}"' in text
    if "message" not in change:
        assert "Tab skips the Next button.</textarea>" in text
    assert _reports(app) == []


def test_accessibility_report_limit_per_client(app, client, org, monkeypatch):
    monkeypatch.setitem(app.config, "ACCESSIBILITY_REPORT_LIMIT", 2)
    assert _send(client, REPORT).status_code == 302
    assert _send(client, REPORT).status_code == 302
    refused = _send(
        client, {**REPORT, "message": "A third one."}, headers={"Accept-Language": "en"}
    )
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    text = refused.get_data(as_text=True)
    assert "You have sent several reports in a short time. Try again in 60 minutes" in text
    assert "A third one.</textarea>" in text
    assert len(_reports(app)) == 2
    # Another address may still report; this one may still sign in (a count of its own).
    other = {"REMOTE_ADDR": "198.51.100.7"}
    token = csrf_from(client, "/accessibility")
    assert (
        client.post(
            "/accessibility", data={**REPORT, "csrf_token": token}, environ_base=other
        ).status_code
        == 302
    )
    assert sign_in(client, "lea@example.org", "correct horse").status_code == 302


def test_accessibility_failed_sign_ins_do_not_use_up_reports(app, client, org, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_RATE_LIMIT", 2)
    for n in range(3):
        sign_in(client, f"guess{n}@example.org", "wrong")
    assert sign_in(client, "lea@example.org", "correct horse").status_code == 429
    assert _send(client, REPORT).status_code == 302


# -- Admin → Accessibility reports --------------------------------------------------------------


def test_accessibility_reports_page_is_for_admins(client, login, org):
    assert client.get("/admin/accessibility").headers["Location"].startswith("/login")
    for who in ("lea", "bea"):
        assert login(org[who]).get("/admin/accessibility").status_code == 403
        assert post(login(org[who]), "/admin/accessibility/1/handled").status_code == 403
    assert (
        client.post("/admin/accessibility/1/handled", data={"csrf_token": CSRF}).status_code == 400
    )


def test_accessibility_reports_admin_sees_and_handles_them(app, client, login, org):
    _send(client, REPORT)
    post(login(org["lea"]), "/accessibility", {"message": "Low contrast on the buttons."})
    ada = login(org["ada"])
    page = ada.get("/admin/accessibility", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Tab skips the Next button." in text
    assert '<a href="mailto:sam@example.org">sam@example.org</a>' in text
    assert "Signed in as Lea Larsson" in text
    assert text.count("Mark as handled") == 2
    [first, _second] = _reports(app)
    assert ada.post(f"/admin/accessibility/{first.id}/handled").status_code == 400  # no token
    assert post(ada, f"/admin/accessibility/{first.id}/handled").status_code == 302
    assert _reports(app)[0].handled_by_id == org["ada"]
    open_now = ada.get("/admin/accessibility").get_data(as_text=True)
    assert "Tab skips the Next button." not in open_now
    assert "Low contrast on the buttons." in open_now
    every = ada.get("/admin/accessibility?show=all").get_data(as_text=True)
    assert "Tab skips the Next button." in every
    assert "by Ada Admin" in every
    assert post(ada, "/admin/accessibility/999999/handled").status_code == 404
