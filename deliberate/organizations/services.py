"""Federations and clubs: create them, join them, decide requests, appoint roles, invite, remove."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from deliberate import audit
from deliberate.auth.services import hash_token
from deliberate.domain import timezones
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from deliberate.extensions import db
from deliberate.models import (
    Invitation,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Role,
    User,
    utcnow,
)
from deliberate.text import clean_text

CLUB_ROLES = (Role.MEMBER, Role.OFFICER)
FEDERATION_ROLES = (Role.BOARD, Role.ADMIN)


def slugify(name: str) -> str:
    """Make a readable URL name: accents dropped, lower case, words joined by hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:70] or "org"


def _unique_slug(name: str) -> str:
    base = slugify(name)
    slug, n = base, 2
    while db.session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_organization(
    kind: OrganizationKind, name: str, *, parent: Organization | None = None, actor: User | None = None, **details
) -> Organization:
    """Create a confederation, federation or club (a club always inside a federation)."""
    name = clean_text(name)
    if not name:
        raise ValidationFailed("name", "required")
    if kind is OrganizationKind.CLUB and (parent is None or parent.kind is not OrganizationKind.FEDERATION):
        raise ValidationFailed("parent", "club_needs_federation")
    cleaned = {key: clean_text(value) or None if isinstance(value, str) else value for key, value in details.items()}
    organization = Organization(
        kind=kind, name=name, slug=_unique_slug(name), parent=parent, **{"description": "", **cleaned}
    )
    if cleaned.get("description") is None:
        organization.description = ""
    db.session.add(organization)
    audit.record(parent or organization, actor, "organization.create", name, facts={"kind": kind.value})
    db.session.commit()
    return organization


def update_organization(organization: Organization, actor: User, **details) -> None:
    """Save an organization's public details."""
    for key, value in details.items():
        setattr(organization, key, (clean_text(value) or None) if isinstance(value, str) else value)
    if not organization.name:
        raise ValidationFailed("name", "required")
    organization.description = organization.description or ""
    audit.record(organization, actor, "organization.update", organization.name)
    db.session.commit()


def set_time_zone(federation: Organization, actor: User, name: str) -> None:
    """Choose the clock the federation's pages show times on and its board's typed times are read on."""
    if federation.is_club:
        raise ValidationFailed("time_zone", "clubs_follow_their_federation")
    try:
        timezones.zone(name)
    except timezones.UnknownZone as error:
        raise ValidationFailed("time_zone", "unknown") from error
    if federation.time_zone == name:
        return
    previous, federation.time_zone = federation.time_zone, name
    audit.record(federation, actor, "federation.time_zone", name, facts={"from": previous, "to": name})
    db.session.commit()


def membership_of(user: User, organization: Organization) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.organization_id == organization.id)
    )


def request_membership(user: User, club: Organization) -> Membership:
    """Ask to join a club; its officers approve or decline."""
    if not club.is_club:
        raise ValidationFailed("organization", "not_a_club")
    existing = membership_of(user, club)
    if existing is not None and existing.status in {MembershipStatus.PENDING, MembershipStatus.ACTIVE}:
        raise Conflict(f"already_{existing.status.value}")
    if existing is None:
        existing = Membership(user=user, organization=club, role=Role.MEMBER, status=MembershipStatus.PENDING)
        db.session.add(existing)
    else:
        existing.status, existing.role, existing.removal_reason = MembershipStatus.PENDING, Role.MEMBER, None
    audit.record(club, user, "membership.request", user.display_name)
    try:
        db.session.commit()
    except IntegrityError as error:  # the same request sent twice at once
        db.session.rollback()
        raise Conflict("already_pending") from error
    return existing


def decide_membership(membership: Membership, actor: User, *, approve: bool) -> None:
    """Approve or decline a pending request to join a club."""
    if membership.status is not MembershipStatus.PENDING:
        raise Conflict("not_pending")
    membership.status = MembershipStatus.ACTIVE if approve else MembershipStatus.DECLINED
    membership.decided_by = actor
    action = "membership.approve" if approve else "membership.decline"
    audit.record(membership.organization, actor, action, membership.user.display_name)
    db.session.commit()


def set_club_role(membership: Membership, role: Role, actor: User) -> None:
    """Make an active club member an officer, or an officer a plain member."""
    if role not in CLUB_ROLES:
        raise ValidationFailed("role", "invalid")
    if membership.status is not MembershipStatus.ACTIVE:
        raise Conflict("not_active")
    membership.role = role
    audit.record(membership.organization, actor, "membership.role", membership.user.display_name,
                 facts={"role": role.value})
    db.session.commit()


