"""The agenda's draft: the top of the official count, its minority and equity analysis, and the board's framing.

The draft is the count's: the top N items of the official ranking (or the proportional selection), in the count's
order, with the count's documented tie-break. The board adds framing texts only, and opens the window for minority
reports. The minority section comes from ``deliberate.domain.minority`` on the anonymised ballots (the same document
``deliberate tally`` reads), on a gender table of federation totals (made when the sealed ballots were mixed: no
ballot keeps a gender, groups under five are hidden) and, for opinion groups, on the members' reactions to each
item's linked demands: ballots carry no link to a person, so a voter's opinion group cannot be known without
breaking ballot secrecy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from deliberate import audit, permissions
from deliberate.agenda.documents import recount
from deliberate.ballots.services import ballot_box, official_tally, official_tally_input
from deliberate.domain import electorate as electorate_engine
from deliberate.domain import equity as equity_engine
from deliberate.domain import minority as minority_engine
from deliberate.domain import privacy
from deliberate.domain.count import Count, recount_command
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, PhaseClosed, ValidationFailed
from deliberate.domain.gender import GenderGroup, gender_group
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import (
    Agenda,
    AgendaItem,
    AgendaVersion,
    Consultation,
    Membership,
    MembershipStatus,
    Organization,
    Reaction,
    Role,
    User,
    utcnow,
)
from deliberate.models.agenda import DemandPlacement
from deliberate.opinion.services import frozen_snapshot
from deliberate.text import clean_text

MAX_TITLE = 160
MAX_FRAMING = 5000
DRAFT_PHASES = (Phase.TALLIED, Phase.PUBLISHED)


# --- reading ------------------------------------------------------------------------------------------------------

def agenda_of(consultation: Consultation) -> Agenda | None:
    return db.session.scalar(select(Agenda).where(Agenda.consultation_id == consultation.id))


# --- the count's order --------------------------------------------------------------------------------------------

def count_agenda(result: Count) -> tuple[list[str], dict[str, Any]]:
    """Return the agenda the count chose (item ids as text, best first) and how any tie was broken.

    With the ranking rule, the count's selection already gives the top N in order, its tie-break documented
    (a lottery order seeded by the inputs' digest, applied only inside a tier cut by the last seat). With a
    proportional rule the chosen items are listed in the ranking's order.
    """
    selection = result.selection
    if selection is None:
        return [], {"used": False}
    if selection.is_ranking:
        return list(selection.items), selection.tie_break.to_dict() if selection.tie_break else {"used": False}
    chosen = set(selection.items)
    order = [item for item in result.order if item in chosen]
    ties = list(selection.tie_breaks)
    return order, {"used": bool(ties), "descriptions": ties, "rule": selection.rule}


def items_in_count_order(result: Count, inputs: dict[str, Any]) -> list[str]:
    """Return every candidate in the count's order, unranked ones last: the order the analysis sorts by."""
    ranked = result.order
    return ranked + [c for c in inputs["candidates"] if c not in ranked]


# --- building the analysis ----------------------------------------------------------------------------------------

def equity_config(consultation: Consultation) -> equity_engine.EquityConfig:
    baseline = consultation.federation.parity_baseline
    return equity_engine.EquityConfig(
        womens_priority_slot=consultation.women_slot,
        participation_parity=consultation.participation_parity,
        board_composition=consultation.board_composition,
        women_baseline=equity_engine.DEFAULT_WOMEN_BASELINE if baseline is None else baseline,
    )


def board_genders(federation: Organization) -> list[GenderGroup | None]:
    """Return the gender group of each active board member of the federation (None when not said)."""
    rows = db.session.scalars(
        select(User.gender).join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == federation.id, Membership.status == MembershipStatus.ACTIVE,
               Membership.role == Role.BOARD, User.is_deleted.is_(False)))
    return [gender_group(gender) for gender in rows]


