"""The job queue: Huey, in Redis when ``DELIBERATE_REDIS_URL`` is set, else in a SQLite file in the instance folder.

Huey because it is small (one pure-Python package, no broker of its own beyond Redis), maintained, and has what
this site needs and no more: a Redis storage for any number of workers on any number of machines, a SQLite one
for the embedded default (``make run`` with no Redis), retries with a delay, and periodic tasks for the digests,
the reminders and the sweeper. Celery would bring a broker abstraction and a dozen dependencies for nothing we
use; RQ has no periodic tasks nor a storage without Redis.

The queue carries only row ids. What must not be lost lives in the database (``deliberate.models.jobs``): a
``Job`` for each piece of work, an ``OutgoingMail`` for each message. ``sweep`` (every minute) puts back on the
queue what a killed worker or an unreachable Redis left behind, and every step is idempotent by a unique key,
so doing it again neither loses nor duplicates a notification or an email.

Under tests (``TESTING``), jobs run at once in the process that queues them (``JOBS_IMMEDIATE``), each in an app
context of its own (a session of its own), right after the transaction that queued them commits.

The app holds a ``JobQueue``, whose Huey is built the first time work is queued or a worker starts: importing
Huey imports Redis's client and psycopg (a quarter of a second), which no page that queues nothing needs, nor
``deliberate --help``, ``tally`` or ``db upgrade``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask

from deliberate import mail
from deliberate.jobs import services
from deliberate.notifications import event_reminders, reminders
from deliberate.notifications import services as notifications
from deliberate.opinion import services as opinion  # noqa: F401 - registers the map's recomputation

if TYPE_CHECKING:
    from huey import Huey
    from huey.api import TaskWrapper

#: The periodic tasks: (name, crontab arguments, function). Each is idempotent: several workers may run it.
PERIODIC = (
    ("sweep", {}, services.sweep),
    ("reminders", {"minute": "5"}, reminders.queue_due),
    ("event_reminders", {"minute": "*/15"}, event_reminders.queue_due),
    # every hour: the federations whose clock reads DIGEST_HOUR get their daily (and on their Monday, weekly) digests
    ("digests", {"minute": "0"}, notifications.queue_due_digests),
)


def build_queue(app: Flask) -> Huey:
    """Return the app's Huey: immediate under tests, Redis when configured, else SQLite beside the database."""
    from huey import MemoryHuey, RedisHuey, SqliteHuey  # imports Redis's client and psycopg

    config = app.config
    name = config["JOBS_QUEUE"]
    immediate = config.get("JOBS_IMMEDIATE")
    if immediate is None:
        immediate = bool(config.get("TESTING"))
    if immediate:
        return MemoryHuey(name, immediate=True, results=False)
    if config.get("REDIS_URL"):
        return RedisHuey(name, url=config["REDIS_URL"], results=False)
    path = config.get("JOBS_SQLITE_PATH") or str(Path(app.instance_path) / "jobs.sqlite3")
    return SqliteHuey(name, filename=path, results=False)


class JobQueue:
    """The app's Huey with its tasks, built once, when first asked for (by a commit that queues work, or a worker)."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()  # two requests queueing their first job at once build one Huey
        self._huey: Huey | None = None
        self._tasks: dict[str, TaskWrapper] = {}

    @property
    def huey(self) -> Huey:
        """Return the queue itself, with every task registered, each running in a fresh app context of the app."""
        return self._built()[0]

    @property
    def tasks(self) -> dict[str, TaskWrapper]:
        """Return the tasks that after-commit queueing calls by name: ``run_job`` and ``deliver_mail``."""
        return self._built()[1]

    def _built(self) -> tuple[Huey, dict[str, TaskWrapper]]:
        if self._huey is None:
            with self._lock:
                if self._huey is None:
                    self._tasks = self._tasks_of(huey := build_queue(self._app))
                    self._huey = huey
        return self._huey, self._tasks

    def _tasks_of(self, queue: Huey) -> dict[str, TaskWrapper]:
        """Register the tasks on ``queue`` and return those queued by name."""
        from huey import crontab

        app = self._app

        @queue.task(name="run_job")
        def run_job(job_id: int) -> None:
            with app.app_context():
                delay = services.run(job_id)
            if delay is not None:
                run_job.schedule((job_id,), delay=delay)

        @queue.task(name="deliver_mail")
        def deliver_mail(mail_ids: list[int]) -> None:
            with app.app_context():
                retry = mail.deliver(mail_ids)
            if retry is not None:
                ids, delay = retry
                deliver_mail.schedule((ids,), delay=delay)

        for name, when, function in PERIODIC:
            def periodic(function=function) -> None:
                with app.app_context():
                    function()

            queue.periodic_task(crontab(**when), name=name)(periodic)
        return {"run_job": run_job, "deliver_mail": deliver_mail}


def init_app(app: Flask) -> None:
    """Give the app its job queue (built when first used)."""
    app.extensions["jobs"] = JobQueue(app)
