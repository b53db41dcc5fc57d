"""Events: the board or a club's officers plan workshops, assemblies and trainings; members take a seat or join the
waiting list; organisers take attendance and share materials; calendars read it all.

Each write is one use case and commits once. Seats move only through guarded updates, never read-then-write: a
seat is taken by ``UPDATE event SET seats_taken = seats_taken + 1 WHERE seats_taken < capacity``, and a place on the
waiting list becomes a seat by ``UPDATE rsvp SET status = 'going' WHERE status = 'waiting'``. The database decides
who had the last seat; the loser waits in line. A cancelled seat goes to the first person waiting, who is told.

Who may do what: the federation's board organises any of its events, a club's officers the events of their club.
Any member of the federation may take a seat, unless the event is reserved for its track's audience (women, or
officers) and they are not in it. Anyone reads the events page; the address and the online link are for the
federation's members.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from deliberate.domain import events as rules
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from deliberate.domain.events import EventKind, EventMode, RsvpStatus, SeatSummary, TrackAudience
from deliberate.domain.gender import Gender
from deliberate.extensions import db
from deliberate.models import Organization, Role, User, utcnow
from deliberate.models.events import Event, EventMaterial, Rsvp, Track
from deliberate.notifications.services import notify
from deliberate.permissions import can_act_for, has_role, is_board, is_member
from deliberate.text import clean_markdown, clean_text

MAX_TITLE = 160
MAX_TEXT = 5000
MAX_ADDRESS = 300
MAX_LINK = 500


# --- who may do what ----------------------------------------------------------------------------------------------

def can_organise_event(user: User | None, event: Event) -> bool:
    return can_act_for(user, event.federation, event.club)


def _is_officer_anywhere(user: User, federation: Organization) -> bool:
    return is_board(user, federation) or any(
        has_role(user, club, Role.OFFICER) for club in federation.clubs())


def in_audience(user: User | None, event: Event) -> bool:
    """Tell whether the user may take a seat at the event as far as its track's audience goes."""
    if user is None or not user.is_authenticated:
        return False
    audience = event.track.audience if event.track else None
    return rules.may_take_seat(audience, is_reserved=event.is_reserved, is_woman=user.gender is Gender.WOMAN,
                               is_officer=audience is TrackAudience.OFFICERS and _is_officer_anywhere(
                                   user, event.federation))


# --- reading ------------------------------------------------------------------------------------------------------

def get_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound("event", event_id)
    return event


def federation_events(federation: Organization, *, now: datetime | None = None) -> tuple[list[Event], list[Event]]:
    """Return the federation's events still to come (soonest first) and the past ones (latest first)."""
    now = now or utcnow()
    rows = db.session.scalars(select(Event).where(Event.federation_id == federation.id)
                              .order_by(Event.starts_at, Event.id)).all()
    upcoming = [event for event in rows if (event.ends_at or event.starts_at) >= now]
    past = [event for event in reversed(rows) if (event.ends_at or event.starts_at) < now]
    return upcoming, past


def tracks(federation: Organization) -> list[Track]:
    return list(db.session.scalars(select(Track).where(Track.federation_id == federation.id)
                                   .order_by(Track.id)))


def _count(event: Event, status: RsvpStatus) -> int:
    return db.session.scalar(select(func.count(Rsvp.id)).where(Rsvp.event_id == event.id, Rsvp.status == status)) or 0


def seats(event: Event) -> SeatSummary:
    return rules.seat_summary(event.capacity, _count(event, RsvpStatus.GOING), _count(event, RsvpStatus.WAITING))


def own_rsvp(user: User | None, event: Event) -> Rsvp | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.user_id == user.id))


def waiting_position(rsvp: Rsvp) -> int:
    """Return the person's place on the waiting list (1 is next)."""
    return 1 + (db.session.scalar(select(func.count(Rsvp.id)).where(
        Rsvp.event_id == rsvp.event_id, Rsvp.status == RsvpStatus.WAITING,
        (Rsvp.waiting_since < rsvp.waiting_since)
        | ((Rsvp.waiting_since == rsvp.waiting_since) & (Rsvp.id < rsvp.id)))) or 0)


