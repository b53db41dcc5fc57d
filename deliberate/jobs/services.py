"""Queue background work and run it: jobs recorded in the database, carried by the queue as ids, retried, swept.

A service calls :func:`queue` inside its own transaction; the job reaches the queue only once that transaction
commits (a rolled-back request queues nothing). A worker runs it with :func:`run`: one try at a time per job
(a compare-and-set claims it), its progress stored as it goes, a failure retried after a growing delay and, out
of tries, kept in the dead-letter list that site administrators see (``/admin/jobs``) and can retry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from deliberate.extensions import db
from deliberate.models import Job, JobStatus, MailStatus, OutgoingMail, User, utcnow

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
    tasks = current_app.extensions["jobs_tasks"]
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
        statement = _insert_for_dialect()(Job).values(**values).on_conflict_do_nothing(index_elements=["key"])
        job_id = db.session.scalar(statement.returning(Job.id))
        job = db.session.get(Job, job_id) if job_id is not None else db.session.scalar(
            select(Job).where(Job.key == key))
        if job_id is None:
            return job
    after_commit("run_job", job.id, delay=delay)
    return job


def _insert_for_dialect():
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql_insert
    return sqlite_insert


def run(job_id: int) -> float | None:
    """Run one job once, if nobody else runs it; return the delay before its next try when it failed."""
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"])
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, or_(Job.status.in_((JobStatus.QUEUED, JobStatus.FAILED)),
                                     (Job.status == JobStatus.RUNNING) & (Job.updated_at < stale)))
        # the key is freed as the job starts: work asked for from now on is not done by this run
        .values(status=JobStatus.RUNNING, key=None, attempts=Job.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    job = db.session.get(Job, job_id)
    handler = HANDLERS.get(job.name)
    try:
        if handler is None:
            raise LookupError(f"no job is called {job.name!r}")
        result = handler(job, *job.args)
    except Refused as refusal:
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.status, job.key, job.error = JobStatus.DEAD, None, str(refusal)[:500]
        job.result = {**(job.result or {}), "refused": refusal.code, **refusal.details}
        job.finished_at = job.updated_at = utcnow()
        db.session.commit()
        return None
    except Exception as error:  # noqa: BLE001 - any failure is retried, then shown to the site administrator
        db.session.rollback()
        current_app.logger.exception("Job %s (%s) failed", job_id, job.name)
        return _failed(job_id, error)
    job = db.session.get(Job, job_id)
    job.status, job.key, job.error = JobStatus.DONE, None, None
    job.result = result if isinstance(result, dict) else job.result
    job.finished_at = job.updated_at = utcnow()
    if job.total and job.done < job.total:
        job.done = job.total
    db.session.commit()
    return None


def _failed(job_id: int, error: Exception) -> float | None:
    job = db.session.get(Job, job_id)
    job.error = f"{type(error).__name__}: {error}"[:500]
    job.updated_at = utcnow()
    if job.attempts >= current_app.config["JOBS_MAX_ATTEMPTS"]:
        job.status, job.key, job.finished_at = JobStatus.DEAD, None, job.updated_at
        db.session.commit()
        return None
    delay = retry_delay(job.attempts)
    job.status, job.run_after = JobStatus.FAILED, job.updated_at + timedelta(seconds=delay)
    db.session.commit()
    return delay


def progress(job: Job, done: int, total: int | None = None) -> None:
    """Store how far a running job has come (and that its worker is alive); commits."""
    values: dict[str, Any] = {"done": done, "updated_at": utcnow()}
    if total is not None:
        values["total"] = total
    db.session.execute(update(Job).where(Job.id == job.id).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def retry(job_id: int) -> bool:
    """Give a dead or failed job its tries again and queue it now; False when there is no such job to retry."""
    job = db.session.get(Job, job_id)
    if job is None or job.status not in (JobStatus.DEAD, JobStatus.FAILED):
        return False
    job.status, job.attempts, job.error, job.finished_at = JobStatus.QUEUED, 0, None, None
    job.run_after = job.updated_at = utcnow()
    after_commit("run_job", job.id)
    db.session.commit()
    return True


def retry_mail(mail_id: int) -> bool:
    """Give a dead message its tries again and queue it now."""
    mail = db.session.get(OutgoingMail, mail_id)
    if mail is None or mail.status is not MailStatus.DEAD:
        return False
    mail.status, mail.attempts, mail.error, mail.next_attempt_at = MailStatus.PENDING, 0, None, utcnow()
    after_commit("deliver_mail", [mail.id])
    db.session.commit()
    return True


def sweep() -> tuple[int, int]:
    """Queue again what a killed worker or an unreachable queue left behind; return (jobs, messages) queued."""
    config = current_app.config
    now = utcnow()
    stale = now - timedelta(seconds=config["JOBS_STALE_SECONDS"])
    job_ids = list(db.session.scalars(
        select(Job.id).where(or_(
            Job.status.in_((JobStatus.QUEUED, JobStatus.FAILED)) & (Job.run_after <= now) & (Job.updated_at < stale),
            (Job.status == JobStatus.RUNNING) & (Job.updated_at < stale),
        )).order_by(Job.id)
    ))
    if job_ids:
        db.session.execute(update(Job).where(Job.id.in_(job_ids), Job.status != JobStatus.RUNNING)
                           .values(updated_at=now).execution_options(synchronize_session=False))
    # a claim that ran out (its worker died mid-batch) goes back to waiting; so does mail nobody queued in time
    db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.status == MailStatus.SENDING, OutgoingMail.claimed_until < now)
        .values(status=MailStatus.PENDING, next_attempt_at=stale, claimed_until=None)
        .execution_options(synchronize_session=False))
    mail_ids = list(db.session.scalars(
        select(OutgoingMail.id)
        .where(OutgoingMail.status == MailStatus.PENDING, OutgoingMail.next_attempt_at <= stale)
        .order_by(OutgoingMail.id)
    ))
    if mail_ids:
        db.session.execute(update(OutgoingMail).where(OutgoingMail.id.in_(mail_ids)).values(next_attempt_at=now)
                           .execution_options(synchronize_session=False))
    for job_id in job_ids:
        after_commit("run_job", job_id)
    size = config["MAIL_BATCH"]
    for start in range(0, len(mail_ids), size):
        after_commit("deliver_mail", mail_ids[start:start + size])
    db.session.commit()
    return len(job_ids), len(mail_ids)


def run_waiting() -> int:
    """Run here and now every job waiting in the database, in order; return how many ran (tests, commands).

    Stops at a job that failed (it waits for its next try) rather than spinning on it.
    """
    ran = 0
    while True:
        job_id = db.session.scalar(select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.id).limit(1))
        if job_id is None:
            return ran
        run(job_id)
        ran += 1
        if db.session.get(Job, job_id).status is JobStatus.FAILED:
            return ran


def dead_letters() -> tuple[list[Job], list[OutgoingMail]]:
    """Return the jobs and messages out of tries, newest first, for the site administrator."""
    jobs = list(db.session.scalars(select(Job).where(Job.status == JobStatus.DEAD).order_by(Job.id.desc())
                                   .limit(200)))
    mails = list(db.session.scalars(select(OutgoingMail).where(OutgoingMail.status == MailStatus.DEAD)
                                    .order_by(OutgoingMail.id.desc()).limit(200)))
    return jobs, mails


def backlog() -> dict[str, int]:
    """Return how much work waits: jobs queued or retrying, messages waiting."""
    return {
        "jobs": db.session.scalar(select(func.count(Job.id)).where(
            Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED)))) or 0,
        "mail": db.session.scalar(select(func.count(OutgoingMail.id)).where(
            OutgoingMail.status.in_((MailStatus.PENDING, MailStatus.SENDING)))) or 0,
    }
