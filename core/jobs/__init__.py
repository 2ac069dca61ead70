"""Background jobs: huey's queue in the database's instance directory, or in Redis.

``make run`` needs no other server: the queue is a SQLite file next to the database
(``INSTANCE_PATH/jobs.db``) and ``gunicorn.conf.py`` starts ``flask jobs worker`` with the
service. With ``REDIS_URL`` set, every node enqueues to and works from the same Redis
queue. A job is a row in the queue until a worker takes it, so it survives restarts of
the service; what a job does must be safe to do twice (a worker killed in the middle of
one loses that run, and the areas' sweeps run it again).

Areas declare jobs with :func:`job` and :func:`periodic` (the body runs inside an app
context), enqueue them after their commit with :func:`enqueue`, and may add work for a
worker's start with :func:`at_worker_start`. Every run is kept in ``job_run``
(core/jobs/runs.py), written from huey's signals.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, crontab
from huey.api import Task, TaskWrapper
from huey.exceptions import RetryTask
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

__all__ = ["RetryTask", "crontab", "enqueue", "huey", "job", "periodic"]

# The queue's storage is chosen by init_app from the settings; until then nothing can be
# enqueued anywhere that outlives the process.
huey = Huey("kompetens", results=False, utc=True, storage_class=MemoryStorage)

_state: dict[str, Any] = {"app": None}
START_ACTIONS: list[Callable[[], None]] = []
_running = threading.local()  # the task a worker thread runs (huey's threads)
# Every job by name, so a failed run can be enqueued again (Admin → Jobs).
TASKS: dict[str, TaskWrapper] = {}


def storage_for(config: dict[str, Any]) -> Any:
    """Redis when REDIS_URL is set, else SQLite in the instance directory."""
    if config.get("REDIS_URL"):
        return RedisStorage("kompetens", url=config["REDIS_URL"])
    path = Path(config["INSTANCE_PATH"]) / "jobs.db"
    return SqliteStorage("kompetens", filename=str(path))


def init_app(app: Flask) -> None:
    """Point the queue at the settings' storage; jobs run in this app's context."""
    from core.jobs import cli, runs

    huey.storage = storage_for(app.config)
    _state["app"] = app
    runs.connect(huey)
    app.cli.add_command(cli.jobs_group)


def app() -> Flask:
    """The app whose context jobs run in (the worker's, or the test's)."""
    found = _state["app"]
    if found is None:
        raise RuntimeError("core.jobs.init_app has not run")
    return found  # type: ignore[no-any-return]


@huey.pre_execute()
def _note_task(task: Task) -> None:
    _running.task_id = task.id


def current_task_id() -> str | None:
    """The id of the job this thread runs (None outside a worker)."""
    return getattr(_running, "task_id", None)


def _in_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        with app().app_context():
            return fn(*args, **kwargs)

    return run


def job(retries: int = 5, retry_delay: int = 30, retry_backoff: float = 2) -> Callable[..., Any]:
    """A job: retried ``retries`` times, first after ``retry_delay`` s, then times the backoff."""

    def decorate(fn: Callable[..., Any]) -> TaskWrapper:
        task: TaskWrapper = huey.task(
            retries=retries, retry_delay=retry_delay, retry_backoff=retry_backoff, name=fn.__name__
        )(_in_context(fn))
        TASKS[fn.__name__] = task
        return task

    return decorate


def periodic(schedule: Callable[..., bool], retries: int = 2) -> Callable[..., Any]:
    """A job the scheduler enqueues when ``schedule`` (a huey crontab) says so."""

    def decorate(fn: Callable[..., Any]) -> TaskWrapper:
        task: TaskWrapper = huey.periodic_task(
            schedule, retries=retries, retry_delay=60, name=fn.__name__
        )(_in_context(fn))
        TASKS[fn.__name__] = task
        return task

    return decorate


def enqueue(name: str, *args: Any, task_id: str | None = None) -> Task:
    """Put job ``name`` with ``args`` on the queue (call it after the commit it needs).

    ``task_id``: run a job again under its old id, so its run's row follows it.
    """
    task: Task = TASKS[name].s(*args, id=task_id) if task_id else TASKS[name].s(*args)
    huey.enqueue(task)
    return task


def try_enqueue(name: str, *args: Any, task_id: str | None = None) -> bool:
    """``enqueue`` from a page, after its commit; False when the queue is unreachable.

    A queue that cannot be reached (Redis down) is logged, not turned into an error page
    for a change that is already saved.
    """
    try:
        enqueue(name, *args, task_id=task_id)
    except Exception:
        app().logger.exception("Could not enqueue job %s", name)
        return False
    return True


def at_worker_start(action: Callable[[], None]) -> None:
    """Run ``action`` (in an app context) each time a worker starts, e.g. a sweep."""
    START_ACTIONS.append(action)


def worker_started() -> None:
    """Run the areas' start-up actions (``flask jobs worker`` calls it)."""
    with app().app_context():
        for action in START_ACTIONS:
            action()