def appoint_to_federation(federation: Organization, user: User, role: Role | None, actor: User) -> None:
    """Put a person on the federation's board or make them an admin; None takes the role away."""
    if role is not None and role not in FEDERATION_ROLES:
        raise ValidationFailed("role", "invalid")
    membership = membership_of(user, federation)
    if role is None:
        if membership is None or membership.status is not MembershipStatus.ACTIVE:
            raise NotFound("membership")
        membership.status = MembershipStatus.REMOVED
        membership.removal_reason = "role withdrawn"
    elif membership is None:
        db.session.add(
            Membership(user=user, organization=federation, role=role, status=MembershipStatus.ACTIVE, decided_by=actor)
        )
    else:
        membership.role, membership.status, membership.decided_by = role, MembershipStatus.ACTIVE, actor
    audit.record(federation, actor, "federation.appoint", user.display_name,
                 facts={"role": role.value if role else None})
    db.session.commit()


def remove_member(membership: Membership, actor: User, reason: str) -> None:
    """Remove someone from a club or a board, with the reason kept in the audit log."""
    reason = clean_text(reason)
    if not reason:
        raise ValidationFailed("reason", "required")
    if membership.status is MembershipStatus.REMOVED:
        raise Conflict("already_removed")
    if membership.user_id == actor.id and membership.role.rank >= Role.BOARD.rank:
        raise PermissionDenied("cannot_remove_self")
    membership.status = MembershipStatus.REMOVED
    membership.removal_reason = reason
    membership.decided_by = actor
    audit.record(membership.organization, actor, "membership.remove", membership.user.display_name,
                 facts={"reason": reason})
    db.session.commit()


def create_invitation(
    organization: Organization, actor: User, *, role: Role = Role.MEMBER, max_uses: int = 1, days: int | None = None
) -> tuple[Invitation, str]:
    """Create an invitation link; the token is returned once and only its hash is stored."""
    allowed = CLUB_ROLES if organization.is_club else FEDERATION_ROLES
    if role not in allowed or not 1 <= max_uses <= 500:
        raise ValidationFailed("role" if role not in allowed else "max_uses", "invalid")
    token = secrets.token_urlsafe(24)
    days = days or current_app.config["INVITATION_DAYS"]
    invitation = Invitation(
        organization=organization,
        token_hash=hash_token(token),
        role=role,
        created_by=actor,
        expires_at=utcnow() + timedelta(days=days),
        max_uses=max_uses,
        uses=0,
    )
    db.session.add(invitation)
    audit.record(organization, actor, "invitation.create", organization.name,
                 facts={"role": role.value, "max_uses": max_uses})
    db.session.commit()
    return invitation, token


def find_invitation(token: str) -> Invitation:
    """Return a usable invitation for a token, or raise NotFound."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None or not invitation.is_usable(utcnow()):
        raise NotFound("invitation")
    return invitation


def accept_invitation(token: str, user: User) -> Membership:
    """Join the invitation's organization directly with the invited role."""
    invitation = find_invitation(token)
    organization = invitation.organization
    membership = membership_of(user, organization)
    if membership is not None and membership.status is MembershipStatus.ACTIVE:
        raise Conflict("already_active")
    if membership is None:
        membership = Membership(user=user, organization=organization)
        db.session.add(membership)
    membership.role, membership.status, membership.removal_reason = invitation.role, MembershipStatus.ACTIVE, None
    membership.decided_by = invitation.created_by
    invitation.uses += 1
    audit.record(organization, user, "invitation.accept", user.display_name, facts={"role": invitation.role.value})
    db.session.commit()
    return membership


def members(organization: Organization, status: MembershipStatus = MembershipStatus.ACTIVE) -> list[Membership]:
    """Return the organization's memberships with a status, by role then name."""
    rows = db.session.scalars(
        select(Membership)
        .join(User, Membership.user_id == User.id)
        .where(Membership.organization_id == organization.id, Membership.status == status)
        .order_by(User.display_name)
    ).all()
    return sorted(rows, key=lambda m: -m.role.rank)


def leaders(federation: Organization) -> list[Membership]:
    """Return the federation's board and admins and every club's officers."""
    ids = [federation.id] + [club.id for club in federation.clubs()]
    rows = db.session.scalars(
        select(Membership)
        .join(User, Membership.user_id == User.id)
        .where(
            Membership.organization_id.in_(ids),
            Membership.status == MembershipStatus.ACTIVE,
            Membership.role != Role.MEMBER,
        )
        .order_by(User.display_name)
    ).all()
    return sorted(rows, key=lambda m: (m.organization_id != federation.id, -m.role.rank, m.user.display_name))


def federation_people(federation: Organization) -> list[User]:
    """Return everyone active in the federation's clubs, by name (for appointing the board)."""
    club_ids = [club.id for club in federation.clubs()]
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organization_id.in_(club_ids), Membership.status == MembershipStatus.ACTIVE)
            .distinct()
            .order_by(User.display_name)
        )
    )


