"""Consultations: create and edit them, their settings, the federation's categories, and moving the phase.

Every write here is one use case that commits once. Errors are domain exceptions carrying data; the views choose the
words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import url_for
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from deliberate import audit, permissions
from deliberate.ballots.services import store_official_tally, voted_on_paper
from deliberate.consolidation.services import active_items
from deliberate.domain import phases as phase_rules
from deliberate.domain import readiness as readiness_rules
from deliberate.domain.errors import Conflict, NotReady, PhaseClosed, ValidationFailed
from deliberate.domain.phases import Phase, advance, next_phase
from deliberate.domain.rules import AgendaSelection, CheckMode, ClubMode, ClubWeighting, VotingMethod
from deliberate.extensions import db
from deliberate.models import (
    AgendaItem,
    BallotCast,
    Category,
    Consultation,
    Demand,
    Membership,
    MembershipStatus,
    OpinionSnapshot,
    Organization,
    Reaction,
    User,
    utcnow,
)
from deliberate.models.agenda import DemandPlacement
from deliberate.notifications.services import notify_federation
from deliberate.opinion.services import freeze_for_voting
from deliberate.organizations.services import seed_default_categories, slugify
from deliberate.text import clean_markdown, clean_text

#: The schedule fields, in phase order: each must not come before the previous one.
SCHEDULE_FIELDS = ("collecting_until", "consolidating_until", "deliberating_until", "voting_until")

#: The phases in which the settings can no longer change (voting has opened).
SETTINGS_LOCKED_FROM = (Phase.VOTING, Phase.TALLIED, Phase.PUBLISHED)

MAX_AGENDA_SIZE = 50
MAX_TITLE = 160
MAX_DESCRIPTION = 5000
MAX_CATEGORY_NAME = 80

_PHASES = list(Phase)


# --- reading ------------------------------------------------------------------------------------------------------

def consultations_of(federation: Organization, viewer: User | None) -> list[Consultation]:
    """Return the federation's consultations the viewer may see, the newest first (drafts only for the board)."""
    query = select(Consultation).where(Consultation.federation_id == federation.id)
    if not permissions.is_board(viewer, federation):
        query = query.where(Consultation.phase != Phase.DRAFT)
    return list(db.session.scalars(query.order_by(Consultation.created_at.desc(), Consultation.id.desc())))


def settings_locked(consultation: Consultation) -> bool:
    """Tell whether the settings are frozen because voting has opened."""
    return consultation.phase in SETTINGS_LOCKED_FROM


def timeline(consultation: Consultation) -> list[dict[str, Any]]:
    """Return every phase with its scheduled last day and whether it is done, current or to come."""
    current = _PHASES.index(consultation.phase)
    return [
        {
            "phase": phase,
            "until": consultation.until(phase),
            "state": "done" if i < current else "current" if i == current else "upcoming",
        }
        for i, phase in enumerate(_PHASES)
    ]


def federation_audience_count(federation: Organization) -> int:
    """Return how many people a federation's notification reaches (counted, not loaded: 40,000 members)."""
    organization_ids = select(Organization.id).where(
        or_(Organization.id == federation.id, Organization.parent_id == federation.id))
    return db.session.scalar(
        select(func.count(func.distinct(Membership.user_id)))
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id.in_(organization_ids), Membership.status == MembershipStatus.ACTIVE,
               User.is_deleted.is_(False))) or 0


# --- consultations ------------------------------------------------------------------------------------------------

def _clean_details(details: dict[str, Any]) -> dict[str, Any]:
    """Clean and check a consultation's texts and schedule; raise ValidationFailed for the first problem."""
    cleaned: dict[str, Any] = {}
    for key in ("title_es", "title_en"):
        cleaned[key] = clean_text(details.get(key))
        if len(cleaned[key]) > MAX_TITLE:
            raise ValidationFailed(key, "too_long")
    if not (cleaned["title_es"] or cleaned["title_en"]):
        raise ValidationFailed("title_es", "required")
    for key in ("description_es", "description_en"):
        cleaned[key] = clean_markdown(details.get(key))
        if len(cleaned[key]) > MAX_DESCRIPTION:
            raise ValidationFailed(key, "too_long")
    previous: date | None = None
    for key in SCHEDULE_FIELDS:
        value = details.get(key)
        if value is not None and not isinstance(value, date):
            raise ValidationFailed(key, "invalid")
        if value is not None and previous is not None and value < previous:
            raise ValidationFailed(key, "out_of_order")
        cleaned[key] = value
        previous = value or previous
    return cleaned


