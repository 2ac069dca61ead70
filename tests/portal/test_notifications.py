"""Notifications through a real SMTP server, sent by jobs from a real queue.

The queue is huey's, on SQLite and on Redis (``queue``); its jobs are run here by
``drain`` (retries included, their delays passed at once), the messages go to aiosmtpd
(``smtp``), and the tests read what arrived.
"""
# ruff: noqa: F811  (the fixtures imported from jobs_fixtures and test_requirements are parameters here)

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from accounts.models import User
from core import jobs
from core.db import db
from core.jobs.runs import JobRun
from portal.notice_models import OutboxMessage
from tests.portal.conftest import post
from tests.portal.jobs_fixtures import queue, requirement, smtp, yesterday  # noqa: F401
from tests.portal.mail_helpers import SmtpServer, drain
from tests.portal.test_requirements import org  # noqa: F401


def _locale(app, user_id, locale):
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.locale = locale
        db.session.commit()


def test_overdue_mail_reaches_the_person_and_their_manager_in_their_language(
    app, login, org, queue, smtp
):
    _locale(app, org["per"], "en")  # Lea and Boss chose none: the organisation's Swedish
    requirement(login, org, yesterday())
    jobs.enqueue("daily_notices")
    drain(jobs.huey)

    sink = smtp.sink
    (lea,) = sink.to("lea@example.org")
    assert lea["Subject"] == "Försenad: Brandskydd"
    assert lea["Content-Language"] == "sv"
    assert lea["From"] == "kompetens@kommun.example"
    plain = lea.get_body(("plain",)).get_content()
    html = lea.get_body(("html",)).get_content()
    assert "Hej Lea," in plain
    assert "Hej Lea," in html
    assert '<html lang="sv">' in html
    (per,) = sink.to("per@example.org")
    assert per["Subject"] == "Overdue: Brandskydd"
    assert "Hello Per," in per.get_body(("plain",)).get_content()
    # Lea's manager is told too (Boss is overdue as well: the audience is SOC's subtree).
    boss = sorted(m["Subject"] for m in sink.to("boss@example.org"))
    assert boss == ["Försenad: Brandskydd", "Lea är försenad: Brandskydd"]
    # Nobody outside the audience.
    assert sink.to("sam@example.org") == []


def test_a_retried_job_and_a_second_run_send_no_message_twice(app, login, org, queue, smtp):
    requirement(login, org, yesterday())
    smtp.sink.refuse = {2}  # the second delivery is refused once (451)
    jobs.enqueue("daily_notices")
    drain(jobs.huey)
    jobs.enqueue("daily_notices")  # the next day's run, or another node's
    drain(jobs.huey)

    recipients = smtp.sink.recipients()
    assert len(recipients) == 4  # Lea, Per, Boss; and Boss about Lea
    assert sorted(set(recipients)) == ["boss@example.org", "lea@example.org", "per@example.org"]
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert len(rows) == 4
        assert {r.status for r in rows} == {"sent"}
        assert sorted(r.attempts for r in rows) == [1, 1, 1, 2]
        retried = db.session.scalars(select(JobRun).where(JobRun.attempts == 2)).one()
        assert (retried.name, retried.status) == ("send_message", "done")


def test_reminders_are_optional_and_an_unwanted_one_is_only_on_the_page(
    app, login, org, queue, smtp
):
    per = login(org["per"])
    page = per.get("/settings").get_data(as_text=True)
    assert 'name="kind" value="reminder" checked' in page
    assert 'value="overdue"' not in page  # overdue notices cannot be turned off
    response = post(per, "/settings/notifications", {"kind": ["assigned", "expiring", "overdue"]})
    assert response.status_code == 302
    requirement(login, org, date.today() + timedelta(days=3))
    jobs.enqueue("daily_notices")
    drain(jobs.huey)

    assert sorted(set(smtp.sink.recipients())) == ["boss@example.org", "lea@example.org"]
    (lea,) = smtp.sink.to("lea@example.org")
    assert lea["Subject"].startswith("Påminnelse: Brandskydd ska vara klar")
    with app.app_context():
        row = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.user_id == org["per"])
        ).one()
        assert (row.kind, row.status, row.reason) == ("reminder", "not_sent", "opted_out")
    page = per.get("/notifications").get_data(as_text=True)
    assert "Påminnelse: Brandskydd" in page
    assert "Lea" not in page  # only their own


def test_without_a_mail_host_messages_are_kept_in_the_outbox(app, login, org, queue):
    assert not app.config["MAIL_HOST"]
    requirement(login, org, yesterday())
    jobs.enqueue("daily_notices")
    drain(jobs.huey)
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert len(rows) == 4
        assert {(r.status, r.reason) for r in rows} == {("not_sent", "mail_off")}
    page = login(org["admin"]).get("/admin/outbox").get_data(as_text=True)
    assert "Lea är försenad: Brandskydd" in page
    assert "E-post är inte inställd" in page or "E-mail is not set up" in page


