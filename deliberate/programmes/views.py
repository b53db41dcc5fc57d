"""Programme pages: the public tracker of a published agenda with its exports and feed, each programme's page,
the board's and the owners' forms, and following an item."""

from __future__ import annotations

from decimal import Decimal

import orjson
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from deliberate import downloads, labels, permissions
from deliberate.domain import photos
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from deliberate.domain.programmes import CommitmentStatus, Currency, OwnerKind, Source, Status
from deliberate.forms import submitted_within
from deliberate.i18n import format_money
from deliberate.models import Commitment, Funding, Milestone
from deliberate.organizations.forms import EmptyForm
from deliberate.programmes import exports, services, tracking
from deliberate.programmes.forms import (
    CommitmentForm,
    CommitmentStatusForm,
    FundingForm,
    MilestoneForm,
    ProgrammeForm,
    ProgressForm,
    ReceivedForm,
    StatusForm,
    UpdateForm,
    cents,
)

bp = Blueprint("programmes", __name__)

#: The largest id a route accepts (PostgreSQL's INTEGER); a larger one is a 404 like any id that does not exist.
MAX_ID = 2**31 - 1

FIELD_MESSAGES = {
    "required": _l("This field is required."),
    "too_long": _l("This text is too long. Please shorten it: your text is still here."),
    "due_before_start": _l("The due date cannot come before the start date."),
    "before_start": _l("A milestone cannot be due before its programme starts."),
    "after_milestone": _l("The programme cannot start after one of its milestones is due."),
    "weights_over": _l("With this weight the milestones would add up to more than 100. Lower it, or lower the "
                       "weight of another milestone first."),
    "weight_range": _l("Write a number from 1 to 100."),
    "percent_range": _l("Write a number from 0 to 100."),
    "beyond_committed": _l("More cannot be received than was committed. Check both amounts."),
    "negative": _l("An amount cannot be negative."),
    "too_large": _l("This amount is too large."),
    "date_range": _l("Choose a date between the years 2000 and 2099."),
    "in_the_future": _l("An update tells what already happened: choose today or an earlier day."),
    "due_before_promise": _l("A promise cannot be due before it was made."),
    "reason_required": _l("Blocking or dropping a programme needs a public reason."),
    "bad_link": _l("Each link must be a full address starting with https://, one a line."),
    "too_many_links": _l("At most 10 links, please."),
    "choose_club": _l("Choose the club that answers for it."),
    "choose_member": _l("Choose the member who answers for it."),
    "not_on_agenda": _l("This item is not on the published agenda."),
    "photo_too_large": _l("The photo is larger than 15 MB. Your text is still here: choose a smaller photo (a phone "
                          "can share it at a smaller size)."),
    "upload_too_large": _l("What you sent is larger than 45 MB: nothing was posted. Choose a photo of at most 15 MB."),
    "photo_type": _l("Send the photo as a JPEG, PNG or WebP picture. Your text is still here: choose the photo again."),
    "photo_broken": _l("This photo could not be read: the file may be damaged. Your text is still here: choose the "
                       "photo again."),
    "photo_too_many_pixels": _l("This picture is too large (more than 60 megapixels). Your text is still here: choose "
                                "a smaller photo."),
    "photo_description_required": _l("Say what the photo shows, for people who cannot see it."),
    "invalid": _l("This value is not valid."),
}
CONFLICTS = {
    "invalid_move": _l("A programme cannot move from this status to that one. Nothing was changed."),
    "has_milestones": _l("This programme's progress comes from its milestones: tick them instead."),
    "duplicate": _l("This has already been done."),
    "not_following": _l("You were not following this item."),
}


# --- loading ----------------------------------------------------------------------------------------------------

def _check_id(value: int) -> None:
    if value > MAX_ID:
        abort(404)


def _agenda_or_404(agenda_id: int):
    _check_id(agenda_id)
    try:
        return services.published_agenda(agenda_id)
    except NotFound:
        abort(404)


