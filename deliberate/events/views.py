"""Event pages: a federation's events and calendar feed, each event's page and .ics, planning, RSVP and the
waiting list, the attendance checklist, materials, and the federation's tracks."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from deliberate import errors
from deliberate.domain import timezones
from deliberate.domain.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from deliberate.domain.events import EventKind, EventMode, RsvpStatus, TrackAudience
from deliberate.events import documents, services
from deliberate.events.forms import DocumentForm, EventForm, MaterialForm, TrackForm
from deliberate.mail import external_url
from deliberate.models import Role
from deliberate.organizations.forms import EmptyForm
from deliberate.organizations.views import federation_or_404, organization_or_404
from deliberate.permissions import clubs_acted_for, is_board, may_act_for_any

bp = Blueprint("events", __name__)

WORDS = {
    "title_required": _l("Give the event a title in Spanish or in English."),
    "ends_before_start": _l("The end must come after the start."),
    "too_long_event": _l("An event can last at most 14 days."),
    "capacity_range": _l("Write a number from 1 to 10,000."),
    "address_required": _l("An event in person needs an address."),
    "link_required": _l("An online event needs its link."),
    "bad_link": _l("Write a full address starting with https://"),
    "reserve_needs_audience": _l("Only an event in a track for women or for officers can be reserved for its "
                                 "audience."),
    "not_organiser": _l("Only the federation's board, or the officers of the club that organises it, can do this."),
    "not_member": _l("Only members of the federation's clubs can take a seat."),
    "not_audience": _l("This event is reserved for its track's audience."),
    "cancelled": _l("This event was called off."),
    "started": _l("This event has already started: seats can no longer be taken."),
    "already": _l("You have already answered for this event."),
    "not_going": _l("You had no seat and no place on the waiting list."),
    "duplicate": _l("This federation already has a track with this name."),
    "required": _l("This field is required."),
    "not_board": _l("Only the federation's board can define tracks."),
    "not_yet": _l("Documents are shared once the event has started."),
    "too_large": _l("The document is too large: at most 1.8 MB."),
    "type": _l("Share a PDF, a JPEG or a PNG: other kinds of file are not accepted."),
    "broken": _l("This file is damaged or is not what its name says."),
}


def _locale() -> str:
    return str(get_locale() or "es")


def _event_or_404(event_id: int):
    try:
        event = services.get_event(event_id)
    except NotFound:
        abort(404)
    g.page_federation = event.federation
    return event


def _organiser_or_403(event) -> None:
    if not services.can_organise_event(current_user, event):
        abort(403)


def _base_url() -> str:
    return external_url("organizations.index")


# --- the federation's events --------------------------------------------------------------------------------------

@bp.get("/o/<slug>/events")
def index(slug: str):
    """List a federation's events to anyone: what is coming, then what happened."""
    federation = organization_or_404(slug)
    if federation.is_club:
        return redirect(url_for(".index", slug=federation.federation.slug))
    upcoming, past = services.federation_events(federation)
    return render_template("events/index.html", federation=federation, upcoming=upcoming, past=past,
                           locale=_locale(), can_plan=may_act_for_any(current_user, federation),
                           is_board=is_board(current_user, federation))


@bp.get("/o/<slug>/events.ics")
def feed(slug: str):
    """Serve the federation's calendar feed (titles and times; the places are for members, on each event)."""
    federation = organization_or_404(slug)
    if federation.is_club:
        abort(404)
    body = services.federation_calendar(federation, _locale(), _base_url())
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'inline; filename="{federation.slug}-events.ics"'})


def _form_page(form, federation, event=None, status: int = 200):
    return render_template("events/form.html", form=form, federation=federation, event=event), status


def _fields(form, federation) -> services.EventFields:
    zone = federation.time_zone
    return services.EventFields(
        title_es=form.title_es.data or "", title_en=form.title_en.data or "",
        starts_at=timezones.to_stored(form.starts_at.data, zone),
        ends_at=timezones.to_stored(form.ends_at.data, zone) if form.ends_at.data else None,
        capacity=form.capacity.data, kind=EventKind(form.kind.data), mode=EventMode(form.mode.data),
        description_es=form.description_es.data or "", description_en=form.description_en.data or "",
        address=form.address.data or "", online_link=form.online_link.data or "",
        club_id=form.organiser.data or None, track_id=form.track.data or None,
        is_reserved=bool(form.is_reserved.data))


def _prepared_form(federation, **kwargs) -> EventForm:
    form = EventForm(**kwargs)
    form.set_choices(clubs_acted_for(current_user, federation), services.tracks(federation), _locale(),
                     is_board(current_user, federation))
    return form


