"""A requirement's people by status: the list of one status is exactly the people whose
status (the CASE every count uses) is that status, on any day and for every due rule.

The organisation of test_requirements: SOC (Boss) with IFO below it (Lea, Per).
"""
# ruff: noqa: F811  (the fixture imported from test_requirements is a parameter here)

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.db import db
from tests.portal.test_requirements import _complete, _create, _csv, org  # noqa: F401


@pytest.mark.parametrize(
    "rule",
    [
        {"validity_months": "12", "renewal_days": "30", "due_days": "10"},
        {"validity_months": "", "renewal_days": "", "due_days": "0"},
        {"due_kind": "date", "due_date": (date.today() + timedelta(days=20)).isoformat()},
    ],
    ids=["renewing", "for-good", "fixed-date"],
)
def test_compliance_people_of_a_status_are_those_the_counts_count(app, login, org, make_xapi, rule):
    from accounts.models import User
    from portal import compliance, exemptions, requirements

    with app.app_context():
        rid = _create(login, org, **rule)
    _complete(app, make_xapi, org["lea"], org["fire"])
    _complete(app, make_xapi, org["per"], org["fire"], "failed")
    with app.app_context():
        admin = db.session.get(User, org["admin"])
        assert admin is not None
        exemptions.exempt(admin, requirements.get(rid), org["boss"], "Föräldraledig")
        db.session.commit()
    seen: set[str] = set()
    with app.app_context():
        requirement = requirements.get(rid)
        for days in (0, 15, 25, 340, 370, 800):
            day = date.today() + timedelta(days=days)
            everyone = compliance.people(requirement, [], None, day)
            counted = compliance.counts([requirement], [], day)[rid].counts
            for status in compliance.STATUSES:
                listed = compliance.people(requirement, [], status, day)
                expected = [p.person.id for p in everyone if p.status == status]
                assert [p.person.id for p in listed] == expected, (days, status)
                assert counted[status] == len(expected), (days, status)
                assert all(p.status == status for p in listed)
                if expected:
                    seen.add(status)
    assert {"exempt", "overdue"} <= seen
    # Through the page's file too: the overdue people, then everyone.
    client = login(org["admin"])
    overdue = _csv(client.get(f"/compliance/requirements/{rid}?format=csv&status=overdue"))
    everyone_rows = _csv(client.get(f"/compliance/requirements/{rid}?format=csv&status=all"))
    assert [r["Name"] for r in overdue] == [
        r["Name"] for r in everyone_rows if r["Status"] == "Overdue"
    ]
    assert [r["Name"] for r in everyone_rows] == ["Boss", "Lea", "Per"]  # by name
