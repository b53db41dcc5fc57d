"""Demand pages: the list with its filters, the new-demand form with its similar-demands check, a demand's page,
editing, withdrawing and endorsing."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from deliberate import labels, permissions
from deliberate.deliberation.views import panel_context
from deliberate.demands import services
from deliberate.demands.forms import (
    DemandForm,
    EditDemandForm,
    ListFilterForm,
    WithdrawForm,
)
from deliberate.domain.errors import Conflict, DomainError, PermissionDenied, PhaseClosed, ValidationFailed
from deliberate.domain.phases import accepts_demands, is_open_for_editing_demands
from deliberate.errors import field_error, record_refusal
from deliberate.extensions import db
from deliberate.forms import choices
from deliberate.models import Consultation, Demand, Language, Target
from deliberate.organizations.forms import EmptyForm
from deliberate.permissions import Need, consultation_or_404
from deliberate.programmes import tracking
from deliberate.routing import db_int
from deliberate.text import render_markdown

bp = Blueprint("demands", __name__)


@bp.app_template_filter("target_label")
def target_label(value: str | None) -> str:
    """Name a demand's target in the reader's language."""
    return labels.target_name(value)


@bp.app_template_filter("language_label")
def language_label(value: str | None) -> str:
    """Name a demand's language in the reader's language."""
    return labels.language_name(value)


def demand_or_404(demand_id: int) -> tuple[Demand, bool]:
    """Load a demand the current user may see (withdrawn or hidden ones: only their author and the board)."""
    demand = services.demand_with_history(demand_id)
    if demand is None:
        abort(404)
    board = permissions.is_board(current_user, consultation_or_404(demand.consultation_id, need=Need.MEMBER))
    if not services.can_see(demand, current_user, board):
        abort(404)
    return demand, board


def consultation_link(consultation: Consultation) -> str:
    """Return the consultation page's address."""
    return url_for("consultations.show", consultation_id=consultation.id)


def _with_choices(form: DemandForm, consultation: Consultation) -> DemandForm:
    form.category_id.choices = choices(
        [(0, _("Choose a category"))]
        + [(c.id, c.name(_locale())) for c in services.active_categories(consultation.federation)]
    )
    if request.method == "GET" and not form.language.data:
        form.language.data = "en" if _locale() == "en" else "es"
    return form


def _locale() -> str:
    return str(get_locale() or "es")


def _posted(form_class: type[DemandForm]) -> DemandForm:
    """Build a posted form; a body that is not valid UTF-8 (which Werkzeug drops whole) is read leniently instead,
    so that the CleanText validator names the problem and the author keeps their text."""
    if request.mimetype == "application/x-www-form-urlencoded" and "form" not in request.__dict__:
        raw = request.get_data(cache=True)
        try:
            raw.decode()
        except UnicodeDecodeError:
            return form_class(formdata=MultiDict(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True)))
    return form_class()


def _input(form: DemandForm) -> services.DemandInput:
    return services.DemandInput(
        title=form.title.data or "", body=form.body.data or "", category_id=form.category_id.data or None,
        target=Target(form.target.data), language=Language(form.language.data),
    )


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, type=db_int)  # out of the database's range: as if not given
    return value if value and value > 0 else None


def _filters() -> services.DemandFilters:
    target, language = request.args.get("target", ""), request.args.get("language", "")
    return services.DemandFilters(
        club_id=_int_arg("club"), category_id=_int_arg("category"),
        target=Target(target) if target in {t.value for t in Target} else None,
        language=Language(language) if language in {v.value for v in Language} else None,
        text=request.args.get("q", "")[:200], sort=request.args.get("sort", services.Sort.NEWEST),
        page=_int_arg("page") or 1, per_page=_int_arg("per_page") or services.PER_PAGE,
    )


@bp.get("/consultations/<int:consultation_id>/demands")
@login_required
def index(consultation_id: int):
    """List and search the consultation's demands."""
    consultation = consultation_or_404(consultation_id, need=Need.MEMBER)
    board = permissions.is_board(current_user, consultation)
    filters = _filters()
    form = ListFilterForm(formdata=request.args)
    locale = _locale()
    club_names = {c.id: c.name for c in consultation.federation.clubs()}
    categories = services.active_categories(consultation.federation)
    category_names = {c.id: c.name(locale) for c in categories}
    target_names = {value: str(label) for value, label in labels.choices_of(labels.TARGET_NAMES)}
    form.club.choices = choices([(0, _("All clubs"))] + list(club_names.items()))
    form.category.choices = choices([(0, _("All categories"))] + list(category_names.items()))
    form.target.choices = choices([("", _("Any"))] + list(target_names.items()))
    form.language.choices = choices([("", _("Any"))] + labels.choices_of(labels.LANGUAGE_NAMES))
    page = services.list_demands(consultation, current_user, board, filters)
    arguments = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "demands/index.html", consultation=consultation, page=page, form=form, filters=filters, board=board,
        club_names=club_names, category_names=category_names, target_names=target_names,
        can_submit=accepts_demands(consultation.phase), page_args=arguments,
        consultation_url=consultation_link(consultation),
    )


