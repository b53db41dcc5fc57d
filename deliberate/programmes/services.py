"""Programmes: the board turns a published agenda's items into programmes, owners report, everyone reads.

Each write is one use case and commits once. The rules (status moves, progress, funding, promises) are in
``deliberate.domain.programmes``; this module loads rows, checks who may act, writes and notifies.

Who may do what: the federation's board creates and edits programmes, assigns their owners and records officials'
commitments; a programme's owners (its club's officers, the board, or the named member) change its status, set its
progress, add and tick milestones, record funding and post updates. Anyone reads. Any member of the federation may
follow an item; followers and the authors of the demands the item gathers hear of status changes and updates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import undefer

from deliberate import audit, permissions
from deliberate.agenda import publish as agenda_publish
from deliberate.domain import photos
from deliberate.domain import programmes as rules
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from deliberate.domain.programmes import CommitmentStatus, Currency, OwnerKind, Source, Status
from deliberate.extensions import db
from deliberate.models import (
    Agenda,
    AgendaItem,
    Commitment,
    Demand,
    Follow,
    Funding,
    Membership,
    MembershipStatus,
    Milestone,
    Organization,
    Programme,
    ProgrammeUpdate,
    Role,
    Target,
    UpdatePhoto,
    User,
    utcnow,
)
from deliberate.models.agenda import DemandPlacement, PlacementStatus
from deliberate.notifications.services import notify
from deliberate.permissions import has_role
from deliberate.text import clean_markdown, clean_text, render_markdown

MAX_TITLE = 160


MAX_TEXT = 5000


MAX_OFFICIAL = 120


MAX_LINKS = 10


MAX_PHOTO_DESCRIPTION = 300


MAX_CENTS = 10**14  # a trillion in either currency: anything larger is a typing mistake
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


# --- reading ------------------------------------------------------------------------------------------------------

def published_agenda(agenda_id: int) -> Agenda:
    """Return a published agenda, or raise NotFound (a draft has no tracker)."""
    return agenda_publish.published_agenda(agenda_id)


def federation_by_slug(slug: str) -> Organization:
    """Return the federation with this name in links, or raise NotFound."""
    return agenda_publish.federation_by_slug(slug)


def agenda_items(agenda: Agenda) -> list[AgendaItem]:
    """Return the items of the agenda's latest version, in its order."""
    document = agenda_publish.document_of(agenda.latest)
    ids = [int(entry["item"]) for entry in document["result"]["agenda"]]
    found = {item.id: item for item in db.session.scalars(select(AgendaItem).where(AgendaItem.id.in_(ids)))}
    return [found[item_id] for item_id in ids if item_id in found]


def item_on_agenda(agenda: Agenda, item_id: int) -> AgendaItem:
    """Return an item of the agenda's latest version, or raise ValidationFailed (not on this agenda)."""
    for item in agenda_items(agenda):
        if item.id == item_id:
            return item
    raise ValidationFailed("item", "not_on_agenda")


def get_programme(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None or programme.agenda.latest is None:
        raise NotFound("programme", programme_id)
    return programme


def update_photo(update_id: int) -> UpdatePhoto:
    """Return the photo of an update of a published agenda's programme, with its bytes."""
    photo = db.session.scalar(select(UpdatePhoto).where(UpdatePhoto.update_id == update_id)
                              .options(undefer(UpdatePhoto.data)))
    if photo is None or photo.update.programme.agenda.latest is None:
        raise NotFound("photo")
    return photo


def get_child(model, child_id: int):
    """Return a milestone, funding share or commitment (or raise NotFound)."""
    row = db.session.get(model, child_id)
    if row is None:
        raise NotFound(model.__tablename__, child_id)
    return row


def federation_of(agenda: Agenda) -> Organization:
    return agenda.consultation.federation


def is_owner(user: User | None, programme: Programme) -> bool:
    """Tell whether the user answers for the programme: the board always does, then the owner it named."""
    if user is None or not user.is_authenticated:
        return False
    if permissions.is_board(user, programme.agenda):
        return True
    if programme.owner_kind is OwnerKind.MEMBER:
        return programme.owner_user_id == user.id
    if programme.owner_kind is OwnerKind.CLUB and programme.owner_club is not None:
        return has_role(user, programme.owner_club, Role.OFFICER)
    return False


def can_follow(user: User | None, agenda: Agenda) -> bool:
    return permissions.is_member(user, agenda)


def owner_choices(agenda: Agenda) -> tuple[list[Organization], list[User]]:
    """Return the clubs and the active members (clubs and board) a programme of this agenda may be given to."""
    federation = federation_of(agenda)
    clubs = federation.clubs()
    org_ids = [federation.id, *(club.id for club in clubs)]
    users = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id.in_(org_ids), Membership.status == MembershipStatus.ACTIVE,
               User.is_deleted.is_(False), User.is_pseudonymous.is_(False))
        .distinct().order_by(User.display_name, User.id)).all()
    return clubs, list(users)


