"""A small organisation for course review's tests: units, authors, reviewers, a learner.

KOMMUN > SOC > IFO and KOMMUN > UTB. Ann and Bo write courses; Rita reviews SOC's
courses (and so IFO's), Ulf reviews UTB's; Adam is an admin; Lea learns in IFO.
Uploads go through the portal's pages as an author makes them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.db import db
from tests.portal.conftest import Portal, package_zip, post


@dataclass
class World:
    """Who is who (ids) and their signed-in clients."""

    app: Flask
    units: dict[str, int]
    ids: dict[str, int]
    clients: dict[str, FlaskClient]
    portal: Portal
    login: Any

    def __getitem__(self, name: str) -> FlaskClient:
        return self.clients[name]

    def person(self, key: str, email: str, unit: str | None = None, role: str = "learner") -> int:
        """Someone new, signed in as ``key``."""
        unit_id = self.units[unit] if unit else None
        self.ids[key] = self.portal.user(email, role=role, name=key.title(), unit_id=unit_id)
        self.clients[key] = self.login(self.ids[key])
        return self.ids[key]

    def upload(self, who: str = "ann", title: str = "Hemtjänst", unit: str = "IFO") -> int:
        """A new course uploaded by ``who`` on /author; its id."""
        data = {
            "action": "upload",
            "file": (io.BytesIO(package_zip(title)), "c.zip"),
            "unit": str(self.units[unit]),
        }
        answer = post(self.clients[who], "/author", data, content_type="multipart/form-data")
        assert answer.status_code == 302, answer.get_data(as_text=True)
        return int(answer.headers["Location"].split("?")[0].rsplit("/", 1)[1])

    def new_version(self, course: int, who: str = "ann", title: str = "Hemtjänst v2") -> Any:
        data = {"action": "version", "file": (io.BytesIO(package_zip(title)), "v.zip")}
        return post(
            self.clients[who],
            f"/author/courses/{course}",
            data,
            content_type="multipart/form-data",
        )

    def version(self, course: int, number: int) -> int:
        from packages.models import PackageVersion

        with self.app.app_context():
            found = db.session.scalar(
                select(PackageVersion.id).where(
                    PackageVersion.course_id == course, PackageVersion.number == number
                )
            )
            assert found is not None
            return int(found)

    def state(self, version_id: int) -> tuple[str, bool]:
        """The version's review state and whether it is offered to new attempts."""
        from packages.models import PackageVersion

        with self.app.app_context():
            version = db.session.get(PackageVersion, version_id)
            assert version is not None
            return version.review_state, version.published

    def step(self, course: int, who: str, action: str, version_id: int, **form: str) -> Any:
        """An author's review step on the course's page."""
        data = {"action": action, "version_id": str(version_id), **form}
        return post(self.clients[who], f"/author/courses/{course}", data)

    def decide(self, version_id: int, who: str, decision: str, **form: str) -> Any:
        """A reviewer's decision; ``tick_all`` ticks every item of the checklist."""
        data: dict[str, str] = {"decision": decision}
        if form.pop("tick_all", None):
            data.update({f"tick-{ref}": "true" for ref in checklist_refs(self.app)})
        data.update(form)
        return post(self.clients[who], f"/reviews/{version_id}", data)

    def events(self, course: int) -> list[tuple[str, str, str]]:
        """(action, actor's name, comment) of the course's review steps, oldest first."""
        from packages.review_models import ReviewEvent

        with self.app.app_context():
            rows = db.session.scalars(
                select(ReviewEvent).where(ReviewEvent.course_id == course).order_by(ReviewEvent.id)
            )
            return [(e.action, e.actor_name, e.comment) for e in rows]


def checklist_refs(app: Flask) -> list[str]:
    from packages import review_setup

    with app.test_request_context():
        return [item.ref for item in review_setup.items()]


def grant(app: Flask, email: str, unit_id: int | None) -> None:
    from packages import review_setup

    with app.test_request_context():
        review_setup.add_reviewer(email, unit_id)
        db.session.commit()


@pytest.fixture
def world(app: Flask, portal: Portal, login: Any) -> World:
    top = portal.unit("KOMMUN", "Kommunen")
    soc = portal.unit("SOC", "Socialförvaltningen", parent=top)
    units = {
        "KOMMUN": top,
        "SOC": soc,
        "IFO": portal.unit("IFO", "Individ- och familjeomsorg", parent=soc),
        "UTB": portal.unit("UTB", "Utbildningsförvaltningen", parent=top),
    }
    people = {
        "ann": ("ann@example.org", "author", "Ann Author", None),
        "bo": ("bo@example.org", "author", "Bo Author", None),
        "rita": ("rita@example.org", "author", "Rita Reviewer", None),
        "ulf": ("ulf@example.org", "manager", "Ulf Utb", units["UTB"]),
        "adam": ("adam@example.org", "admin", "Adam Admin", None),
        "lea": ("lea@example.org", "learner", "Lea Learner", units["IFO"]),
    }
    ids = {
        key: portal.user(email, role=role, name=name, unit_id=unit)
        for key, (email, role, name, unit) in people.items()
    }
    grant(app, "rita@example.org", units["SOC"])
    grant(app, "ulf@example.org", units["UTB"])
    clients = {key: login(user_id) for key, user_id in ids.items()}
    return World(app, units, ids, clients, portal, login)
