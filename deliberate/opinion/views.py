"""The opinion map page of a consultation, and the board's request to compute it again."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from deliberate import permissions
from deliberate.domain.errors import Conflict
from deliberate.extensions import db
from deliberate.opinion import services
from deliberate.permissions import Need, consultation_or_404

bp = Blueprint("opinion", __name__)


class EmptyForm(FlaskForm):
    """A form with only its CSRF token (the recompute button)."""


@bp.get("/consultations/<int:consultation_id>/opinion-map")
def show(consultation_id: int):
    """Show the last stored map, its groups, consensus and composition (reading only: reactions ask for updates)."""
    consultation = consultation_or_404(consultation_id, need=Need.MAP)
    is_board = permissions.can_moderate(current_user, consultation)
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
    consultation = consultation_or_404(consultation_id, need=Need.MAP)
    if not permissions.can_moderate(current_user, consultation):
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
