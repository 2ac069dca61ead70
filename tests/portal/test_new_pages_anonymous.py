"""The pages added with mandatory training, bookings to approve and background imports
send an anonymous visitor to sign in, and take no form from one."""

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
)


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith("/manage/")])
def test_anonymous_forms_are_refused(client, path):
    # No session, so no CSRF token can match: refused before anything is looked at.
    answer = client.post(path, data={"action": "deactivate", "csrf_token": "guess"})
    assert answer.status_code == 400
