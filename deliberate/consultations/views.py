"""Consultation pages: the federation's list, a consultation with its phase, and the board's controls."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from deliberate import permissions
from deliberate.consultations import services
from deliberate.consultations.forms import (
    AdvanceForm,
    CategoryForm,
    ConsultationForm,
    EmptyForm,
    SettingsForm,
    StepBackForm,
)
from deliberate.domain import phases as phase_rules
from deliberate.domain.errors import Conflict, InvalidTransition, NotReady, PhaseClosed, ValidationFailed
from deliberate.domain.phases import Phase
from deliberate.errors import field_error, record_refusal
from deliberate.extensions import db
from deliberate.labels import PHASE_NAMES, phase_name
from deliberate.models import Category, Consultation, Organization, OrganizationKind, Role
from deliberate.permissions import Need, consultation_or_404
from deliberate.text import render_markdown

bp = Blueprint("consultations", __name__)

#: What members can do in each phase, said plainly.
PHASE_HELP = {
    Phase.DRAFT: _l("The board is preparing this consultation. Members cannot take part yet."),
    Phase.COLLECTING: _l("Members submit their club's demands, agree, disagree or pass on other demands, and write "
                         "arguments for and against."),
    Phase.CONSOLIDATING: _l("The board groups demands that ask for the same thing into agenda items. Everyone can "
                            "read the demands; new ones are not accepted."),
    Phase.DELIBERATING: _l("Members keep reacting to the demands and write arguments for and against before the "
                           "vote."),
    Phase.VOTING: _l("Members rank the agenda items in a secret ballot. The settings can no longer change."),
    Phase.TALLIED: _l("The votes have been counted. The board reviews the results before publishing the agenda."),
    Phase.PUBLISHED: _l("The agenda is published with its minority section. Anyone can read it."),
}

@bp.app_context_processor
def _consultation_helpers() -> dict:
    """Give templates the phase names (a lookup, no query)."""
    return {"phase_name": phase_name}


def federation_or_404(slug: str) -> Organization:
    federation = db.first_or_404(select(Organization).where(Organization.slug == slug))
    if federation.kind is not OrganizationKind.FEDERATION:
        abort(404)
    return federation


@bp.get("/o/<slug>/consultations")
def index(slug: str):
    """List a federation's consultations (drafts only for the board)."""
    federation = federation_or_404(slug)
    return render_template(
        "consultations/index.html", federation=federation,
        consultations=services.consultations_of(federation, current_user),
        is_board=permissions.is_board(current_user, federation),
    )


@bp.route("/o/<slug>/consultations/new", methods=["GET", "POST"])
@login_required
def create(slug: str):
    """Open a new consultation as a draft."""
    federation = federation_or_404(slug)
    permissions.require_role(federation, Role.BOARD)
    form = ConsultationForm()
    if form.validate_on_submit():
        try:
            consultation = services.create_consultation(federation, current_user, **_details(form))
        except ValidationFailed as error:
            field_error(form, error)
        else:
            flash(_("The consultation has been created as a draft. Members see it once you open it."), "success")
            return redirect(url_for(".show", consultation_id=consultation.id))
    status = 422 if form.is_submitted() else 200
    return render_template("consultations/edit.html", form=form, federation=federation, consultation=None), status


def _details(form: ConsultationForm) -> dict:
    return {name: form[name].data for name in (
        "title_es", "title_en", "description_es", "description_en", *services.SCHEDULE_FIELDS)}


@bp.get("/consultations/<int:consultation_id>")
def show(consultation_id: int):
    """Show a consultation: its description, the phase, what members can do now, and the board's controls."""
    consultation = consultation_or_404(consultation_id)
    federation = consultation.federation
    return render_template(
        "consultations/show.html", consultation=consultation, federation=federation,
        timeline=services.timeline(consultation), phase_help=PHASE_HELP,
        description_html=render_markdown(consultation.description(_locale())),
        can=services.capabilities(consultation, current_user),
    )


