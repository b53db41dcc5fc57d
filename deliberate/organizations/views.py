"""Public federation and club pages, joining, and the officers' and board's management pages."""

from __future__ import annotations

import base64
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from deliberate import labels, permissions
from deliberate.consultations import services as consultation_services
from deliberate.domain.equity import DEFAULT_WOMEN_BASELINE
from deliberate.domain.errors import Conflict, DomainError, NotFound, ValidationFailed
from deliberate.domain.roster import MAX_BYTES as ROSTER_MAX_BYTES
from deliberate.errors import field_error
from deliberate.extensions import db
from deliberate.forms import choices
from deliberate.mail import external_url
from deliberate.models import AuditEntry, Membership, MembershipStatus, Organization, OrganizationKind, Role, User
from deliberate.organizations import services
from deliberate.organizations.forms import (
    AppointForm,
    ClubForm,
    ClubRoleForm,
    EmptyForm,
    FederationSettingsForm,
    FederationSetUpForm,
    InvitationForm,
    ReasonForm,
    RosterConfirmForm,
    RosterForm,
)
from deliberate.tasks import services as tasks
from deliberate.volunteers import services as volunteer_services

bp = Blueprint("organizations", __name__)


def organization_or_404(slug: str) -> Organization:
    return db.first_or_404(select(Organization).where(Organization.slug == slug))


def federation_or_404(slug: str, role: Role) -> Organization:
    """Load a federation (a club's address answers 404) and require the given role in it."""
    federation = organization_or_404(slug)
    if federation.is_club:
        abort(404)
    permissions.require_role(federation, role)
    return federation


def membership_or_404(membership_id: int, minimum: Role) -> Membership:
    """Load a membership and check the current user may manage its organization."""
    membership = db.get_or_404(Membership, membership_id)
    permissions.require_role(membership.organization, minimum)
    return membership


@bp.get("/")
def index():
    """List the federations and the visitor's own memberships."""
    federations = db.session.scalars(
        select(Organization).where(Organization.kind == OrganizationKind.FEDERATION).order_by(Organization.name)
    ).all()
    return render_template("organizations/index.html", federations=federations,
                           now=tasks.now_for(current_user, tasks.federations_of(current_user)))


@bp.route("/federations/new", methods=["GET", "POST"])
@login_required
def new_federation():
    """Let a site administrator set up a federation with its board (the first-run page leads here)."""
    if not current_user.is_admin:
        abort(403)
    form = FederationSetUpForm()
    if form.validate_on_submit():
        try:
            setup = services.create_federation(
                form.name.data, slug=form.slug.data or None, time_zone=form.time_zone.data,
                board=tuple(re.split(r"[\s,;]+", form.board.data or "")), actor=current_user)
        except ValidationFailed as error:
            field = getattr(form, error.field, form.name)
            field.errors = [*field.errors, SET_UP_MESSAGES.get((error.field, error.code), SET_UP_MESSAGES["invalid"])]
        else:
            services.mail_board_invitations(setup, lambda token: external_url("organizations.invitation", token=token))
            if setup.invited:
                flash(ngettext("%(num)d board member was emailed an invitation.",
                               "%(num)d board members were emailed an invitation.", len(setup.invited)), "success")
            flash(_("The federation is ready: its board can now add its clubs and open its first consultation.")
                  if setup.created else _("This federation already existed: its board was completed."), "success")
            return redirect(url_for(".show", slug=setup.federation.slug))
    return render_template("organizations/new_federation.html", form=form), 422 if form.errors else 200


SET_UP_MESSAGES = {
    ("slug", "invalid"): _l("Use lower-case letters, digits and hyphens only, such as fed-zacatecas."),
    ("slug", "taken"): _l("Another organization already uses this address: choose another one."),
    ("board", "invalid"): _l("One of these is not an email address: write one address per line."),
    ("time_zone", "unknown"): _l("Choose a time zone from the list."),
    "invalid": _l("This value is not valid."),
}


