"""Demo ballots: the demo federation's members vote as their reactions lean, for demonstrations and browser tests."""

from __future__ import annotations

import random

from sqlalchemy import select

from deliberate.ballots.services import cast_ballot
from deliberate.consolidation import services as consolidation
from deliberate.consolidation import suggestions
from deliberate.consolidation.services import active_items
from deliberate.consultations.services import advance_phase
from deliberate.demo.content import CONSULTATION_TITLE_ES, FEDERATION_SLUG
from deliberate.demo.federation import seed_demo
from deliberate.domain.errors import Conflict, NotFound, PhaseClosed
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import BallotCast, Consultation, Membership, MembershipStatus, Organization, Reaction, Role
from deliberate.models.agenda import DemandPlacement


def demo_ballot(leaning: dict[int, float]) -> tuple[list[list[int]], list[int]]:
    """Return a demo member's ranking and supported items from their leaning towards each item.

    The items are ranked by leaning; the member supports every item they lean towards (a net agreement of at
    least one with its demands), and at least their first: people accept more than their favourite, and not all.
    """
    ordered = sorted(leaning, key=lambda item: (-leaning[item], item))
    approved = [item for item in ordered if leaning[item] >= 1] or ordered[:1]
    return [[item] for item in ordered], sorted(approved)


def cast_demo_ballots(consultation_id: int, *, seed: int = 2029, abstain: float = 0.1) -> int:
    """Let the demo federation's members who have not voted yet cast a ballot; return how many were cast.

    Each member ranks the agenda items by how much they agreed with the demands linked to each item (their own
    reactions, plus a little noise), and supports those they lean towards (see :func:`demo_ballot`). About one
    member in ten abstains. Only the demo federation's consultations, and only while voting is open: these are real
    ballots cast in the members' names, for demonstrations and browser tests where a few people vote by hand.
    """
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.federation.slug != FEDERATION_SLUG:
        raise NotFound("consultation")
    if consultation.phase != Phase.VOTING:
        raise PhaseClosed(consultation.phase)
    items = [item.id for item in active_items(consultation)]
    linked: dict[int, list[int]] = {}
    for item_id, demand_id in db.session.execute(
            select(DemandPlacement.agenda_item_id, DemandPlacement.demand_id)
            .where(DemandPlacement.consultation_id == consultation.id, DemandPlacement.agenda_item_id.is_not(None))):
        linked.setdefault(item_id, []).append(demand_id)
    voted = set(db.session.scalars(select(BallotCast.user_id).where(BallotCast.consultation_id == consultation.id)))
    clubs = [club.id for club in consultation.federation.clubs()]
    members = db.session.scalars(
        select(Membership).where(Membership.organization_id.in_(clubs), Membership.status == MembershipStatus.ACTIVE)
        .order_by(Membership.id)).all()
    reactions: dict[tuple[int, int], int] = {
        (user_id, demand_id): value for user_id, demand_id, value in db.session.execute(
            select(Reaction.user_id, Reaction.demand_id, Reaction.value)
            .where(Reaction.user_id.in_([m.user_id for m in members]), Reaction.demand_id.in_(
                [d for demands in linked.values() for d in demands])))}
    rng = random.Random(seed)
    cast = 0
    for membership in members:
        if membership.user_id in voted or rng.random() < abstain:
            continue
        scores = {item: sum(reactions.get((membership.user_id, d), 0) for d in linked.get(item, []))
                  + rng.random() * 0.5 for item in items}
        ranking, approved = demo_ballot(scores)
        try:
            cast_ballot(consultation, membership.user, ranking, approved)
        except Conflict:  # voted meanwhile, or a member of two clubs already counted once
            continue
        voted.add(membership.user_id)
        cast += 1
    return cast


def open_demo_vote(groups: int = 6) -> int:
    """Take the demo consultation from collecting to voting on its first suggested groups; return its id.

    For demonstrations of the vote (and of club assemblies voting on paper) without consolidating by hand: the board
    moves the phases and accepts the suggestions, as it would in the workspace. Raises PhaseClosed when the demo
    consultation is no longer collecting.
    """
    seed_demo()
    consultation = db.session.scalar(select(Consultation).where(Consultation.title_es == CONSULTATION_TITLE_ES))
    if consultation.phase != Phase.COLLECTING:
        raise PhaseClosed(consultation.phase)
    board = db.session.scalars(
        select(Membership).join(Organization, Organization.id == Membership.organization_id)
        .where(Organization.slug == FEDERATION_SLUG, Membership.role == Role.BOARD)).first().user
    advance_phase(consultation, board, Phase.COLLECTING, Phase.CONSOLIDATING)
    suggestion = suggestions.refresh_suggestions(consultation, board)
    for cluster in suggestion.clusters[:groups]:
        consolidation.accept_cluster(consultation, board, cluster, title_es=f"Punto {cluster[0]}",
                                     title_en=f"Item {cluster[0]}")
    advance_phase(consultation, board, Phase.CONSOLIDATING, Phase.DELIBERATING)
    advance_phase(consultation, board, Phase.DELIBERATING, Phase.VOTING)
    return consultation.id