def roster(event: Event) -> tuple[list[Rsvp], list[Rsvp]]:
    """Return the people holding a seat (in the order they answered) and those waiting (next first)."""
    going = db.session.scalars(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.GOING)
                               .join(User, User.id == Rsvp.user_id).order_by(User.display_name, Rsvp.id)).all()
    waiting = db.session.scalars(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.WAITING)
                                 .order_by(Rsvp.waiting_since, Rsvp.id)).all()
    return list(going), list(waiting)


@dataclass(frozen=True)
class EventPage:
    """What an event's page shows the person looking at it, and what they can do there."""

    event: Event
    seats: SeatSummary
    rsvp: Rsvp | None
    waiting_position: int | None
    is_member: bool
    can_organise: bool
    can_rsvp: bool
    reserved_for_others: bool
    has_started: bool


def event_page(event: Event, user: User | None, *, now: datetime | None = None) -> EventPage:
    now = now or utcnow()
    rsvp = own_rsvp(user, event)
    member = is_member(user, event.federation)
    started = event.starts_at <= now
    audience_ok = member and in_audience(user, event)
    return EventPage(
        event=event, seats=seats(event), rsvp=rsvp,
        waiting_position=waiting_position(rsvp) if rsvp and rsvp.status is RsvpStatus.WAITING else None,
        is_member=member, can_organise=can_organise_event(user, event),
        can_rsvp=member and audience_ok and not started and not event.is_cancelled,
        reserved_for_others=member and not audience_ok, has_started=started)


# --- planning -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventFields:
    """What an organiser types about an event."""

    title_es: str
    title_en: str
    starts_at: datetime  # naive UTC
    capacity: int
    kind: EventKind = EventKind.WORKSHOP
    mode: EventMode = EventMode.IN_PERSON
    ends_at: datetime | None = None
    description_es: str = ""
    description_en: str = ""
    address: str = ""
    online_link: str = ""
    club_id: int | None = None
    track_id: int | None = None
    is_reserved: bool = False


def _text(value: str | None, limit: int, field_name: str, markdown: bool = False) -> str:
    cleaned = (clean_markdown if markdown else clean_text)(value or "")
    if len(cleaned) > limit:
        raise ValidationFailed(field_name, "too_long")
    return cleaned


def _link(value: str | None, field_name: str) -> str:
    link = clean_text(value or "")
    if link and (not link.startswith("https://") or len(link) > MAX_LINK or " " in link):
        raise ValidationFailed(field_name, "bad_link")
    return link


def _apply(event: Event, federation: Organization, fields: EventFields) -> None:
    title_es = _text(fields.title_es, MAX_TITLE, "title_es")
    title_en = _text(fields.title_en, MAX_TITLE, "title_en")
    if not title_es and not title_en:
        raise ValidationFailed("title_es", "title_required")
    reason = rules.check_schedule(fields.starts_at, fields.ends_at)
    if reason:
        raise ValidationFailed("ends_at", reason)
    if rules.check_capacity(fields.capacity):
        raise ValidationFailed("capacity", "capacity_range")
    address = _text(fields.address, MAX_ADDRESS, "address")
    link = _link(fields.online_link, "online_link")
    if fields.mode is EventMode.IN_PERSON and not address:
        raise ValidationFailed("address", "address_required")
    if fields.mode is EventMode.ONLINE and not link:
        raise ValidationFailed("online_link", "link_required")
    track = None
    if fields.track_id is not None:
        track = db.session.get(Track, fields.track_id)
        if track is None or track.federation_id != federation.id:
            raise ValidationFailed("track", "invalid")
    if fields.is_reserved and (track is None or track.audience is TrackAudience.EVERYONE):
        raise ValidationFailed("is_reserved", "reserve_needs_audience")
    event.title_es, event.title_en = title_es, title_en
    event.description_es = _text(fields.description_es, MAX_TEXT, "description_es", markdown=True)
    event.description_en = _text(fields.description_en, MAX_TEXT, "description_en", markdown=True)
    event.kind, event.mode = fields.kind, fields.mode
    event.address = address if fields.mode is EventMode.IN_PERSON else ""
    event.online_link = link if fields.mode is EventMode.ONLINE else ""
    event.starts_at, event.ends_at = fields.starts_at, fields.ends_at
    event.capacity = fields.capacity
    event.track_id = track.id if track else None
    event.is_reserved = fields.is_reserved