def test_a_new_assignment_is_mailed_to_everyone_it_reaches(app, login, org, queue, smtp):
    boss = login(org["boss"])
    response = post(
        boss,
        "/manage/assignments",
        {"course_id": org["fire"], "unit_id": org["ifo"], "due_date": "2030-01-31", "note": ""},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    drain(jobs.huey)
    assert smtp.sink.recipients() == ["lea@example.org", "per@example.org"]
    (lea,) = smtp.sink.to("lea@example.org")
    assert lea["Subject"] == "Ny kurs att gå: Brandskydd"


@pytest.mark.parametrize("who", ["admin"])
def test_a_failed_job_is_tried_again_from_admin_jobs_and_audited(app, login, org, queue, who):
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=1, MAIL_TLS="none")  # nothing listens
    try:
        requirement(login, org, yesterday())
        jobs.enqueue("daily_notices")
        drain(jobs.huey)
    finally:
        app.config.update(MAIL_HOST="")
    admin = login(org[who])
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "send_message" in page
    assert "ConnectionRefusedError" in page
    with app.app_context():
        failed = db.session.scalars(select(JobRun).where(JobRun.status == "failed")).all()
        assert len(failed) == 4
        assert {r.attempts for r in failed} == {6}
        run_id = failed[0].id
    assert admin.post(f"/admin/jobs/{run_id}/retry").status_code == 400  # no CSRF token
    assert post(login(org["boss"]), f"/admin/jobs/{run_id}/retry").status_code == 403
    with SmtpServer() as server:  # the relay is back
        app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=server.port)
        try:
            assert post(admin, f"/admin/jobs/{run_id}/retry").status_code == 302
            assert jobs.huey.pending_count() == 1
            drain(jobs.huey)
        finally:
            app.config.update(MAIL_HOST="")
        assert len(server.sink.received) == 1  # the retried job's message, once
    with app.app_context():
        again = db.session.get(JobRun, run_id)
        assert again is not None
        assert (again.status, again.attempts) == ("done", 7)  # the same row followed it
    audit = admin.get("/admin/audit").get_data(as_text=True)
    assert "send_message" in audit


def test_managers_get_a_weekly_digest_of_who_is_overdue_below_them(app, login, org, queue, smtp):
    requirement(login, org, yesterday())
    jobs.enqueue("weekly_digest")
    drain(jobs.huey)
    jobs.enqueue("weekly_digest")  # the same week again: nothing new
    drain(jobs.huey)

    assert smtp.sink.recipients() == ["boss@example.org"]  # Olle's unit has nobody overdue
    (digest,) = smtp.sink.to("boss@example.org")
    assert digest["Subject"] == "Försenade utbildningar i din enhet: 3"
    plain = digest.get_body(("plain",)).get_content()
    html = digest.get_body(("html",)).get_content()
    for name in ("Boss", "Lea", "Per"):
        assert f"- {name}: Brandskydd (sista dag" in plain
        assert f"<li>{name}: Brandskydd (sista dag" in html


def test_a_completion_about_to_expire_is_announced_once(app, login, org, queue, smtp, make_xapi):
    from portal import tasks
    from portal.compliance import add_months
    from tests.portal.test_requirements import _complete

    requirement(login, org, yesterday(), validity_months="12", renewal_days="60")
    _complete(app, make_xapi, org["lea"], org["fire"])
    later = add_months(date.today(), 11)  # a month before Lea's completion expires
    with app.app_context():
        tasks.run_daily(later)
        tasks.run_daily(later + timedelta(days=1))
    drain(jobs.huey)

    (lea,) = smtp.sink.to("lea@example.org")
    assert lea["Subject"].startswith("Brandskydd går ut ")
    assert "gäller till och med" in lea.get_body(("plain",)).get_content()


def test_the_nightly_refresh_runs_as_a_job(app, login, org, queue):
    requirement(login, org, yesterday())
    jobs.enqueue("refresh_requirements")
    drain(jobs.huey)
    with app.app_context():
        run = db.session.scalars(select(JobRun).where(JobRun.name == "refresh_requirements")).one()
        assert (run.status, run.attempts) == ("done", 1)


def test_runs_that_went_well_are_forgotten_after_30_days(app, login, org, queue):
    from datetime import datetime

    requirement(login, org, yesterday())
    jobs.enqueue("refresh_requirements")
    drain(jobs.huey)
    with app.app_context():
        db.session.add(
            JobRun(
                task_id="old-failed",
                name="send_message",
                args=[1],
                status="failed",
                attempts=6,
                last_error="x",
                worker="",
                queued_at=datetime(2026, 1, 1),
                finished_at=datetime(2026, 1, 1),
            )
        )
        for run in db.session.scalars(select(JobRun).where(JobRun.status == "done")):
            run.finished_at = datetime.now() - timedelta(days=31)
        db.session.commit()
    jobs.enqueue("prune_job_runs")
    drain(jobs.huey)
    with app.app_context():
        left = {(r.name, r.status) for r in db.session.scalars(select(JobRun))}
    assert ("refresh_requirements", "done") not in left
    assert ("send_message", "failed") in left
    assert ("prune_job_runs", "done") in left
