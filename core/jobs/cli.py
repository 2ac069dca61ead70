"""``flask jobs worker``: take jobs from the queue (and run the scheduler) on this node."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from core import jobs
from core.jobs import runs


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs (core/jobs)."""


@jobs_group.command("worker")
@click.option("--workers", type=int, default=None, help="Threads (default JOBS_WORKERS).")
@click.option(
    "--scheduler/--no-scheduler",
    default=None,
    help="Enqueue the periodic jobs from this node (default JOBS_SCHEDULER).",
)
@with_appcontext
def worker(workers: int | None, scheduler: bool | None) -> None:
    """Run jobs until stopped (SIGINT: finish the running jobs; SIGTERM: at once)."""
    config = current_app.config
    logging.basicConfig(level=logging.INFO, format="%(asctime)s jobs %(levelname)s %(message)s")
    runs.abandoned_on_this_host()  # runs a killed worker of this host left 'running'
    jobs.worker_started()
    consumer = jobs.huey.create_consumer(
        workers=workers or config["JOBS_WORKERS"],
        worker_type="thread",
        periodic=config["JOBS_SCHEDULER"] if scheduler is None else scheduler,
        initial_delay=0.1,
        max_delay=2.0,
        check_worker_health=True,
    )
    consumer.run()


@jobs_group.command("list")
@with_appcontext
def list_jobs() -> None:
    """How many jobs wait in the queue and in the schedule."""
    click.echo(f"queued: {jobs.huey.pending_count()}, scheduled: {jobs.huey.scheduled_count()}")
