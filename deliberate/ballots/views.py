"""Voting pages: rank the agenda items, review, cast (or replace with the receipt code), the receipt, the list of
counted receipts and the results."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from deliberate import permissions
from deliberate.ballots import sealing, services
from deliberate.ballots.forms import BallotForm, ReceiptLookupForm
from deliberate.domain.count import Count
from deliberate.domain.errors import Conflict, PhaseClosed, ValidationFailed
from deliberate.domain.phases import Phase, accepts_ballots
from deliberate.errors import render_error
from deliberate.labels import phase_name
from deliberate.permissions import consultation_or_404

bp = Blueprint("ballots", __name__)

_ERRORS = {
    "empty": _l("Give a position to at least one item: choose 1 for the item you prefer most."),
    "invalid": _l("Some positions are not valid. Choose a position from the list for each item, or “not ranked”."),
    "already_cast": _l("You have already voted. To replace your ballot, type the receipt code you were given."),
    "bad_receipt": _l("This receipt code does not match your ballot. Check it and try again: your ranking is "
                      "still here."),
    "not_a_member": _l("Only active members of a club of this federation can vote."),
    "voted_on_paper": _l("You voted on paper at your club’s assembly, so you cannot also vote online. Your paper "
                         "ballot is counted with your club."),
}

_RECEIPT_SESSION_KEY = "ballot_receipt"


def _voter_consultation(consultation_id: int):
    """Load a consultation in which the current user may vote (403 otherwise)."""
    consultation = consultation_or_404(consultation_id)
    club = permissions.voting_club(current_user, consultation)
    if club is None:
        abort(403)
    return consultation, club


def _voter_paper(consultation_id: int):
    """Load a consultation in which the current user may vote, and their ballot paper (403 if they may not)."""
    consultation = consultation_or_404(consultation_id)
    try:
        return consultation, services.ballot_paper(consultation, current_user)
    except Conflict:
        abort(403)


def _closed(consultation):
    flash(_("Voting is not open in this consultation."), "error")
    return redirect(url_for("consultations.show", consultation_id=consultation.id))


def _read_form(items) -> tuple[dict[int, str], set[int]]:
    ranks = {item.id: request.form.get(f"rank_{item.id}", "") for item in items}
    supported = {item.id for item in items if request.form.get(f"support_{item.id}")}
    return ranks, supported


def _ranking_page(consultation, club, items, ranks, supported, error=None, status=200, form=None):
    return render_template(
        "ballots/rank.html", consultation=consultation, club=club, items=items, ranks=ranks, supported=supported,
        error=error, form=form or BallotForm(), already_cast=services.has_cast(current_user, consultation),
        fold_summaries=len(items) > services.BALLOT_SUMMARIES_OPEN_UP_TO,
    ), status


@bp.route("/consultations/<int:consultation_id>/ballot", methods=["GET", "POST"])
@login_required
def rank(consultation_id: int):
    """The ranking form (a POST here comes back from the review to change the ranking; nothing is saved)."""
    consultation, paper = _voter_paper(consultation_id)
    if not accepts_ballots(consultation.phase):
        return _closed(consultation)
    if services.voted_on_paper(current_user, consultation):
        flash(str(_ERRORS["voted_on_paper"]), "warning")
        return redirect(url_for("consultations.show", consultation_id=consultation.id))
    ranks, supported = _read_form(paper.items) if request.method == "POST" else ({}, set())
    return _ranking_page(consultation, paper.club, paper.items, ranks, supported)


@bp.post("/consultations/<int:consultation_id>/ballot/review")
@login_required
def review(consultation_id: int):
    """Show the ranking as it will be cast, with the button to cast it."""
    consultation, paper = _voter_paper(consultation_id)
    if not accepts_ballots(consultation.phase):
        return _closed(consultation)
    ballot, refused = _posted_ballot(consultation, paper)
    if refused is not None:
        return refused
    return _review_page(consultation, paper.club, *ballot)


def _posted_ballot(consultation, paper):
    """Read and check the posted ranking: return (ballot fields, None), or (None, the ranking page shown again)."""
    form = BallotForm()
    club, items = paper.club, paper.items
    ranks, supported = _read_form(items)
    if not form.validate_on_submit():
        return None, _ranking_page(consultation, club, items, ranks, supported, status=422, form=form)
    try:
        tiers, approved = services.read_ballot(items, ranks, supported)
    except ValidationFailed as error:
        return None, _ranking_page(consultation, club, items, ranks, supported, _ERRORS[error.code], 422, form)
    return (items, ranks, supported, tiers, approved, form), None


def _review_page(consultation, club, items, ranks, supported, tiers, approved, form, error=None, status=200):
    by_id = {item.id: item for item in items}
    ranked = {i for tier in tiers for i in tier}
    return render_template(
        "ballots/review.html", consultation=consultation, club=club, items=items, ranks=ranks, supported=supported,
        tiers=[[by_id[i] for i in tier] for tier in tiers], approved=[by_id[i] for i in approved],
        unranked=[item for item in items if item.id not in ranked], form=form, error=error,
        already_cast=services.has_cast(current_user, consultation),
    ), status


@bp.post("/consultations/<int:consultation_id>/ballot/cast")
@login_required
def cast(consultation_id: int):
    """Cast the reviewed ballot (or replace it with the receipt code), then show the receipt once."""
    consultation, paper = _voter_paper(consultation_id)
    if not accepts_ballots(consultation.phase):
        return _closed(consultation)
    ballot, refused = _posted_ballot(consultation, paper)
    if refused is not None:
        return refused
    items, ranks, supported, tiers, approved, form = ballot
    try:
        code = services.cast_ballot(consultation, current_user, tiers, approved, form.receipt.data, paper)
    except PhaseClosed:
        return _closed(consultation)
    except Conflict as error:
        message = _ERRORS.get(error.reason, _ERRORS["already_cast"])
        return _review_page(consultation, paper.club, items, ranks, supported, tiers, approved, form, message, 409)
    # from here on, consultation_id: the commit expired the loaded consultation, and reading it would load it again
    if code is None:
        flash(_("Your ballot has been replaced. Your receipt code stays the same."), "success")
        return redirect(url_for("consultations.show", consultation_id=consultation_id))
    # The session cookie is signed, not encrypted: it carries the code sealed, until the receipt page shows it.
    session[_RECEIPT_SESSION_KEY] = {"consultation": consultation_id,
                                     "sealed": sealing.seal_receipt(consultation_id, code)}
    return redirect(url_for(".receipt", consultation_id=consultation_id))


@bp.get("/consultations/<int:consultation_id>/ballot/receipt")
@login_required
def receipt(consultation_id: int):
    """Show the receipt code once, right after casting (it is not stored and cannot be shown again)."""
    consultation, club = _voter_consultation(consultation_id)
    stored = session.pop(_RECEIPT_SESSION_KEY, None)
    code = (sealing.open_receipt(consultation.id, stored.get("sealed", ""))
            if isinstance(stored, dict) and stored.get("consultation") == consultation.id else None)
    response = make_response(render_template("ballots/receipt.html", consultation=consultation, code=code,
                                             has_cast=services.has_cast(current_user, consultation)))
    response.headers["Cache-Control"] = "no-store"  # the code must not stay in the browser's cache
    return response


def _not_counted_yet(consultation):
    """Say when the results come, to someone who may see the consultation; 403 to others once counted."""
    if consultation.phase in (Phase.TALLIED, Phase.PUBLISHED):
        abort(403)
    return render_error(409, _("The results and the list of counted ballots are shown once voting has closed and "
                               "the ballots have been counted. The consultation is now in the phase “%(phase)s”.",
                               phase=phase_name(consultation.phase)))


@bp.route("/consultations/<int:consultation_id>/receipts", methods=["GET", "POST"])
def receipts(consultation_id: int):
    """The hashes of every counted ballot, and a form to check one receipt code (nothing is saved)."""
    consultation = consultation_or_404(consultation_id)
    if not permissions.can_see_results(current_user, consultation):
        return _not_counted_yet(consultation)
    form = ReceiptLookupForm()
    found = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            found = services.receipt_counted(consultation, form.code.data)
        else:
            status = 422
    return render_template("ballots/receipts.html", consultation=consultation, form=form, found=found,
                           hashes=services.counted_receipts(consultation)), status


@bp.get("/consultations/<int:consultation_id>/results")
def results(consultation_id: int):
    """The official count: federation ranking, clubs, weights, pairwise matrix, double majority, turnout."""
    consultation = consultation_or_404(consultation_id)
    if not permissions.can_see_results(current_user, consultation):
        return _not_counted_yet(consultation)
    tally = services.official_tally(consultation)
    if tally is None:
        abort(404)
    if services.too_few_voters(consultation):
        return render_template("ballots/withheld.html", consultation=consultation)
    board = permissions.is_board(current_user, consultation)
    count = Count.from_dict(tally.result)
    view = services.results_view(consultation, count)
    what_if = services.what_if_cases(consultation, count) if board and request.args.get("what_if") else None
    return render_template("ballots/results.html", consultation=consultation, tally=tally, view=view,
                           is_board=board, what_if=what_if,
                           gender=services.turnout_by_gender(consultation))