def _club_for(federation: Organization, actor: User, club_id: int | None) -> Organization | None:
    club = None
    if club_id is not None:
        club = db.session.get(Organization, club_id)
        if club is None or club.parent_id != federation.id:
            raise ValidationFailed("club", "invalid")
    if not can_act_for(actor, federation, club):
        raise PermissionDenied("not_organiser")
    return club


def create_event(federation: Organization, actor: User, fields: EventFields) -> Event:
    """Plan an event of the federation (the board) or of a club (its officers, or the board)."""
    club = _club_for(federation, actor, fields.club_id)
    event = Event(federation_id=federation.id, club_id=club.id if club else None, created_by_id=actor.id,
                  seats_taken=0)
    event.federation = federation
    _apply(event, federation, fields)
    db.session.add(event)
    db.session.commit()
    return event


def update_event(event: Event, actor: User, fields: EventFields) -> Event:
    """Change an event; a larger capacity gives the new seats to the people waiting, in order."""
    if not can_organise_event(actor, event):
        raise PermissionDenied("not_organiser")
    if event.is_cancelled:
        raise Conflict("cancelled")
    club = _club_for(event.federation, actor, fields.club_id)
    event.club_id = club.id if club else None
    _apply(event, event.federation, fields)
    db.session.flush()
    promoted = _promote_waiting(event)
    _tell_promoted(event, promoted)
    db.session.commit()
    return event


def cancel_event(event: Event, actor: User) -> None:
    """Call an event off and tell everyone holding a seat or waiting for one."""
    if not can_organise_event(actor, event):
        raise PermissionDenied("not_organiser")
    if event.is_cancelled:
        raise Conflict("cancelled")
    event.is_cancelled = True
    going, waiting = roster(event)
    notify([rsvp.user for rsvp in going + waiting], "event_cancelled", _params(event), _link_of(event))
    db.session.commit()


# --- seats and the waiting list -----------------------------------------------------------------------------------