def _save(form, federation, event=None):
    """Validate and save the event form; return a redirect, or the form again with its errors."""
    if not form.validate_on_submit():
        return _form_page(form, federation, event, 422)
    try:
        fields = _fields(form, federation)
        if event is None:
            event = services.create_event(federation, current_user, fields)
        else:
            services.update_event(event, current_user, fields)
    except ValidationFailed as error:
        aliases = {"club": "organiser"}
        errors.field_error(form, ValidationFailed(aliases.get(error.field, error.field), error.code),
                           errors.refusal(error, WORDS))
        return _form_page(form, federation, event, 422)
    except PermissionDenied:
        abort(403)
    except Conflict as error:
        flash(errors.refusal(error, WORDS), "warning")
        return redirect(url_for(".show", event_id=event.id)) if event else _form_page(form, federation, None, 409)
    flash(_("The event is saved."), "success")
    return redirect(url_for(".show", event_id=event.id))


@bp.route("/o/<slug>/events/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    """Plan an event: the federation's board, or a club's officers for their club."""
    federation = federation_or_404(slug, Role.MEMBER)
    if not may_act_for_any(current_user, federation):
        abort(403)
    form = _prepared_form(federation)
    if request.method == "GET":
        return _form_page(form, federation)
    return _save(form, federation)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    event = _event_or_404(event_id)
    _organiser_or_403(event)
    zone = event.federation.time_zone
    defaults = {}
    if request.method == "GET":
        defaults = {
            "obj": event, "organiser": event.club_id or 0, "track": event.track_id or 0,
            "kind": event.kind.value, "mode": event.mode.value,
            "starts_at": timezones.to_local(event.starts_at, zone).replace(tzinfo=None),
            "ends_at": timezones.to_local(event.ends_at, zone).replace(tzinfo=None) if event.ends_at else None,
        }
    form = _prepared_form(event.federation, **defaults)
    if request.method == "GET":
        return _form_page(form, event.federation, event)
    return _save(form, event.federation, event)


# --- one event ----------------------------------------------------------------------------------------------------

@bp.get("/events/<int:event_id>")
def show(event_id: int):
    """Show an event: when, where (to members), seats, one's own answer, materials; organisers see more."""
    event = _event_or_404(event_id)
    page = services.event_page(event, current_user)
    going, waiting = services.roster(event) if page.can_organise else ([], [])
    return _show_page(event, page, going, waiting)


def _show_page(event, page, going, waiting, status: int = 200, **forms):
    return render_template("events/show.html", event=event, page=page, federation=event.federation,
                           locale=_locale(), going=going, waiting=waiting, form=EmptyForm(formdata=None),
                           material_form=forms.get("material_form") or MaterialForm(formdata=None),
                           document_form=forms.get("document_form") or DocumentForm(formdata=None),
                           can_read_documents=documents.can_read(current_user, event), statuses=RsvpStatus), status


@bp.get("/events/<int:event_id>.ics")
def calendar(event_id: int):
    event = _event_or_404(event_id)
    body = services.event_calendar(event, current_user, _locale(), _base_url())
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="event-{event.id}.ics"'})


def _refused(event, error: DomainError):
    flash(errors.refusal(error, WORDS), "warning")
    return redirect(url_for(".show", event_id=event.id))


@bp.post("/events/<int:event_id>/rsvp")
@login_required
def take_seat(event_id: int):
    """Take a seat, or a place on the waiting list when the event is full."""
    event = _event_or_404(event_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        status = services.rsvp(event, current_user)
    except DomainError as error:
        return _refused(event, error)
    if status is RsvpStatus.GOING:
        flash(_("You have a seat. See you there!"), "success")
    else:
        flash(_("The event is full: you are on the waiting list. If a seat frees up, it is yours and you are told."),
              "info")
    return redirect(url_for(".show", event_id=event.id))


@bp.post("/events/<int:event_id>/rsvp/cancel")
@login_required
def give_up_seat(event_id: int):
    event = _event_or_404(event_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.cancel_rsvp(event, current_user)
    except DomainError as error:
        return _refused(event, error)
    flash(_("Your answer is cancelled."), "success")
    return redirect(url_for(".show", event_id=event.id))


@bp.post("/events/<int:event_id>/cancel")
@login_required
def cancel(event_id: int):
    """Call the event off (its people are told)."""
    event = _event_or_404(event_id)
    _organiser_or_403(event)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.cancel_event(event, current_user)
    except DomainError as error:
        return _refused(event, error)
    flash(_("The event is called off; its people were told."), "success")
    return redirect(url_for(".show", event_id=event.id))


@bp.route("/events/<int:event_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(event_id: int):
    """The organiser's checklist of who came: one checkbox per person, a plain form that needs no JavaScript."""
    event = _event_or_404(event_id)
    _organiser_or_403(event)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        ticked = [int(value) for value in request.form.getlist("attended") if value.isdigit() and len(value) < 11]
        came = services.record_attendance(event, current_user, ticked)
        flash(_("Attendance is saved: %(num)d came.", num=came), "success")
        return redirect(url_for(".attendance", event_id=event.id))
    going, waiting = services.roster(event)
    return render_template("events/attendance.html", event=event, federation=event.federation, locale=_locale(),
                           going=going, waiting=waiting, form=form)


@bp.post("/events/<int:event_id>/materials")
@login_required
def add_material(event_id: int):
    event = _event_or_404(event_id)
    _organiser_or_403(event)
    form = MaterialForm()
    if form.validate_on_submit():
        try:
            services.add_material(event, current_user, form.title.data, form.url.data)
        except ValidationFailed as error:
            errors.field_error(form, error, errors.refusal(error, WORDS))
        else:
            flash(_("The material is shared."), "success")
            return redirect(url_for(".show", event_id=event.id))
    going, waiting = services.roster(event)
    return _show_page(event, services.event_page(event, current_user), going, waiting, 422, material_form=form)


@bp.post("/events/<int:event_id>/documents")
@login_required
def add_document(event_id: int):
    """Share a document after the event: a PDF, a JPEG or a PNG, known by its bytes."""
    event = _event_or_404(event_id)
    _organiser_or_403(event)
    form = DocumentForm()
    if form.validate_on_submit():
        upload = form.document.data
        try:
            documents.add_document(event, current_user, form.doc_title.data, upload.filename or "", upload.read())
        except ValidationFailed as error:
            aliases = {"title": "doc_title"}
            errors.field_error(form, ValidationFailed(aliases.get(error.field, error.field), error.code),
                               errors.refusal(error, WORDS))
        except Conflict as error:
            return _refused(event, error)
        else:
            flash(_("The document is shared."), "success")
            return redirect(url_for(".show", event_id=event.id))
    going, waiting = services.roster(event)
    return _show_page(event, services.event_page(event, current_user), going, waiting, 422, document_form=form)


@bp.get("/materials/<int:material_id>/file")
def document(material_id: int):
    """Download a document: for the event's organisers and the members in its audience, always as an attachment."""
    try:
        material = services.get_material(material_id)
    except NotFound:
        abort(404)
    g.page_federation = material.event.federation
    if not material.is_document:
        abort(404)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    try:
        body = documents.read_document(material, current_user)
    except PermissionDenied:
        abort(403)
    except NotFound:
        abort(404)
    response = Response(body, mimetype=material.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{material.file_name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/materials/<int:material_id>/remove")
@login_required
def remove_material(material_id: int):
    try:
        material = services.get_material(material_id)
    except NotFound:
        abort(404)
    event = material.event
    _organiser_or_403(event)
    if not EmptyForm().validate_on_submit():
        abort(400)
    documents.remove(material, current_user)
    flash(_("The material is removed."), "success")
    return redirect(url_for(".show", event_id=event.id))


# --- tracks -------------------------------------------------------------------------------------------------------

@bp.route("/o/<slug>/tracks", methods=["GET", "POST"])
@login_required
def tracks(slug: str):
    """The board defines the federation's tracks, such as women's leadership."""
    federation = federation_or_404(slug, Role.BOARD)
    form = TrackForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.add_track(federation, current_user, form.name_es.data, form.name_en.data,
                                   TrackAudience(form.audience.data))
            except (ValidationFailed, Conflict) as error:
                errors.field_error(form, ValidationFailed("name_es", "x"), errors.refusal(error, WORDS))
            else:
                flash(_("The track is added."), "success")
                return redirect(url_for(".tracks", slug=federation.slug))
        status = 422
    return render_template("events/tracks.html", federation=federation, form=form, tracks=services.tracks(federation),
                           has_womens=services.has_womens_track(federation), locale=_locale(),
                           empty_form=EmptyForm(formdata=None)), status


@bp.post("/o/<slug>/tracks/womens-leadership")
@login_required
def add_womens_track(slug: str):
    federation = federation_or_404(slug, Role.BOARD)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.add_womens_track(federation, current_user)
    except Conflict as error:
        flash(errors.refusal(error, WORDS), "warning")
    else:
        flash(_("The women's leadership track is added."), "success")
    return redirect(url_for(".tracks", slug=federation.slug))
