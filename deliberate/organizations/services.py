"""Federations and clubs: create them, join them, decide requests, appoint roles, invite, remove."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from deliberate import audit
from deliberate.auth.services import find_user_by_email, hash_token, normalise_email
from deliberate.domain import timezones
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from deliberate.domain.roster import Roster, RosterRow, read_roster
from deliberate.extensions import db
from deliberate.mail import queue_mail
from deliberate.models import (
    Category,
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


def update_federation_settings(federation: Organization, actor: User, *, name: str, description: str | None,
                               public_contact: str | None, parity_baseline: float, time_zone: str) -> None:
    """Save what the board sets about its federation: name, description, contact, parity baseline and clock.

    ``parity_baseline`` is the women's share (0 to 1) that parity checks compare participation with.
    """
    if federation.is_club:
        raise ValidationFailed("time_zone", "clubs_follow_their_federation")
    name = clean_text(name or "")
    if not name or len(name) > 120:
        raise ValidationFailed("name", "required" if not name else "too_long")
    if not 0 <= parity_baseline <= 1:
        raise ValidationFailed("parity_baseline", "out_of_range")
    try:
        timezones.zone(time_zone)
    except timezones.UnknownZone as error:
        raise ValidationFailed("time_zone", "unknown") from error
    if federation.time_zone != time_zone:
        audit.record(federation, actor, "federation.time_zone", time_zone,
                     facts={"from": federation.time_zone, "to": time_zone})
    federation.name, federation.time_zone = name, time_zone
    federation.description = clean_text(description or "")
    federation.public_contact = clean_text(public_contact or "") or None
    federation.parity_baseline = round(parity_baseline, 4)
    audit.record(federation, actor, "organization.update", federation.name,
                 facts={"parity_baseline": federation.parity_baseline})
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


#: The categories a federation starts with: (slug, Spanish name, English name).
DEFAULT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("health", "Salud", "Health"),
    ("education", "Educación", "Education"),
    ("migration-legal-help", "Migración y ayuda legal", "Migration and legal help"),
    ("hometown-infrastructure", "Infraestructura en el pueblo", "Hometown infrastructure"),
    ("economy-remittances", "Economía y remesas", "Economy and remittances"),
    ("culture-sport", "Cultura y deporte", "Culture and sport"),
    ("women", "Mujeres", "Women"),
    ("youth", "Juventud", "Youth"),
)


def seed_default_categories(federation: Organization) -> None:
    """Add the federation's starting categories when it has none, even archived (in the caller's transaction)."""
    db.session.flush()  # a federation created in this transaction gets its id
    if db.session.scalar(select(Category.id).where(Category.federation_id == federation.id).limit(1)) is not None:
        return
    for position, (slug, name_es, name_en) in enumerate(DEFAULT_CATEGORIES):
        db.session.add(Category(federation_id=federation.id, slug=slug, name_es=name_es, name_en=name_en,
                                position=position, is_archived=False))


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
        seed_default_categories(federation)
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
    name = setup.federation.name
    for email, token in setup.invited:
        link = link_of(token)
        queue_mail(email, f"{name}: invitación a la mesa directiva / invitation to the board",
                   f"Te invitaron a la mesa directiva de {name} en deliberate. Para aceptar, abre este enlace "
                   f"(sirve una sola vez):\n{link}\n\nYou have been invited to the board of {name} on deliberate. "
                   f"To accept, open this link (it works once):\n{link}\n")
    db.session.commit()


# --- importing a roster -------------------------------------------------------------------------------------------


class RosterAction(StrEnum):
    """What importing a roster does for one of its lines."""

    INVITE = "invite"  # no account in the club and no invitation yet: an invitation is mailed
    UPDATE_INVITATION = "update_invitation"  # invited by an earlier import: its role and language are updated
    UPDATE_ROLE = "update_role"  # already a member of the club with another role: the role changes
    UNCHANGED = "unchanged"  # already a member of the club with this role
    OTHER_CLUB = "other_club"  # already a member of another club of the federation: not moved (from its page)


@dataclass(frozen=True)
class RosterLine:
    """One line of a roster, with what importing it will do."""

    row: RosterRow
    action: RosterAction
    new_club: bool
    detail: str = ""  # the other club, or the role it had


@dataclass(frozen=True)
class RosterPlan:
    """What importing a roster will do, line by line; nothing is imported while the roster has a problem."""

    roster: Roster
    lines: tuple[RosterLine, ...]
    new_clubs: tuple[str, ...]

    @property
    def is_valid(self) -> bool:
        return self.roster.is_valid

    def count(self, action: RosterAction) -> int:
        return sum(1 for line in self.lines if line.action == action)


def _email_digest(email: str) -> str:
    """Return a keyed digest of an address: it finds an earlier invitation, and a leaked backup cannot read it."""
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"roster-email", hashlib.sha256).digest()
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()


def _club_key(name: str) -> str:
    return slugify(name)


def plan_roster(federation: Organization, data: bytes) -> RosterPlan:
    """Read a roster file and say, line by line, what importing it into the federation would do; change nothing."""
    roster = read_roster(data)
    clubs = {_club_key(club.name): club for club in federation.clubs()}
    new_clubs = tuple(name for name in roster.clubs if _club_key(name) not in clubs)
    club_ids = [club.id for club in clubs.values()]
    lines = []
    for row in roster.rows:
        club = clubs.get(_club_key(row.club))
        lines.append(_plan_line(row, club, club_ids))
    return RosterPlan(roster, tuple(lines), new_clubs)


def _plan_line(row: RosterRow, club: Organization | None, club_ids: list[int]) -> RosterLine:
    role = Role(row.role.value)
    user = find_user_by_email(row.email)
    if user is not None and not user.is_deleted and club_ids:
        membership = db.session.scalar(select(Membership).where(
            Membership.user_id == user.id, Membership.organization_id.in_(club_ids),
            Membership.status == MembershipStatus.ACTIVE))
        if membership is not None and (club is None or membership.organization_id != club.id):
            return RosterLine(row, RosterAction.OTHER_CLUB, club is None, membership.organization.name)
        if membership is not None:
            if membership.role is role:
                return RosterLine(row, RosterAction.UNCHANGED, False)
            return RosterLine(row, RosterAction.UPDATE_ROLE, False, membership.role.value)
    if club is not None and _pending_invitation(club, row.email) is not None:
        return RosterLine(row, RosterAction.UPDATE_INVITATION, False)
    return RosterLine(row, RosterAction.INVITE, club is None)


def _pending_invitation(club: Organization, email: str) -> Invitation | None:
    return db.session.scalar(select(Invitation).where(
        Invitation.organization_id == club.id, Invitation.email_digest == _email_digest(email),
        Invitation.revoked_at.is_(None), Invitation.uses < Invitation.max_uses, Invitation.expires_at > utcnow()))


@dataclass(frozen=True)
class RosterInvitation:
    """An invitation to mail after the import: the address, the person's name and language, the club, the token."""

    email: str
    name: str
    language: str
    club: str
    token: str