def today() -> date:
    return utcnow().date()


def is_following(user: User | None, item: AgendaItem) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return db.session.scalar(select(Follow.id).where(Follow.user_id == user.id,
                                                     Follow.agenda_item_id == item.id)) is not None


# --- checks -------------------------------------------------------------------------------------------------------

def _require_board(agenda: Agenda, actor: User) -> None:
    if not permissions.is_board(actor, agenda):
        raise PermissionDenied("not_board")


def _require_owner(programme: Programme, actor: User) -> None:
    if not is_owner(actor, programme):
        raise PermissionDenied("not_owner")


def _text(value: str | None, field_name: str, limit: int, required: bool = False) -> str:
    text = clean_text(value)
    if required and not text:
        raise ValidationFailed(field_name, "required")
    if len(text) > limit:
        raise ValidationFailed(field_name, "too_long")
    return text


def _long(value: str | None, field_name: str, limit: int = MAX_TEXT) -> str:
    text = clean_markdown(value)
    if len(text) > limit:
        raise ValidationFailed(field_name, "too_long")
    return text


def _day(value: date | None, field_name: str) -> date | None:
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationFailed(field_name, "date_range")
    return value


def _cents(value: int | None, field_name: str) -> int:
    value = value or 0
    if value < 0:
        raise ValidationFailed(field_name, "negative")
    if value > MAX_CENTS:
        raise ValidationFailed(field_name, "too_large")
    return value


def _links(value: str | None, field_name: str) -> str:
    links = [clean_text(line) for line in (value or "").splitlines() if line.strip()]
    if len(links) > MAX_LINKS:
        raise ValidationFailed(field_name, "too_many_links")
    for link in links:
        if not link.startswith(("https://", "http://")) or len(link) > 500 or " " in link:
            raise ValidationFailed(field_name, "bad_link")
    return "\n".join(links)


@dataclass(frozen=True)
class ProgrammeFields:
    """What the board types about a programme."""

    title_es: str
    title_en: str
    description_es: str = ""
    description_en: str = ""
    owner_kind: OwnerKind = OwnerKind.BOARD
    owner_club_id: int | None = None
    owner_user_id: int | None = None
    authority: Target | None = None
    starts_on: date | None = None
    due_on: date | None = None
    budget_cents: int | None = None
    budget_currency: Currency | None = None
    is_for_women: bool = False  # designed for women: by women, for women


