"""A refused form comes back with HTTP 400, the user's input kept and each error at its field.

Every portal form is tried with a bad value: the same page answers with the field marked
(aria-invalid, aria-describedby pointing at the message), the message human and in the
user's language, and what the user typed still in the other fields.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html
import pytest
from marshmallow import ValidationError, validate

from tests.portal.conftest import post

SV = {"Accept-Language": "sv"}
EN = {"Accept-Language": "en"}

# Marshmallow's own wording and raw field names never reach the page.
RAW = ("Not a valid", "Missing data", "Must be one of", "Length must be", "Shorter than")


def parse(response: Any) -> Any:
    return lxml.html.fromstring(response.get_data(as_text=True))


def assert_invalid(doc: Any, field_id: str, message: str) -> None:
    """The field is marked invalid and described by an error message holding ``message``."""
    (field,) = doc.xpath(f'//*[@id="{field_id}"]')
    assert field.get("aria-invalid") == "true", field_id
    described = field.get("aria-describedby", "").split()
    assert f"{field_id}-error" in described, field_id
    (error,) = doc.xpath(f'//*[@id="{field_id}-error"]')
    assert message in error.text_content(), (field_id, error.text_content())


def assert_valid(doc: Any, field_id: str) -> None:
    (field,) = doc.xpath(f'//*[@id="{field_id}"]')
    assert field.get("aria-invalid") is None, field_id


def value_of(doc: Any, field_id: str) -> Any:
    (field,) = doc.xpath(f'//*[@id="{field_id}"]')
    if field.tag == "select":
        chosen = field.xpath(".//option[@selected]")
        return chosen[0].get("value") if chosen else None
    if field.tag == "textarea":
        return field.text or ""
    if field.get("type") == "checkbox":
        return field.get("checked") is not None
    return field.get("value")


def no_raw_text(response: Any) -> None:
    main = parse(response).xpath("//main")[0].text_content()
    for raw in RAW:
        assert raw not in main, raw


@pytest.fixture
def admin(portal, login):
    return login(portal.user("boss@example.org", role="admin", name="Boss"))


def test_portal_forms_admin_new_user_keeps_input_and_marks_the_email(portal, admin):
    unit = portal.unit("school", "Schools")
    response = post(
        admin,
        "/admin/users",
        {
            "email": "nina-at-example.org",
            "name": "Nina Nilsson",
            "password": "long enough pw",
            "role": "manager",
            "unit_id": str(unit),
        },
        headers=SV,
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "email", "Ange en e-postadress")
    assert value_of(doc, "email") == "nina-at-example.org"
    assert value_of(doc, "name") == "Nina Nilsson"
    assert value_of(doc, "role") == "manager"
    assert value_of(doc, "unit_id") == str(unit)
    assert value_of(doc, "password") in (None, "")  # a password is never sent back
    assert_valid(doc, "name")
    no_raw_text(response)
    # The summary at the top names the field by its label.
    summary = doc.xpath('//*[@id="form-problems"]')[0].text_content()
    assert "E-post" in summary
    assert "email" not in summary


def test_portal_forms_admin_new_user_short_password_in_english(admin):
    response = post(
        admin,
        "/admin/users",
        {"email": "a@example.org", "name": "A", "password": "short"},
        headers=EN,
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "password", "8 to 200 characters")
    assert value_of(doc, "email") == "a@example.org"
    no_raw_text(response)


def test_portal_forms_admin_units_new_unit_keeps_the_code(admin):
    response = post(
        admin, "/admin/units", {"form": "new", "code": "socx", "kind": "company"}, headers=SV
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "name", "Fyll i")
    assert value_of(doc, "code") == "socx"
    assert value_of(doc, "kind") == "company"
    no_raw_text(response)


def test_portal_forms_admin_units_service_error_is_at_its_field(admin):
    response = post(
        admin, "/admin/units", {"form": "new", "code": "Bad Code!", "name": "X"}, headers=EN
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "code", "letters A-Z")
    assert value_of(doc, "code") == "Bad Code!"
    assert value_of(doc, "name") == "X"


def test_portal_forms_admin_units_rename_row_keeps_its_input(portal, admin):
    first = portal.unit("social", "Social")
    second = portal.unit("school", "Schools")
    response = post(
        admin,
        "/admin/units",
        {"form": f"unit-{second}", "unit_id": str(second), "name": "", "kind": "planet"},
        headers=SV,
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, f"name-{second}", "Fyll i")
    assert_invalid(doc, f"kind-{second}", "Välj ett av alternativen")
    assert_valid(doc, f"name-{first}")
    assert value_of(doc, f"name-{first}") == "Social"
    # The new-unit form at the top is not marked either.
    assert_valid(doc, "name")


def test_portal_forms_admin_user_update_marks_the_role(portal, admin):
    user = portal.user("lea@example.org", name="Lea")
    response = post(
        admin,
        f"/admin/users/{user}",
        {"form": "update", "action": "update", "name": "Lea Changed", "role": "wizard"},
        headers=SV,
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "role", "Välj ett av alternativen")
    assert value_of(doc, "name") == "Lea Changed"
    no_raw_text(response)


def test_portal_forms_admin_credentials_need_a_scope_and_keep_the_name(admin):
    response = post(admin, "/admin/credentials", {"name": "Moodle bridge"}, headers=SV)
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "scopes", "Välj")
    assert value_of(doc, "name") == "Moodle bridge"
    no_raw_text(response)
    response = post(
        admin,
        "/admin/credentials",
        {"name": "Moodle bridge", "scopes": ["statements/read", "root"]},
        headers=EN,
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "scopes", "Choose")
    assert value_of(doc, "scope-1") in (True, False)
    assert doc.xpath('//input[@value="statements/read"]')[0].get("checked") is not None


def test_portal_forms_author_upload_options_kept(portal, login):
    author = login(portal.user(role="author"))
    social = portal.unit("social", "Social")
    response = post(
        author,
        "/author",
        {"action": "upload", "title": "T" * 501, "category": "Safety", "unit": str(social)},
        headers=SV,
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "up-title", "högst 500 tecken")
    assert value_of(doc, "up-category") == "Safety"
    assert value_of(doc, "up-unit") == str(social)
    # The other form of the page (a classroom course) is untouched.
    assert_valid(doc, "cl-title")
    assert value_of(doc, "cl-category") in (None, "")
    no_raw_text(response)


def test_portal_forms_author_classroom_course_keeps_the_description(portal, login):
    author = login(portal.user(role="author"))
    response = post(
        author,
        "/author",
        {"action": "classroom", "description": "Keep me", "category": "Health"},
        headers=EN,
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "cl-title", "Fill in")
    assert value_of(doc, "cl-description") == "Keep me"
    assert value_of(doc, "cl-category") == "Health"
    assert_valid(doc, "up-title")


def test_portal_forms_author_unknown_unit_is_at_the_unit_field(portal, login):
    author = login(portal.user(role="author"))
    response = post(
        author,
        "/author",
        {"action": "classroom", "title": "Lifting", "unit": "999999"},
        headers=SV,
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "cl-unit", "Okänd organisationsenhet")
    assert value_of(doc, "cl-title") == "Lifting"


def test_portal_forms_author_course_metadata_keeps_input(portal, login):
    author = login(portal.user(role="author"))
    course = portal.course("Fire safety")
    response = post(
        author,
        f"/author/courses/{course}",
        {"action": "metadata", "title": "", "description": "New text", "category": "C"},
        headers=SV,
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "title", "Fyll i")
    assert value_of(doc, "description") == "New text"
    assert value_of(doc, "category") == "C"
    no_raw_text(response)


def test_portal_forms_author_session_keeps_input(portal, login):
    author = login(portal.user(role="author"))
    room = portal.course("Lifting", kind="classroom")
    response = post(
        author,
        f"/author/courses/{room}",
        {
            "action": "session",
            "starts_at": "2030-05-04T09:30",
            "ends_at": "2030-05-04T12:00",
            "place": "Town hall",
            "trainer_id": str(author),
            "seats": "0",
        },
        headers=SV,
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "seats", "från 1 till 10\u00a0000")
    assert value_of(doc, "place") == "Town hall"
    assert value_of(doc, "starts_at") == "2030-05-04T09:30"
    assert value_of(doc, "ends_at") == "2030-05-04T12:00"
    assert value_of(doc, "seats") == "0"
    no_raw_text(response)


def test_portal_forms_assignment_bad_date_keeps_the_note(portal, login):
    unit = portal.unit("social")
    course = portal.course("Fire safety")
    learner = portal.user("lea@example.org", unit_id=unit)
    manager = login(portal.user("maja@example.org", role="manager", unit_id=unit))
    response = post(
        manager,
        "/manage/assignments",
        {
            "course_id": str(course),
            "user_id": str(learner),
            "due_date": "31/12/2030",
            "note": "Before the audit",
        },
        headers=SV,
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "due_date", "Ange ett datum")
    assert value_of(doc, "note") == "Before the audit"
    assert value_of(doc, "user_id") == str(learner)
    assert value_of(doc, "course_id") == str(course)
    no_raw_text(response)


def test_portal_forms_assignment_person_or_unit_is_at_the_person_field(portal, login):
    unit = portal.unit("social")
    course = portal.course("Fire safety")
    manager = login(portal.user("maja@example.org", role="manager", unit_id=unit))
    response = post(
        manager, "/manage/assignments", {"course_id": str(course), "note": "N"}, headers=EN
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "user_id", "either a person or a unit")
    assert value_of(doc, "note") == "N"


def test_portal_forms_attendance_score_out_of_range_keeps_every_row(portal, login):
    trainer = portal.user("tom@example.org", role="author")
    room = portal.course("Lifting", kind="classroom")
    session = portal.session(room, trainer)
    learners = [portal.user(f"l{n}@example.org", name=f"Learner {n}") for n in range(2)]
    for learner in learners:
        post(login(learner), f"/sessions/{session}/enrol")
    client = login(trainer)
    page = client.get(f"/trainer/sessions/{session}").get_data(as_text=True)
    first, second = re.findall(r'name="e(\d+)-attended"', page)
    response = post(
        client,
        f"/trainer/sessions/{session}",
        {
            f"e{first}-attended": "true",
            f"e{first}-outcome": "passed",
            f"e{first}-score": "130",
            f"e{second}-attended": "true",
            f"e{second}-outcome": "failed",
            f"e{second}-score": "12.5",
        },
        headers=SV,
    )
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, f"e{first}-score", "från 0 till 100")
    assert value_of(doc, f"e{first}-score") == "130"
    assert value_of(doc, f"e{first}-outcome") == "passed"
    assert value_of(doc, f"e{second}-score") == "12.5"
    assert value_of(doc, f"e{second}-outcome") == "failed"
    assert value_of(doc, f"e{first}-completed") is False  # unticked stays unticked
    assert_valid(doc, f"e{second}-score")
    summary = doc.xpath('//*[@id="form-problems"]')[0].text_content()
    assert "Learner" in summary  # whose row it is
    no_raw_text(response)
    # Nothing was recorded: the form is still there for both.
    page = client.get(f"/trainer/sessions/{session}").get_data(as_text=True)
    assert page.count("-attended") >= 2


def test_portal_forms_settings_unknown_language(portal, login):
    client = login(portal.user())
    response = post(client, "/settings", {"locale": "xx"}, headers=SV)
    assert response.status_code == 400
    assert_invalid(parse(response), "locale", "Välj ett av alternativen")


def test_portal_forms_report_filter_bad_month_is_the_filter_again(portal, login):
    unit = portal.unit("social")
    manager = login(portal.user("maja@example.org", role="manager", unit_id=unit))
    response = manager.get("/reports?start=2025-13&end=2025-06", headers=SV)
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "start", "ÅÅÅÅ-MM")
    assert value_of(doc, "start") == "2025-13"
    assert value_of(doc, "end") == "2025-06"
    no_raw_text(response)


def test_portal_forms_catalogue_filter_bad_kind(portal, login):
    response = login(portal.user()).get("/catalogue?q=fire&kind=webinar", headers=EN)
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, "kind", "Choose one of the options")
    assert value_of(doc, "q") == "fire"
    no_raw_text(response)


def test_portal_forms_valid_input_is_not_marked(portal, admin):
    response = admin.get("/admin/users", headers=EN)
    doc = parse(response)
    assert not doc.xpath('//*[@aria-invalid="true"]')
    assert not doc.xpath('//*[@id="form-problems"]')


def test_portal_forms_every_marshmallow_message_of_a_form_is_translated(app):
    """Each message a portal form schema can produce has a Swedish text of our own."""
    from marshmallow import Schema

    from portal import schemas
    from portal.i18n import field_message

    with app.test_request_context(headers=SV):
        for schema_class in vars(schemas).values():
            if not (
                isinstance(schema_class, type)
                and issubclass(schema_class, Schema)
                and schema_class.__module__ == schemas.__name__
            ):
                continue
            for name, field in schema_class().fields.items():
                messages = dict(field.error_messages)
                for validator in getattr(field, "validators", []):
                    messages.update(_validator_messages(validator))
                inner = getattr(field, "inner", None)
                for validator in getattr(inner, "validators", []):
                    messages.update(_validator_messages(validator))
                for key, text in messages.items():
                    shown = field_message(str(text).replace("{input}", "x"))
                    assert shown != text, (schema_class.__name__, name, key, text)


def _validator_messages(validator: Any) -> dict[str, str]:
    """The messages a validator can produce, formatted as it formats them."""
    if isinstance(validator, validate.Length):
        found = []
        for value in ("", "x" * 100_000):
            try:
                validator(value)
            except ValidationError as exc:
                found.append(str(exc.messages[0]))
        return {f"length{n}": text for n, text in enumerate(found)}
    if isinstance(validator, validate.Range):
        found = []
        for number in (-(10**9), 10**9):
            try:
                validator(number)
            except ValidationError as exc:
                found.append(str(exc.messages[0]))
        return {f"range{n}": text for n, text in enumerate(found)}
    if isinstance(validator, validate.OneOf):
        try:
            validator("\u0000nothing")
        except ValidationError as exc:
            return {"oneof": str(exc.messages[0])}
    if isinstance(validator, validate.Regexp):
        try:
            validator("\u0000nothing")
        except ValidationError as exc:
            return {"regexp": str(exc.messages[0])}
    return {}


def test_portal_forms_every_field_has_a_label():
    """A refused form names fields by label, never by their raw name (``unit_id``)."""
    from marshmallow import Schema

    from portal import schemas

    for schema_class in vars(schemas).values():
        if (
            isinstance(schema_class, type)
            and issubclass(schema_class, Schema)
            and schema_class.__module__ == schemas.__name__
        ):
            for name, field in schema_class().fields.items():
                assert field.metadata.get("label"), (schema_class.__name__, name)


@pytest.mark.parametrize(
    ("sent", "field_id", "message"),
    [
        ({"current_password": "wrong one"}, "current_password", "Det nuvarande lösenordet"),
        ({"password_again": "another one"}, "password_again", "De två nya lösenorden"),
        ({"password": "shrt123", "password_again": "shrt123"}, "new_password", "minst 8"),
    ],
)
def test_portal_forms_password_change_marks_its_field(portal, login, sent, field_id, message):
    client = login(portal.user(password="correct horse"))
    form = {
        "action": "password",
        "current_password": "correct horse",
        "password": "a brand new one",
        "password_again": "a brand new one",
        **sent,
    }
    response = post(client, "/settings", form, headers=SV)
    assert response.status_code == 400
    doc = parse(response)
    assert_invalid(doc, field_id, message)
    assert value_of(doc, field_id) in (None, "")  # passwords are typed again
    assert_valid(doc, "locale")  # the language form is not marked