def _take_seat(event: Event) -> bool:
    result = db.session.execute(
        update(Event).where(Event.id == event.id, Event.seats_taken < Event.capacity, Event.is_cancelled.is_(False))
        .values(seats_taken=Event.seats_taken + 1).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _free_seat(event: Event) -> None:
    db.session.execute(update(Event).where(Event.id == event.id, Event.seats_taken > 0)
                       .values(seats_taken=Event.seats_taken - 1).execution_options(synchronize_session=False))


def _move(rsvp_id: int, old: RsvpStatus, new: RsvpStatus, **values) -> bool:
    result = db.session.execute(update(Rsvp).where(Rsvp.id == rsvp_id, Rsvp.status == old)
                                .values(status=new, updated_at=utcnow(), **values)
                                .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _waiting_ids(event: Event) -> list[int]:
    return list(db.session.scalars(select(Rsvp.id).where(Rsvp.event_id == event.id,
                                                         Rsvp.status == RsvpStatus.WAITING)
                                   .order_by(Rsvp.waiting_since, Rsvp.id)))


def _promote_waiting(event: Event) -> list[int]:
    """Give free seats to the people waiting, first come first served; return the ids of the RSVPs promoted."""
    promoted: list[int] = []
    for rsvp_id in _waiting_ids(event):
        if not _take_seat(event):
            break
        if _move(rsvp_id, RsvpStatus.WAITING, RsvpStatus.GOING, waiting_since=None):
            promoted.append(rsvp_id)
        else:  # they cancelled meanwhile: give the seat back and try the next one
            _free_seat(event)
    return promoted


def _hand_seat_on(event: Event) -> list[int]:
    """Give a seat someone gave back to the first person waiting, or free it; return the ids promoted."""
    for rsvp_id in _waiting_ids(event):
        if _move(rsvp_id, RsvpStatus.WAITING, RsvpStatus.GOING, waiting_since=None):
            return [rsvp_id]
    _free_seat(event)
    return []


def _params(event: Event) -> dict:
    return {"event_id": event.id, "title_es": event.title_es, "title_en": event.title_en}


def _link_of(event: Event) -> str:
    return f"/events/{event.id}"


def _tell_promoted(event: Event, rsvp_ids: Sequence[int]) -> None:
    if rsvp_ids:
        users = db.session.scalars(select(User).join(Rsvp, Rsvp.user_id == User.id).where(Rsvp.id.in_(rsvp_ids)))
        notify(users, "event_seat", _params(event), _link_of(event))


def rsvp(event: Event, user: User, *, now: datetime | None = None) -> RsvpStatus:
    """Take a seat at the event, or a place on its waiting list when it is full; return which."""
    now = now or utcnow()
    if not is_member(user, event.federation):
        raise PermissionDenied("not_member")
    if event.is_cancelled:
        raise Conflict("cancelled")
    if event.starts_at <= now:
        raise Conflict("started")
    if not in_audience(user, event):
        raise PermissionDenied("not_audience")
    existing = own_rsvp(user, event)
    if existing is not None and existing.status is not RsvpStatus.CANCELLED:
        raise Conflict("already")
    status = RsvpStatus.GOING if _take_seat(event) else RsvpStatus.WAITING
    waiting_since = now if status is RsvpStatus.WAITING else None
    if existing is None:
        db.session.add(Rsvp(event_id=event.id, user_id=user.id, status=status, waiting_since=waiting_since,
                            created_at=now, updated_at=now))
    elif not _move(existing.id, RsvpStatus.CANCELLED, status, waiting_since=waiting_since):
        db.session.rollback()
        raise Conflict("already")
    try:
        db.session.commit()
    except IntegrityError:  # the same person answered twice at once: the unique constraint keeps one answer
        db.session.rollback()
        raise Conflict("already") from None
    db.session.refresh(event)
    return status


def cancel_rsvp(event: Event, user: User) -> None:
    """Give up one's seat (it goes to the first person waiting) or one's place on the waiting list."""
    existing = own_rsvp(user, event)
    if existing is None or existing.status is RsvpStatus.CANCELLED:
        raise Conflict("not_going")
    was = existing.status
    if not _move(existing.id, was, RsvpStatus.CANCELLED, waiting_since=None, attended=False):
        db.session.rollback()
        raise Conflict("not_going")
    if was is RsvpStatus.GOING:
        promoted = _hand_seat_on(event) if not event.is_cancelled else []
        _tell_promoted(event, promoted)
    db.session.commit()
    db.session.refresh(event)


# --- after the event ----------------------------------------------------------------------------------------------

def record_attendance(event: Event, actor: User, attended_ids: Iterable[int]) -> int:
    """Set who came, from the organiser's checklist (every answer not ticked did not come); return how many came."""
    if not can_organise_event(actor, event):
        raise PermissionDenied("not_organiser")
    ticked = set(attended_ids)
    came = 0
    for row in db.session.scalars(select(Rsvp).where(Rsvp.event_id == event.id,
                                                     Rsvp.status != RsvpStatus.CANCELLED)):
        row.attended = row.id in ticked
        came += row.attended
    db.session.commit()
    return came


def add_material(event: Event, actor: User, title: str, url: str) -> EventMaterial:
    if not can_organise_event(actor, event):
        raise PermissionDenied("not_organiser")
    title = _text(title, MAX_TITLE, "title")
    if not title:
        raise ValidationFailed("title", "required")
    link = _link(url, "url")
    if not link:
        raise ValidationFailed("url", "bad_link")
    material = EventMaterial(event_id=event.id, title=title, url=link, added_by_id=actor.id)
    db.session.add(material)
    db.session.commit()
    return material


def remove_material(material: EventMaterial, actor: User) -> None:
    if not can_organise_event(actor, material.event):
        raise PermissionDenied("not_organiser")
    db.session.delete(material)
    db.session.commit()


def get_material(material_id: int) -> EventMaterial:
    material = db.session.get(EventMaterial, material_id)
    if material is None:
        raise NotFound("material", material_id)
    return material


# --- tracks -------------------------------------------------------------------------------------------------------

def _slug(name: str) -> str:
    cleaned = "".join(char if char.isalnum() else "-" for char in name.lower()).strip("-")
    return "-".join(part for part in cleaned.split("-") if part)[:50] or secrets.token_hex(4)


def add_track(federation: Organization, actor: User, name_es: str, name_en: str,
              audience: TrackAudience = TrackAudience.EVERYONE, slug: str | None = None) -> Track:
    """Define a track of events for the federation (its board)."""
    if not has_role(actor, federation, Role.BOARD):
        raise PermissionDenied("not_board")
    name_es, name_en = _text(name_es, 120, "name_es"), _text(name_en, 120, "name_en")
    if not name_es and not name_en:
        raise ValidationFailed("name_es", "required")
    slug = slug or _slug(name_en or name_es)
    if db.session.scalar(select(Track.id).where(Track.federation_id == federation.id, Track.slug == slug)):
        raise Conflict("duplicate")
    track = Track(federation_id=federation.id, slug=slug, name_es=name_es or name_en, name_en=name_en or name_es,
                  audience=audience)
    db.session.add(track)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("duplicate") from None
    return track


def add_womens_track(federation: Organization, actor: User) -> Track:
    """Add the built-in "women's leadership" track, for women."""
    return add_track(federation, actor, "Liderazgo de mujeres", "Women's leadership", TrackAudience.WOMEN,
                     slug=rules.WOMENS_LEADERSHIP)


def has_womens_track(federation: Organization) -> bool:
    return any(track.slug == rules.WOMENS_LEADERSHIP for track in tracks(federation))


# --- calendars ----------------------------------------------------------------------------------------------------

def _entry(event: Event, locale: str, base_url: str, with_place: bool) -> rules.CalendarEntry:
    place = ""
    if with_place:
        place = event.address if event.mode is EventMode.IN_PERSON else event.online_link
    return rules.CalendarEntry(
        uid=f"event-{event.id}@{base_url.split('//', 1)[-1].split('/', 1)[0]}", title=event.title(locale),
        starts_at=event.starts_at, ends_at=event.ends_at, url=f"{base_url.rstrip('/')}/events/{event.id}",
        description=event.description(locale), location=place, is_cancelled=event.is_cancelled,
        updated_at=event.updated_at)


def event_calendar(event: Event, viewer: User | None, locale: str, base_url: str) -> str:
    """Write one event's .ics; the address or link is in it for the federation's members only."""
    return rules.calendar(event.title(locale), [_entry(event, locale, base_url, is_member(viewer, event.federation))],
                          now=utcnow())


def federation_calendar(federation: Organization, locale: str, base_url: str) -> str:
    """Write the federation's public feed of events (without addresses or links: those are for members)."""
    rows = db.session.scalars(select(Event).where(Event.federation_id == federation.id)
                              .order_by(Event.starts_at, Event.id)).all()
    return rules.calendar(federation.name, [_entry(event, locale, base_url, False) for event in rows], now=utcnow())