def _programme_or_404(programme_id: int):
    _check_id(programme_id)
    try:
        return services.get_programme(programme_id)
    except NotFound:
        abort(404)


def _child_or_404(model, child_id: int):
    _check_id(child_id)
    try:
        row = services.get_child(model, child_id)
    except NotFound:
        abort(404)
    if row.programme.agenda.latest is None:
        abort(404)
    return row


def _board_or_403(agenda) -> None:
    if not permissions.is_board(current_user, agenda):
        abort(403)


def _owner_or_403(programme) -> None:
    if not services.is_owner(current_user, programme):
        abort(403)


def _locale() -> str:
    return str(get_locale() or "es")


def _field_error(form, error: ValidationFailed) -> None:
    field = getattr(form, error.field, None) or next(
        field for name, field in form._fields.items() if name != "csrf_token")
    message = FIELD_MESSAGES.get(f"{error.field}_{error.code}") or FIELD_MESSAGES.get(error.code,
                                                                                       FIELD_MESSAGES["invalid"])
    field.errors = [*field.errors, message]


# --- template helpers -------------------------------------------------------------------------------------------

@bp.app_template_filter("money")
def money(amount_cents: int | None, currency: Currency | str) -> str:
    """Write an amount in its own currency, the page's way (never converted)."""
    return format_money(amount_cents, Currency(currency).value)


def _authority_name(target) -> str:
    return labels.target_name(target)


# Globals (not a context processor) so that imported macros see them too; none of them queries the database.
for _name, _helper in {"programme_status_name": labels.programme_status_name,
                       "commitment_name": labels.commitment_name, "source_name": labels.source_name,
                       "authority_name": _authority_name}.items():
    bp.add_app_template_global(_helper, _name)


# --- public pages -----------------------------------------------------------------------------------------------

def _tracker(agenda):
    return tracking.tracker(agenda, authority_name=_authority_name)


@bp.get("/agendas/<int:agenda_id>/tracker")
def tracker(agenda_id: int):
    """Show anyone how an agenda is carried out: items, programmes, progress, funding, promises kept."""
    agenda = _agenda_or_404(agenda_id)
    data = _tracker(agenda)
    return render_template("programmes/tracker.html", agenda=agenda, consultation=agenda.consultation,
                           tracker=data, updates=tracking.recent_updates(agenda, 10),
                           is_board=permissions.is_board(current_user, agenda),
                           can_follow=services.can_follow(current_user, agenda),
                           followed=tracking.followed_items(current_user, [view.item.id for view in data.items]))


def _federation_or_404(slug: str):
    try:
        return services.federation_by_slug(slug)
    except NotFound:
        abort(404)


@bp.get("/o/<slug>/follow-up")
def dashboard(slug: str):
    """Show anyone how the federation carries out all its published agendas, with what needs attention."""
    federation = _federation_or_404(slug)
    return render_template("programmes/dashboard.html", federation=federation,
                           dashboard=tracking.federation_dashboard(federation, authority_name=_authority_name))


@bp.get("/o/<slug>/follow-up.json")
def dashboard_json(slug: str):
    """Download the federation's follow-up across its agendas as JSON (amounts in whole cents, per currency)."""
    data = tracking.federation_dashboard(_federation_or_404(slug), authority_name=_authority_name)
    return downloads.attachment(orjson.dumps(data.to_dict(), option=orjson.OPT_SORT_KEYS), "application/json",
                                f"follow-up-{slug}.json")


