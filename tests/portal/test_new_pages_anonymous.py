"""The pages added with mandatory training, bookings to approve, background imports and
exports, and notifications send an anonymous visitor to sign in, and take no form from one."""

from __future__ import annotations

import pytest

PAGES = (
    "/admin/people/import/jobs/some-task",
    "/manage/bookings",
    "/manage/requirements",
    "/manage/requirements/1",
    "/compliance",
    "/my/certificates/1",
    "/reports/learners/1/certificates/1",
    "/exports/1",
    "/exports/1/file",
    "/notifications",
)


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login")


FORMS = [
    *(p for p in PAGES if p.startswith("/manage/")),
    "/exports/1/remove",
    "/notifications/read",
]


@pytest.mark.parametrize("path", FORMS)
def test_anonymous_forms_are_refused(client, path):
    # No session, so no CSRF token can match: refused before anything is looked at.
    answer = client.post(path, data={"action": "deactivate", "csrf_token": "guess"})
    assert answer.status_code == 400