# --- setting up a federation --------------------------------------------------------------------------------------

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class FederationSetUp:
    """What setting up a federation did: the federation, whether it is new, who joined its board, who was invited."""

    federation: Organization
    created: bool
    appointed: tuple[str, ...]
    invited: tuple[tuple[str, str], ...]  # (email, invitation token), each token shown once


def create_federation(name: str, *, slug: str | None = None, time_zone: str = "UTC",
                      board: tuple[str, ...] = (), confederation: str | None = None,
                      actor: User | None = None) -> FederationSetUp:
    """Create a federation (optionally inside a confederation) with its board; run again, it changes nothing twice.

    A board member with an account joins the board at once; anyone else gets a one-use board invitation, whose
    token is returned once (the caller mails or prints it). Raises ValidationFailed for an empty name, a slug that
    is not lower-case words and hyphens or belongs to another kind of organization or another name, an unknown
    time zone, a malformed email or an unknown confederation.
    """
    name = clean_text(name or "")
    if not name or len(name) > 120:
        raise ValidationFailed("name", "required" if not name else "too_long")
    slug = (slug or slugify(name)).strip()
    if not SLUG_PATTERN.match(slug) or len(slug) > 70:
        raise ValidationFailed("slug", "invalid")
    try:
        timezones.zone(time_zone)
    except timezones.UnknownZone as error:
        raise ValidationFailed("time_zone", "unknown") from error
    emails = tuple(dict.fromkeys(email.strip().lower() for email in board if email.strip()))
    if any(not EMAIL_PATTERN.match(email) for email in emails):
        raise ValidationFailed("board", "invalid")
    parent = None
    if confederation:
        parent = db.session.scalar(select(Organization).where(
            Organization.slug == confederation, Organization.kind == OrganizationKind.CONFEDERATION))
        if parent is None:
            raise ValidationFailed("confederation", "unknown")
    federation = db.session.scalar(select(Organization).where(Organization.slug == slug))
    created = federation is None
    if federation is not None and (federation.kind is not OrganizationKind.FEDERATION or federation.name != name):
        raise ValidationFailed("slug", "taken")
    if created:
        federation = Organization(kind=OrganizationKind.FEDERATION, name=name, slug=slug, parent=parent,
                                  description="", time_zone=time_zone)
        db.session.add(federation)
        db.session.flush()
        audit.record(federation, actor, "organization.create", name, facts={"kind": "federation"})
    appointed, invited = [], []
    for email in emails:
        user = db.session.scalar(select(User).where(User.email == email, User.is_deleted.is_(False)))
        if user is not None:
            membership = membership_of(user, federation)
            on_board = membership is not None and membership.status is MembershipStatus.ACTIVE and (
                membership.role is Role.BOARD)
            if not on_board:
                if membership is None:
                    db.session.add(Membership(user=user, organization=federation, role=Role.BOARD,
                                              status=MembershipStatus.ACTIVE, decided_by=actor))
                else:
                    membership.role, membership.status, membership.decided_by = (Role.BOARD, MembershipStatus.ACTIVE,
                                                                                 actor)
                audit.record(federation, actor, "federation.appoint", user.display_name, facts={"role": "board"})
                appointed.append(email)
            continue
        token = secrets.token_urlsafe(24)
        db.session.add(Invitation(organization=federation, token_hash=hash_token(token), role=Role.BOARD,
                                  created_by=actor, expires_at=utcnow() + timedelta(days=current_app.config[
                                      "INVITATION_DAYS"]), max_uses=1, uses=0))
        audit.record(federation, actor, "invitation.create", federation.name, facts={"role": "board", "max_uses": 1})
        invited.append((email, token))
    try:
        db.session.commit()
    except IntegrityError as error:  # the same slug created at the same moment by someone else
        db.session.rollback()
        raise ValidationFailed("slug", "taken") from error
    return FederationSetUp(federation, created, tuple(appointed), tuple(invited))


def mail_board_invitations(setup: FederationSetUp, link_of) -> None:
    """Mail each invited board member their link, in Spanish and English (their language is not known yet)."""
    from deliberate.mail import send_mail

    name = setup.federation.name
    for email, token in setup.invited:
        link = link_of(token)
        send_mail(email, f"{name}: invitación a la mesa directiva / invitation to the board",
                  f"Te invitaron a la mesa directiva de {name} en deliberate. Para aceptar, abre este enlace "
                  f"(sirve una sola vez):\n{link}\n\nYou have been invited to the board of {name} on deliberate. "
                  f"To accept, open this link (it works once):\n{link}\n")