@bp.get("/o/<slug>")
def show(slug: str):
    """Show a federation with its clubs directory, or a club with its officers (and members, to members)."""
    organization = organization_or_404(slug)
    role = permissions.role_in(current_user, organization)
    own = services.membership_of(current_user, organization) if current_user.is_authenticated else None
    active = services.members(organization)
    club_page = {}
    if organization.is_club:
        federation = organization.federation
        club_page = {
            "volunteer_roles": volunteer_services.open_roles(federation, organization),
            "volunteer_places": volunteer_services.places, "locale": str(get_locale() or "es"),
            "shown_roles": volunteer_services.shown_roles([m.user_id for m in active], federation)
            if role is not None else {}}
    return render_template(
        f"organizations/{'club' if organization.is_club else 'federation'}.html",
        organization=organization,
        role=role,
        own_membership=own,
        officers=[m for m in active if m.role is not Role.MEMBER],
        members=active if role is not None else None,
        form=EmptyForm(),
        now=tasks.now_for(current_user, [organization.federation]),
        consultations=None if organization.is_club else consultation_services.consultations_of(organization,
                                                                                                current_user),
        can_open_consultations=not organization.is_club and permissions.is_board(current_user, organization),
        **club_page,
    )


@bp.get("/o/<slug>/leaders")
@login_required
def leaders(slug: str):
    """List the federation's leaders to its members, with the contacts they chose to share."""
    federation = federation_or_404(slug, Role.MEMBER)
    return render_template("organizations/leaders.html", organization=federation, leaders=services.leaders(federation))


@bp.post("/o/<slug>/join")
@login_required
def join(slug: str):
    """Ask to join a club."""
    club = organization_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.request_membership(current_user, club)
    except Conflict as error:
        flash(_("You are already a member of this club.") if error.reason == "already_active"
              else _("Your request is already waiting for the club's officers."), "info")
    except DomainError:
        abort(404)
    else:
        flash(_("Your request has been sent. The club's officers will review it."), "success")
    return redirect(url_for(".show", slug=slug))


@bp.get("/o/<slug>/manage")
@login_required
def manage(slug: str):
    """Show the management page: requests and members of a club; clubs, board and audit log of a federation."""
    organization = organization_or_404(slug)
    permissions.require_role(organization, Role.OFFICER if organization.is_club else Role.BOARD)
    return render_manage(organization)


def render_manage(organization: Organization, **forms) -> str:
    """Render an organization's management page, with the forms a failed submission hands back (errors kept)."""
    role = permissions.role_in(current_user, organization)
    invitation_form = InvitationForm()
    invitation_form.role.choices = choices(_invitation_roles(organization))
    context = {"organization": organization, "role": role, "form": EmptyForm(), "invitation_form": invitation_form}
    if organization.is_club:
        context |= {
            "pending": services.members(organization, MembershipStatus.PENDING),
            "members": services.members(organization),
            "role_form": ClubRoleForm(),
            "reason_form": ReasonForm(),
        }
    else:
        appoint_form = AppointForm()
        appoint_form.user_id.choices = choices((u.id, u.display_name) for u in services.federation_people(organization))
        baseline = organization.parity_baseline
        settings_form = forms.get("settings_form") or FederationSettingsForm(
            formdata=None, name=organization.name, description=organization.description,
            public_contact=organization.public_contact, time_zone=organization.time_zone,
            parity_baseline=round((DEFAULT_WOMEN_BASELINE if baseline is None else baseline) * 100, 1))
        context |= {
            "settings_form": settings_form,
            "roster_form": forms.get("roster_form") or RosterForm(formdata=None),
            "club_form": ClubForm(),
            "appoint_form": appoint_form,
            "board": services.members(organization),
            "reason_form": ReasonForm(),
            "audit": _audit_entries(organization),
        }
    return render_template(f"organizations/manage_{'club' if organization.is_club else 'federation'}.html", **context)


def _invitation_roles(organization: Organization) -> list[tuple[str, str]]:
    if organization.is_club:
        return [(role.value, labels.role_name(role)) for role in (Role.MEMBER, Role.OFFICER)]
    return [(role.value, labels.role_name(role)) for role in (Role.BOARD, Role.ADMIN)]


def _audit_entries(federation: Organization) -> list[AuditEntry]:
    ids = [federation.id] + [club.id for club in federation.clubs()]
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.organization_id.in_(ids)).order_by(AuditEntry.id.desc()).limit(100)
        )
    )