def import_roster(federation: Organization, actor: User,
                  data: bytes) -> tuple[RosterPlan, tuple[RosterInvitation, ...]]:
    """Import a roster into the federation, all of it or nothing: create its clubs, update roles, invite the rest.

    Raises ValidationFailed("roster", "invalid") when the roster has any problem (the board sees them in the
    preview). Importing the same roster again changes nothing and invites nobody twice. Returns the plan it
    carried out and the invitations to mail (their tokens exist only in this return value).
    """
    plan = plan_roster(federation, data)
    if not plan.is_valid:
        raise ValidationFailed("roster", "invalid")
    clubs = {_club_key(club.name): club for club in federation.clubs()}
    for name in plan.new_clubs:
        club = Organization(kind=OrganizationKind.CLUB, name=clean_text(name) or name, slug=_unique_slug(name),
                            parent=federation, description="")
        db.session.add(club)
        db.session.flush()
        clubs[_club_key(name)] = club
        audit.record(federation, actor, "organization.create", club.name, facts={"kind": "club", "roster": True})
    to_mail = []
    days = current_app.config["INVITATION_DAYS"]
    for line in plan.lines:
        row, club, role = line.row, clubs[_club_key(line.row.club)], Role(line.row.role.value)
        if line.action is RosterAction.UPDATE_ROLE:
            membership = membership_of(find_user_by_email(row.email), club)
            membership.role = role
            audit.record(club, actor, "membership.role", membership.user.display_name, facts={"role": role.value})
        elif line.action is RosterAction.UPDATE_INVITATION:
            invitation = _pending_invitation(club, row.email)
            invitation.role, invitation.locale = role, row.language
        elif line.action is RosterAction.INVITE:
            token = secrets.token_urlsafe(24)
            db.session.add(Invitation(organization=club, token_hash=hash_token(token), role=role, created_by=actor,
                                      expires_at=utcnow() + timedelta(days=days), max_uses=1, uses=0,
                                      email_digest=_email_digest(row.email), locale=row.language))
            to_mail.append(RosterInvitation(row.email, clean_text(row.name), row.language, club.name, token))
    audit.record(federation, actor, "roster.import", federation.name,
                 facts={"rows": len(plan.lines), "clubs": len(plan.new_clubs), "invited": len(to_mail)})
    db.session.commit()
    return plan, tuple(to_mail)


def mail_roster_invitations(federation: Organization, invitations: tuple[RosterInvitation, ...], link_of) -> None:
    """Mail each invited person their link, in the language the roster gives them."""
    for invitation in invitations:
        with force_locale(invitation.language):
            greeting = _("Hello %(name)s,", name=invitation.name) if invitation.name else _("Hello,")
            queue_mail(
                invitation.email,
                _("%(federation)s invites you to %(club)s on deliberate", federation=federation.name,
                  club=invitation.club),
                "\n\n".join([
                    greeting,
                    _("%(federation)s uses deliberate to gather its clubs' demands, discuss them and vote on one "
                      "agenda. You are invited to take part as a member of %(club)s.",
                      federation=federation.name, club=invitation.club),
                    _("To accept, open this link (it works once, for %(days)s days) and create your account or log "
                      "in:", days=current_app.config["INVITATION_DAYS"]) + "\n" + link_of(invitation.token),
                    _("If you did not expect this message, ignore it: nothing happens without you."),
                ]) + "\n",
            )
    db.session.commit()
