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
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from deliberate import mail
from deliberate.jobs import services
from deliberate.notifications import event_reminders, reminders
from deliberate.notifications import services as notifications
from deliberate.opinion import services as opinion  # noqa: F401 - registers the map's recomputation

#: The periodic tasks: (name, when, function). Each is idempotent: several workers may run it.
PERIODIC = (
    ("sweep", crontab(), services.sweep),
    ("reminders", crontab(minute="5"), reminders.queue_due),
    ("event_reminders", crontab(minute="*/15"), event_reminders.queue_due),
    # every hour: the federations whose clock reads DIGEST_HOUR get their daily (and on their Monday, weekly) digests
    ("digests", crontab(minute="0"), notifications.queue_due_digests),
)


def build_queue(app: Flask) -> Huey:
    """Return the app's Huey: immediate under tests, Redis when configured, else SQLite beside the database."""
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


def init_app(app: Flask) -> None:
    """Give the app its queue and register the tasks, each running in a fresh app context of this app."""
    queue = build_queue(app)
    app.extensions["jobs"] = queue

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

        queue.periodic_task(when, name=name)(periodic)
    app.extensions["jobs_tasks"] = {"run_job": run_job, "deliver_mail": deliver_mail}
