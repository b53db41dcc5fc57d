"""Mentoring pages: a federation's mentoring page (offer, ask, one's pairings; the board's requests and
suggestions) and each pairing's page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from deliberate import errors
from deliberate.domain.errors import DomainError, NotFound, ValidationFailed
from deliberate.extensions import db
from deliberate.mentoring import services
from deliberate.mentoring.forms import EndForm, MeetingForm, OfferForm, RequestForm
from deliberate.models import Role, User, utcnow
from deliberate.organizations.forms import EmptyForm
from deliberate.organizations.views import federation_or_404
from deliberate.permissions import is_board

bp = Blueprint("mentoring", __name__)

WORDS = {
    "already_asked": _l("You already asked for a mentor: the board will pair you soon."),
    "not_open": _l("This request was already paired."),
    "not_a_mentor": _l("Choose someone who offered to mentor."),
    "ended": _l("This pairing has ended."),
    "not_offered": _l("You had not offered to mentor."),
    "in_the_future": _l("A meeting that already happened: choose today or an earlier day."),
}


def _page(federation, status: int = 200, **forms):
    board = is_board(current_user, federation)
    requests = services.open_requests(federation) if board else []
    context = {
        "offer_form": OfferForm(formdata=None), "request_form": RequestForm(formdata=None),
        **forms,
    }
    offer = services.own_offer(current_user, federation)
    if offer is not None and "offer_form" not in forms:
        context["offer_form"] = OfferForm(formdata=None, topics=offer.topics)
    return render_template(
        "mentoring/index.html", federation=federation, offer=offer,
        own_request=services.own_request(current_user, federation),
        pairings=services.pairings_of(current_user, federation), is_board=board,
        requests=[(r, services.suggestions(r)) for r in requests],
        all_pairings=services.all_pairings(federation) if board else [],
        empty_form=EmptyForm(formdata=None), **context), status


@bp.get("/o/<slug>/mentoring")
@login_required
def index(slug: str):
    """Offer to mentor, ask for a mentor, see one's pairings; the board pairs the requests."""
    return _page(federation_or_404(slug, Role.MEMBER))


@bp.post("/o/<slug>/mentoring/offer")
@login_required
def offer(slug: str):
    federation = federation_or_404(slug, Role.MEMBER)
    form = OfferForm()
    if not form.validate_on_submit():
        return _page(federation, 422, offer_form=form)
    try:
        services.offer_to_mentor(federation, current_user, form.topics.data)
    except ValidationFailed as error:
        errors.field_error(form, error)
        return _page(federation, 422, offer_form=form)
    flash(_("Thank you: the board can now pair you with a member who asks for a mentor."), "success")
    return redirect(url_for(".index", slug=federation.slug))


@bp.post("/o/<slug>/mentoring/offer/withdraw")
@login_required
def withdraw(slug: str):
    federation = federation_or_404(slug, Role.MEMBER)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.withdraw_offer(federation, current_user)
    except DomainError as error:
        flash(errors.refusal(error, WORDS), "warning")
    else:
        flash(_("You are no longer offered as a mentor."), "success")
    return redirect(url_for(".index", slug=federation.slug))


@bp.post("/o/<slug>/mentoring/request")
@login_required
def ask(slug: str):
    federation = federation_or_404(slug, Role.MEMBER)
    form = RequestForm()
    if not form.validate_on_submit():
        return _page(federation, 422, request_form=form)
    try:
        services.ask_for_mentor(federation, current_user, form.wants.data, bool(form.wants_woman_mentor.data))
    except ValidationFailed as error:
        errors.field_error(form, error)
        return _page(federation, 422, request_form=form)
    except DomainError as error:
        flash(errors.refusal(error, WORDS), "warning")
        return redirect(url_for(".index", slug=federation.slug))
    flash(_("Your request is sent: the board will pair you with a mentor."), "success")
    return redirect(url_for(".index", slug=federation.slug))


@bp.post("/mentoring/requests/<int:request_id>/pair")
@login_required
def pair(request_id: int):
    """The board pairs a request with a mentor."""
    try:
        mentor_request = services.get_request(request_id)
    except NotFound:
        abort(404)
    federation = mentor_request.federation
    g.page_federation = federation
    if not is_board(current_user, federation):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    value = request.form.get("mentor", "")
    mentor = db.session.get(User, int(value)) if value.isdigit() and len(value) < 11 else None
    try:
        if mentor is None:
            raise ValidationFailed("mentor", "not_a_mentor")
        mentoring = services.pair(mentor_request, mentor, current_user)
    except DomainError as error:
        flash(errors.refusal(error, WORDS), "warning")
        return redirect(url_for(".index", slug=federation.slug))
    flash(_("The pairing is made; both were told."), "success")
    return redirect(url_for(".show", mentoring_id=mentoring.id))


def _pairing_or_404(mentoring_id: int):
    try:
        mentoring = services.get_pairing(mentoring_id)
    except NotFound:
        abort(404)
    g.page_federation = mentoring.federation
    return mentoring


def _show(mentoring, status: int = 200, **forms):
    in_pair = services.is_in_pair(current_user, mentoring)
    return render_template(
        "mentoring/show.html", mentoring=mentoring, federation=mentoring.federation, in_pair=in_pair,
        meeting_form=forms.get("meeting_form") or MeetingForm(formdata=None, met_on=utcnow().date()),
        end_form=forms.get("end_form") or EndForm(formdata=None)), status


@bp.get("/mentoring/<int:mentoring_id>")
@login_required
def show(mentoring_id: int):
    """The pair's page: who, since when, their meetings (notes for the two of them only), the end."""
    mentoring = _pairing_or_404(mentoring_id)
    if not (services.is_in_pair(current_user, mentoring) or is_board(current_user, mentoring.federation)):
        abort(403)
    return _show(mentoring)


@bp.post("/mentoring/<int:mentoring_id>/meetings")
@login_required
def meeting(mentoring_id: int):
    mentoring = _pairing_or_404(mentoring_id)
    if not services.is_in_pair(current_user, mentoring):
        abort(403)
    form = MeetingForm()
    if not form.validate_on_submit():
        return _show(mentoring, 422, meeting_form=form)
    try:
        services.record_meeting(mentoring, current_user, form.met_on.data, form.note.data or "")
    except ValidationFailed as error:
        errors.field_error(form, error, errors.refusal(error, WORDS))
        return _show(mentoring, 422, meeting_form=form)
    except DomainError as error:
        flash(errors.refusal(error, WORDS), "warning")
        return redirect(url_for(".show", mentoring_id=mentoring.id))
    flash(_("The meeting is recorded."), "success")
    return redirect(url_for(".show", mentoring_id=mentoring.id))


@bp.post("/mentoring/<int:mentoring_id>/end")
@login_required
def end(mentoring_id: int):
    mentoring = _pairing_or_404(mentoring_id)
    if not (services.is_in_pair(current_user, mentoring) or is_board(current_user, mentoring.federation)):
        abort(403)
    form = EndForm()
    if not form.validate_on_submit():
        return _show(mentoring, 422, end_form=form)
    try:
        services.end_pairing(mentoring, current_user, form.note.data)
    except DomainError as error:
        flash(errors.refusal(error, WORDS), "warning")
        return redirect(url_for(".show", mentoring_id=mentoring.id))
    flash(_("The pairing has ended. Thank you both."), "success")
    return redirect(url_for(".show", mentoring_id=mentoring.id))
