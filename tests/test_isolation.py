"""What one test leaves behind never reaches the next (tests/conftest.py's autouse fixtures).

The two tests run in this order (pytest keeps a module's order): the first leaves a job
queued and a row written, the second must find neither.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import func, select

from core import jobs
from core.db import db
from lrs.forward_models import ForwardTarget


def test_a_test_leaves_a_job_queued_and_a_row_written(app: Flask) -> None:
    with app.app_context():
        db.session.add(
            ForwardTarget(
                name="Left behind",
                endpoint="https://lrs.example.org/xapi/",
                key="k",
                secret_sealed="-",
                version="1.0.3",
                verbs=[],
                activities=[],
                created_at=datetime(2026, 12, 7),
            )
        )
        db.session.commit()
    jobs.enqueue("forward_statements")  # as a page does after its commit; never run here
    assert jobs.huey.pending_count() == 1


def test_the_next_test_finds_no_job_and_no_row(app: Flask) -> None:
    assert jobs.huey.pending_count() == 0
    assert jobs.huey.scheduled_count() == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ForwardTarget)) == 0