@bp.post("/o/<slug>/clubs")
@login_required
def create_club(slug: str):
    """Create a club in the federation."""
    federation = organization_or_404(slug)
    permissions.require_role(federation, Role.BOARD)
    form = ClubForm()
    if form.validate_on_submit():
        details = {name: field.data for name, field in form._fields.items() if name not in {"name", "csrf_token"}}
        try:
            club = services.create_organization(
                OrganizationKind.CLUB, form.name.data, parent=federation, actor=current_user, **details
            )
        except ValidationFailed as error:
            field_error(form, error)
        else:
            flash(_("The club %(name)s has been created.", name=club.name), "success")
            return redirect(url_for(".show", slug=club.slug))
    for field, errors in form.errors.items():
        flash(f"{form[field].label.text}: {' '.join(map(str, errors))}", "danger")
    return redirect(url_for(".manage", slug=slug))


@bp.post("/memberships/<int:membership_id>/<any(approve, decline):decision>")
@login_required
def decide(membership_id: int, decision: str):
    """Approve or decline a request to join a club."""
    membership = membership_or_404(membership_id, Role.OFFICER)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.decide_membership(membership, current_user, approve=decision == "approve")
    except Conflict:
        flash(_("This request was already decided."), "info")
    else:
        flash(_("%(name)s is now a member of the club.", name=membership.user.display_name) if decision == "approve"
              else _("The request has been declined."), "success")
    return redirect(url_for(".manage", slug=membership.organization.slug))


@bp.post("/memberships/<int:membership_id>/role")
@login_required
def set_role(membership_id: int):
    """Make a club member an officer, or the reverse."""
    membership = membership_or_404(membership_id, Role.OFFICER)
    form = ClubRoleForm()
    if form.validate_on_submit():
        try:
            services.set_club_role(membership, Role(form.role.data), current_user)
        except DomainError:
            flash(_("Only active members can be given a role."), "warning")
        else:
            flash(_("The role has been changed."), "success")
    return redirect(url_for(".manage", slug=membership.organization.slug))


@bp.post("/memberships/<int:membership_id>/remove")
@login_required
def remove(membership_id: int):
    """Remove a member (a club's officers) or a board member (the board), giving a reason."""
    membership = db.get_or_404(Membership, membership_id)
    org = membership.organization
    permissions.require_role(org, Role.OFFICER if org.is_club and membership.role is Role.MEMBER else Role.BOARD)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Please give a reason for the removal."), "warning")
    else:
        try:
            services.remove_member(membership, current_user, form.reason.data)
        except DomainError:
            flash(_("This membership cannot be removed."), "warning")
        else:
            flash(_("%(name)s has been removed.", name=membership.user.display_name), "success")
    return redirect(url_for(".manage", slug=org.slug))


@bp.post("/o/<slug>/settings")
@login_required
def settings(slug: str):
    """Save the federation's settings: its public details, its parity baseline and its clock."""
    federation = federation_or_404(slug, Role.BOARD)
    form = FederationSettingsForm()
    if form.validate_on_submit():
        try:
            services.update_federation_settings(
                federation, current_user, name=form.name.data, description=form.description.data,
                public_contact=form.public_contact.data, parity_baseline=float(form.parity_baseline.data) / 100,
                time_zone=form.time_zone.data)
        except ValidationFailed as error:
            field_error(form, error)
        else:
            flash(_("The federation's settings have been saved."), "success")
            return redirect(url_for(".manage", slug=slug))
    return render_manage(federation, settings_form=form), 422


@bp.post("/o/<slug>/roster")
@login_required
def roster(slug: str):
    """Show what importing a roster file would do, line by line, before anything is imported."""
    federation = federation_or_404(slug, Role.BOARD)
    form = RosterForm()
    if not form.validate_on_submit():
        return render_manage(federation, roster_form=form), 422
    data = form.roster.data.read(ROSTER_MAX_BYTES + 1)
    plan = services.plan_roster(federation, data)
    confirm = RosterConfirmForm(roster_data=base64.b64encode(data).decode("ascii"))
    return render_template("organizations/roster.html", organization=federation, plan=plan, confirm=confirm,
                           form=RosterForm()), 200 if plan.is_valid else 422


