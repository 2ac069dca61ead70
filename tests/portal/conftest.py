"""Portal fixtures: units, users, signed-in clients, courses (packages built in the test)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from tests.conftest import signed_in

CSRF = "test-csrf-token"

MANIFEST_12 = """<?xml version="1.0"?>
<manifest identifier="m1" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org1">
    <organization identifier="org1">
      <title>{title}</title>
      <item identifier="i1" identifierref="r1"><title>Lesson one</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
    </resource>
  </resources>
</manifest>
"""


def package_zip(title: str = "Fire safety", manifest: str | None = None) -> bytes:
    """A small SCORM 1.2 package (or one with the given manifest text)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "imsmanifest.xml", manifest if manifest is not None else MANIFEST_12.format(title=title)
        )
        archive.writestr("index.html", "<!doctype html><title>x</title><h1>Hi</h1>")
    return buffer.getvalue()


class Portal:
    """Helpers to build portal data inside the app context."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def unit(self, code: str = "social", name: str | None = None, parent: int | None = None) -> int:
        from accounts import service

        with self.app.app_context():
            unit = service.create_unit(code, name or code.title(), parent_id=parent)
            db.session.commit()
            return unit.id

    def user(
        self,
        email: str = "lea@example.org",
        role: str = "learner",
        unit_id: int | None = None,
        name: str | None = None,
        password: str | None = None,
    ) -> int:
        from werkzeug.security import generate_password_hash

        from accounts.models import User

        with self.app.app_context():
            user = User(
                email=email,
                name=name or email.split("@")[0].title(),
                role=role,
                unit_id=unit_id,
                # A cheap hash keeps the suite fast; sign-in tests use real ones.
                password_hash=generate_password_hash(
                    password or "correct horse", "pbkdf2:sha256:1"
                ),
                created_at=datetime.now(UTC).replace(tzinfo=None),
                active=True,
                failed_logins=0,
            )
            db.session.add(user)
            db.session.commit()
            return user.id

    def manage(self, person: int, manager: int | None) -> None:
        """Make ``manager`` the person's manager (the manager line of reports)."""
        from accounts.models import User

        with self.app.app_context():
            user = db.session.get(User, person)
            assert user is not None
            user.manager_id = manager
            db.session.commit()

    def course(
        self,
        title: str = "Fire safety",
        unit: str | None = None,
        published: bool = True,
        category: str | None = None,
        kind: str = "elearning",
    ) -> int:
        from accounts.service import unit_by_code
        from portal import catalogue

        with self.app.app_context():
            owner = unit_by_code(unit)
            unit_id = owner.id if owner is not None else None
            if kind == "classroom":
                course = catalogue.create_classroom_course(title, "", category, unit_id)
                if published:
                    catalogue.set_published(course, True)
            else:
                result = catalogue.upload_course(
                    io.BytesIO(package_zip(title)), "p.zip", title, category, unit_id, published
                )
                course = result.course
            db.session.commit()
            return course.id

    def session(
        self,
        course_id: int,
        trainer_id: int,
        seats: int = 10,
        days: int = 7,
        planner: int | None = None,
    ) -> int:
        from datetime import timedelta

        from accounts import service
        from packages import service as packages
        from portal import classroom

        with self.app.app_context():
            s = classroom.create_session(
                packages.get_course(course_id),
                datetime.now(UTC).replace(tzinfo=None) + timedelta(days=days),
                "Room 1",
                service.get_user(trainer_id),
                seats,
                planned_by=service.get_user(planner) if planner is not None else None,
            )
            db.session.commit()
            return s.id


@pytest.fixture
def portal(app: Flask) -> Portal:
    return Portal(app)


@pytest.fixture
def login(app: Flask) -> Callable[[int], FlaskClient]:
    """A new test client signed in as the user (session made directly; CSRF token known)."""

    def make(user_id: int) -> FlaskClient:
        return signed_in(app.test_client(), user_id, CSRF)

    return make


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any):
    """POST a form with the CSRF token."""
    return client.post(url, data={"csrf_token": CSRF, **(data or {})}, **kwargs)


def csrf_from(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the form the page at ``path`` shows this client."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def sign_in(
    client: FlaskClient,
    email: str,
    password: str,
    next_url: str | None = None,
    **kwargs: Any,
) -> Any:
    """Sign in through the login form, as a browser does."""
    token = csrf_from(client)
    query = {"next": next_url} if next_url is not None else None
    return client.post(
        "/login",
        query_string=query,
        data={"email": email, "password": password, "csrf_token": token},
        **kwargs,
    )


@pytest.fixture
def swap_view(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str, Callable[..., Any]], None]:
    """Answer an endpoint with another view for one test.

    Routes cannot be added to the suite's app once it has served a request (nor a second
    app be built: the blueprints are module-level), so a test borrows an endpoint.
    """

    def swap(endpoint: str, view: Callable[..., Any]) -> None:
        monkeypatch.setitem(app.view_functions, endpoint, view)

    return swap