def _render_new(consultation: Consultation, form: DemandForm, similar=None, status: int = 200):
    return render_template(
        "demands/new.html", consultation=consultation, form=form, similar=similar, checked=similar is not None,
        member=permissions.club_membership(current_user, consultation.federation),
        consultation_url=consultation_link(consultation),
    ), status


@bp.get("/consultations/<int:consultation_id>/demands/new")
@login_required
def new(consultation_id: int):
    """Show the form to submit a demand for one's club."""
    consultation = consultation_or_404(consultation_id, need=Need.MEMBER)
    if not accepts_demands(consultation.phase):
        flash(_("This consultation does not accept demands now."), "warning")
        return redirect(url_for(".index", consultation_id=consultation.id))
    return _render_new(consultation, _with_choices(DemandForm(), consultation))


@bp.post("/consultations/<int:consultation_id>/demands/new")
@login_required
def create(consultation_id: int):
    """Check for similar demands (the "check" button), or submit the demand."""
    consultation = consultation_or_404(consultation_id, need=Need.MEMBER)
    form = _with_choices(_posted(DemandForm), consultation)
    if "check" in request.form:
        form.validate()
        similar = services.similar_demands(consultation, form.title.data or "", form.body.data or "")
        return _render_new(consultation, form, similar)
    if not form.validate_on_submit():
        return _render_new(consultation, form, status=422)
    try:
        demand = services.submit_demand(consultation, current_user, _input(form))
    except PhaseClosed as error:
        record_refusal(error)
        flash(_("This consultation does not accept demands now: collecting has ended."), "warning")
        return _render_new(consultation, form, status=409)
    except PermissionDenied:
        flash(_("Only active members of a club of this federation can submit demands."), "warning")
        return _render_new(consultation, form, status=403)
    except ValidationFailed as error:
        _field_error(form, error)
        return _render_new(consultation, form, status=422)
    flash(_("Your demand has been submitted. Thank you!"), "success")
    similar = services.similar_demands(consultation, demand.title, demand.body, exclude_id=demand.id, k=1)
    if similar and similar[0][1] >= services.VERY_CLOSE:
        flash(_("A very similar demand was already submitted. You may want to react to it too."), "info")
        return redirect(url_for(".show", demand_id=demand.id, similar=1))
    return redirect(url_for(".show", demand_id=demand.id))


def _field_error(form: DemandForm, error: ValidationFailed) -> None:
    messages = {
        "required": _("Please give your demand a title."),
        "too_long": _("This text is too long. Please shorten it: your text is still here."),
        "invalid": _("Please choose one of the federation's categories."),
    }
    field_error(form, ValidationFailed("category_id" if error.field == "category" else error.field, error.code),
                messages.get(error.code))


@bp.get("/demands/<int:demand_id>")
@login_required
def show(demand_id: int):
    """Show a demand: its text, club, author, badges, reactions summary, history, and the deliberation panel."""
    demand, board = demand_or_404(demand_id)
    consultation = demand.consultation
    similar = None
    if request.args.get("similar") and demand.author_id == current_user.id:
        similar = services.similar_demands(consultation, demand.title, demand.body, exclude_id=demand.id)
    return render_template(
        "demands/show.html", demand=demand, consultation=consultation, board=board, similar=similar,
        is_author=demand.author_id == current_user.id,
        can_edit=demand.author_id == current_user.id and demand.is_visible
        and is_open_for_editing_demands(consultation.phase),
        can_endorse=demand.is_visible and consultation.phase in services.ENDORSING_PHASES
        and permissions.is_club_officer(current_user, demand.club),
        form=EmptyForm(), consultation_url=consultation_link(consultation),
        demand_result=tracking.demand_result(demand), panel=panel_context(consultation, demand),
    )


@bp.get("/demands/<int:demand_id>/versions/<int:version>")
@login_required
def version(demand_id: int, version: int):
    """Show an earlier text of a demand."""
    demand, board = demand_or_404(demand_id)
    earlier = next((v for v in demand.versions if v.version == version), None)
    if earlier is None:
        abort(404)
    return render_template(
        "demands/version.html", demand=demand, consultation=demand.consultation, earlier=earlier,
        earlier_html=render_markdown(earlier.body), consultation_url=consultation_link(demand.consultation),
        categories={c.id: c for c in services.active_categories(demand.consultation.federation)},
    )


