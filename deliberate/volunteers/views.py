"""Volunteer role pages: a federation's open roles (and the form to post one), each role's page, taking up,
leaving, showing a role beside one's name, and closing a role."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from deliberate import errors
from deliberate.domain.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from deliberate.models import Role
from deliberate.organizations.forms import EmptyForm
from deliberate.organizations.views import federation_or_404, organization_or_404
from deliberate.permissions import clubs_acted_for, is_board, is_member, may_act_for_any
from deliberate.volunteers import services
from deliberate.volunteers.forms import RoleForm, ShowForm

bp = Blueprint("volunteers", __name__)

WORDS = {
    "title_required": _l("Give the role a name in Spanish or in English."),
    "places_range": _l("Write a number from 1 to 100."),
    "ends_in_the_past": _l("The last day cannot be in the past."),
    "not_poster": _l("Only the federation's board, or the officers of the club that posts it, can do this."),
    "not_member": _l("Only members of the federation's clubs can take up a role."),
    "already": _l("You already hold this role."),
    "closed": _l("This role no longer takes people."),
    "full": _l("Every place in this role is taken."),
    "not_holding": _l("You do not hold this role."),
}


def _locale() -> str:
    return str(get_locale() or "es")


def _role_or_404(role_id: int):
    try:
        role = services.get_role(role_id)
    except NotFound:
        abort(404)
    g.page_federation = role.federation
    return role


def _form(federation, **kwargs) -> RoleForm:
    form = RoleForm(**kwargs)
    form.set_choices(clubs_acted_for(current_user, federation), is_board(current_user, federation))
    return form


def _index(federation, form: RoleForm | None = None, status: int = 200):
    may_post = may_act_for_any(current_user, federation)
    mine = services.roles_of(current_user, federation) if current_user.is_authenticated else []
    return render_template(
        "volunteers/index.html", federation=federation, roles=services.open_roles(federation), locale=_locale(),
        places=services.places, may_post=may_post, form=form or (_form(federation, formdata=None) if may_post
                                                                 else None),
        mine=mine, posted=services.posted_by_me(current_user, federation),
        is_member=is_member(current_user, federation)), status


@bp.get("/o/<slug>/volunteer")
def index(slug: str):
    """List the roles a federation's clubs and board need filled, to anyone; members take them up."""
    federation = organization_or_404(slug)
    if federation.is_club:
        return redirect(url_for(".index", slug=federation.federation.slug))
    return _index(federation)


@bp.post("/o/<slug>/volunteer")
@login_required
def post(slug: str):
    """Post a role: the federation's board, or a club's officers for their club."""
    federation = federation_or_404(slug, Role.MEMBER)
    if not may_act_for_any(current_user, federation):
        abort(403)
    form = _form(federation)
    if not form.validate_on_submit():
        return _index(federation, form, 422)
    fields = services.RoleFields(
        title_es=form.title_es.data or "", title_en=form.title_en.data or "", places=form.places.data,
        description_es=form.description_es.data or "", description_en=form.description_en.data or "",
        ends_on=form.ends_on.data, club_id=form.poster.data or None)
    try:
        role = services.post_role(federation, current_user, fields)
    except ValidationFailed as error:
        aliases = {"club": "poster"}
        errors.field_error(form, ValidationFailed(aliases.get(error.field, error.field), error.code),
                           errors.refusal(error, WORDS))
        return _index(federation, form, 422)
    except PermissionDenied:
        abort(403)
    flash(_("The role is posted: members of the federation can take it up."), "success")
    return redirect(url_for(".show", role_id=role.id))


@bp.get("/volunteer/<int:role_id>")
def show(role_id: int):
    """Show a role: what it involves, its places, one's own place in it; its poster sees who took it."""
    role = _role_or_404(role_id)
    page = services.role_page(role, current_user)
    holders = services.holders(role) if page.can_manage else (
        services.shown_holders(role) if page.is_member else [])
    return render_template("volunteers/show.html", role=role, page=page, federation=role.federation,
                           locale=_locale(), holders=holders, form=EmptyForm(formdata=None),
                           show_form=ShowForm(formdata=None, is_shown=bool(page.assignment and
                                                                           page.assignment.is_shown)))


def _back(role, error: DomainError | None = None):
    if error is not None:
        flash(errors.refusal(error, WORDS), "warning")
    return redirect(url_for(".show", role_id=role.id))


@bp.post("/volunteer/<int:role_id>/take")
@login_required
def take(role_id: int):
    role = _role_or_404(role_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.take_role(role, current_user)
    except (Conflict, PermissionDenied) as error:
        return _back(role, error)
    flash(_("Thank you: the role is yours. It stays private unless you choose to show it."), "success")
    return _back(role)


@bp.post("/volunteer/<int:role_id>/leave")
@login_required
def leave(role_id: int):
    role = _role_or_404(role_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.leave_role(role, current_user)
    except Conflict as error:
        return _back(role, error)
    flash(_("You left the role. Thank you for your help."), "success")
    return _back(role)


@bp.post("/volunteer/<int:role_id>/shown")
@login_required
def shown(role_id: int):
    role = _role_or_404(role_id)
    form = ShowForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_shown(role, current_user, bool(form.is_shown.data))
    except Conflict as error:
        return _back(role, error)
    if form.is_shown.data:
        flash(_("The federation's members now see this role beside your name."), "success")
    else:
        flash(_("This role is private again: only those who posted it see that you hold it."), "success")
    return _back(role)


@bp.post("/volunteer/<int:role_id>/close")
@login_required
def close(role_id: int):
    role = _role_or_404(role_id)
    if not services.can_manage(current_user, role):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.close_role(role, current_user)
    except DomainError as error:
        return _back(role, error)
    flash(_("The role is closed: nobody new can take it up."), "success")
    return _back(role)
