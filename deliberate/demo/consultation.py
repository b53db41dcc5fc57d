"""Seed the demo federation's consultation: collecting for three weeks, with demands and members' reactions."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select

from deliberate.consultations.services import create_consultation, ensure_default_categories
from deliberate.deliberation.services import recount_reactions
from deliberate.demands.services import DemandInput, edit_demand, set_endorsement, submit_demand
from deliberate.demo.content import (
    AGREEMENT,
    CAMPS,
    CLUB_CAMPS,
    CLUBS,
    CONSULTATION_TITLE_EN,
    CONSULTATION_TITLE_ES,
    DEMANDS,
)
from deliberate.domain.gender import Gender
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import (
    Consultation,
    Demand,
    DemandVersion,
    Language,
    Membership,
    MembershipStatus,
    Organization,
    Reaction,
    Role,
    Target,
    utcnow,
)

#: The first text of the demo's first demand, which its author then edited (its history shows the change).
FIRST_TEXT = ("Doctor para la clínica", "La clínica no tiene doctor.")


def seed_demo_consultation(federation: Organization) -> None:
    """Create the demo federation's consultation once: collecting, with demands and members' reactions.

    The demands, the edit and the endorsements go through the services that members use; what no service does is
    set in place: the history (three weeks of collecting, demands written over twenty days) and the reactions,
    written as one batch (a transaction per reaction would take thousands), with the counts recounted.
    """
    exists = db.session.scalar(
        select(Consultation.id).where(
            Consultation.federation_id == federation.id, Consultation.title_es == CONSULTATION_TITLE_ES
        )
    )
    if exists is not None:
        return
    categories = {c.slug: c.id for c in ensure_default_categories(federation)}
    rng = random.Random(2027)
    now = utcnow().replace(microsecond=0)
    today = now.date()
    board = db.session.scalars(
        select(Membership).where(Membership.organization_id == federation.id, Membership.role == Role.BOARD)
        .order_by(Membership.id)
    ).first()
    consultation = create_consultation(
        federation, board.user if board else None,
        title_es=CONSULTATION_TITLE_ES,
        title_en=CONSULTATION_TITLE_EN,
        description_es=(
            "Cada club trae las demandas de sus socios y de su pueblo. Entre todos armamos **una sola agenda** "
            "para presentarla al gobierno de Zacatecas, al consulado y a las ciudades donde vivimos."
        ),
        description_en=(
            "Each club brings the demands of its members and its hometown. Together we build **one agenda** to "
            "present to the government of Zacatecas, the consulate and the cities where we live."
        ),
        collecting_until=today + timedelta(days=30),
        consolidating_until=today + timedelta(days=45),
        deliberating_until=today + timedelta(days=75),
        voting_until=today + timedelta(days=90),
    )
    # The demo starts three weeks into collecting, without telling eighty members that it opened.
    consultation.phase = Phase.COLLECTING
    consultation.phase_changed_at = now - timedelta(days=21)
    consultation.created_at = now - timedelta(days=25)
    consultation.agenda_size = 10
    db.session.commit()
    named = {club.name: club for club in federation.clubs()}
    clubs = [named[name] for name, *_ in CLUBS if name in named] or federation.clubs()
    memberships = db.session.scalars(
        select(Membership)
        .where(Membership.organization_id.in_([c.id for c in clubs]), Membership.status == MembershipStatus.ACTIVE)
        .order_by(Membership.id)
    ).all()
    by_club: dict[int, list[Membership]] = {}
    for membership in memberships:
        by_club.setdefault(membership.organization_id, []).append(membership)
    # Each member's opinion camp: mostly their club's leaning; many women lean to the women's agenda; some noise.
    camp_of: dict[int, int] = {}
    for index, club in enumerate(clubs):
        for membership in by_club.get(club.id, []):
            camp = CAMPS.index(CLUB_CAMPS[index % len(CLUB_CAMPS)])
            if membership.user.gender is Gender.WOMAN and rng.random() < 0.35:
                camp = CAMPS.index("mujeres")
            elif rng.random() < 0.15:
                camp = rng.randrange(len(CAMPS))
            camp_of[membership.user_id] = camp

    demands: list[tuple[Demand, str]] = []
    ages = sorted((rng.uniform(0.5, 20.0) for _ in DEMANDS), reverse=True)
    for (club_index, language, category, target, theme, title, body), age in zip(DEMANDS, ages, strict=True):
        club = clubs[club_index % len(clubs)]
        author = rng.choice(by_club[club.id]).user
        text = DemandInput(title=title, body=body, category_id=categories.get(category), target=Target(target),
                           language=Language(language))
        if not demands:  # one demand was edited once: it is written first as it was, then as it is
            first_title, first_body = FIRST_TEXT
            demand = submit_demand(consultation, author, DemandInput(
                title=first_title, body=first_body, category_id=text.category_id, target=text.target,
                language=text.language))
            edit_demand(demand, author, text, expected_version=1)
        else:
            demand = submit_demand(consultation, author, text)
        demand.created_at = demand.updated_at = now - timedelta(days=age)
        demands.append((demand, theme))

    edited = demands[0][0]
    for version in db.session.scalars(select(DemandVersion).where(DemandVersion.demand_id == edited.id)):
        version.created_at = edited.created_at + timedelta(hours=5)  # when its text was replaced
    # A few demands carry their club's endorsement, given the day after they were written.
    for demand, _theme in demands[::6]:
        officer = next((m for m in by_club[demand.club_id] if m.role is Role.OFFICER), None)
        if officer is not None:
            set_endorsement(demand, officer.user, True)
            demand.endorsed_at = demand.created_at + timedelta(days=1)

    rows = []
    for membership in memberships:
        if rng.random() < 0.12:  # a few members have not taken part yet
            continue
        camp = camp_of[membership.user_id]
        share = rng.uniform(0.45, 1.0)
        for demand, theme in demands:
            if demand.author_id == membership.user_id:
                value = 1  # authors agree with their own demand
            elif rng.random() > share:
                continue
            else:
                agree = AGREEMENT[theme][camp]
                draw = rng.random()
                value = 1 if draw < agree else (0 if draw < agree + (1 - agree) * 0.2 else -1)
            when = max(demand.created_at, now - timedelta(days=rng.uniform(0, 20)))
            rows.append({"demand_id": demand.id, "user_id": membership.user_id, "value": value,
                         "created_at": when, "updated_at": when})
    if rows:
        db.session.execute(insert(Reaction), rows)
    for demand, _theme in demands:
        recount_reactions(demand)
    db.session.commit()