def _apply(programme: Programme, agenda: Agenda, values: ProgrammeFields) -> None:
    title_es = _text(values.title_es, "title_es", MAX_TITLE)
    title_en = _text(values.title_en, "title_en", MAX_TITLE)
    if not title_es and not title_en:
        raise ValidationFailed("title_es", "required")
    starts_on, due_on = _day(values.starts_on, "starts_on"), _day(values.due_on, "due_on")
    rules.check_dates(starts_on, due_on)
    earliest = min((m.due_on for m in programme.milestones if m.due_on), default=None)
    if starts_on and earliest and earliest < starts_on:
        raise ValidationFailed("starts_on", "after_milestone")
    kind = OwnerKind(values.owner_kind)
    clubs, users = owner_choices(agenda)
    club_id = user_id = None
    if kind is OwnerKind.CLUB:
        if values.owner_club_id not in {club.id for club in clubs}:
            raise ValidationFailed("owner_club", "choose_club")
        club_id = values.owner_club_id
    elif kind is OwnerKind.MEMBER:
        if values.owner_user_id not in {user.id for user in users}:
            raise ValidationFailed("owner_member", "choose_member")
        user_id = values.owner_user_id
    budget = _cents(values.budget_cents, "budget") or None
    programme.title_es, programme.title_en = title_es, title_en
    programme.description_es = _long(values.description_es, "description_es")
    programme.description_en = _long(values.description_en, "description_en")
    programme.owner_kind, programme.owner_club_id, programme.owner_user_id = kind, club_id, user_id
    programme.authority = Target(values.authority) if values.authority else None
    programme.starts_on, programme.due_on = starts_on, due_on
    programme.is_for_women = bool(values.is_for_women)
    programme.budget_cents = budget
    programme.budget_currency = Currency(values.budget_currency) if budget and values.budget_currency else (
        Currency.MXN if budget else None)


# --- the board's writes -------------------------------------------------------------------------------------------

def _log(programme: Programme, actor: User, action: str, **facts) -> None:
    """Write the action to the federation's audit log, in the same transaction (its facts name no language)."""
    audit.record(federation_of(programme.agenda), actor, action, f"programme:{programme.id}",
                 facts={"programme": programme.id, **facts})


def create_programme(agenda: Agenda, actor: User, item_id: int, values: ProgrammeFields) -> Programme:
    """Create a programme for an item of a published agenda (the board only)."""
    _require_board(agenda, actor)
    item = item_on_agenda(agenda, item_id)
    programme = Programme(agenda_id=agenda.id, agenda_item_id=item.id, status=Status.PLANNED, created_by_id=actor.id,
                          status_reason="")
    programme.agenda = agenda
    _apply(programme, agenda, values)  # before the row joins the session: a refusal leaves nothing behind
    db.session.add(programme)
    db.session.flush()
    _log(programme, actor, "programme.create", item=item.id)
    db.session.commit()
    return programme


def edit_programme(programme: Programme, actor: User, values: ProgrammeFields) -> Programme:
    """Change a programme's texts, owner, authority, dates or budget (the board only)."""
    _require_board(programme.agenda, actor)
    _apply(programme, programme.agenda, values)  # checks every value before it changes any
    _log(programme, actor, "programme.edit")
    db.session.commit()
    return programme


def add_commitment(programme: Programme, actor: User, *, official: str, authority: Target, promise: str,
                   promised_on: date, due_on: date | None, evidence: str) -> Commitment:
    """Record an official's promise with its evidence (the board only)."""
    _require_board(programme.agenda, actor)
    promised_on = _day(promised_on, "promised_on")
    due_on = _day(due_on, "due_on")
    if promised_on is None:
        raise ValidationFailed("promised_on", "required")
    if due_on is not None and due_on < promised_on:
        raise ValidationFailed("due_on", "due_before_promise")
    commitment = Commitment(
        programme_id=programme.id, official=_text(official, "official", MAX_OFFICIAL, required=True),
        authority=Target(authority), promise=_text(promise, "promise", 2000, required=True),
        promised_on=promised_on, due_on=due_on, evidence=_links(evidence, "evidence"),
        status=CommitmentStatus.IN_PROGRESS)
    db.session.add(commitment)
    db.session.flush()
    _log(programme, actor, "programme.commitment", commitment=commitment.id, official=commitment.official)
    db.session.commit()
    return commitment


def set_commitment_status(commitment: Commitment, actor: User, status: CommitmentStatus) -> Commitment:
    """Record a promise as kept, broken or in progress again (the board only; "late" comes from its date)."""
    _require_board(commitment.programme.agenda, actor)
    status = CommitmentStatus(status)
    if status is CommitmentStatus.LATE:
        raise ValidationFailed("status", "invalid")
    commitment.status = status
    _log(commitment.programme, actor, "programme.commitment_status", commitment=commitment.id,
         official=commitment.official, status=status.value)
    db.session.commit()
    return commitment


