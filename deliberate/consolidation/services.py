"""The board's consolidation use cases: suggest clusters, turn them into agenda items, and keep provenance.

Every demand the board places has exactly one ``DemandPlacement`` row: linked to an item (``linked`` or
``own_item``) or set aside (``out_of_scope``, with a public reason). Demands are never rewritten or deleted, and
items are never deleted: a merged item keeps its row with ``merged_into_id`` and its links move to the target.
Every action is recorded in the audit log with its facts (ids, counts, the reason given) starting with the
consultation's id, so the workspace can list the consultation's log and show it in the reader's language.

For other areas (ballots, opinion): :func:`active_items` lists a consultation's live agenda items.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from deliberate import audit
from deliberate.domain.errors import Conflict, NotFound, PhaseClosed, ValidationFailed
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import (
    AuditEntry,
    Consultation,
    Demand,
    Organization,
    Reaction,
    ReactionValue,
    User,
    utcnow,
)
from deliberate.models.agenda import (
    AgendaItem,
    DemandPlacement,
    PlacementStatus,
)
from deliberate.notifications.services import notify
from deliberate.text import clean_markdown, clean_text

MAX_TITLE = 160
MAX_SUMMARY = 5000
MAX_REASON = 1000


# --- reading ------------------------------------------------------------------------------------------------------

def _visible(consultation: Consultation):
    return select(Demand).where(
        Demand.consultation_id == consultation.id, Demand.hidden_at.is_(None), Demand.is_withdrawn.is_(False)
    )


def visible_demands(consultation: Consultation) -> list[Demand]:
    """Return the consultation's visible demands (not hidden, not withdrawn), oldest first, with club and category."""
    return list(db.session.scalars(
        _visible(consultation).options(joinedload(Demand.club), joinedload(Demand.category),
                                      joinedload(Demand.assembly)).order_by(Demand.id)
    ))


def placements(consultation: Consultation) -> dict[int, DemandPlacement]:
    """Return the placements of the consultation's demands, keyed by demand id."""
    rows = db.session.scalars(
        select(DemandPlacement).where(DemandPlacement.consultation_id == consultation.id)
    )
    return {p.demand_id: p for p in rows}


def placement_of(demand: Demand) -> DemandPlacement | None:
    """Return where a demand was placed, or None while it is not placed."""
    return db.session.scalar(select(DemandPlacement).where(DemandPlacement.demand_id == demand.id))


def items_of(consultation: Consultation, *, include_merged: bool = False) -> list[AgendaItem]:
    """Return the consultation's agenda items in creation order (merged ones only when asked)."""
    query = select(AgendaItem).where(AgendaItem.consultation_id == consultation.id)
    if not include_merged:
        query = query.where(AgendaItem.merged_into_id.is_(None))
    return list(db.session.scalars(query.order_by(AgendaItem.id)))


def active_items(consultation: Consultation) -> list[AgendaItem]:
    """Return the consultation's active agenda items, in creation order: what the workspace counts and members vote on.

    An item is active when it is live (not merged into another) and holds at least one visible demand (neither
    hidden by a moderator nor withdrawn by its author). This is the only definition: an item emptied by a move, or
    whose demands were all hidden, is on no ballot and in no count.
    """
    return list(db.session.scalars(_active_items_query(), {"consultation_id": consultation.id}))


@functools.cache
def _active_items_query() -> Select:
    """Select a consultation's active items (``consultation_id``), built once per process: every cast asks it, and
    building the statement cost more than running it."""
    linked = (
        select(DemandPlacement.agenda_item_id)
        .join(Demand, Demand.id == DemandPlacement.demand_id)
        .where(
            DemandPlacement.consultation_id == bindparam("consultation_id"),
            DemandPlacement.agenda_item_id.is_not(None),
            Demand.hidden_at.is_(None),
            Demand.is_withdrawn.is_(False),
        )
    )
    return (
        select(AgendaItem)
        .where(AgendaItem.consultation_id == bindparam("consultation_id"), AgendaItem.merged_into_id.is_(None),
               AgendaItem.id.in_(linked))
        .order_by(AgendaItem.id)
    )


