"""Background work, as the areas ask for it: name a job, queue it inside a transaction, report its progress.

A service calls :func:`queue` inside its own transaction; the job reaches the queue only once that transaction
commits (a rolled-back request queues nothing). A job that cannot work with its input raises :class:`Refused`. The
worker's side (running a job once, retrying it, sweeping, the dead-letter list) is the job area's
(``deliberate.jobs.services``); this module is below every area, so that any of them, and mail, may queue work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from deliberate.extensions import db, dialect_insert
from deliberate.models import Job, JobStatus, User, utcnow

_TO_ENQUEUE = "deliberate_jobs_to_enqueue"

#: What a job's name runs: filled by ``register`` from the areas (see deliberate.jobs.handlers).
HANDLERS: dict[str, Callable[..., Any]] = {}


class Refused(Exception):  # noqa: N818 - a job's answer, not a bug
    """Raised by a job whose input cannot work (a malformed upload): it ends at once, with no further tries.

    ``code`` and ``details`` are kept on the job (``result``) so that its page says what failed in the reader's
    language; the text of the exception is for the log and the site administrator.
    """

    def __init__(self, code: str, **details: Any) -> None:
        self.code, self.details = code, details
        super().__init__(f"{code}: {details}")


def register(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Name a function as the job ``name``; it receives the Job row, then the job's arguments."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        HANDLERS[name] = function
        return function

    return decorate


def retry_delay(attempt: int) -> int:
    """Return the seconds to wait before the next try after ``attempt`` failed ones: 30 s, 1 min, 2 min… ≤ 1 h."""
    base = current_app.config["JOBS_RETRY_SECONDS"]
    return int(min(base * 2 ** max(attempt - 1, 0), 3600))


def after_commit(task: str, *args: Any, delay: float | None = None) -> None:
    """Put a task on the queue once the current transaction commits."""
    db.session.info.setdefault(_TO_ENQUEUE, []).append((task, args, delay))


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    pending = session.info.pop(_TO_ENQUEUE, None)
    if not pending:
        return
    tasks = current_app.extensions["jobs"].tasks
    for task, args, delay in pending:
        try:
            if delay:
                tasks[task].schedule(args, delay=delay)
            else:
                tasks[task](*args)
        except Exception:  # noqa: BLE001 - the queue is down: the rows are stored, and the sweeper queues them again
            current_app.logger.exception("Could not queue %s%r; the sweeper will queue it again", task, args)


@event.listens_for(Session, "after_rollback")
def _drop_uncommitted(session: Session) -> None:
    session.info.pop(_TO_ENQUEUE, None)


def queue(name: str, *args: int | str, key: str | None = None, delay: float | None = None,
          requested_by: User | None = None, organization_id: int | None = None) -> Job:
    """Record a job in the current transaction and queue it after the commit; return it.

    With a ``key``, a job with that key still waiting or running is returned instead of a new one: a burst of
    requests for the same work makes one job.
    """
    if name not in HANDLERS:
        raise KeyError(name)
    if key is not None:
        existing = db.session.scalar(select(Job).where(Job.key == key))
        if existing is not None:
            return existing
    now = utcnow()
    job = Job(name=name, args=list(args), key=key, status=JobStatus.QUEUED, attempts=0, done=0, total=0,
              requested_by_id=requested_by.id if requested_by is not None else None,
              organization_id=organization_id, run_after=now + timedelta(seconds=delay or 0), created_at=now,
              updated_at=now)
    if key is None:
        db.session.add(job)
        db.session.flush()
    else:  # the same key queued at the same moment by another request: theirs is the job (no savepoint needed)
        values = {column.key: getattr(job, column.key) for column in Job.__table__.columns if column.key != "id"}
        statement = dialect_insert(Job).values(**values).on_conflict_do_nothing(index_elements=["key"])
        job_id = db.session.scalar(statement.returning(Job.id))
        job = db.session.get(Job, job_id) if job_id is not None else db.session.scalar(
            select(Job).where(Job.key == key))
        if job_id is None:
            return job
    after_commit("run_job", job.id, delay=delay)
    return job


def progress(job: Job, done: int, total: int | None = None) -> None:
    """Store how far a running job has come (and that its worker is alive); commits."""
    values: dict[str, Any] = {"done": done, "updated_at": utcnow()}
    if total is not None:
        values["total"] = total
    db.session.execute(update(Job).where(Job.id == job.id).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.commit()