def create_consultation(federation: Organization, actor: User, **details: Any) -> Consultation:
    """Open a draft consultation of a federation with its titles, descriptions and schedule."""
    if federation.is_club:
        raise ValidationFailed("federation", "not_a_federation")
    cleaned = _clean_details(details)
    consultation = Consultation(federation=federation, created_by=actor, phase=Phase.DRAFT,
                                phase_changed_at=utcnow(), **cleaned)
    db.session.add(consultation)
    seed_default_categories(federation)  # a federation made before they were seeded at its creation
    audit.record(federation, actor, "consultation.create", consultation.title("es"))
    db.session.commit()
    return consultation


def update_consultation(consultation: Consultation, actor: User, **details: Any) -> None:
    """Save a consultation's titles, descriptions and schedule."""
    if consultation.phase is Phase.PUBLISHED:
        raise PhaseClosed(consultation.phase)
    cleaned = _clean_details(details)
    for key, value in cleaned.items():
        setattr(consultation, key, value)
    audit.record(consultation.federation, actor, "consultation.update", consultation.title("es"))
    db.session.commit()


def update_settings(consultation: Consultation, actor: User, **settings: Any) -> None:
    """Save the settings the later phases use; refused once voting has opened."""
    if settings_locked(consultation):
        raise PhaseClosed(consultation.phase)
    values = _check_settings(settings)
    for key, value in values.items():
        setattr(consultation, key, value)
    saved = {key: getattr(value, "value", value) for key, value in values.items()}
    audit.record(consultation.federation, actor, "consultation.settings", consultation.title("es"),
                 facts={"settings": saved})
    db.session.commit()


def _check_settings(settings: dict[str, Any]) -> dict[str, Any]:
    enums = {
        "voting_method": VotingMethod, "club_weighting": ClubWeighting, "club_mode": ClubMode,
        "selection": AgendaSelection, "women_slot": CheckMode, "participation_parity": CheckMode,
        "board_composition": CheckMode,
    }
    values: dict[str, Any] = {}
    for key, enum_type in enums.items():
        try:
            values[key] = enum_type(settings[key])
        except (KeyError, ValueError) as error:
            raise ValidationFailed(key, "invalid") from error
    agenda_size = settings.get("agenda_size")
    if not isinstance(agenda_size, int) or not 1 <= agenda_size <= MAX_AGENDA_SIZE:
        raise ValidationFailed("agenda_size", "out_of_range")
    values["agenda_size"] = agenda_size
    cap = settings.get("weighting_cap")
    if values["club_weighting"] is ClubWeighting.CAPPED:
        if not isinstance(cap, int) or cap < 1:
            raise ValidationFailed("weighting_cap", "required")
        values["weighting_cap"] = cap
    else:
        values["weighting_cap"] = None
    for key in ("voters_threshold", "clubs_threshold"):
        value = settings.get(key)
        if not isinstance(value, int | float) or not 0 < value <= 1:
            raise ValidationFailed(key, "out_of_range")
        values[key] = float(value)
    return values


# --- phases -------------------------------------------------------------------------------------------------------

def readiness_facts(consultation: Consultation) -> readiness_rules.Facts:
    """Count what the readiness rules look at: demands, items a ballot would show, unplaced demands, ballots."""
    visible = (Demand.consultation_id == consultation.id, Demand.hidden_at.is_(None), Demand.is_withdrawn.is_(False))
    demands = db.session.scalar(select(func.count(Demand.id)).where(*visible)) or 0
    placed = select(DemandPlacement.demand_id).where(DemandPlacement.consultation_id == consultation.id)
    unplaced = db.session.scalar(select(func.count(Demand.id)).where(*visible, Demand.id.not_in(placed))) or 0
    items = len(active_items(consultation))
    live = db.session.scalar(select(func.count(AgendaItem.id)).where(
        AgendaItem.consultation_id == consultation.id, AgendaItem.merged_into_id.is_(None))) or 0
    reactions = db.session.scalar(select(func.count(Reaction.id)).join(Demand, Demand.id == Reaction.demand_id)
                                  .where(Demand.consultation_id == consultation.id)) or 0
    ballots = db.session.scalar(select(func.count(BallotCast.id)).where(
        BallotCast.consultation_id == consultation.id)) or 0
    return readiness_rules.Facts(demands=demands, items=items, empty_items=live - items, unplaced=unplaced,
                                 reactions=reactions, ballots=ballots)