def demands_of_item(item: AgendaItem) -> list[Demand]:
    """Return the visible demands linked to an item, oldest first."""
    return list(db.session.scalars(
        select(Demand)
        .join(DemandPlacement, DemandPlacement.demand_id == Demand.id)
        .where(DemandPlacement.agenda_item_id == item.id, Demand.hidden_at.is_(None),
               Demand.is_withdrawn.is_(False))
        .options(joinedload(Demand.club), joinedload(Demand.category), joinedload(Demand.assembly))
        .order_by(Demand.id)
    ))


@dataclass(frozen=True)
class Provenance:
    """Who raised an item: clubs among the federation's clubs, and members (distinct authors and agreeing members)."""

    demand_count: int
    club_count: int
    clubs_in_federation: int
    author_count: int
    member_count: int
    club_names: tuple[str, ...]


def federation_clubs(federation: Organization) -> int:
    """Return how many clubs the federation has."""
    return db.session.scalar(select(func.count(Organization.id)).where(Organization.parent_id == federation.id)) or 0


def provenance(item: AgendaItem, demands: Sequence[Demand] | None = None) -> Provenance:
    """Count the demands, clubs and members behind an item.

    Members are the distinct people who wrote one of its demands or agreed with one of them.
    """
    demands = list(demands if demands is not None else demands_of_item(item))
    ids = [d.id for d in demands]
    authors = {d.author_id for d in demands if d.author_id is not None}
    agreeing = set()
    if ids:
        agreeing = set(db.session.scalars(
            select(Reaction.user_id).where(Reaction.demand_id.in_(ids), Reaction.value == int(ReactionValue.AGREE))
        ))
    clubs = {d.club_id: d.club.name for d in demands if d.club is not None}
    return Provenance(
        demand_count=len(demands), club_count=len(clubs),
        clubs_in_federation=federation_clubs(item.consultation.federation),
        author_count=len(authors), member_count=len(authors | agreeing),
        club_names=tuple(sorted(clubs.values(), key=str.casefold)),
    )


def audit_log(consultation: Consultation, limit: int = 200) -> list[AuditEntry]:
    """Return the consolidation actions on a consultation, newest first."""
    return list(db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.organization_id == consultation.federation_id,
               AuditEntry.action.like("consolidation.%"),
               or_(*(AuditEntry.detail.like(pattern) for pattern in audit.consultation_prefixes(consultation.id))))
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ))


# --- helpers ------------------------------------------------------------------------------------------------------

def require_consolidating(consultation: Consultation) -> None:
    if consultation.phase is not Phase.CONSOLIDATING:
        raise PhaseClosed(consultation.phase)


def record_action(consultation: Consultation, actor: User, action: str, subject: str, **facts: object) -> None:
    audit.record(consultation.federation, actor, f"consolidation.{action}", subject,
                 facts={audit.CONSULTATION_KEY: consultation.id, **facts})


def _item_link(item: AgendaItem) -> str:
    try:
        return url_for("consolidation.item", item_id=item.id)
    except RuntimeError:
        return f"/agenda-items/{item.id}"


def placement_link(demand: Demand) -> str:
    try:
        return url_for("consolidation.placement", demand_id=demand.id)
    except RuntimeError:
        return f"/demands/{demand.id}/placement"


def notify_author(demand: Demand, placement: DemandPlacement, item: AgendaItem | None) -> None:
    if demand.author is None:
        return
    params = {"demand_id": demand.id, "demand_title": demand.title, "status": placement.status.value,
              "days": demand.consultation.objection_days}
    if item is not None:
        params.update(item_id=item.id, item_title_es=item.title_es, item_title_en=item.title_en)
    else:
        params["reason"] = placement.reason
    notify([demand.author], "demand_linked", params, placement_link(demand))


def _titles(title_es: str, title_en: str, summary_es: str, summary_en: str) -> dict[str, str]:
    values = {"title_es": clean_text(title_es or ""), "title_en": clean_text(title_en or ""),
              "summary_es": clean_markdown(summary_es or ""), "summary_en": clean_markdown(summary_en or "")}
    if not values["title_es"] and not values["title_en"]:
        raise ValidationFailed("title_es", "required")
    for name in ("title_es", "title_en"):
        if len(values[name]) > MAX_TITLE:
            raise ValidationFailed(name, "too_long")
    for name in ("summary_es", "summary_en"):
        if len(values[name]) > MAX_SUMMARY:
            raise ValidationFailed(name, "too_long")
    return values


