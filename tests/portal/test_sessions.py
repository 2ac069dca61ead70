"""Portal sessions end on the server: sign-out, password changes, deactivation, timeouts.

A session cookie is only a pointer to a session record; copying it keeps nothing alive
once the record is gone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from core.db import db
from tests.portal.conftest import csrf_from, post, sign_in

EMAIL, PASSWORD = "lea@example.org", "correct horse"


@pytest.fixture
def lea(portal) -> int:
    return portal.user(EMAIL, password=PASSWORD)


def signed_in(app) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, EMAIL, PASSWORD).status_code == 302
    return client


def copy_of(app, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(name, cookie.value)
    return thief


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def test_portal_session_copied_cookie_dies_at_sign_out(app, lea):
    browser = signed_in(app)
    thief = copy_of(app, browser)
    assert is_signed_in(thief)
    token = csrf_from(browser, "/")
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not is_signed_in(browser)
    assert not is_signed_in(thief)


def test_portal_session_copied_cookie_dies_at_an_admin_password_reset(app, portal, login, lea):
    thief = copy_of(app, signed_in(app))
    admin = login(portal.user("boss@example.org", role="admin"))
    response = post(admin, f"/admin/users/{lea}", {"action": "password", "password": "new one!"})
    assert response.status_code == 302
    assert not is_signed_in(thief)
    assert is_signed_in(admin)


def test_portal_session_copied_cookie_dies_at_deactivation_for_good(app, portal, login, lea):
    thief = copy_of(app, signed_in(app))
    admin = login(portal.user("boss@example.org", role="admin"))
    for active in ("", "true"):  # deactivated, then active again
        changes = {"name": "Lea", "role": "learner", "active": active}
        assert post(admin, f"/admin/users/{lea}", changes).status_code == 302
    assert not is_signed_in(thief)
    assert is_signed_in(signed_in(app))


def test_portal_session_the_cli_password_reset_ends_sessions(app, runner, lea):
    thief = copy_of(app, signed_in(app))
    result = runner.invoke(args=["users", "reset-password", EMAIL])
    assert result.exit_code == 0, result.output
    assert not is_signed_in(thief)


def test_portal_session_other_sign_ins_survive_one_sign_out(app, lea):
    laptop, phone = signed_in(app), signed_in(app)
    laptop.post("/logout", data={"csrf_token": csrf_from(laptop, "/")})
    assert is_signed_in(phone)


def _age_sessions(app, user_id: int, **ages: timedelta) -> None:
    from accounts.models import LoginSession

    now = datetime.now(UTC).replace(tzinfo=None)
    with app.app_context():
        for row in db.session.query(LoginSession).filter_by(user_id=user_id):
            for column, age in ages.items():
                setattr(row, column, now - age)
        db.session.commit()


def test_portal_session_ends_after_the_idle_timeout(app, lea):
    browser = signed_in(app)
    idle = timedelta(seconds=app.config["SESSION_IDLE_SECONDS"])
    _age_sessions(app, lea, last_seen_at=idle + timedelta(seconds=5))
    assert not is_signed_in(browser)


def test_portal_session_use_keeps_it_alive_within_the_idle_timeout(app, lea):
    browser = signed_in(app)
    idle = timedelta(seconds=app.config["SESSION_IDLE_SECONDS"])
    # Nearly idle for too long: this request counts as use and starts the idle time again.
    _age_sessions(app, lea, last_seen_at=idle - timedelta(seconds=5))
    assert is_signed_in(browser)
    from accounts.models import LoginSession

    with app.app_context():
        row = db.session.query(LoginSession).filter_by(user_id=lea).one()
        age = datetime.now(UTC).replace(tzinfo=None) - row.last_seen_at
        assert age < timedelta(seconds=60)


def test_portal_session_ends_after_its_absolute_lifetime_in_use(app, lea):
    browser = signed_in(app)
    lifetime = timedelta(seconds=app.config["SESSION_LIFETIME_SECONDS"])
    _age_sessions(app, lea, created_at=lifetime + timedelta(seconds=5), last_seen_at=timedelta())
    assert not is_signed_in(browser)


def test_portal_session_cookie_expires_with_the_session_lifetime(app, lea):
    client = app.test_client()
    response = sign_in(client, EMAIL, PASSWORD)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    assert cookie.expires is not None
    lifetime = cookie.expires - datetime.now(UTC)
    assert lifetime <= timedelta(seconds=app.config["SESSION_LIFETIME_SECONDS"] + 5)
    assert response.status_code == 302


# -- Changing one's own password (/settings) -----------------------------------------------


def change(client: FlaskClient, current: str, new: str, again: str | None = None, **kwargs):
    return client.post(
        "/settings",
        data={
            "csrf_token": csrf_from(client, "/settings"),
            "action": "password",
            "current_password": current,
            "password": new,
            "password_again": new if again is None else again,
        },
        **kwargs,
    )


def test_portal_password_change_ends_the_other_sessions_only(app, lea):
    here, elsewhere = signed_in(app), signed_in(app)
    response = change(here, PASSWORD, "a brand new one")
    assert response.status_code == 302
    assert "Your password has been changed" in here.get("/settings").get_data(as_text=True)
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert sign_in(app.test_client(), EMAIL, PASSWORD).status_code == 401
    assert sign_in(app.test_client(), EMAIL, "a brand new one").status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("wrong password", "a brand new one", None, "The current password is wrong"),
        (PASSWORD, "a brand new one", "a brand new two", "The two new passwords differ"),
        (PASSWORD, "shrt123", None, "The password needs at least 8 characters"),
        ("", "a brand new one", None, "The current password is wrong"),
    ],
)
def test_portal_password_change_refusals(app, lea, current, new, again, message):
    browser = signed_in(app)
    response = change(browser, current, new, again)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'name="current_password"' in page  # the form again
    assert new not in page  # passwords are never echoed back
    assert is_signed_in(browser)
    assert sign_in(app.test_client(), EMAIL, PASSWORD).status_code == 302


def test_portal_password_change_in_swedish(app, lea):
    browser = signed_in(app)
    sv = {"Accept-Language": "sv"}
    page = browser.get("/settings", headers=sv).get_data(as_text=True)
    assert "Byt lösenord" in page
    response = change(browser, "wrong password", "a brand new one", headers=sv)
    assert "Det nuvarande lösenordet är fel" in response.get_data(as_text=True)
    change(browser, PASSWORD, "a brand new one", headers=sv)
    assert "Ditt lösenord är bytt" in browser.get("/settings", headers=sv).get_data(as_text=True)


def test_portal_password_change_needs_the_csrf_token(app, lea):
    browser = signed_in(app)
    response = browser.post(
        "/settings",
        data={
            "action": "password",
            "current_password": PASSWORD,
            "password": "a brand new one",
            "password_again": "a brand new one",
        },
    )
    assert response.status_code == 400
    assert sign_in(app.test_client(), EMAIL, PASSWORD).status_code == 302


def test_portal_session_first_looked_up_after_a_write_does_not_wait_for_itself(app, lea):
    """A request that wrote before its first session lookup (an error page of a view
    without login_required, say) must not wait on its own uncommitted write: on SQLite
    the last-seen update from another connection would wait for this one's lock."""
    from sqlalchemy import update

    from accounts.auth import current_user
    from accounts.models import User
    from core import create_app

    other = create_app(
        {
            key: app.config[key]
            for key in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH")
        }
    )

    @other.get("/_write_then_look_up")
    def write_then_look_up() -> str:
        db.session.execute(update(User).where(User.id == lea).values(locale="sv"))
        user = current_user()
        db.session.commit()
        return (user.email or "-") if user else "-"

    try:
        browser = other.test_client()
        assert sign_in(browser, EMAIL, PASSWORD).status_code == 302
        _age_sessions(app, lea, last_seen_at=timedelta(minutes=5))
        assert browser.get("/_write_then_look_up").get_data(as_text=True) == EMAIL
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