@bp.post("/o/<slug>/roster/import")
@login_required
def import_roster(slug: str):
    """Import the roster the board has seen in the preview, all of it or nothing, and mail the invitations."""
    federation = federation_or_404(slug, Role.BOARD)
    form = RosterConfirmForm()
    try:
        data = base64.b64decode(form.roster_data.data or "", validate=True) if form.validate_on_submit() else b""
    except ValueError:
        data = b""
    if not data:
        flash(_("Upload the roster again: this form had expired."), "warning")
        return redirect(url_for(".manage", slug=slug, _anchor="roster-title"))
    try:
        plan, invitations = services.import_roster(federation, current_user, data)
    except ValidationFailed:
        plan = services.plan_roster(federation, data)
        return render_template("organizations/roster.html", organization=federation, plan=plan, confirm=form,
                               form=RosterForm()), 422
    services.mail_roster_invitations(federation, invitations,
                                     lambda token: external_url("organizations.invitation", token=token))
    flash(ngettext("The roster has been imported and %(num)d invitation has been sent.",
                   "The roster has been imported and %(num)d invitations have been sent.", len(invitations)),
          "success")
    return redirect(url_for(".manage", slug=slug))


@bp.post("/o/<slug>/appoint")
@login_required
def appoint(slug: str):
    """Appoint a person of the federation to its board or as an administrator."""
    federation = organization_or_404(slug)
    permissions.require_role(federation, Role.BOARD)
    form = AppointForm()
    form.user_id.choices = choices((u.id, u.display_name) for u in services.federation_people(federation))
    if form.validate_on_submit():
        if form.role.data == Role.ADMIN.value:
            permissions.require_role(federation, Role.ADMIN)
        person = db.get_or_404(User, form.user_id.data)
        try:
            services.appoint_to_federation(federation, person, Role(form.role.data) if form.role.data else None,
                                           current_user)
        except NotFound:
            flash(_("This person has no role to withdraw."), "info")
        else:
            flash(_("The board has been updated."), "success")
    else:
        flash(_("Choose a person from the federation's clubs."), "warning")
    return redirect(url_for(".manage", slug=slug))


@bp.post("/o/<slug>/invitations")
@login_required
def invite(slug: str):
    """Create an invitation link and show it once."""
    organization = organization_or_404(slug)
    permissions.require_role(organization, Role.OFFICER if organization.is_club else Role.BOARD)
    form = InvitationForm()
    form.role.choices = choices(_invitation_roles(organization))
    if form.validate_on_submit():
        if Role(form.role.data).rank >= Role.BOARD.rank:
            permissions.require_role(organization, Role(form.role.data))
        _invitation, token = services.create_invitation(
            organization, current_user, role=Role(form.role.data), max_uses=form.max_uses.data, days=form.days.data
        )
        link = external_url("organizations.invitation", token=token)  # BASE_URL, not the request's Host
        flash(_("Share this invitation link (it is shown only once): %(link)s", link=link), "success")
    else:
        flash(_("Check the invitation's settings."), "warning")
    return redirect(url_for(".manage", slug=slug))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """Show an invitation to anyone holding its link, and let them accept it once logged in.

    Someone without an account is offered to create one and comes back here after confirming their address; the
    pages are in the language the invitation was written in until they choose another.
    """
    try:
        found = services.find_invitation(token)
    except NotFound:
        flash(_("This invitation has expired or has been used up. Ask for a new one."), "warning")
        return redirect(url_for(".index"))
    if not current_user.is_authenticated:
        if found.locale and "locale" not in session:
            session["locale"] = found.locale
        if request.method == "POST":
            return redirect(url_for("auth.login", next=request.path))
        return render_template("organizations/invitation.html", invitation=found, form=None)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            services.accept_invitation(token, current_user)
        except Conflict:
            flash(_("You are already a member of this club."), "info")
        except NotFound:
            flash(_("This invitation has expired or has been used up. Ask for a new one."), "warning")
            return redirect(url_for(".index"))
        else:
            flash(_("Welcome to %(name)s!", name=found.organization.name), "success")
        return redirect(url_for(".show", slug=found.organization.slug))
    return render_template("organizations/invitation.html", invitation=found, form=form)