# --- the owners' writes -------------------------------------------------------------------------------------------

def _audience(programme: Programme) -> list[User]:
    """Return the item's followers and the authors of the demands it gathers."""
    followers = db.session.scalars(select(User).join(Follow, Follow.user_id == User.id)
                                   .where(Follow.agenda_item_id == programme.agenda_item_id))
    authors = db.session.scalars(
        select(User).join(Demand, Demand.author_id == User.id)
        .join(DemandPlacement, DemandPlacement.demand_id == Demand.id)
        .where(DemandPlacement.agenda_item_id == programme.agenda_item_id,
               DemandPlacement.status.in_([PlacementStatus.LINKED, PlacementStatus.OWN_ITEM])))
    return sorted({user.id: user for user in [*followers, *authors]}.values(), key=lambda user: user.id)


def programme_link(programme: Programme) -> str:
    return f"/programmes/{programme.id}"


def change_status(programme: Programme, actor: User, status: Status, reason: str = "") -> Programme:
    """Move a programme to a new status (a public reason to block or drop it); tell followers and authors."""
    _require_owner(programme, actor)
    status = Status(status)
    reason = _text(reason, "reason", 2000)
    rules.check_move(programme.status, status, reason)
    previous = programme.status
    programme.status = status
    programme.status_reason = reason if status in rules.NEEDS_REASON else ""
    db.session.add(ProgrammeUpdate(programme_id=programme.id, author_id=actor.id, happened_on=today(),
                                   text=reason, text_html=render_markdown(reason) if reason else "",
                                   status_from=previous, status_to=status))
    notify(_audience(programme), "programme_status",
           {"programme_id": programme.id, "title_es": programme.title_es, "title_en": programme.title_en,
            "status": status.value, "reason": reason}, programme_link(programme))
    _log(programme, actor, "programme.status", **{"from": previous.value, "to": status.value, "reason": reason})
    db.session.commit()
    return programme


def set_progress(programme: Programme, actor: User, percent: int) -> Programme:
    """Set a programme's progress directly; only while it has no milestones (they decide it otherwise)."""
    _require_owner(programme, actor)
    if programme.milestones:
        raise Conflict("has_milestones")
    rules.check_progress(percent)
    programme.progress_percent = percent
    _log(programme, actor, "programme.progress", percent=percent)
    db.session.commit()
    return programme


def add_milestone(programme: Programme, actor: User, *, title_es: str, title_en: str, due_on: date | None,
                  weight: int) -> Milestone:
    """Add a milestone: due on or after the programme's start, its weight keeping the total within 100."""
    _require_owner(programme, actor)
    title_es = _text(title_es, "title_es", MAX_TITLE)
    title_en = _text(title_en, "title_en", MAX_TITLE)
    if not title_es and not title_en:
        raise ValidationFailed("title_es", "required")
    due_on = _day(due_on, "due_on")
    rules.check_milestone(weight, [m.weight for m in programme.milestones], due_on, programme.starts_on)
    milestone = Milestone(programme_id=programme.id, title_es=title_es, title_en=title_en, due_on=due_on,
                          weight=weight)
    db.session.add(milestone)
    db.session.flush()
    _log(programme, actor, "programme.milestone", milestone=milestone.id, weight=weight)
    db.session.commit()
    return milestone


def tick_milestone(milestone: Milestone, actor: User, done: bool) -> Milestone:
    """Mark a milestone done (or not done again)."""
    _require_owner(milestone.programme, actor)
    if done == milestone.is_done:
        raise Conflict("duplicate")
    milestone.done_at = utcnow() if done else None
    milestone.done_by_id = actor.id if done else None
    _log(milestone.programme, actor, "programme.tick", milestone=milestone.id, done=done)
    db.session.commit()
    return milestone


