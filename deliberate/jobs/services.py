"""Run background work: jobs recorded in the database, carried by the queue as ids, retried, swept.

Areas name and queue jobs through :mod:`deliberate.background`. A worker runs one with :func:`run`: one try at a
time per job (a compare-and-set claims it), its progress stored as it goes, a failure retried after a growing delay
and, out of tries, kept in the dead-letter list that site administrators see (``/admin/jobs``) and can retry.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from deliberate.background import HANDLERS, Refused, after_commit, retry_delay
from deliberate.extensions import db
from deliberate.models import Job, JobStatus, MailStatus, OutgoingMail, utcnow


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