def _load_demands(consultation: Consultation, demand_ids: Sequence[int]) -> list[Demand]:
    ids = sorted(set(demand_ids))
    if not ids:
        raise ValidationFailed("demand_ids", "required")
    demands = list(db.session.scalars(_visible(consultation).where(Demand.id.in_(ids)).order_by(Demand.id)))
    if len(demands) != len(ids):
        raise Conflict("stale")
    return demands


def _place(consultation: Consultation, actor: User, demand: Demand, status: PlacementStatus,
           item: AgendaItem | None, reason: str = "") -> DemandPlacement:
    placement = placement_of(demand)
    if placement is None:
        placement = DemandPlacement(consultation_id=consultation.id, demand_id=demand.id)
        db.session.add(placement)
    placement.status, placement.agenda_item_id, placement.agenda_item = status, item.id if item else None, item
    placement.reason, placement.placed_by_id, placement.placed_at = reason, actor.id, utcnow()
    notify_author(demand, placement, item)
    return placement


def _new_item(consultation: Consultation, actor: User, values: dict[str, str]) -> AgendaItem:
    item = AgendaItem(consultation_id=consultation.id, created_by_id=actor.id, **values)
    db.session.add(item)
    db.session.flush()
    return item


def commit_or_conflict() -> None:
    """Commit; two board members placing the same demand at once meet the unique constraint: one wins."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("already_placed") from None


def ids_of(demands: Sequence[Demand]) -> list[int]:
    return [d.id for d in demands]


# --- the board's actions ------------------------------------------------------------------------------------------

def accept_cluster(consultation: Consultation, actor: User, demand_ids: Sequence[int], *, title_es: str,
                   title_en: str, summary_es: str = "", summary_en: str = "") -> AgendaItem:
    """Create an agenda item linking the chosen demands (none of which may be placed already)."""
    require_consolidating(consultation)
    values = _titles(title_es, title_en, summary_es, summary_en)
    demands = _load_demands(consultation, demand_ids)
    placed = placements(consultation)
    if any(d.id in placed for d in demands):
        raise Conflict("already_placed")
    item = _new_item(consultation, actor, values)
    for demand in demands:
        _place(consultation, actor, demand, PlacementStatus.LINKED, item)
    record_action(consultation, actor, "accept", item.title("es"), item=item.id, demands=ids_of(demands))
    commit_or_conflict()
    return item


def edit_item(item: AgendaItem, actor: User, *, title_es: str, title_en: str, summary_es: str = "",
              summary_en: str = "") -> AgendaItem:
    """Change an active item's titles and summaries (its links stay as they are)."""
    consultation = item.consultation
    require_consolidating(consultation)
    if not item.is_active:
        raise Conflict("merged")
    values = _titles(title_es, title_en, summary_es, summary_en)
    for name, value in values.items():
        setattr(item, name, value)
    record_action(consultation, actor, "edit", item.title("es"), item=item.id)
    db.session.commit()
    return item


def merge_items(source: AgendaItem, target: AgendaItem, actor: User) -> AgendaItem:
    """Merge ``source`` into ``target``: its links move to the target and it keeps its row, marked as merged."""
    consultation = source.consultation
    require_consolidating(consultation)
    if source.consultation_id != target.consultation_id:
        raise NotFound("agenda_item", target.id)
    if source.id == target.id:
        raise Conflict("same_item")
    if not source.is_active or not target.is_active:
        raise Conflict("merged")
    moved = list(db.session.scalars(
        select(DemandPlacement).where(DemandPlacement.agenda_item_id == source.id)
        .options(joinedload(DemandPlacement.demand))
    ))
    for placement in moved:
        _place(consultation, actor, placement.demand, PlacementStatus.LINKED, target)
    source.merged_into_id = target.id
    record_action(consultation, actor, "merge", target.title("es"),
            source=source.id, target=target.id, demands=ids_of([p.demand for p in moved]))
    commit_or_conflict()
    return target


def _placed_in(item: AgendaItem, demand_ids: Sequence[int]) -> list[Demand]:
    demands = _load_demands(item.consultation, demand_ids)
    placed = placements(item.consultation)
    if any(placed.get(d.id) is None or placed[d.id].agenda_item_id != item.id for d in demands):
        raise Conflict("stale")
    return demands


