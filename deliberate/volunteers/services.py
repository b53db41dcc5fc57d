"""Volunteer roles: a club's officers or the federation's board post a role; members of the federation take it up,
leave it, and choose whether to show it beside their name; the poster sees who took it and closes it.

Places move only through guarded updates, never read-then-write: a place is taken by ``UPDATE volunteer_role SET
places_taken = places_taken + 1 WHERE places_taken < places``. The database decides who had the last place.

Privacy: many members are undocumented, so holding a role is shown beside a member's name only when she turned
it on (``is_shown``, off by default), and only to the federation's members. The poster (the club's officers or
the board) sees everyone in the roles they posted, since they need to reach them. Anyone reads the open roles,
with the number of people in them only when it is none or at least five.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from deliberate.domain import volunteers as rules
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from deliberate.domain.timezones import local_today
from deliberate.domain.volunteers import PlacesSummary
from deliberate.extensions import db
from deliberate.models import Organization, User, utcnow
from deliberate.models.volunteers import VolunteerAssignment, VolunteerRole
from deliberate.permissions import can_act_for, is_member, may_act_for_any
from deliberate.text import clean_markdown, clean_text

MAX_TITLE = 160
MAX_TEXT = 3000


# --- who may do what ----------------------------------------------------------------------------------------------

def can_manage(user: User | None, role: VolunteerRole) -> bool:
    return can_act_for(user, role.federation, role.club)


# --- reading ------------------------------------------------------------------------------------------------------

def today_for(federation: Organization, now: datetime | None = None) -> date:
    return local_today(now or utcnow(), federation.time_zone)


def role_is_open(role: VolunteerRole, now: datetime | None = None) -> bool:
    return rules.is_open(is_closed=role.is_closed, ends_on=role.ends_on, today=today_for(role.federation, now))


def get_role(role_id: int) -> VolunteerRole:
    role = db.session.get(VolunteerRole, role_id)
    if role is None:
        raise NotFound("volunteer_role", role_id)
    return role


def open_roles(federation: Organization, club: Organization | None = None, *,
               now: datetime | None = None) -> list[VolunteerRole]:
    """Return the roles still taking people, the board's and every club's (or one club's), oldest first."""
    query = select(VolunteerRole).where(VolunteerRole.federation_id == federation.id,
                                        VolunteerRole.is_closed.is_(False))
    if club is not None:
        query = query.where(VolunteerRole.club_id == club.id)
    today = today_for(federation, now)
    return [role for role in db.session.scalars(query.order_by(VolunteerRole.created_at, VolunteerRole.id))
            if rules.is_open(is_closed=role.is_closed, ends_on=role.ends_on, today=today)]


def posted_by_me(user: User | None, federation: Organization) -> list[VolunteerRole]:
    """Return every role (open or not) the user may manage, newest first."""
    if not may_act_for_any(user, federation):
        return []
    rows = db.session.scalars(select(VolunteerRole).where(VolunteerRole.federation_id == federation.id)
                              .order_by(VolunteerRole.created_at.desc(), VolunteerRole.id.desc()))
    return [role for role in rows if can_manage(user, role)]


def places(role: VolunteerRole) -> PlacesSummary:
    return rules.places_summary(role.places, role.places_taken)


def own_assignment(user: User | None, role: VolunteerRole) -> VolunteerAssignment | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(select(VolunteerAssignment).where(VolunteerAssignment.role_id == role.id,
                                                               VolunteerAssignment.user_id == user.id))


def holders(role: VolunteerRole) -> list[VolunteerAssignment]:
    """Return the people holding the role now, by name (for its poster)."""
    return list(db.session.scalars(
        select(VolunteerAssignment).join(User, User.id == VolunteerAssignment.user_id)
        .where(VolunteerAssignment.role_id == role.id, VolunteerAssignment.left_at.is_(None))
        .order_by(User.display_name, VolunteerAssignment.id)))


def shown_holders(role: VolunteerRole) -> list[VolunteerAssignment]:
    """Return the holders who chose to show the role (for the federation's members)."""
    return [assignment for assignment in holders(role) if assignment.is_shown]


def roles_of(user: User, federation: Organization) -> list[VolunteerAssignment]:
    """Return the roles the user holds now in the federation."""
    return list(db.session.scalars(
        select(VolunteerAssignment).join(VolunteerRole, VolunteerRole.id == VolunteerAssignment.role_id)
        .where(VolunteerAssignment.user_id == user.id, VolunteerAssignment.left_at.is_(None),
               VolunteerRole.federation_id == federation.id).order_by(VolunteerAssignment.id)))


def shown_roles(user_ids: list[int], federation: Organization) -> dict[int, list[VolunteerRole]]:
    """Return, for each of these people, the roles they hold and chose to show (beside their name)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(VolunteerAssignment.user_id, VolunteerRole)
        .join(VolunteerRole, VolunteerRole.id == VolunteerAssignment.role_id)
        .where(VolunteerAssignment.user_id.in_(user_ids), VolunteerAssignment.left_at.is_(None),
               VolunteerAssignment.is_shown.is_(True), VolunteerRole.federation_id == federation.id)
        .order_by(VolunteerAssignment.id)).all()
    found: dict[int, list[VolunteerRole]] = defaultdict(list)
    for user_id, role in rows:
        found[user_id].append(role)
    return dict(found)


def volunteers(federation: Organization) -> set[int]:
    """Return who holds a volunteer role in the federation now (the health dashboard counts them)."""
    return set(db.session.scalars(
        select(VolunteerAssignment.user_id).join(VolunteerRole, VolunteerRole.id == VolunteerAssignment.role_id)
        .join(User, User.id == VolunteerAssignment.user_id)
        .where(VolunteerRole.federation_id == federation.id, VolunteerAssignment.left_at.is_(None),
               User.is_deleted.is_(False)).distinct()))


@dataclass(frozen=True)
class RolePage:
    """What a role's page shows the person looking at it, and what they can do there."""

    role: VolunteerRole
    places: PlacesSummary
    is_open: bool
    assignment: VolunteerAssignment | None
    is_member: bool
    can_manage: bool
    can_take: bool


def role_page(role: VolunteerRole, user: User | None, *, now: datetime | None = None) -> RolePage:
    assignment = own_assignment(user, role)
    holding = assignment is not None and assignment.is_active
    open_now = role_is_open(role, now)
    member = is_member(user, role.federation)
    return RolePage(role=role, places=places(role), is_open=open_now, assignment=assignment if holding else None,
                    is_member=member, can_manage=can_manage(user, role),
                    can_take=member and open_now and not holding and role.places_taken < role.places)


# --- posting ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RoleFields:
    """What a poster types about a role."""

    title_es: str
    title_en: str
    places: int
    description_es: str = ""
    description_en: str = ""
    ends_on: date | None = None
    club_id: int | None = None


def _text(value: str | None, limit: int, field_name: str, markdown: bool = False) -> str:
    cleaned = (clean_markdown if markdown else clean_text)(value or "")
    if len(cleaned) > limit:
        raise ValidationFailed(field_name, "too_long")
    return cleaned


def _club_for(federation: Organization, actor: User, club_id: int | None) -> Organization | None:
    club = None
    if club_id is not None:
        club = db.session.get(Organization, club_id)
        if club is None or club.parent_id != federation.id:
            raise ValidationFailed("club", "invalid")
    if not can_act_for(actor, federation, club):
        raise PermissionDenied("not_poster")
    return club


def post_role(federation: Organization, actor: User, fields: RoleFields, *,
              now: datetime | None = None) -> VolunteerRole:
    """Post a role for the federation (its board) or for a club (its officers, or the board)."""
    club = _club_for(federation, actor, fields.club_id)
    title_es = _text(fields.title_es, MAX_TITLE, "title_es")
    title_en = _text(fields.title_en, MAX_TITLE, "title_en")
    if not title_es and not title_en:
        raise ValidationFailed("title_es", "title_required")
    reason = rules.check_places(fields.places) or rules.check_end(fields.ends_on, today_for(federation, now))
    if reason:
        raise ValidationFailed("places" if reason == "places_range" else "ends_on", reason)
    role = VolunteerRole(
        federation_id=federation.id, club_id=club.id if club else None, title_es=title_es, title_en=title_en,
        description_es=_text(fields.description_es, MAX_TEXT, "description_es", markdown=True),
        description_en=_text(fields.description_en, MAX_TEXT, "description_en", markdown=True),
        places=fields.places, places_taken=0, ends_on=fields.ends_on, created_by_id=actor.id)
    db.session.add(role)
    db.session.commit()
    return role


def close_role(role: VolunteerRole, actor: User) -> None:
    """Stop taking people for a role (its poster); those holding it keep it until they leave."""
    if not can_manage(actor, role):
        raise PermissionDenied("not_poster")
    if role.is_closed:
        raise Conflict("closed")
    role.is_closed, role.closed_at = True, utcnow()
    db.session.commit()


# --- taking up and leaving ----------------------------------------------------------------------------------------

def _take_place(role: VolunteerRole) -> bool:
    result = db.session.execute(
        update(VolunteerRole).where(VolunteerRole.id == role.id, VolunteerRole.places_taken < VolunteerRole.places,
                                    VolunteerRole.is_closed.is_(False))
        .values(places_taken=VolunteerRole.places_taken + 1).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _free_place(role: VolunteerRole) -> None:
    db.session.execute(update(VolunteerRole).where(VolunteerRole.id == role.id, VolunteerRole.places_taken > 0)
                       .values(places_taken=VolunteerRole.places_taken - 1)
                       .execution_options(synchronize_session=False))


def take_role(role: VolunteerRole, user: User, *, now: datetime | None = None) -> VolunteerAssignment:
    """Take up a role (any member of the federation) while it is open and has a place left."""
    if not is_member(user, role.federation):
        raise PermissionDenied("not_member")
    existing = own_assignment(user, role)
    reason = rules.refusal_to_take(is_open=role_is_open(role, now), taken=role.places_taken, places=role.places,
                                   already=existing is not None and existing.is_active)
    if reason:
        raise Conflict(reason)
    if not _take_place(role):
        db.session.rollback()
        raise Conflict("full")
    if existing is None:
        existing = VolunteerAssignment(role_id=role.id, user_id=user.id, is_shown=False, created_at=utcnow())
        db.session.add(existing)
    else:
        moved = db.session.execute(
            update(VolunteerAssignment).where(VolunteerAssignment.id == existing.id,
                                              VolunteerAssignment.left_at.is_not(None))
            .values(left_at=None, is_shown=False, created_at=utcnow()).execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            db.session.rollback()
            raise Conflict("already")
    try:
        db.session.commit()
    except IntegrityError:  # the same person took it twice at once: the unique constraint keeps one
        db.session.rollback()
        raise Conflict("already") from None
    db.session.refresh(role)
    return own_assignment(user, role)


def leave_role(role: VolunteerRole, user: User) -> None:
    """Leave a role one holds; the place opens for someone else."""
    existing = own_assignment(user, role)
    if existing is None or not existing.is_active:
        raise Conflict("not_holding")
    moved = db.session.execute(
        update(VolunteerAssignment).where(VolunteerAssignment.id == existing.id, VolunteerAssignment.left_at.is_(None))
        .values(left_at=utcnow(), is_shown=False).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.rollback()
        raise Conflict("not_holding")
    _free_place(role)
    db.session.commit()
    db.session.refresh(role)


def set_shown(role: VolunteerRole, user: User, shown: bool) -> None:
    """Show (or stop showing) a role one holds beside one's name, to the federation's members."""
    existing = own_assignment(user, role)
    if existing is None or not existing.is_active:
        raise Conflict("not_holding")
    existing.is_shown = shown
    db.session.commit()