def _render_edit(demand: Demand, form: EditDemandForm, status: int = 200, withdraw_form: WithdrawForm | None = None):
    return render_template(
        "demands/edit.html", demand=demand, consultation=demand.consultation, form=form,
        withdraw_form=withdraw_form or WithdrawForm(formdata=None),
        consultation_url=consultation_link(demand.consultation),
    ), status


def _author_only(demand: Demand) -> None:
    if demand.author_id != current_user.id:
        abort(403)


@bp.get("/demands/<int:demand_id>/edit")
@login_required
def edit(demand_id: int):
    """Show the form to edit one's demand, or explain why it can no longer be edited."""
    demand, _board = demand_or_404(demand_id)
    _author_only(demand)
    if not is_open_for_editing_demands(demand.consultation.phase) or not demand.is_visible:
        flash(_("This demand can no longer be edited: collecting has ended or it was withdrawn."), "warning")
        return redirect(url_for(".show", demand_id=demand.id))
    form = EditDemandForm(obj=demand)
    form.category_id.data = demand.category_id or 0
    form.version.data = str(demand.version)
    return _render_edit(demand, _with_choices(form, demand.consultation))


@bp.post("/demands/<int:demand_id>/edit")
@login_required
def update(demand_id: int):
    """Save the author's changes as a new version."""
    demand, _board = demand_or_404(demand_id)
    _author_only(demand)
    form = _with_choices(_posted(EditDemandForm), demand.consultation)
    if not form.validate_on_submit():
        return _render_edit(demand, form, 422)
    expected = int(form.version.data) if (form.version.data or "").isdigit() else -1
    try:
        services.edit_demand(demand, current_user, _input(form), expected)
    except PhaseClosed as error:
        record_refusal(error)
        flash(_("This demand can no longer be edited: collecting has ended."), "warning")
        return _render_edit(demand, form, 409)
    except Conflict as error:
        if error.reason == "stale":
            flash(_("This demand was changed in the meantime. Your text is below; the page now shows the latest "
                    "version number, so you can save again."), "warning")
            form.version.data = str(db.session.get(Demand, demand_id).version)
        else:
            flash(_("This demand can no longer be edited."), "warning")
        return _render_edit(demand, form, 409)
    except ValidationFailed as error:
        _field_error(form, error)
        return _render_edit(demand, form, 422)
    except DomainError:
        abort(403)
    flash(_("Your changes have been saved. The earlier text is kept in the history."), "success")
    return redirect(url_for(".show", demand_id=demand.id))


@bp.post("/demands/<int:demand_id>/withdraw")
@login_required
def withdraw(demand_id: int):
    """Withdraw one's demand (it stays visible to its author and the board, marked)."""
    demand, _board = demand_or_404(demand_id)
    _author_only(demand)
    withdraw_form = WithdrawForm()
    if not withdraw_form.validate_on_submit():
        flash(_("Tick the box to confirm that you want to withdraw your demand."), "warning")
        form = _with_choices(EditDemandForm(formdata=None, obj=demand), demand.consultation)
        form.version.data = str(demand.version)
        return _render_edit(demand, form, 422, withdraw_form)
    try:
        services.withdraw_demand(demand, current_user)
    except PhaseClosed as error:
        record_refusal(error)
        flash(_("This demand can no longer be withdrawn: collecting has ended."), "warning")
    except Conflict:
        flash(_("This demand was already withdrawn."), "info")
    except DomainError:
        abort(403)
    else:
        flash(_("Your demand has been withdrawn. Other members no longer see it."), "success")
    return redirect(url_for(".show", demand_id=demand.id))


@bp.post("/demands/<int:demand_id>/endorse")
@login_required
def endorse(demand_id: int):
    """Mark the demand as endorsed by its club (its officers only)."""
    return _endorsement(demand_id, True)


@bp.post("/demands/<int:demand_id>/unendorse")
@login_required
def unendorse(demand_id: int):
    """Withdraw the club's endorsement."""
    return _endorsement(demand_id, False)


def _endorsement(demand_id: int, endorsed: bool):
    demand, _board = demand_or_404(demand_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.set_endorsement(demand, current_user, endorsed)
    except PermissionDenied:
        abort(403)
    except PhaseClosed:
        flash(_("Endorsements can no longer change: voting has started."), "warning")
    except Conflict:
        flash(_("Nothing changed: the endorsement was already in that state."), "info")
    else:
        flash(_("Your club now endorses this demand.") if endorsed else _("Your club's endorsement was withdrawn."),
              "success")
    return redirect(url_for(".show", demand_id=demand.id))