def add_funding(programme: Programme, actor: User, *, source: Source, currency: Currency, committed_cents: int,
                received_cents: int, committed_on: date | None, received_on: date | None) -> Funding:
    """Record a co-funding share: committed and received, in the currency entered."""
    _require_owner(programme, actor)
    committed, received = _cents(committed_cents, "committed"), _cents(received_cents, "received")
    rules.check_share(committed, received)
    funding = Funding(programme_id=programme.id, source=Source(source), currency=Currency(currency),
                      committed_cents=committed, received_cents=received,
                      committed_on=_day(committed_on, "committed_on"), received_on=_day(received_on, "received_on"))
    db.session.add(funding)
    db.session.flush()
    _log(programme, actor, "programme.funding", funding=funding.id, source=funding.source.value,
         currency=funding.currency.value, committed_cents=committed, received_cents=received)
    db.session.commit()
    return funding


def record_received(funding: Funding, actor: User, received_cents: int, received_on: date | None) -> Funding:
    """Record how much of a share has been received so far (never beyond its commitment)."""
    _require_owner(funding.programme, actor)
    received = _cents(received_cents, "received")
    rules.check_share(funding.committed_cents, received)
    funding.received_cents = received
    funding.received_on = _day(received_on, "received_on")
    _log(funding.programme, actor, "programme.received", funding=funding.id, currency=funding.currency.value,
         committed_cents=funding.committed_cents, received_cents=received)
    db.session.commit()
    return funding


def post_update(programme: Programme, actor: User, *, happened_on: date, text: str, links: str,
                photo: bytes | None = None, photo_description: str = "") -> ProgrammeUpdate:
    """Post a dated update to the programme's public timeline, with an optional photo; tell followers and authors.

    The photo is published only as written again from its pixels (:func:`deliberate.domain.photos.reencode`), and
    needs a description for those who cannot see it.
    """
    _require_owner(programme, actor)
    happened_on = _day(happened_on, "happened_on")
    if happened_on is None:
        raise ValidationFailed("happened_on", "required")
    if happened_on > today():
        raise ValidationFailed("happened_on", "in_the_future")
    body = _long(text, "text", 3000)
    if not clean_text(body):
        raise ValidationFailed("text", "required")
    update = ProgrammeUpdate(programme_id=programme.id, author_id=actor.id, happened_on=happened_on, text=body,
                             text_html=render_markdown(body), links=_links(links, "links"))
    if photo is not None:
        description = _text(photo_description, "photo_description", MAX_PHOTO_DESCRIPTION)
        if not description:
            raise ValidationFailed("photo_description", "required")
        picture = photos.reencode(photo)
        update.photo = UpdatePhoto(content_type=picture.content_type, data=picture.data, width=picture.width,
                                   height=picture.height, byte_size=len(picture.data),
                                   sha256=hashlib.sha256(picture.data).hexdigest(), description=description)
    db.session.add(update)
    notify(_audience(programme), "programme_update",
           {"programme_id": programme.id, "title_es": programme.title_es, "title_en": programme.title_en},
           programme_link(programme))
    db.session.flush()
    _log(programme, actor, "programme.update", update=update.id, happened_on=happened_on.isoformat(),
         photo=update.photo is not None)
    db.session.commit()
    return update


# --- following ----------------------------------------------------------------------------------------------------

def follow(user: User, agenda: Agenda, item_id: int) -> Follow:
    """Follow an item's programmes (any member of the federation)."""
    if not can_follow(user, agenda):
        raise PermissionDenied("not_member")
    item = item_on_agenda(agenda, item_id)
    if is_following(user, item):
        raise Conflict("duplicate")
    row = Follow(user_id=user.id, agenda_item_id=item.id)
    db.session.add(row)
    db.session.commit()
    return row


def unfollow(user: User, agenda: Agenda, item_id: int) -> None:
    """Stop following an item's programmes."""
    item = item_on_agenda(agenda, item_id)
    row = db.session.scalar(select(Follow).where(Follow.user_id == user.id, Follow.agenda_item_id == item.id))
    if row is None:
        raise Conflict("not_following")
    db.session.delete(row)
    db.session.commit()