@bp.route("/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(consultation_id: int):
    """Edit a consultation's titles, descriptions and schedule."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    form = ConsultationForm(obj=consultation)
    if form.validate_on_submit():
        try:
            services.update_consultation(consultation, current_user, **_details(form))
        except PhaseClosed:
            flash(_("A published consultation can no longer be edited."), "warning")
            return redirect(url_for(".show", consultation_id=consultation.id))
        except ValidationFailed as error:
            field_error(form, error)
        else:
            flash(_("The consultation has been saved."), "success")
            return redirect(url_for(".show", consultation_id=consultation.id))
    status = 422 if form.is_submitted() else 200
    return render_template("consultations/edit.html", form=form, federation=consultation.federation,
                           consultation=consultation), status


@bp.route("/consultations/<int:consultation_id>/settings", methods=["GET", "POST"])
@login_required
def settings(consultation_id: int):
    """Edit the settings the later phases use (until voting opens)."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    form = SettingsForm(obj=consultation)
    if not form.is_submitted():
        form.voters_threshold.data = round(consultation.voters_threshold * 100)
        form.clubs_threshold.data = round(consultation.clubs_threshold * 100)
    locked = services.settings_locked(consultation)
    if form.is_submitted() and locked:
        flash(_("Voting has opened: the settings can no longer be changed."), "warning")
        return redirect(url_for(".settings", consultation_id=consultation.id))
    if form.validate_on_submit():
        values = {name: form[name].data for name in (
            "agenda_size", "voting_method", "club_weighting", "weighting_cap", "club_mode", "selection",
            "women_slot", "participation_parity", "board_composition")}
        values |= {"voters_threshold": form.voters_threshold.data / 100,
                   "clubs_threshold": form.clubs_threshold.data / 100}
        try:
            services.update_settings(consultation, current_user, **values)
        except PhaseClosed:
            flash(_("Voting has opened: the settings can no longer be changed."), "warning")
            return redirect(url_for(".settings", consultation_id=consultation.id))
        except ValidationFailed as error:
            field_error(form, error)
        else:
            flash(_("The settings have been saved."), "success")
            return redirect(url_for(".show", consultation_id=consultation.id))
    status = 422 if form.is_submitted() else 200
    return render_template("consultations/settings.html", form=form, consultation=consultation,
                           federation=consultation.federation, locked=locked), status


@bp.route("/consultations/<int:consultation_id>/advance", methods=["GET", "POST"])
@login_required
def advance(consultation_id: int):
    """Confirm and make the move to the next phase (GET shows what changes, POST does it)."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    form = AdvanceForm()
    if form.validate_on_submit():
        try:
            services.advance_phase(consultation, current_user, Phase(form.expected.data), Phase(form.target.data),
                                   confirmed=bool(form.confirm.data))
        except NotReady as error:  # what is missing, on the same page: nothing moved, nobody was told
            db.session.refresh(consultation)
            return _advance_page(consultation, form, Phase(form.target.data), error.gaps), 409
        except Conflict as error:
            db.session.rollback()
            if error.reason == "ballot_key":
                flash(_("The sealed ballots cannot be opened: the ballot key of this server is not the one they "
                        "were sealed with. Nothing was counted and voting stays open; ask whoever runs the server "
                        "to restore the key."), "error")
            else:
                db.session.refresh(consultation)
                flash(_("Another board member already changed the phase: it is now “%(phase)s”. Nothing was "
                        "changed.", phase=phase_name(consultation.phase)), "warning")
        except (InvalidTransition, ValueError):
            flash(_("A consultation can only move one phase forward. Nothing was changed."), "warning")
        else:
            flash(_("The consultation is now in the phase “%(phase)s”. Members have been notified.",
                    phase=phase_name(consultation.phase)), "success")
        return redirect(url_for(".show", consultation_id=consultation.id))
    target = services.following_phase(consultation)
    if target is None:
        flash(_("This consultation is already in its last phase."), "info")
        return redirect(url_for(".show", consultation_id=consultation.id))
    form.expected.data, form.target.data = consultation.phase.value, target.value
    return _advance_page(consultation, form, target, services.readiness(consultation, target))


def _advance_page(consultation, form, target, gaps):
    return render_template("consultations/advance.html", form=form, consultation=consultation,
                           federation=consultation.federation, target=target, phase_help=PHASE_HELP,
                           audience=services.federation_audience_count(consultation.federation),
                           blocking=[gap for gap in gaps if gap.blocking],
                           warnings=[gap for gap in gaps if not gap.blocking])


@bp.route("/consultations/<int:consultation_id>/step-back", methods=["GET", "POST"])
@login_required
def step_back(consultation_id: int):
    """Move a consultation one phase back, with a reason members read (GET asks for it, POST does it)."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    form = StepBackForm()
    if form.validate_on_submit():
        try:
            services.step_back_phase(consultation, current_user, Phase(form.expected.data), form.reason.data)
        except ValidationFailed as error:
            field_error(form, error)
        except (Conflict, ValueError) as error:
            db.session.rollback()
            if isinstance(error, Conflict):
                record_refusal(error)
            db.session.refresh(consultation)
            flash(STEP_BACK_REFUSALS.get(getattr(error, "reason", "stale"), STEP_BACK_REFUSALS["stale"]), "warning")
            return _step_back_page(consultation, form), 409
        else:
            flash(_("The consultation is back in the phase “%(phase)s”. Members have been told why.",
                    phase=phase_name(consultation.phase)), "success")
            return redirect(url_for(".show", consultation_id=consultation.id))
    elif not form.is_submitted():
        form.expected.data = consultation.phase.value
    return _step_back_page(consultation, form), 422 if form.errors else 200


STEP_BACK_REFUSALS = {
    "stale": _l("Another board member already changed the phase. Nothing was changed: check the phase and try "
                "again."),
    "ballots_cast": _l("Members have already voted: voting cannot be undone. Nothing was changed."),
    "counted": _l("The votes have been counted: a counted consultation cannot go back. Nothing was changed."),
    "first_phase": _l("The consultation is in its first phase: there is no phase before it."),
    "demands_submitted": _l("Members have already submitted demands: the consultation cannot go back to a draft "
                            "that they would no longer see."),
}


def _step_back_page(consultation: Consultation, form: StepBackForm):
    refusal = services.step_back_refusal(consultation)
    return render_template("consultations/step_back.html", form=form, consultation=consultation,
                           federation=consultation.federation, refusal=STEP_BACK_REFUSALS.get(refusal),
                           target=phase_rules.previous_phase(consultation.phase),
                           audience=services.federation_audience_count(consultation.federation))


@bp.get("/o/<slug>/categories")
@login_required
def categories(slug: str):
    """Show the federation's categories to its board, to add, rename and archive them."""
    federation = federation_or_404(slug)
    permissions.require_role(federation, Role.BOARD)
    return _categories_page(federation, CategoryForm(), 200)


def _categories_page(federation: Organization, form: CategoryForm, status: int, failed: CategoryForm | None = None):
    rows = services.categories_of(federation, include_archived=True)
    rename_forms = {
        category.id: CategoryForm(formdata=None, prefix=f"c{category.id}",
                                  data={"name_es": category.name_es, "name_en": category.name_en})
        for category in rows
    }
    if failed is not None:
        rename_forms[int(failed._prefix.strip("c-"))] = failed
    return render_template("consultations/categories.html", federation=federation, form=form, categories=rows,
                           rename_forms=rename_forms, empty_form=EmptyForm()), status


@bp.post("/o/<slug>/categories")
@login_required
def add_category(slug: str):
    """Add a category."""
    federation = federation_or_404(slug)
    permissions.require_role(federation, Role.BOARD)
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = services.add_category(federation, current_user, form.name_es.data, form.name_en.data)
        except ValidationFailed as error:
            field_error(form, error)
        except Conflict:
            flash(_("This category was just added. Check the list."), "info")
            return redirect(url_for(".categories", slug=slug))
        else:
            flash(_("The category “%(name)s” has been added.", name=category.name(_locale())), "success")
            return redirect(url_for(".categories", slug=slug))
    return _categories_page(federation, form, 422)


def _locale() -> str:
    return str(get_locale())


def category_or_404(category_id: int) -> Category:
    category = db.get_or_404(Category, category_id)
    permissions.require_role(db.session.get(Organization, category.federation_id), Role.BOARD)
    return category


@bp.post("/categories/<int:category_id>")
@login_required
def rename_category(category_id: int):
    """Rename a category."""
    category = category_or_404(category_id)
    federation = db.session.get(Organization, category.federation_id)
    form = CategoryForm(prefix=f"c{category.id}")
    if form.validate_on_submit():
        try:
            services.rename_category(category, current_user, form.name_es.data, form.name_en.data)
        except ValidationFailed as error:
            field_error(form, error)
        else:
            flash(_("The category has been renamed."), "success")
            return redirect(url_for(".categories", slug=federation.slug))
    return _categories_page(federation, CategoryForm(formdata=None), 422, failed=form)


@bp.post("/categories/<int:category_id>/<any(archive, restore):action>")
@login_required
def archive_category(category_id: int, action: str):
    """Archive a category, or bring an archived one back."""
    category = category_or_404(category_id)
    federation = db.session.get(Organization, category.federation_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.set_category_archived(category, current_user, action == "archive")
    except Conflict:
        flash(_("Nothing to change: the category was already in that state."), "info")
    else:
        flash(_("The category has been archived. Demands that use it keep it.") if action == "archive"
              else _("The category is available again."), "success")
    return redirect(url_for(".categories", slug=federation.slug))


__all__ = ["PHASE_HELP", "PHASE_NAMES", "bp"]
