"""Every error page is a portal page in the user's language; JSON stays JSON for APIs."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from flask import Flask, abort
from sqlalchemy import exc as sa_exc

from core.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    register_error_handlers,
)
from tests.portal.conftest import CSRF, post

SV = {"Accept-Language": "sv"}
EN = {"Accept-Language": "en"}

# status → (a word of the English title, a word of the Swedish title)
TITLES = {
    400: ("could not be used", "kunde inte användas"),
    401: ("Sign-in needed", "Inloggning krävs"),
    403: ("Not allowed", "Inte tillåtet"),
    404: ("Page not found", "Sidan finns inte"),
    405: ("Not possible", "Inte möjligt"),
    409: ("Conflict", "Konflikt"),
    413: ("Too large", "För stort"),
    429: ("Too many requests", "För många försök"),
    500: ("Something went wrong", "Något gick fel"),
    503: ("The service is busy", "Tjänsten är hårt belastad"),
}


def _boom() -> None:
    raise RuntimeError("secret-detail from /etc/passwd")


RAISED = {
    400: lambda: BadRequest("Bad thing"),
    401: lambda: Unauthorized("No credentials"),
    403: lambda: Forbidden("Nope"),
    404: lambda: NotFound("No such thing"),
    405: lambda: abort(405, valid_methods=["POST"]),
    409: lambda: Conflict("Clash"),
    413: lambda: PayloadTooLarge("Huge"),
    429: lambda: TooManyRequests("Slow down"),
    500: lambda: _boom(),
    # What the connection pool raises when no connection comes free in time (a rush).
    503: lambda: sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
}


@pytest.fixture
def raising(swap_view, app, monkeypatch):
    """``/`` raises the error of a status; ``/xapi/about`` too, as an API answer."""
    monkeypatch.setitem(app.config, "PROPAGATE_UNEXPECTED", False)

    def make(status: int) -> None:
        def view() -> str:
            raise RAISED[status]()  # type: ignore[misc]

        swap_view("portal.home", view)
        swap_view("lrs.get_about", view)

    return make


@pytest.mark.parametrize("status", sorted(TITLES))
@pytest.mark.parametrize(("headers", "lang"), [(EN, "en"), (SV, "sv")])
def test_portal_error_pages_every_status_is_a_translated_portal_page(
    raising, client, status, headers, lang
):
    raising(status)
    response = client.get("/", headers=headers)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert 'href="#main"' in page  # the portal's layout (skip link, main, footer)
    assert 'id="footer-locale"' in page
    assert TITLES[status][0 if lang == "en" else 1] in page
    assert "secret-detail" not in page
    if status == 405:
        assert response.headers["Allow"] == "POST"
    if status == 503:
        assert response.headers["Retry-After"] == "5"
        assert "QueuePool" not in page


@pytest.mark.parametrize("status", sorted(TITLES))
def test_portal_error_pages_json_for_the_api(raising, client, status):
    raising(status)
    response = client.get("/xapi/about", headers=SV)
    assert response.status_code == status
    body = response.get_json()
    assert body["status"] == status
    if status == 503:  # a rush: the client is told to try again, not that we failed
        assert response.headers["Retry-After"] == "5"
        assert "busy" in body["message"]
    assert "secret-detail" not in response.get_data(as_text=True)


def test_portal_error_pages_json_when_the_client_prefers_it(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


@pytest.mark.parametrize("path", ["/xapi/nope", "/api/nope", "/player/api/nope/attempt"])
def test_portal_error_pages_json_paths_stay_json(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code in (401, 404)
    assert response.is_json


def test_portal_error_pages_unknown_url_in_swedish_with_the_users_menu(portal, login):
    client = login(portal.user(name="Lea Learner"))
    with client.session_transaction() as session:
        session["locale"] = "sv"
    response = client.get("/no/such/page", headers=EN)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert '<html lang="sv">' in page
    assert "Sidan finns inte" in page
    assert "Lea Learner" in page  # the signed-in user's menu
    assert 'aria-label="Huvudmeny"' in page or "Kurskatalog" in page
    assert "requested URL was not found" not in page  # werkzeug's English text


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (None, []),
        ("learner", ["/catalogue"]),
        ("author", ["/catalogue", "/author"]),
        ("manager", ["/catalogue", "/author", "/reports"]),
        ("admin", ["/catalogue", "/author", "/reports", "/admin/users"]),
    ],
)
def test_portal_error_pages_show_each_role_its_navigation(portal, login, client, role, links):
    visitor = client if role is None else login(portal.user(role=role))
    page = visitor.get("/no/such/page", headers=EN).get_data(as_text=True)
    for href in ("/catalogue", "/author", "/reports", "/admin/users"):
        assert (f'href="{href}"' in page) == (href in links), (role, href)


def test_portal_error_pages_method_not_allowed_is_a_portal_page(portal, login):
    response = login(portal.user()).get("/logout", headers=SV)
    assert response.status_code == 405
    assert "Inte möjligt" in response.get_data(as_text=True)
    assert "POST" in response.headers["Allow"]


def test_portal_error_pages_raised_outside_the_portal_blueprint(portal, login):
    # /courses/<id>/launch belongs to the player; its 404 is still a portal page.
    response = login(portal.user()).get("/courses/999999/launch", headers=SV)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert '<html lang="sv">' in page
    assert "Kurskatalog" in page


def test_portal_error_pages_service_messages_in_swedish(portal, login):
    response = login(portal.user()).get("/catalogue/999999", headers=SV)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Sidan finns inte" in page
    assert "No course" not in page  # an untranslated detail is left out in Swedish


def test_portal_error_pages_oversized_upload_is_a_swedish_portal_page(
    portal, login, app, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    author = login(portal.user(role="author", name="Ann Author"))
    response = author.post(
        "/author",
        data={"csrf_token": CSRF, "file": (io.BytesIO(b"x" * 20_000), "big.zip")},
        headers=SV,
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert '<html lang="sv">' in page
    assert "För stort" in page
    assert "Ann Author" in page
    assert "4 KB" in page or "4\u00a0KB" in page  # the limit, in the user's language


def test_portal_error_pages_csrf_failure_in_swedish(portal, login):
    response = login(portal.user()).post("/settings", data={"locale": "sv"}, headers=SV)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Formuläret har gått ut" in page
    assert "csrf_token" not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_portal_error_pages_500_never_shows_the_exception(raising, client):
    raising(500)
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert "Something went wrong" in page
    assert "RuntimeError" not in page
    assert "secret-detail" not in page


def test_portal_error_pages_500_log_has_no_launch_token(
    swap_view, app, monkeypatch, client, caplog
):
    # The error log is read by more people than the learners whose attempts it names.
    monkeypatch.setitem(app.config, "PROPAGATE_UNEXPECTED", False)
    # (Alembic's logging set-up, run by the suite's migrations, disables older loggers.)
    monkeypatch.setattr(logging.getLogger("core.errors"), "disabled", False)
    swap_view("player.shell", lambda token: _boom())
    token = "Zx9-secret_launch_token_0123456789abcdefghijklmnop"
    response = client.get(f"/player/{token}")
    assert response.status_code == 500
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "unexpected error on GET /player/" in logged
    assert token not in logged


def test_portal_error_pages_bare_page_without_a_portal(tmp_path: Path):
    bare = Flask(__name__)
    register_error_handlers(bare)
    response = bare.test_client().get("/nothing")
    assert response.status_code == 404
    assert "<h1>404 Not Found</h1>" in response.get_data(as_text=True)


def test_portal_error_pages_fall_back_when_the_page_cannot_be_drawn(raising, client, monkeypatch):
    from portal.views import common

    def broken(*_args, **_kwargs):
        raise RuntimeError("template broke")

    raising(404)
    monkeypatch.setattr(common, "render_template", broken)
    response = client.get("/", headers=EN)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "404" in page
    assert "template broke" not in page


@pytest.mark.parametrize(
    ("settings", "base_url"),
    [
        ({"CONTENT_ORIGIN": "http://content.test", "PORTAL_URL": ""}, "http://content.test"),
        ({"CONTENT_PORT": 5001}, "http://localhost:5001"),
    ],
)
def test_portal_error_pages_on_the_content_host_hold_no_csrf_token_or_user(
    portal, login, app, monkeypatch, settings, base_url
):
    # Content runs on the content origin: its scripts may read any page of that origin,
    # so an error page there must not carry the session's CSRF token nor the user's name.
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    client = login(portal.user(name="Lea Learner"))
    response = client.post("/no/such/page", base_url=base_url, headers=EN)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page
    assert CSRF not in page
    assert "csrf_token" not in page
    assert "Lea Learner" not in page


def test_portal_error_pages_form_error_outside_a_form_names_fields_humanly(portal, login):
    # A filter with a bad value is the filter form again, with the field's label.
    response = login(portal.user()).get("/catalogue?kind=webinar", headers=SV)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "kind:" not in page
    assert "Not a valid choice" not in page
    assert "Välj ett av alternativen" in page


def test_portal_error_pages_post_without_token_keeps_json_for_player_api(client):
    response = post(client, "/player/api/nope/commit", {})
    assert response.is_json