def voters_from_ballots(document: dict[str, Any]) -> list[electorate_engine.Voter]:
    """Turn the anonymised ballots into Voter records, each of its counting group (club, or pooled small clubs).

    Ballots carry no gender: the analysis reads genders from the table the mix froze. A ``gender`` key on
    ballots of the older format is ignored.
    """
    return [electorate_engine.Voter(club=ballot["club"], ranking=ballot["ranking"], approved=ballot["approved"])
            for ballot in document["ballots"]]


def _user_clubs(federation: Organization) -> dict[int, str]:
    rows = db.session.execute(
        select(Membership.user_id, Organization.slug).join(Organization, Organization.id == Membership.organization_id)
        .where(Organization.parent_id == federation.id, Membership.status == MembershipStatus.ACTIVE)
        .order_by(Membership.id))
    clubs: dict[int, str] = {}
    for user_id, slug in rows:
        clubs.setdefault(user_id, slug)
    return clubs


def linked_demands(consultation: Consultation) -> dict[int, list[int]]:
    """Return each agenda item's linked demand ids (empty when consolidation has not placed any)."""
    rows = db.session.execute(
        select(DemandPlacement.agenda_item_id, DemandPlacement.demand_id)
        .where(DemandPlacement.consultation_id == consultation.id, DemandPlacement.agenda_item_id.is_not(None)))
    linked: dict[int, list[int]] = defaultdict(list)
    for item_id, demand_id in rows:
        linked[item_id].append(demand_id)
    return linked


def group_voters(consultation: Consultation, items: Sequence[str]) -> list[electorate_engine.Voter] | None:
    """Build one record per opinion-group member from their reactions to each item's linked demands.

    A member supports an item when they agreed with more of its linked demands than they disagreed with; their
    "ranking" orders the items by that net agreement. Returns None without a frozen opinion snapshot.
    """
    snapshot = frozen_snapshot(consultation)
    if snapshot is None:
        return None
    groups = {int(user): entry.get("group") for user, entry in (snapshot.result or {}).items()
              if entry.get("group") is not None}
    linked = linked_demands(consultation)
    item_of = {demand: str(item) for item, demands in linked.items() for demand in demands if str(item) in items}
    if not groups or not item_of:
        return []
    net: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = db.session.execute(
        select(Reaction.user_id, Reaction.demand_id, Reaction.value)
        .where(Reaction.demand_id.in_(list(item_of)), Reaction.user_id.in_(list(groups))))
    for user_id, demand_id, value in rows:
        net[user_id][item_of[demand_id]] += value
    clubs = _user_clubs(consultation.federation)
    voters = []
    for user_id in sorted(net):
        scores = {item: score for item, score in net[user_id].items() if score > 0}
        levels = sorted(set(scores.values()), reverse=True)
        ranking = [sorted(item for item, score in scores.items() if score == level) for level in levels]
        voters.append(electorate_engine.Voter(club=clubs.get(user_id, "-"), group=groups[user_id], ranking=ranking,
                                   approved=sorted(scores)))
    return voters


@dataclass(frozen=True)
class Draft:
    """Everything the draft page and the published version show."""

    consultation: Consultation
    tally: Count
    inputs: dict[str, Any]
    count_order: tuple[str, ...]
    tie_break: dict[str, Any]
    agenda: tuple[str, ...]
    analysis: minority_engine.Analysis
    gender_table: equity_engine.GenderTable
    groups: minority_engine.MinorityAnalysis | None
    groups_source: str  # "reactions" or "unavailable"
    items: dict[str, AgendaItem]
    matches_official: bool  # the recount from the published ballots chose the same items as the stored count

    @property
    def blocks_publishing(self) -> bool:
        return self.analysis.equity.blocks_publishing

    @property
    def womens_slot_item(self) -> str | None:
        slot = self.analysis.equity.womens_priority_slot
        return str(slot.item) if slot.status is equity_engine.CheckStatus.ADJUSTED else None


