"""Pages of background work: a job's progress (for whoever started it), and the dead-letter list (site admins)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from deliberate import labels
from deliberate.extensions import db
from deliberate.jobs import services
from deliberate.models import Job, JobStatus, Organization, PolisUpload, Role
from deliberate.permissions import has_role

bp = Blueprint("jobs", __name__)



class EmptyForm(FlaskForm):
    """A form with only its CSRF token."""


def job_label(name: str) -> str:
    return str(labels.JOB_NAMES.get(name, name))


def describe_failure(job: Job) -> str | None:
    """Say, in the reader's language, why a job refused its input (see background.Refused); None otherwise."""
    result = job.result or {}
    code = result.get("refused")
    if code == "polis.format":
        if result.get("line"):
            return _("The file %(file)s, line %(line)s, is not as a Polis export writes it: %(problem)s",
                     file=result.get("file", ""), line=result["line"], problem=result.get("problem", ""))
        return _("The file %(file)s is not as a Polis export writes it: %(problem)s", file=result.get("file", ""),
                 problem=result.get("problem", ""))
    if code == "polis.phase":
        return _("Voting opened before the import could run: a conversation can only be imported before.")
    return None


def describe_result(job: Job) -> str | None:
    """Say what a finished job did, when it says more than that it finished."""
    result = job.result or {}
    if job.name == "polis.import" and "demands" in result:
        return _("Imported: %(demands)d statements as demands, %(reactions)d votes as reactions, from "
                 "%(participants)d participants. The opinion map is being computed.",
                 demands=result["demands"], reactions=result["reactions"], participants=result["participants"])
    if job.name == "consolidation.suggest" and "groups" in result:
        return ngettext("The suggestions were updated: %(num)d group of demands not placed yet. Work already "
                        "accepted is unchanged.",
                        "The suggestions were updated: %(num)d groups of demands not placed yet. Work already "
                        "accepted is unchanged.", result["groups"])
    return None


def _retry_link(job: Job) -> str | None:
    """Where to start again when trying the same input again cannot help (a malformed upload)."""
    if job.name == "polis.import" and (job.result or {}).get("refused") and job.organization_id:
        upload = db.session.get(PolisUpload, job.args[0]) if job.args else None
        if upload is not None:
            return url_for("deliberation.polis_upload", consultation_id=upload.consultation_id)
    return None


def _may_see(job: Job) -> bool:
    if current_user.is_admin or (job.requested_by_id is not None and job.requested_by_id == current_user.id):
        return True
    organization = db.session.get(Organization, job.organization_id) if job.organization_id else None
    return organization is not None and has_role(current_user, organization, Role.BOARD)


def _job_or_404(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not _may_see(job):
        abort(404)
    return job


@bp.get("/jobs/<int:job_id>")
@login_required
def show(job_id: int):
    """Show a job's progress (the page reloads itself while it runs), then its result or what failed."""
    job = _job_or_404(job_id)
    return render_template("jobs/show.html", job=job, label=job_label(job.name),
                           status=labels.JOB_STATUS_NAMES[job.status],
                           finished=job.status in (JobStatus.DONE, JobStatus.DEAD), form=EmptyForm(),
                           failure=describe_failure(job), summary=describe_result(job), retry_link=_retry_link(job))


@bp.get("/jobs/<int:job_id>.json")
@login_required
def progress(job_id: int):
    """Say how far a job has come, for the page's live progress bar."""
    job = _job_or_404(job_id)
    return jsonify(status=job.status.value, status_label=str(labels.JOB_STATUS_NAMES[job.status]), done=job.done,
                   total=job.total, text=_("%(done)d of %(total)d done", done=job.done, total=job.total))


@bp.post("/jobs/<int:job_id>/retry")
@login_required
def retry(job_id: int):
    """Try a failed job again."""
    job = _job_or_404(job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if services.retry(job.id):
        flash(_("The work starts again."), "success")
    return redirect(url_for(".show", job_id=job.id))


def _admin_or_404() -> None:
    if not current_user.is_admin:
        abort(404)


@bp.get("/admin/jobs")
@login_required
def dead_letters():
    """List the background work that ran out of tries, with what failed, for the site administrator."""
    _admin_or_404()
    jobs, mails = services.dead_letters()
    return render_template("jobs/dead_letters.html", jobs=jobs, mails=mails, backlog=services.backlog(),
                           job_label=job_label, form=EmptyForm())


@bp.post("/admin/jobs/<int:job_id>/retry")
@login_required
def retry_dead_job(job_id: int):
    """Give a dead job its tries again."""
    _admin_or_404()
    if not EmptyForm().validate_on_submit():
        abort(400)
    if services.retry(job_id):
        flash(_("The job was queued again."), "success")
    return redirect(url_for(".dead_letters"))


@bp.post("/admin/mail/<int:mail_id>/retry")
@login_required
def retry_dead_mail(mail_id: int):
    """Give an undelivered message its tries again."""
    _admin_or_404()
    if not EmptyForm().validate_on_submit():
        abort(400)
    if services.retry_mail(mail_id):
        flash(_("The message was queued again."), "success")
    return redirect(url_for(".dead_letters"))
