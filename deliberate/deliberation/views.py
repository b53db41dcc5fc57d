"""Reacting to demands, arguing for and against them, reporting abuse and the board's moderation queue."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from deliberate import permissions
from deliberate.deliberation import polis_import, services
from deliberate.deliberation.forms import (
    ArgumentForm,
    EmptyForm,
    PolisUploadForm,
    ReactionForm,
    ReasonForm,
    panel_forms,
)
from deliberate.domain.errors import DomainError, NotFound, ValidationFailed
from deliberate.domain.phases import accepts_reactions
from deliberate.errors import refusal
from deliberate.extensions import db
from deliberate.forms import submitted_within
from deliberate.models import Argument, Consultation, Demand, Language, ReactionValue, Side
from deliberate.permissions import Need, consultation_or_404

bp = Blueprint("deliberation", __name__)

SUBJECT_TYPES = ("demand", "argument")


def demand_or_404(consultation: Consultation, demand_id: int) -> Demand:
    demand = db.get_or_404(Demand, demand_id)
    if demand.consultation_id != consultation.id:
        abort(404)
    return demand


def subject_or_404(consultation: Consultation, subject_type: str, subject_id: int):
    try:
        return services.load_subject(consultation, subject_type, subject_id)
    except NotFound:
        abort(404)


def panel_context(consultation: Consultation, demand: Demand, argument_forms=None) -> dict:
    """Gather what the demand panel shows to the current viewer, with its forms."""
    return services.demand_panel(consultation, demand, current_user) | panel_forms(argument_forms)


@bp.app_context_processor
def inject_panel():
    """Give templates the reaction and side values and the deliberation pages' addresses (no query)."""
    return {"ReactionValue": ReactionValue, "Side": Side,
            "demand_url": services.demand_url, "deliberation_consultation_url": services.consultation_url}


@bp.get("/consultations/<int:consultation_id>/react")
@login_required
def react_flow(consultation_id: int):
    """Serve the member the next demand they have not reacted to, with their progress."""
    consultation = consultation_or_404(consultation_id)
    if permissions.participant_membership(current_user, consultation) is None:
        abort(403)
    demand = services.next_demand_to_react(consultation, current_user)
    return render_template(
        "deliberation/react.html", consultation=consultation, demand=demand,
        progress=services.reaction_progress(consultation, current_user),
        is_open=accepts_reactions(consultation.phase), form=ReactionForm(formdata=None),
    )


@bp.post("/consultations/<int:consultation_id>/demands/<int:demand_id>/reaction")
@login_required
def react(consultation_id: int, demand_id: int):
    """Record the member's agree / disagree / pass, then go back to the demand or to the next one."""
    consultation = consultation_or_404(consultation_id)
    demand = demand_or_404(consultation, demand_id)
    if permissions.participant_membership(current_user, consultation) is None:
        abort(403)
    form = ReactionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.react(consultation, current_user, demand, form.value.data)
    except DomainError as error:
        flash(refusal(error), "warning")
    else:
        flash(_("Your reaction has been saved."), "success")
    if form.return_to.data == "flow":
        return redirect(url_for(".react_flow", consultation_id=consultation.id))
    return redirect(services.demand_url(demand))


@bp.get("/consultations/<int:consultation_id>/demands/<int:demand_id>/discussion")
@login_required
def discussion(consultation_id: int, demand_id: int):
    """Show a demand with its reactions and arguments (the demands area's page includes the same panel)."""
    consultation = consultation_or_404(consultation_id, need=Need.MEMBER)
    demand = demand_or_404(consultation, demand_id)
    moderator = permissions.can_moderate(current_user, consultation)
    if not demand.is_visible and not (moderator or demand.author_id == current_user.id):
        abort(404)
    return render_template("deliberation/discussion.html", consultation=consultation, demand=demand,
                           panel=panel_context(consultation, demand))


@bp.post("/consultations/<int:consultation_id>/demands/<int:demand_id>/arguments/<side>")
@login_required
def write_argument(consultation_id: int, demand_id: int, side: str):
    """Add an argument for or against the demand; bad input comes back with the text kept."""
    consultation = consultation_or_404(consultation_id)
    demand = demand_or_404(consultation, demand_id)
    if side not in {s.value for s in Side}:
        abort(404)
    if permissions.participant_membership(current_user, consultation) is None:
        abort(403)
    form = ArgumentForm(prefix=side)
    problem = None
    if form.validate_on_submit():
        try:
            argument = services.write_argument(consultation, current_user, demand, side, form.body.data)
        except ValidationFailed as error:
            problem = refusal(error)
        except DomainError as error:
            flash(refusal(error), "warning")
            return redirect(services.demand_url(demand))
        else:
            flash(_("Your argument has been added."), "success")
            return redirect(f"{services.demand_url(demand)}#argument-{argument.id}")  # land on the new argument
    if problem:
        form.body.errors = [*form.body.errors, problem]
    return render_template("deliberation/discussion.html", consultation=consultation, demand=demand,
                           panel=panel_context(consultation, demand, {Side(side): form})), 422