def build_draft(consultation: Consultation) -> Draft:
    """Draft the agenda from the official count and run the equity checks and the minority analysis."""
    if consultation.phase not in DRAFT_PHASES:
        raise PhaseClosed(consultation.phase)
    tally = official_tally(consultation)
    if tally is None:
        raise NotFound("tally", consultation.id)
    box = ballot_box(consultation)
    inputs = official_tally_input(consultation)
    if privacy.is_small(len(inputs["ballots"])):
        raise Conflict("too_few_voters")
    result = recount(inputs)
    order, tie_break = count_agenda(result)
    items_order = items_in_count_order(result, inputs)
    electorate = electorate_engine.Electorate.build(items_order, voters_from_ballots(inputs))
    table = equity_engine.GenderTable.from_dict(box.gender_table)
    analysis = minority_engine.analyse(items_order, order, electorate, genders=table, turnout=box.turnout,
                              board_genders=board_genders(consultation.federation), config=equity_config(consultation))
    reaction_voters = group_voters(consultation, items_order)
    groups = None
    if reaction_voters:
        groups = minority_engine.analyse_minority(items_order, analysis.equity.agenda, reaction_voters)
    items = {str(item.id): item for item in db.session.scalars(
        select(AgendaItem).where(AgendaItem.consultation_id == consultation.id))}
    return Draft(consultation=consultation, tally=result, inputs=inputs, count_order=tuple(order),
                 tie_break=tie_break, agenda=tuple(str(i) for i in analysis.equity.agenda), analysis=analysis,
                 gender_table=table, groups=groups,
                 groups_source="reactions" if reaction_voters else "unavailable", items=items,
                 matches_official=count_agenda(Count.from_dict(tally.result))[0] == order)


# --- drafting: framing and the report window ----------------------------------------------------------------------

def require_board(consultation: Consultation, actor: User) -> None:
    if not permissions.is_board(actor, consultation):
        raise PermissionDenied("not_board")


def ensure_agenda(consultation: Consultation) -> Agenda:
    agenda = agenda_of(consultation)
    if agenda is None:
        agenda = Agenda(consultation_id=consultation.id, framing_es="", framing_en="")
        db.session.add(agenda)
        db.session.flush()
    return agenda


def save_framing(consultation: Consultation, actor: User, framing_es: str, framing_en: str) -> Agenda:
    """Save the board's framing texts (Spanish and English); items and their order are the count's."""
    require_board(consultation, actor)
    if consultation.phase not in DRAFT_PHASES:
        raise PhaseClosed(consultation.phase)
    framing_es, framing_en = clean_text(framing_es), clean_text(framing_en)
    for name, value in (("framing_es", framing_es), ("framing_en", framing_en)):
        if len(value) > MAX_FRAMING:
            raise ValidationFailed(name, "too_long")
    agenda = ensure_agenda(consultation)
    agenda.framing_es, agenda.framing_en = framing_es, framing_en
    audit.record(consultation.federation, actor, "agenda.framing", consultation.title("es"))
    db.session.commit()
    return agenda


def open_report_window(consultation: Consultation, actor: User, until: datetime) -> Agenda:
    """Set until when minority reports may be written; a window can be extended, never shortened."""
    require_board(consultation, actor)
    if consultation.phase not in DRAFT_PHASES:
        raise PhaseClosed(consultation.phase)
    if until <= utcnow():
        raise ValidationFailed("minority_report_until", "in_the_past")
    agenda = ensure_agenda(consultation)
    if agenda.minority_report_until is not None and until < agenda.minority_report_until:
        raise ValidationFailed("minority_report_until", "shorter")
    agenda.minority_report_until = until
    audit.record(consultation.federation, actor, "agenda.report_window", consultation.title("es"),
                 facts={"until": until.isoformat()})
    db.session.commit()
    return agenda


def report_window_open(agenda: Agenda | None) -> bool:
    return agenda is not None and agenda.minority_report_until is not None and utcnow() < agenda.minority_report_until


def ballots_filename(version: AgendaVersion) -> str:
    """Return the name under which a version's anonymised ballots are downloaded."""
    return f"agenda-{version.agenda_id}-v{version.number}-ballots.json"


def recount_command_of(version: AgendaVersion, document: dict[str, Any]) -> str:
    """Return the command that recounts a version's downloaded ballots with the settings of its published count."""
    return recount_command(Count.from_dict(document["result"]["tally"]), ballots_filename(version))
