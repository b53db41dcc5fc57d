"""The board's consolidation use cases: suggest clusters, turn them into agenda items, and keep provenance.

Every demand the board places has exactly one ``DemandPlacement`` row: linked to an item (``linked`` or
``own_item``) or set aside (``out_of_scope``, with a public reason). Demands are never rewritten or deleted, and
items are never deleted: a merged item keeps its row with ``merged_into_id`` and its links move to the target.
Every action is recorded in the audit log with its facts (ids, counts, the reason given) starting with the
consultation's id, so the workspace can list the consultation's log and show it in the reader's language.

For other areas (ballots, opinion): :func:`active_items` lists a consultation's live agenda items.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from deliberate import audit
from deliberate.domain import consolidation
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, PhaseClosed, ValidationFailed
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
    ConsolidationSuggestion,
    DemandPlacement,
    Objection,
    PlacementStatus,
)
from deliberate.notifications.services import notify
from deliberate.text import clean_markdown, clean_text

MAX_TITLE = 160
MAX_SUMMARY = 5000
MAX_REASON = 1000
MAX_OBJECTION = 2000
#: Phases in which authors may still object and the board may answer.
OBJECTION_PHASES = (Phase.CONSOLIDATING, Phase.DELIBERATING)


# --- reading ------------------------------------------------------------------------------------------------------

def _visible(consultation: Consultation):
    return select(Demand).where(
        Demand.consultation_id == consultation.id, Demand.hidden_at.is_(None), Demand.is_withdrawn.is_(False)
    )


def visible_demands(consultation: Consultation) -> list[Demand]:
    """Return the consultation's visible demands (not hidden, not withdrawn), oldest first, with club and category."""
    return list(db.session.scalars(
        _visible(consultation).options(joinedload(Demand.club), joinedload(Demand.category)).order_by(Demand.id)
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
    linked = (
        select(DemandPlacement.agenda_item_id)
        .join(Demand, Demand.id == DemandPlacement.demand_id)
        .where(
            DemandPlacement.consultation_id == consultation.id,
            DemandPlacement.agenda_item_id.is_not(None),
            Demand.hidden_at.is_(None),
            Demand.is_withdrawn.is_(False),
        )
    )
    return list(db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.consultation_id == consultation.id, AgendaItem.merged_into_id.is_(None),
               AgendaItem.id.in_(linked))
        .order_by(AgendaItem.id)
    ))