def readiness(consultation: Consultation, target: Phase | None = None) -> tuple[readiness_rules.Gap, ...]:
    """Return what stands between the consultation and its next phase (or ``target``), blocking gaps first."""
    target = target or next_phase(consultation.phase)
    return readiness_rules.gaps(target, readiness_facts(consultation)) if target else ()


def advance_phase(consultation: Consultation, actor: User, expected_current: Phase, target: Phase, *,
                  confirmed: bool | None = None) -> Consultation:
    """Move a consultation one phase forward, if it is still where the board member saw it and is ready for it.

    Raises Conflict("stale") when another board member moved it in the meantime (nothing changes), and
    InvalidTransition for any move other than one step forward. Raises NotReady when a blocking gap stands in the
    way (a vote on a ballot without items), and, when ``confirmed`` is False, when a warning has not been
    confirmed (the board's form says it; a command or another service passes None and only blocking gaps stop it).
    The move is recorded in the audit log and every active member of the federation is notified. Later issues add
    their work here, inside the same transaction (for example freezing the opinion snapshot when ``target`` is
    voting).
    """
    expected_current, target = Phase(expected_current), Phase(target)
    if consultation.phase is not expected_current:
        raise Conflict("stale")
    advance(expected_current, target)  # raises InvalidTransition for anything but the next step
    now = utcnow()
    # Compare-and-set: of two board members pressing at once, only one moves the phase.
    moved = db.session.execute(
        update(Consultation)
        .where(Consultation.id == consultation.id, Consultation.phase == expected_current)
        .values(phase=target, phase_changed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.rollback()
        raise Conflict("stale")
    found = readiness(consultation, target)  # after the compare-and-set: a stale form is told it is stale
    if readiness_rules.blocking(found) or (confirmed is False and readiness_rules.warnings(found)):
        db.session.rollback()
        raise NotReady(found, needs_confirmation=not readiness_rules.blocking(found))
    consultation.phase, consultation.phase_changed_at = target, now
    # Hooks for later issues go here (before the commit), e.g. when target is Phase.VOTING.
    if target is Phase.VOTING:  # the opinion map's final snapshot, frozen for the agenda's minority section
        freeze_for_voting(consultation)
    if target is Phase.TALLIED:
        try:
            store_official_tally(consultation)
        except Conflict:  # a sealed ballot does not open (the ballot key changed): the phase does not move
            db.session.rollback()
            raise
    federation = consultation.federation
    audit.record(federation, actor, "consultation.phase", consultation.title("es"),
                 facts={"from": expected_current.value, "to": target.value})
    notify_federation(
        federation,
        "phase_changed",
        {"consultation_id": consultation.id, "title_es": consultation.title_es, "title_en": consultation.title_en,
         "phase": target.value},
        _consultation_link(consultation),
    )
    db.session.commit()
    return consultation


def step_back_refusal(consultation: Consultation) -> str | None:
    """Return why the consultation may not step back one phase now (a short code), or None when it may."""
    cast = db.session.scalar(select(BallotCast.id).where(BallotCast.consultation_id == consultation.id).limit(1))
    demands = db.session.scalar(select(Demand.id).where(Demand.consultation_id == consultation.id).limit(1))
    return phase_rules.step_back_refusal(consultation.phase, ballots_cast=cast is not None,
                                         has_demands=demands is not None)


def step_back_phase(consultation: Consultation, actor: User, expected_current: Phase, reason: str) -> Consultation:
    """Move a consultation one phase back, with a public reason, while nothing irreversible has happened.

    Raises Conflict("stale") when the phase is no longer the one the board member saw, Conflict(<code>) with the
    code of ``phase_rules.step_back_refusal`` when it may not step back (a ballot was cast in the meantime: the
    check runs again under the row's lock), and ValidationFailed("reason", "required") for an empty reason.
    Stepping back from voting unfreezes the opinion map, so that the final map is taken when voting opens again.
    Every active member of the federation is told, with the reason.
    """
    reason = clean_text(reason or "")
    if not reason:
        raise ValidationFailed("reason", "required")
    expected_current = Phase(expected_current)
    if consultation.phase is not expected_current:
        raise Conflict("stale")
    target = phase_rules.previous_phase(expected_current)
    now = utcnow()
    moved = db.session.execute(
        update(Consultation)
        .where(Consultation.id == consultation.id, Consultation.phase == expected_current)
        .values(phase=target or expected_current, phase_changed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.rollback()
        raise Conflict("stale")
    # After the compare-and-set, which holds the consultation's row: a ballot cast from now on finds the phase moved.
    refusal = step_back_refusal(consultation)
    if refusal is not None:
        db.session.rollback()
        raise Conflict(refusal)
    consultation.phase, consultation.phase_changed_at = target, now
    if expected_current is Phase.VOTING:
        db.session.execute(update(OpinionSnapshot).where(OpinionSnapshot.consultation_id == consultation.id)
                           .values(is_frozen=False, frozen_at=None))
    federation = consultation.federation
    audit.record(federation, actor, "consultation.step_back", consultation.title("es"),
                 facts={"from": expected_current.value, "to": target.value, "reason": reason})
    notify_federation(
        federation,
        "phase_stepped_back",
        {"consultation_id": consultation.id, "title_es": consultation.title_es, "title_en": consultation.title_en,
         "phase": target.value, "reason": reason},
        _consultation_link(consultation),
    )
    db.session.commit()
    return consultation


def _consultation_link(consultation: Consultation) -> str:
    try:
        return url_for("consultations.show", consultation_id=consultation.id)
    except RuntimeError:  # no request and no SERVER_NAME (a command line run)
        return f"/consultations/{consultation.id}"


@dataclass(frozen=True)
class Capabilities:
    """What this person can do now on a consultation's page: the phase rules, decided once, for the template.

    ``primary`` names the one action the page puts first (a field of this value), or is None.
    """

    submit_demand: bool = False
    react: bool = False
    vote: bool = False
    read_agenda: bool = False
    see_results: bool = False
    see_demands: bool = False
    see_items: bool = False
    minority_reports: bool = False
    see_map: bool = False
    club_assemblies: bool = False
    voted_on_paper: bool = False
    join_to_take_part: bool = False
    primary: str | None = None
    # the board's controls
    is_board: bool = False
    draft_agenda: bool = False
    edit: bool = False
    consolidate: bool = False
    advance_to: Phase | None = None
    step_back: bool = False


def capabilities(consultation: Consultation, user: User | None) -> Capabilities:
    """Decide what the person can do now on the consultation's page, from its phase and their role."""
    phase = consultation.phase
    in_federation = permissions.role_in(user, consultation.federation) is not None
    board = permissions.is_board(user, consultation)
    counted = phase in (Phase.TALLIED, Phase.PUBLISHED)
    submit = phase is Phase.COLLECTING and in_federation
    react = phase in (Phase.COLLECTING, Phase.DELIBERATING) and in_federation
    on_paper = phase is Phase.VOTING and user is not None and user.is_authenticated and voted_on_paper(user,
                                                                                                        consultation)
    vote = phase is Phase.VOTING and in_federation and not on_paper
    primary = {
        Phase.COLLECTING: "submit_demand" if submit else "see_demands",
        Phase.CONSOLIDATING: "see_demands",
        Phase.DELIBERATING: "react" if react else None,
        Phase.VOTING: "vote" if vote else None,
        Phase.TALLIED: "see_results",
        Phase.PUBLISHED: "read_agenda",
    }.get(phase)
    return Capabilities(
        submit_demand=submit,
        react=react,
        vote=vote,
        read_agenda=phase is Phase.PUBLISHED,
        see_results=counted,
        see_demands=phase is not Phase.DRAFT,
        see_items=phase not in (Phase.DRAFT, Phase.COLLECTING),
        minority_reports=counted and in_federation,
        see_map=phase is not Phase.DRAFT and permissions.can_see_map(user, consultation),
        club_assemblies=phase is not Phase.DRAFT and permissions.is_member(user, consultation),
        voted_on_paper=on_paper,
        join_to_take_part=(user is None or not user.is_authenticated)
        and phase in (Phase.COLLECTING, Phase.DELIBERATING, Phase.VOTING),
        primary=primary,
        is_board=board,
        draft_agenda=board and counted,
        edit=board and phase is not Phase.PUBLISHED,
        consolidate=board and phase is Phase.CONSOLIDATING,
        advance_to=next_phase(phase) if board else None,
        step_back=board and step_back_refusal(consultation) is None,
    )


def following_phase(consultation: Consultation) -> Phase | None:
    """Return the phase the consultation would move to next, or None after the last one."""
    return next_phase(consultation.phase)


# --- categories ---------------------------------------------------------------------------------------------------

def categories_of(federation: Organization, *, include_archived: bool = False) -> list[Category]:
    """Return the federation's categories in their order (archived ones only when asked)."""
    query = select(Category).where(Category.federation_id == federation.id)
    if not include_archived:
        query = query.where(Category.is_archived.is_(False))
    return list(db.session.scalars(query.order_by(Category.position, Category.id)))


def ensure_default_categories(federation: Organization) -> list[Category]:
    """Give a federation its starting categories if it has none; return its active categories.

    Idempotent: a federation that has any category (even archived ones) is left as it is. New federations get them
    when they are created (``organizations.services.create_federation``); this is for the ones made before that.
    """
    try:
        seed_default_categories(federation)
        db.session.commit()
    except IntegrityError:  # another request seeded them at the same moment
        db.session.rollback()
    return categories_of(federation)


def _category_names(name_es: str | None, name_en: str | None) -> tuple[str, str]:
    name_es, name_en = clean_text(name_es), clean_text(name_en)
    if not (name_es or name_en):
        raise ValidationFailed("name_es", "required")
    for key, value in (("name_es", name_es), ("name_en", name_en)):
        if len(value) > MAX_CATEGORY_NAME:
            raise ValidationFailed(key, "too_long")
    return name_es or name_en, name_en or name_es


def add_category(federation: Organization, actor: User, name_es: str, name_en: str) -> Category:
    """Add a category at the end of the federation's list."""
    ensure_default_categories(federation)
    name_es, name_en = _category_names(name_es, name_en)
    existing = categories_of(federation, include_archived=True)
    slugs = {category.slug for category in existing}
    base = slugify(name_en or name_es)[:50] or "category"
    slug, n = base, 2
    while slug in slugs:
        slug, n = f"{base}-{n}", n + 1
    category = Category(federation_id=federation.id, slug=slug, name_es=name_es, name_en=name_en,
                        position=max((c.position for c in existing), default=-1) + 1, is_archived=False)
    db.session.add(category)
    audit.record(federation, actor, "category.create", name_es, facts={"slug": slug})
    try:
        db.session.commit()
    except IntegrityError as error:  # the same category added twice at once
        db.session.rollback()
        raise Conflict("duplicate") from error
    return category


def rename_category(category: Category, actor: User, name_es: str, name_en: str) -> None:
    """Change a category's names (its slug, used in links, stays)."""
    name_es, name_en = _category_names(name_es, name_en)
    before = {"name_es": category.name_es, "name_en": category.name_en}
    category.name_es, category.name_en = name_es, name_en
    federation = db.session.get(Organization, category.federation_id)
    audit.record(federation, actor, "category.rename", f"{name_es} / {name_en}", facts=before)
    db.session.commit()


def set_category_archived(category: Category, actor: User, archived: bool) -> None:
    """Archive a category (new demands cannot use it; existing ones keep it) or bring it back."""
    if category.is_archived is archived:
        raise Conflict("unchanged")
    category.is_archived = archived
    federation = db.session.get(Organization, category.federation_id)
    audit.record(federation, actor, "category.archive" if archived else "category.restore", category.name_es)
    db.session.commit()