def split_item(item: AgendaItem, actor: User, demand_ids: Sequence[int], *, title_es: str, title_en: str,
               summary_es: str = "", summary_en: str = "") -> AgendaItem:
    """Take some demands out of an item into a new item."""
    consultation = item.consultation
    require_consolidating(consultation)
    if not item.is_active:
        raise Conflict("merged")
    values = _titles(title_es, title_en, summary_es, summary_en)
    demands = _placed_in(item, demand_ids)
    new = _new_item(consultation, actor, values)
    for demand in demands:
        _place(consultation, actor, demand, PlacementStatus.LINKED, new)
    record_action(consultation, actor, "split", new.title("es"),
            demands=ids_of(demands), source=item.id, item=new.id)
    commit_or_conflict()
    return new


def _check_expected(demand: Demand, expected: str | None) -> DemandPlacement | None:
    """Refuse a stale form: ``expected`` is what the board saw ("" for unplaced, "item:<id>", "out")."""
    placement = placement_of(demand)
    if expected is not None:
        current = "" if placement is None else (
            "out" if placement.status is PlacementStatus.OUT_OF_SCOPE else f"item:{placement.agenda_item_id}")
        if current != expected:
            raise Conflict("stale")
    return placement


def move_demand(demand: Demand, target: AgendaItem, actor: User, expected: str | None = None) -> DemandPlacement:
    """Link a demand (placed or not, or set aside) to another active item."""
    consultation = demand.consultation
    require_consolidating(consultation)
    if target.consultation_id != consultation.id:
        raise NotFound("agenda_item", target.id)
    if not target.is_active:
        raise Conflict("merged")
    if not demand.is_visible:
        raise Conflict("stale")
    placement = _check_expected(demand, expected)
    if placement is not None and placement.agenda_item_id == target.id:
        raise Conflict("same_item")
    before = placement.agenda_item_id if placement else None
    placement = _place(consultation, actor, demand, PlacementStatus.LINKED, target)
    record_action(consultation, actor, "move", target.title("es"),
            demand=demand.id, from_item=before, to_item=target.id)
    commit_or_conflict()
    return placement


def keep_as_own_item(demand: Demand, actor: User, expected: str | None = None) -> AgendaItem:
    """Make a demand an agenda item of its own, titled after it.

    Raises Conflict("already_alone") when the demand is already the only visible demand of its item: a new item
    would leave that one empty (an item members never see, which the board could not remove).
    """
    consultation = demand.consultation
    require_consolidating(consultation)
    if not demand.is_visible:
        raise Conflict("stale")
    placement = _check_expected(demand, expected)
    if placement is not None and placement.agenda_item_id is not None and not _others_in(placement.agenda_item_id,
                                                                                         demand):
        raise Conflict("already_alone")
    title = demand.title[:MAX_TITLE]
    spanish = demand.language.value != "en"
    item = _new_item(consultation, actor, {"title_es": title if spanish else "", "title_en": "" if spanish else title,
                                           "summary_es": "", "summary_en": ""})
    _place(consultation, actor, demand, PlacementStatus.OWN_ITEM, item)
    record_action(consultation, actor, "own", item.title("es"), demand=demand.id, item=item.id)
    commit_or_conflict()
    return item


def _others_in(item_id: int, demand: Demand) -> int:
    """Count the visible demands other than this one that an item holds."""
    return db.session.scalar(
        select(func.count(Demand.id)).join(DemandPlacement, DemandPlacement.demand_id == Demand.id)
        .where(DemandPlacement.agenda_item_id == item_id, Demand.id != demand.id, Demand.hidden_at.is_(None),
               Demand.is_withdrawn.is_(False))) or 0


def set_out_of_scope(demand: Demand, actor: User, reason: str, expected: str | None = None) -> DemandPlacement:
    """Set a demand aside as out of scope, with a public reason."""
    consultation = demand.consultation
    require_consolidating(consultation)
    reason = clean_text(reason or "")
    if not reason:
        raise ValidationFailed("reason", "required")
    if len(reason) > MAX_REASON:
        raise ValidationFailed("reason", "too_long")
    if not demand.is_visible:
        raise Conflict("stale")
    placement = _check_expected(demand, expected)
    if placement is not None and placement.status is PlacementStatus.OUT_OF_SCOPE:
        raise Conflict("stale")
    placement = _place(consultation, actor, demand, PlacementStatus.OUT_OF_SCOPE, None, reason)
    record_action(consultation, actor, "out_of_scope", demand.title, demand=demand.id, reason=reason)
    commit_or_conflict()
    return placement