@bp.post("/consultations/<int:consultation_id>/arguments/<int:argument_id>/upvote")
@login_required
def upvote(consultation_id: int, argument_id: int):
    """Up-vote an argument (once per member)."""
    consultation = consultation_or_404(consultation_id)
    argument = db.get_or_404(Argument, argument_id)
    if argument.demand.consultation_id != consultation.id:
        abort(404)
    if permissions.participant_membership(current_user, consultation) is None:
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        added = services.upvote_argument(consultation, current_user, argument)
    except DomainError as error:
        flash(refusal(error), "warning")
    else:
        flash(_("Thank you: your up-vote counts.") if added else _("You had already up-voted this argument."),
              "success" if added else "info")
    return redirect(services.demand_url(argument.demand))


@bp.route("/consultations/<int:consultation_id>/report/<subject_type>/<int:subject_id>", methods=["GET", "POST"])
@login_required
def report(consultation_id: int, subject_type: str, subject_id: int):
    """Ask for a reason, then record the member's report of a demand or an argument."""
    consultation = consultation_or_404(consultation_id, need=Need.MEMBER)
    subject = subject_or_404(consultation, subject_type, subject_id)
    demand = subject if isinstance(subject, Demand) else subject.demand
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.report(consultation, current_user, subject, form.reason.data)
        except ValidationFailed as error:
            form.reason.errors = [refusal(error)]
        except DomainError as error:
            flash(refusal(error, {"duplicate": _("You have already reported this.")}), "info")
            return redirect(services.demand_url(demand))
        else:
            flash(_("Thank you. The board will review your report."), "success")
            return redirect(services.demand_url(demand))
    status = 422 if form.is_submitted() else 200
    return render_template("deliberation/report.html", consultation=consultation, subject=subject,
                           subject_type=subject_type, demand=demand, form=form), status


@bp.get("/consultations/<int:consultation_id>/moderation")
@login_required
def moderation(consultation_id: int):
    """Show the board the open reports grouped by item, and the hidden items."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    return _render_queue(consultation)


def _render_queue(consultation: Consultation, failed: tuple[str, int, ReasonForm] | None = None, status: int = 200):
    queue = services.moderation_queue(consultation)
    forms = {(e.subject_type, e.subject.id): ReasonForm(formdata=None, prefix=f"{e.subject_type}-{e.subject.id}")
             for e in queue}
    if failed is not None:
        forms[(failed[0], failed[1])] = failed[2]
    return render_template("deliberation/moderation.html", consultation=consultation, queue=queue, forms=forms,
                           hidden=services.hidden_items(consultation), empty_form=EmptyForm(formdata=None)), status


@bp.post("/consultations/<int:consultation_id>/moderation/<subject_type>/<int:subject_id>/<action>")
@login_required
def moderate(consultation_id: int, subject_type: str, subject_id: int, action: str):
    """Hide (with a reason), keep or unhide a demand or an argument."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    if action not in ("hide", "keep", "unhide"):
        abort(404)
    subject = subject_or_404(consultation, subject_type, subject_id)
    form = ReasonForm(prefix=f"{subject_type}-{subject_id}") if action == "hide" else EmptyForm()
    if not form.validate_on_submit():
        if action == "hide":
            return _render_queue(consultation, (subject_type, subject_id, form), 422)
        abort(400)
    try:
        if action == "hide":
            services.hide(consultation, current_user, subject, form.reason.data)
        elif action == "keep":
            services.keep(consultation, current_user, subject)
        else:
            services.unhide(consultation, current_user, subject)
    except DomainError as error:
        flash(refusal(error), "warning")
    else:
        flash({"hide": _("Hidden. The author has been told why."),
               "keep": _("Kept. The reports are closed."),
               "unhide": _("It is visible again.")}[action], "success")
    return redirect(url_for(".moderation", consultation_id=consultation.id))


@bp.route("/consultations/<int:consultation_id>/polis", methods=["GET", "POST"])
@login_required
def polis_upload(consultation_id: int):
    """Upload a Polis conversation's export (the board); its import runs as a job whose page shows its progress."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    if consultation.phase not in polis_import.IMPORT_PHASES:
        flash(_("A Polis conversation can only be imported before voting opens."), "warning")
        return redirect(url_for("consultations.show", consultation_id=consultation.id))
    limit = current_app.config["POLIS_UPLOAD_MAX_BYTES"]
    form, submitted = submitted_within(PolisUploadForm, limit)
    if form is None:
        form = PolisUploadForm(formdata=None)
        form.comments.errors = [_("The files together are larger than %(mb)d MB: nothing was uploaded.",
                                  mb=limit // 1_000_000)]
        return _polis_page(consultation, form), 413
    if not submitted:
        return _polis_page(consultation, form), 422 if form.is_submitted() else 200
    job = polis_import.queue_upload(consultation, current_user, {
        "comments": form.comments.text, "votes": form.votes.text, "summary": form.summary.text,
    }, Language(form.language.data))
    flash(_("The files were received. The import runs in the background: this page shows how far it has come."),
          "success")
    return redirect(url_for("jobs.show", job_id=job.id))


def _polis_page(consultation: Consultation, form: PolisUploadForm):
    return render_template("deliberation/polis_upload.html", consultation=consultation, form=form,
                           max_mb=current_app.config["POLIS_FILE_MAX_BYTES"] // 1_000_000)