@bp.get("/updates/<int:update_id>/photo")
def photo(update_id: int):
    """The photo of an update, as published: written again from its pixels, without metadata."""
    _check_id(update_id)
    try:
        picture = services.update_photo(update_id)
    except NotFound:
        abort(404)
    response = Response(picture.data, mimetype=picture.content_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.set_etag(picture.sha256)
    return response.make_conditional(request)


@bp.get("/programmes/<int:programme_id>")
def show(programme_id: int):
    """Show a programme: status, progress, milestones, funding, commitments and its timeline."""
    return _show_page(_programme_or_404(programme_id))


def _show_page(programme, status: int = 200, **forms):
    is_owner = services.is_owner(current_user, programme)
    is_board = permissions.is_board(current_user, programme.agenda)
    view = tracking.programme_view(programme)
    defaults = {
        "status_form": StatusForm(formdata=None, status=programme.status.value),
        "progress_form": ProgressForm(formdata=None, percent=programme.progress_percent or 0),
        "milestone_form": MilestoneForm(formdata=None),
        "funding_form": FundingForm(formdata=None),
        "update_form": UpdateForm(formdata=None, happened_on=services.today()),
        "commitment_form": CommitmentForm(formdata=None),
    }
    defaults.update(forms)
    return render_template(
        "programmes/show.html", programme=programme, view=view, agenda=programme.agenda,
        consultation=programme.agenda.consultation, is_owner=is_owner, is_board=is_board,
        empty_form=EmptyForm(formdata=None), received_form=ReceivedForm(formdata=None),
        commitment_status_form=CommitmentStatusForm(formdata=None), **defaults), status


@bp.get("/agendas/<int:agenda_id>/tracker.csv")
def tracker_csv(agenda_id: int):
    """Download one row per programme: item, status, progress, dates, owner, funding per currency."""
    return downloads.attachment(exports.tracker_csv(_tracker(_agenda_or_404(agenda_id))), "text/csv; charset=utf-8",
                                f"tracker-{agenda_id}.csv")


@bp.get("/agendas/<int:agenda_id>/tracker.json")
def tracker_json(agenda_id: int):
    """Download the tracker as JSON (amounts in whole cents, each in its own currency)."""
    data = _tracker(_agenda_or_404(agenda_id))
    return downloads.attachment(orjson.dumps(data.to_dict(), option=orjson.OPT_SORT_KEYS), "application/json",
                                f"tracker-{agenda_id}.json")


@bp.get("/agendas/<int:agenda_id>/updates.atom")
def feed(agenda_id: int):
    """An Atom feed of the agenda's programme updates and status changes, newest first."""
    agenda = _agenda_or_404(agenda_id)
    return Response(exports.updates_feed(agenda, tracking.recent_updates(agenda), _locale()),
                    mimetype="application/atom+xml")


# --- the board --------------------------------------------------------------------------------------------------

def _programme_form_page(agenda, form, programme=None, status: int = 200):
    clubs, users = services.owner_choices(agenda)
    items = [(item, item.title(_locale())) for item in services.agenda_items(agenda)]
    form.set_owner_choices(items, clubs, users)
    return render_template("programmes/form.html", agenda=agenda, consultation=agenda.consultation, form=form,
                           programme=programme), status


def _fields(form: ProgrammeForm) -> services.ProgrammeFields:
    return services.ProgrammeFields(
        title_es=form.title_es.data or "", title_en=form.title_en.data or "",
        description_es=form.description_es.data or "", description_en=form.description_en.data or "",
        owner_kind=OwnerKind(form.owner_kind.data or OwnerKind.BOARD.value), owner_club_id=form.owner_club.data or None,
        owner_user_id=form.owner_member.data or None, authority=form.authority.data or None,
        starts_on=form.starts_on.data, due_on=form.due_on.data,
        budget_cents=cents(form.budget.data) if form.budget.data is not None else None,
        budget_currency=form.budget_currency.data or None, is_for_women=bool(form.is_for_women.data))


def _bound(form: ProgrammeForm, agenda) -> bool:
    clubs, users = services.owner_choices(agenda)
    form.set_owner_choices([(item, item.title(_locale())) for item in services.agenda_items(agenda)], clubs, users)
    return form.validate_on_submit()


@bp.get("/agendas/<int:agenda_id>/programmes/new")
@login_required
def new(agenda_id: int):
    """Show the board the form for a new programme."""
    agenda = _agenda_or_404(agenda_id)
    _board_or_403(agenda)
    return _programme_form_page(agenda, ProgrammeForm(formdata=None, item=request.args.get("item", type=int)))


@bp.post("/agendas/<int:agenda_id>/programmes")
@login_required
def create(agenda_id: int):
    """Create a programme for an item of the published agenda."""
    agenda = _agenda_or_404(agenda_id)
    _board_or_403(agenda)
    form = ProgrammeForm()
    if not _bound(form, agenda):
        return _programme_form_page(agenda, form, status=422)
    try:
        programme = services.create_programme(agenda, current_user, form.item.data, _fields(form))
    except ValidationFailed as error:
        _field_error(form, error)
        return _programme_form_page(agenda, form, status=422)
    flash(_("The programme has been created."), "success")
    return redirect(url_for(".show", programme_id=programme.id))


@bp.get("/programmes/<int:programme_id>/edit")
@login_required
def edit(programme_id: int):
    """Show the board the programme's form."""
    programme = _programme_or_404(programme_id)
    _board_or_403(programme.agenda)
    p = programme
    form = ProgrammeForm(
        formdata=None, item=p.agenda_item_id, title_es=p.title_es, title_en=p.title_en,
        description_es=p.description_es, description_en=p.description_en, owner_kind=p.owner_kind.value,
        owner_club=p.owner_club_id or 0, owner_member=p.owner_user_id or 0,
        authority=p.authority.value if p.authority else "", starts_on=p.starts_on, due_on=p.due_on,
        budget=Decimal(p.budget_cents) / 100 if p.budget_cents else None,
        budget_currency=p.budget_currency.value if p.budget_currency else Currency.MXN.value,
        is_for_women=p.is_for_women)
    del form.item
    return _programme_form_page(programme.agenda, form, programme)


@bp.post("/programmes/<int:programme_id>/edit")
@login_required
def update(programme_id: int):
    """Save the programme's texts, owner, authority, dates and budget."""
    programme = _programme_or_404(programme_id)
    _board_or_403(programme.agenda)
    form = ProgrammeForm()
    del form.item  # the item never changes: a programme for another item is a new programme
    if not _bound(form, programme.agenda):
        return _programme_form_page(programme.agenda, form, programme, status=422)
    try:
        services.edit_programme(programme, current_user, _fields(form))
    except ValidationFailed as error:
        _field_error(form, error)
        return _programme_form_page(programme.agenda, form, programme, status=422)
    flash(_("The programme has been saved."), "success")
    return redirect(url_for(".show", programme_id=programme.id))


@bp.post("/programmes/<int:programme_id>/commitments")
@login_required
def add_commitment(programme_id: int):
    """Record an official's promise for the programme."""
    programme = _programme_or_404(programme_id)
    _board_or_403(programme.agenda)
    form = CommitmentForm()
    if not form.validate_on_submit():
        return _show_page(programme, 422, commitment_form=form)
    try:
        services.add_commitment(programme, current_user, official=form.official.data, authority=form.authority.data,
                                promise=form.promise.data, promised_on=form.promised_on.data,
                                due_on=form.due_on.data, evidence=form.evidence.data or "")
    except ValidationFailed as error:
        _field_error(form, error)
        return _show_page(programme, 422, commitment_form=form)
    flash(_("The commitment has been recorded."), "success")
    return redirect(url_for(".show", programme_id=programme.id, _anchor="commitments"))


@bp.post("/commitments/<int:commitment_id>/status")
@login_required
def commitment_status(commitment_id: int):
    """Record a promise as kept, broken, or in progress again."""
    commitment = _child_or_404(Commitment, commitment_id)
    _board_or_403(commitment.programme.agenda)
    form = CommitmentStatusForm()
    if form.validate_on_submit():
        services.set_commitment_status(commitment, current_user, CommitmentStatus(form.status.data))
        flash(_("The commitment's status has been saved."), "success")
    else:
        flash(_("Choose what became of the promise."), "warning")
    return redirect(url_for(".show", programme_id=commitment.programme_id, _anchor="commitments"))


# --- the owners -------------------------------------------------------------------------------------------------

@bp.post("/programmes/<int:programme_id>/status")
@login_required
def change_status(programme_id: int):
    """Move the programme to a new status; blocking or dropping it needs a public reason."""
    programme = _programme_or_404(programme_id)
    _owner_or_403(programme)
    form = StatusForm()
    if not form.validate_on_submit():
        return _show_page(programme, 422, status_form=form)
    try:
        services.change_status(programme, current_user, Status(form.status.data), form.reason.data or "")
    except ValidationFailed as error:
        _field_error(form, error)
        return _show_page(programme, 422, status_form=form)
    except Conflict as error:
        form.status.errors = [CONFLICTS.get(error.reason, CONFLICTS["invalid_move"])]
        return _show_page(programme, 409, status_form=form)
    flash(_("The status is now: %(status)s.", status=labels.programme_status_name(programme.status)), "success")
    return redirect(url_for(".show", programme_id=programme.id))


@bp.post("/programmes/<int:programme_id>/progress")
@login_required
def set_progress(programme_id: int):
    """Set the progress of a programme without milestones."""
    programme = _programme_or_404(programme_id)
    _owner_or_403(programme)
    form = ProgressForm()
    if not form.validate_on_submit():
        return _show_page(programme, 422, progress_form=form)
    try:
        services.set_progress(programme, current_user, form.percent.data)
    except ValidationFailed as error:
        _field_error(form, error)
        return _show_page(programme, 422, progress_form=form)
    except Conflict as error:
        flash(CONFLICTS.get(error.reason, CONFLICTS["duplicate"]), "warning")
    else:
        flash(_("The progress has been saved."), "success")
    return redirect(url_for(".show", programme_id=programme.id))


@bp.post("/programmes/<int:programme_id>/milestones")
@login_required
def add_milestone(programme_id: int):
    """Add a milestone with its due date and weight."""
    programme = _programme_or_404(programme_id)
    _owner_or_403(programme)
    form = MilestoneForm()
    if not form.validate_on_submit():
        return _show_page(programme, 422, milestone_form=form)
    try:
        services.add_milestone(programme, current_user, title_es=form.title_es.data or "",
                               title_en=form.title_en.data or "", due_on=form.due_on.data, weight=form.weight.data)
    except ValidationFailed as error:
        _field_error(form, error)
        return _show_page(programme, 422, milestone_form=form)
    flash(_("The milestone has been added."), "success")
    return redirect(url_for(".show", programme_id=programme.id, _anchor="milestones"))


@bp.post("/milestones/<int:milestone_id>/tick")
@login_required
def tick(milestone_id: int):
    """Mark a milestone done, or not done again."""
    milestone = _child_or_404(Milestone, milestone_id)
    _owner_or_403(milestone.programme)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.tick_milestone(milestone, current_user, done=request.form.get("done") == "1")
    except Conflict as error:
        flash(CONFLICTS.get(error.reason, CONFLICTS["duplicate"]), "warning")
    else:
        flash(_("The milestone has been saved."), "success")
    return redirect(url_for(".show", programme_id=milestone.programme_id, _anchor="milestones"))


@bp.post("/programmes/<int:programme_id>/funding")
@login_required
def add_funding(programme_id: int):
    """Record a co-funding share: committed and received, in its currency."""
    programme = _programme_or_404(programme_id)
    _owner_or_403(programme)
    form = FundingForm()
    if not form.validate_on_submit():
        return _show_page(programme, 422, funding_form=form)
    try:
        services.add_funding(programme, current_user, source=Source(form.source.data),
                             currency=Currency(form.currency.data), committed_cents=cents(form.committed.data),
                             received_cents=cents(form.received.data), committed_on=form.committed_on.data,
                             received_on=form.received_on.data)
    except ValidationFailed as error:
        _field_error(form, error)
        return _show_page(programme, 422, funding_form=form)
    flash(_("The funding share has been recorded."), "success")
    return redirect(url_for(".show", programme_id=programme.id, _anchor="funding"))


@bp.post("/funding/<int:funding_id>/received")
@login_required
def record_received(funding_id: int):
    """Record how much of a share has been received so far."""
    funding = _child_or_404(Funding, funding_id)
    _owner_or_403(funding.programme)
    form = ReceivedForm()
    if form.validate_on_submit():
        try:
            services.record_received(funding, current_user, cents(form.received.data), form.received_on.data)
        except ValidationFailed as error:
            flash(FIELD_MESSAGES.get(error.code, FIELD_MESSAGES["invalid"]), "warning")
        else:
            flash(_("The amount received has been saved."), "success")
    else:
        flash(next(iter(form.errors.values()))[0], "warning")
    return redirect(url_for(".show", programme_id=funding.programme_id, _anchor="funding"))


@bp.post("/programmes/<int:programme_id>/updates")
@login_required
def post_update(programme_id: int):
    """Post a dated update to the programme's timeline."""
    programme = _programme_or_404(programme_id)
    _owner_or_403(programme)
    # read up to three times the photo's limit, so that a photo a little too large is refused with the texts kept
    form, submitted = submitted_within(UpdateForm, 3 * photos.MAX_BYTES)
    if form is None:
        form = UpdateForm(formdata=None, happened_on=services.today())
        form.photo.errors = [FIELD_MESSAGES["upload_too_large"]]
        return _show_page(programme, 413, update_form=form)
    if not submitted:
        return _show_page(programme, 422, update_form=form)
    upload = request.files.get(form.photo.name)
    photo = upload.read() if upload and upload.filename else None
    try:
        services.post_update(programme, current_user, happened_on=form.happened_on.data, text=form.text.data,
                             links=form.links.data or "", photo=photo,
                             photo_description=form.photo_description.data or "")
    except ValidationFailed as error:
        _field_error(form, error)
        return _show_page(programme, 422, update_form=form)
    flash(_("Your update has been posted."), "success")
    return redirect(url_for(".show", programme_id=programme.id, _anchor="updates"))


# --- following --------------------------------------------------------------------------------------------------

@bp.post("/agendas/<int:agenda_id>/items/<int:item_id>/follow")
@login_required
def follow(agenda_id: int, item_id: int):
    """Follow an item's programmes: hear of their status changes and updates."""
    agenda = _agenda_or_404(agenda_id)
    _check_id(item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.follow(current_user, agenda, item_id)
    except PermissionDenied:
        abort(403)
    except ValidationFailed:
        abort(404)
    except Conflict as error:
        flash(CONFLICTS.get(error.reason, CONFLICTS["duplicate"]), "info")
    else:
        flash(_("You follow this item now: you will hear of its programmes' news."), "success")
    return redirect(url_for(".tracker", agenda_id=agenda.id, _anchor=f"item-{item_id}"))


@bp.post("/agendas/<int:agenda_id>/items/<int:item_id>/unfollow")
@login_required
def unfollow(agenda_id: int, item_id: int):
    """Stop following an item's programmes."""
    agenda = _agenda_or_404(agenda_id)
    _check_id(item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.unfollow(current_user, agenda, item_id)
    except ValidationFailed:
        abort(404)
    except Conflict as error:
        flash(CONFLICTS.get(error.reason, CONFLICTS["not_following"]), "info")
    else:
        flash(_("You no longer follow this item."), "success")
    return redirect(url_for(".tracker", agenda_id=agenda.id, _anchor=f"item-{item_id}"))
