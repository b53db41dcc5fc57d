"""The opinion map page of a consultation, and the board's request to compute it again."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from deliberate.domain.errors import Conflict, NotFound
from deliberate.extensions import db, login_manager
from deliberate.models import Consultation
from deliberate.opinion import services
from deliberate.opinion.cli import opinion_refresh_command

bp = Blueprint("opinion", __name__, cli_group=None)
# `deliberate opinion-refresh` (for cron) comes with the blueprint, at the top level of the command.
bp.cli.add_command(opinion_refresh_command)


class EmptyForm(FlaskForm):
    """A form with only its CSRF token (the recompute button)."""


def _consultation(consultation_id: int) -> Consultation:
    """Load a consultation whose map the current person may see (401 to log in, 403 or 404 otherwise)."""
    from deliberate.consultations.services import get_visible

    try:
        consultation = get_visible(consultation_id, current_user)
    except NotFound:
        abort(404)
    if not services.can_view(consultation, current_user):
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        abort(403)
    return consultation


@bp.get("/consultations/<int:consultation_id>/opinion-map")
def show(consultation_id: int):
    """Show the map, its groups, consensus and composition; a board request first refreshes a stale snapshot."""
    consultation = _consultation(consultation_id)
    is_board = services.can_recompute(consultation, current_user)
    if is_board:
        services.refresh_if_stale(consultation)
    view = services.map_view(consultation, current_user)
    marks = services.map_marks(view, _("You are here")) if view is not None else None
    return render_template(
        "opinion/map.html", consultation=consultation, federation=consultation.federation, view=view,
        marks=marks, is_board=is_board, form=EmptyForm(formdata=None), letter=services.group_letter,
        map_size=services.MAP_SIZE,
    )


@bp.post("/consultations/<int:consultation_id>/opinion-map/recompute")
@login_required
def recompute(consultation_id: int):
    """Compute the map again now (the board only; not once voting has opened)."""
    consultation = _consultation(consultation_id)
    if not services.can_recompute(consultation, current_user):
        abort(403)
    if not EmptyForm().validate_on_submit():
        flash(_("The form had expired; please try again."), "warning")
        return redirect(url_for(".show", consultation_id=consultation.id))
    try:
        services.recompute(consultation, current_user)
    except Conflict:
        db.session.rollback()
        flash(_("The map was frozen when voting opened; it is no longer recomputed."), "warning")
    else:
        flash(_("The opinion map has been computed again."), "success")
    return redirect(url_for(".show", consultation_id=consultation.id))