def demands_of_item(item: AgendaItem) -> list[Demand]:
    """Return the visible demands linked to an item, oldest first."""
    return list(db.session.scalars(
        select(Demand)
        .join(DemandPlacement, DemandPlacement.demand_id == Demand.id)
        .where(DemandPlacement.agenda_item_id == item.id, Demand.hidden_at.is_(None),
               Demand.is_withdrawn.is_(False))
        .options(joinedload(Demand.club), joinedload(Demand.category))
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


def suggestion_of(consultation: Consultation) -> ConsolidationSuggestion | None:
    return db.session.scalar(
        select(ConsolidationSuggestion).where(ConsolidationSuggestion.consultation_id == consultation.id)
    )


def suggested_clusters(consultation: Consultation, demands: Sequence[Demand],
                       placed: dict[int, DemandPlacement]) -> list[list[Demand]]:
    """Return the stored suggestion as lists of demands that are still visible and not placed yet."""
    suggestion = suggestion_of(consultation)
    if suggestion is None:
        return []
    by_id = {d.id: d for d in demands}
    clusters = []
    for group in suggestion.clusters:
        members = [by_id[i] for i in group if i in by_id and i not in placed]
        if members:
            clusters.append(members)
    return clusters


@dataclass(frozen=True)
class SuggestedGroup:
    """A stored suggested group as the workspace shows it: its demands and how sure the engine is of them."""

    demands: tuple[Demand, ...]
    confidence: float
    demand_confidence: dict[int, float]
    is_confident: bool


# Features depend only on the text and the mode: computed once per distinct text in this process.
_FEATURES: OrderedDict[tuple[bytes, bool], consolidation.DemandFeatures] = OrderedDict()
_FEATURES_KEPT = 50_000


def _use_encoder() -> bool:
    return bool(current_app.config.get("CONSOLIDATION_USE_ENCODER", False))


def _features(demands: Sequence[Demand], use_encoder: bool) -> list[consolidation.DemandFeatures]:
    texts = [f"{d.title}\n{d.body}" for d in demands]
    keys = [(hashlib.blake2b(text.encode(), digest_size=16).digest(), use_encoder) for text in texts]
    missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in _FEATURES}
    if missing:
        computed = consolidation.featurize_many(list(missing.values()), use_encoder=use_encoder)
        _FEATURES.update(zip(missing.keys(), computed, strict=True))
        while len(_FEATURES) > _FEATURES_KEPT:
            _FEATURES.popitem(last=False)
    return [_FEATURES[key] for key in keys]


def suggested_groups(consultation: Consultation, demands: Sequence[Demand],
                     placed: dict[int, DemandPlacement]) -> list[SuggestedGroup]:
    """Return the stored suggestion's groups of demands still to place, each rated by the engine.

    The rating is the engine's over the demands still to place, as at the refresh when nothing changed since.
    """
    clusters = suggested_clusters(consultation, demands, placed)
    if not clusters:
        return []
    in_clusters = {d.id for cluster in clusters for d in cluster}
    rest = [[d] for d in demands if d.id not in placed and d.id not in in_clusters]
    pool = [d for cluster in clusters + rest for d in cluster]
    position = {d.id: i for i, d in enumerate(pool)}
    use_encoder = _use_encoder()
    rated = consolidation.rate(_features(pool, use_encoder), [[position[d.id] for d in c] for c in clusters + rest],
                               use_encoder=use_encoder)
    return [
        SuggestedGroup(
            demands=tuple(cluster), confidence=rating.confidence,
            demand_confidence={pool[i].id: c for i, c in zip(rating.members, rating.member_confidence, strict=True)},
            is_confident=rating.is_confident,
        )
        for cluster, rating in zip(clusters, rated, strict=False)
    ]


def objections_of(consultation: Consultation, *, open_only: bool = False) -> list[Objection]:
    """Return the objections to placements in a consultation, oldest first."""
    query = (
        select(Objection).join(Demand, Demand.id == Objection.demand_id)
        .where(Demand.consultation_id == consultation.id)
        .options(joinedload(Objection.demand), joinedload(Objection.author))
    )
    if open_only:
        query = query.where(Objection.answered_at.is_(None))
    return list(db.session.scalars(query.order_by(Objection.id)))


def objections_on(demand_ids: Sequence[int]) -> list[Objection]:
    if not demand_ids:
        return []
    return list(db.session.scalars(
        select(Objection).where(Objection.demand_id.in_(demand_ids)).order_by(Objection.id)
    ))


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


def objection_deadline(consultation: Consultation, placement: DemandPlacement) -> datetime:
    """Return until when the author may object to a placement."""
    return placement.placed_at + timedelta(days=consultation.objection_days)


def can_object(demand: Demand, user: User | None, placement: DemandPlacement | None, now: datetime | None = None
               ) -> bool:
    """Tell whether the person may object to where their demand was placed, now."""
    if user is None or not user.is_authenticated or placement is None or demand.author_id != user.id:
        return False
    consultation = demand.consultation
    return consultation.phase in OBJECTION_PHASES and (now or utcnow()) <= objection_deadline(consultation, placement)


# --- helpers ------------------------------------------------------------------------------------------------------

def _require_consolidating(consultation: Consultation) -> None:
    if consultation.phase is not Phase.CONSOLIDATING:
        raise PhaseClosed(consultation.phase)


def _record(consultation: Consultation, actor: User, action: str, subject: str, **facts: object) -> None:
    audit.record(consultation.federation, actor, f"consolidation.{action}", subject,
                 facts={audit.CONSULTATION_KEY: consultation.id, **facts})


def _item_link(item: AgendaItem) -> str:
    try:
        return url_for("consolidation.item", item_id=item.id)
    except RuntimeError:
        return f"/agenda-items/{item.id}"


def _placement_link(demand: Demand) -> str:
    try:
        return url_for("consolidation.placement", demand_id=demand.id)
    except RuntimeError:
        return f"/demands/{demand.id}/placement"


def _notify_author(demand: Demand, placement: DemandPlacement, item: AgendaItem | None) -> None:
    if demand.author is None:
        return
    params = {"demand_id": demand.id, "demand_title": demand.title, "status": placement.status.value,
              "days": demand.consultation.objection_days}
    if item is not None:
        params.update(item_id=item.id, item_title_es=item.title_es, item_title_en=item.title_en)
    else:
        params["reason"] = placement.reason
    notify([demand.author], "demand_linked", params, _placement_link(demand))


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
    _notify_author(demand, placement, item)
    return placement


def _new_item(consultation: Consultation, actor: User, values: dict[str, str]) -> AgendaItem:
    item = AgendaItem(consultation_id=consultation.id, created_by_id=actor.id, **values)
    db.session.add(item)
    db.session.flush()
    return item


def _commit() -> None:
    """Commit; two board members placing the same demand at once meet the unique constraint: one wins."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("already_placed") from None


def _ids(demands: Sequence[Demand]) -> list[int]:
    return [d.id for d in demands]


# --- suggestions --------------------------------------------------------------------------------------------------

def refresh_suggestions(consultation: Consultation, actor: User) -> ConsolidationSuggestion:
    """Cluster the visible demands not placed yet and keep the result with its time (placed work is untouched)."""
    _require_consolidating(consultation)
    placed = placements(consultation)
    demands = [d for d in visible_demands(consultation) if d.id not in placed]
    use_encoder = _use_encoder()
    groups = consolidation.suggest_clusters_from_features(_features(demands, use_encoder), use_encoder=use_encoder)
    suggestion = suggestion_of(consultation)
    if suggestion is None:
        suggestion = ConsolidationSuggestion(consultation_id=consultation.id)
        db.session.add(suggestion)
    suggestion.clusters = [[demands[i].id for i in group] for group in groups]
    suggestion.created_by_id, suggestion.created_at = actor.id, utcnow()
    _record(consultation, actor, "suggest", consultation.title("es"),
            groups=len(groups), demands=len(demands))
    db.session.commit()
    return suggestion


# --- the board's actions ------------------------------------------------------------------------------------------

def accept_cluster(consultation: Consultation, actor: User, demand_ids: Sequence[int], *, title_es: str,
                   title_en: str, summary_es: str = "", summary_en: str = "") -> AgendaItem:
    """Create an agenda item linking the chosen demands (none of which may be placed already)."""
    _require_consolidating(consultation)
    values = _titles(title_es, title_en, summary_es, summary_en)
    demands = _load_demands(consultation, demand_ids)
    placed = placements(consultation)
    if any(d.id in placed for d in demands):
        raise Conflict("already_placed")
    item = _new_item(consultation, actor, values)
    for demand in demands:
        _place(consultation, actor, demand, PlacementStatus.LINKED, item)
    _record(consultation, actor, "accept", item.title("es"), item=item.id, demands=_ids(demands))
    _commit()
    return item


def edit_item(item: AgendaItem, actor: User, *, title_es: str, title_en: str, summary_es: str = "",
              summary_en: str = "") -> AgendaItem:
    """Change an active item's titles and summaries (its links stay as they are)."""
    consultation = item.consultation
    _require_consolidating(consultation)
    if not item.is_active:
        raise Conflict("merged")
    values = _titles(title_es, title_en, summary_es, summary_en)
    for name, value in values.items():
        setattr(item, name, value)
    _record(consultation, actor, "edit", item.title("es"), item=item.id)
    db.session.commit()
    return item


def merge_items(source: AgendaItem, target: AgendaItem, actor: User) -> AgendaItem:
    """Merge ``source`` into ``target``: its links move to the target and it keeps its row, marked as merged."""
    consultation = source.consultation
    _require_consolidating(consultation)
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
    _record(consultation, actor, "merge", target.title("es"),
            source=source.id, target=target.id, demands=_ids([p.demand for p in moved]))
    _commit()
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
    _require_consolidating(consultation)
    if not item.is_active:
        raise Conflict("merged")
    values = _titles(title_es, title_en, summary_es, summary_en)
    demands = _placed_in(item, demand_ids)
    new = _new_item(consultation, actor, values)
    for demand in demands:
        _place(consultation, actor, demand, PlacementStatus.LINKED, new)
    _record(consultation, actor, "split", new.title("es"),
            demands=_ids(demands), source=item.id, item=new.id)
    _commit()
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
    _require_consolidating(consultation)
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
    _record(consultation, actor, "move", target.title("es"),
            demand=demand.id, from_item=before, to_item=target.id)
    _commit()
    return placement


def keep_as_own_item(demand: Demand, actor: User, expected: str | None = None) -> AgendaItem:
    """Make a demand an agenda item of its own, titled after it.

    Raises Conflict("already_alone") when the demand is already the only visible demand of its item: a new item
    would leave that one empty (an item members never see, which the board could not remove).
    """
    consultation = demand.consultation
    _require_consolidating(consultation)
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
    _record(consultation, actor, "own", item.title("es"), demand=demand.id, item=item.id)
    _commit()
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
    _require_consolidating(consultation)
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
    _record(consultation, actor, "out_of_scope", demand.title, demand=demand.id, reason=reason)
    _commit()
    return placement


def set_objection_days(consultation: Consultation, actor: User, days: int) -> Consultation:
    """Set how many days authors have to object after a placement (1 to 60); applies to every placement."""
    if consultation.phase not in OBJECTION_PHASES:
        raise PhaseClosed(consultation.phase)
    if not 1 <= int(days) <= 60:
        raise ValidationFailed("days", "out_of_range")
    consultation.objection_days = int(days)
    _record(consultation, actor, "window", consultation.title("es"), days=int(days))
    db.session.commit()
    return consultation


# --- objections ---------------------------------------------------------------------------------------------------

def object_to_placement(demand: Demand, author: User, text: str) -> Objection:
    """Let a demand's author object to its placement within the consultation's objection window."""
    placement = placement_of(demand)
    if demand.author_id != author.id:
        raise PermissionDenied("not_author")
    if placement is None:
        raise Conflict("not_placed")
    if demand.consultation.phase not in OBJECTION_PHASES:
        raise PhaseClosed(demand.consultation.phase)
    if utcnow() > objection_deadline(demand.consultation, placement):
        raise Conflict("window_closed")
    text = clean_text(text or "")
    if not text:
        raise ValidationFailed("text", "required")
    if len(text) > MAX_OBJECTION:
        raise ValidationFailed("text", "too_long")
    objection = Objection(demand_id=demand.id, author_id=author.id, text=text)
    db.session.add(objection)
    _record(demand.consultation, author, "objection", demand.title, demand=demand.id)
    db.session.commit()
    return objection


def answer_objection(objection: Objection, actor: User, answer: str) -> Objection:
    """Record the board's public answer to an objection (once; a second answer is refused as stale)."""
    consultation = objection.demand.consultation
    if consultation.phase not in OBJECTION_PHASES:
        raise PhaseClosed(consultation.phase)
    if objection.answered_at is not None:
        raise Conflict("stale")
    answer = clean_text(answer or "")
    if not answer:
        raise ValidationFailed("answer", "required")
    if len(answer) > MAX_OBJECTION:
        raise ValidationFailed("answer", "too_long")
    objection.answer, objection.answered_by_id, objection.answered_at = answer, actor.id, utcnow()
    _record(consultation, actor, "answer", objection.demand.title,
            demand=objection.demand_id, objection=objection.id)
    if objection.author is not None:
        notify([objection.author], "demand_linked",
               {"demand_id": objection.demand_id, "demand_title": objection.demand.title, "status": "answered"},
               _placement_link(objection.demand))
    db.session.commit()
    return objection
