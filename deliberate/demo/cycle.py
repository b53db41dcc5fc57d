"""The whole cycle at once: a demo consultation from demands to a published agenda with its minority report and
the programmes that follow it up (``deliberate demo-cycle``), through the services the board and members use.

Club Jerez decides in its assemblies: one raises a demand, and one votes on paper (see :mod:`deliberate.demo.assembly`):
its twelve paper ballots, typed twice by its two officers, are counted with the online ones and labelled on the
published agenda."""

from __future__ import annotations

import io
import random
from datetime import timedelta

from sqlalchemy import func, insert, select

from deliberate.agenda import draft as agenda_draft
from deliberate.agenda import publish as agenda_publish
from deliberate.agenda import reports as agenda_reports
from deliberate.ballots.services import cast_ballot
from deliberate.consolidation import services as consolidation
from deliberate.consolidation import suggestions
from deliberate.consolidation.services import active_items
from deliberate.consultations.services import advance_phase, create_consultation, ensure_default_categories
from deliberate.deliberation.services import recount_reactions
from deliberate.demands.services import DemandInput, submit_demand
from deliberate.demo.assembly import assembly_demand, paper_vote
from deliberate.demo.ballots import demo_ballot
from deliberate.demo.content import AGREEMENT, CAMPS, CLUB_CAMPS, CLUBS, DEMANDS, FEDERATION_SLUG
from deliberate.demo.federation import seed_demo
from deliberate.domain.gender import Gender
from deliberate.domain.phases import Phase
from deliberate.domain.programmes import CommitmentStatus, Currency, OwnerKind, Source, Status
from deliberate.extensions import db
from deliberate.models import (
    Consultation,
    Demand,
    Language,
    Membership,
    MembershipStatus,
    Organization,
    Reaction,
    Role,
    Target,
    User,
    utcnow,
)
from deliberate.opinion.services import freeze_for_voting, frozen_snapshot
from deliberate.programmes import services as programmes


def run_demo_cycle() -> tuple[int, int]:
    """Run a complete demo consultation on the demo federation; return (agenda id, consultation id)."""
    seed_demo()
    federation = db.session.scalar(select(Organization).where(Organization.slug == FEDERATION_SLUG))
    board = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == federation.id, Membership.role == Role.BOARD,
               Membership.status == MembershipStatus.ACTIVE).order_by(Membership.id)).first()
    runs = db.session.scalar(select(func.count(Consultation.id)).where(
        Consultation.federation_id == federation.id, Consultation.title_en.like("Demo cycle%"))) or 0
    consultation = create_consultation(
        federation, board, title_es=f"Ciclo de demostración {runs + 1}", title_en=f"Demo cycle {runs + 1}",
        description_es="Una consulta completa de demostración: demandas, consolidación, votación y publicación.",
        description_en="A complete demo consultation: demands, consolidation, vote and publication.")
    consultation.agenda_size = 5
    db.session.commit()
    advance_phase(consultation, board, Phase.DRAFT, Phase.COLLECTING)

    rng = random.Random(2028 + runs)
    categories = {c.slug: c.id for c in ensure_default_categories(federation)}
    named = {club.name: club for club in federation.clubs()}
    clubs = [named[name] for name, *_ in CLUBS if name in named]
    members = db.session.scalars(
        select(Membership).where(Membership.organization_id.in_([c.id for c in clubs]),
                                 Membership.status == MembershipStatus.ACTIVE).order_by(Membership.id)).all()
    by_club: dict[int, list[Membership]] = {}
    for membership in members:
        by_club.setdefault(membership.organization_id, []).append(membership)
    camp_of: dict[int, int] = {}
    for index, club in enumerate(clubs):
        for membership in by_club.get(club.id, []):
            camp = CAMPS.index(CLUB_CAMPS[index % len(CLUB_CAMPS)])
            if membership.user.gender is Gender.WOMAN and rng.random() < 0.5:
                camp = CAMPS.index("mujeres")
            camp_of[membership.user_id] = camp
    now = utcnow().replace(microsecond=0)
    demands: list[tuple[Demand, str]] = []
    for club_index, language, category, target, theme, title, body in DEMANDS:
        club = clubs[club_index % len(clubs)]
        author = rng.choice(by_club[club.id])
        demand = submit_demand(consultation, author.user, DemandInput(
            title=title, body=body, category_id=categories.get(category), target=Target(target),
            language=Language(language)))
        demands.append((demand, theme))
    demands.append((assembly_demand(consultation, clubs[0]), "health"))  # raised at Club Jerez's assembly
    rows = []
    for membership in members:
        camp = camp_of[membership.user_id]
        for demand, theme in demands:
            agree = AGREEMENT[theme][camp]
            draw = rng.random()
            value = 1 if draw < agree else (0 if draw < agree + (1 - agree) * 0.2 else -1)
            rows.append({"demand_id": demand.id, "user_id": membership.user_id, "value": value,
                         "created_at": now - timedelta(minutes=rng.randrange(600)), "updated_at": now})
    db.session.execute(insert(Reaction), rows)
    for demand, _theme in demands:
        recount_reactions(demand)
    db.session.commit()

    advance_phase(consultation, board, Phase.COLLECTING, Phase.CONSOLIDATING)
    _consolidate_as_a_board_would(consultation, board)
    advance_phase(consultation, board, Phase.CONSOLIDATING, Phase.DELIBERATING)
    advance_phase(consultation, board, Phase.DELIBERATING, Phase.VOTING)
    if frozen_snapshot(consultation) is None:
        freeze_for_voting(consultation)
        db.session.commit()

    items = active_items(consultation)
    linked = agenda_draft.linked_demands(consultation)
    reactions = {(row["user_id"], row["demand_id"]): row["value"] for row in rows}
    theme_of = {demand.id: theme for demand, theme in demands}
    assembly_camp = CAMPS.index(CLUB_CAMPS[0])

    def paper_ballot(user: User) -> tuple[list[list[int]], list[int]]:
        """A member who votes on paper ranks as they reacted; one who never reacted online, as the club leans."""
        def lean(demand_id: int) -> float:
            if (user.id, demand_id) in reactions:
                return reactions[(user.id, demand_id)]
            return 2 * AGREEMENT[theme_of[demand_id]][assembly_camp] - 1 if demand_id in theme_of else 0
        return demo_ballot({item.id: sum(lean(d) for d in linked.get(item.id, [])) + rng.random() * 0.5
                            for item in items})

    admin = db.session.scalar(select(User).where(User.is_admin.is_(True)).order_by(User.id))
    on_paper = paper_vote(consultation, clubs[0], admin, paper_ballot)
    for membership in members:
        if membership.user_id in on_paper:
            continue
        if membership.organization_id != clubs[0].id and rng.random() < 0.1:  # some members do not vote
            continue
        scores = {item.id: sum(reactions.get((membership.user_id, d), 0) for d in linked.get(item.id, []))
                  + rng.random() * 0.5 for item in items}
        ranking, approved = demo_ballot(scores)
        cast_ballot(consultation, membership.user, ranking, approved)
    advance_phase(consultation, board, Phase.VOTING, Phase.TALLIED)
    agenda_draft.save_framing(
        consultation, board,
        "Esta es la agenda que la federación presenta al gobierno de Zacatecas, al consulado y a nuestras "
        "ciudades. Incluye, dentro de ella, a quienes no estuvieron de acuerdo y lo que pedían.",
        "This is the agenda the federation presents to the government of Zacatecas, the consulate and our cities. "
        "It includes, inside it, those who disagreed and what they asked for instead.")
    _minority_report(consultation, board)
    version = agenda_publish.publish(consultation, board, expected_versions=0)
    _follow_up(version.agenda_id, board)
    return version.agenda_id, consultation.id


def _consolidate_as_a_board_would(consultation: Consultation, board) -> None:
    """Take the engine's confident groups as they are; every demand of an unsure group becomes an item of its own.

    A board reads the suggestions and merges only what clearly asks for the same thing: pre-selected (confident)
    groups are accepted, and nothing else is joined on the engine's word.
    """
    suggestions.refresh_suggestions(consultation, board)
    pending = consolidation.visible_demands(consultation)
    groups = suggestions.suggested_groups(consultation, pending, consolidation.placements(consultation))
    grouped = {d.id for group in groups for d in group.demands}
    clusters = [list(group.demands) for group in groups if group.is_confident]
    clusters += [[d] for group in groups if not group.is_confident for d in group.demands]
    clusters += [[d] for d in pending if d.id not in grouped]
    for cluster in clusters:
        first = cluster[0]
        consolidation.accept_cluster(consultation, board, [d.id for d in cluster], title_es=first.title,
                                     title_en=first.title)


def _follow_up(agenda_id: int, board) -> None:
    """Follow the demo agenda up: programmes with milestones, 3x1 funding, officials' promises and updates.

    Dates are counted back from today, so that some milestones and promises are late; one programme is blocked.
    """
    agenda = programmes.published_agenda(agenda_id)
    items = programmes.agenda_items(agenda)
    clubs, _users = programmes.owner_choices(agenda)
    today = utcnow().date()

    def day(offset: int):
        return today + timedelta(days=offset)

    plans = [
        ("Clínica de salud en la cabecera municipal", "Health clinic in the municipal seat", Target.MEXICAN_STATE,
         -150, 210, Status.IN_PROGRESS, ""),
        ("Becas para estudiantes de secundaria", "Scholarships for secondary school students",
         Target.HOMETOWN_MUNICIPALITY, -120, 60, Status.BLOCKED,
         "El municipio no ha firmado el convenio de aportación y sin él el estado no libera su parte."),
        ("Asesoría legal en el consulado", "Legal advice at the consulate", Target.CONSULATE, -90, -10,
         Status.IN_PROGRESS, ""),
        ("Agua potable para las comunidades", "Drinking water for the communities", Target.MEXICAN_FEDERAL, -200,
         -20, Status.DONE, ""),
        ("Talleres para jóvenes", "Workshops for young people", Target.US_CITY, 10, 180, Status.PLANNED, ""),
    ]
    for index, item in enumerate(items):
        step_es, step_en, authority, start, due, status, reason = plans[index % len(plans)]
        club = clubs[index % len(clubs)] if clubs else None
        programme = programmes.create_programme(agenda, board, item.id, programmes.ProgrammeFields(
            title_es=(item.title_es or item.title_en)[:160], title_en=(item.title_en or item.title_es)[:160],
            description_es=f"Primera etapa: {step_es.lower()}. Programa acordado por la federación.",
            description_en=f"First stage: {step_en.lower()}. The programme the federation agreed on.",
            owner_kind=OwnerKind.CLUB if club else OwnerKind.BOARD, owner_club_id=club.id if club else None,
            authority=authority, starts_on=day(start), due_on=day(due), budget_cents=1_200_000_00,
            budget_currency=Currency.MXN))
        if status is Status.PLANNED:
            programmes.set_progress(programme, board, 10)
            continue
        steps = [("Proyecto y presupuesto", "Plan and budget", start + 20, 20),
                 ("Convenio firmado", "Agreement signed", start + 50, 30),
                 ("Obra o servicio en marcha", "Works or service under way", due - 10, 50)]
        made = [programmes.add_milestone(programme, board, title_es=es, title_en=en, due_on=day(offset),
                                         weight=weight) for es, en, offset, weight in steps]
        for milestone in made[: 1 if status is Status.BLOCKED else 2 if status is Status.IN_PROGRESS else 3]:
            programmes.tick_milestone(milestone, board, True)
        shares = [(Source.CLUB, Currency.USD, 15_000_00, 15_000_00), (Source.MUNICIPALITY, Currency.MXN,
                  300_000_00, 100_000_00 if status is not Status.BLOCKED else 0),
                  (Source.STATE, Currency.MXN, 300_000_00, 150_000_00 if status is Status.IN_PROGRESS else 0),
                  (Source.FEDERAL, Currency.MXN, 300_000_00, 300_000_00 if status is Status.DONE else 0)]
        for source, currency, committed, received in shares:
            programmes.add_funding(programme, board, source=source, currency=currency, committed_cents=committed,
                                   received_cents=received, committed_on=day(start + 15),
                                   received_on=day(start + 40) if received else None)
        official = {Target.MEXICAN_STATE: "Secretaría de Salud de Zacatecas",
                    Target.HOMETOWN_MUNICIPALITY: "Presidencia Municipal de Jerez",
                    Target.CONSULATE: "Consulado General de México en Los Ángeles",
                    Target.MEXICAN_FEDERAL: "Secretaría de Bienestar"}.get(authority, "Presidencia Municipal de Jerez")
        promise = programmes.add_commitment(
            programme, board, official=official, authority=authority,
            promise="Aportar su parte del programa y dar un informe público cada tres meses.",
            promised_on=day(start + 10), due_on=day(start + 60 if status is not Status.DONE else due),
            evidence="https://example.org/minuta-de-la-reunion")
        if status is Status.DONE:
            programmes.set_commitment_status(promise, board, CommitmentStatus.KEPT)
        elif status is Status.BLOCKED:
            programmes.set_commitment_status(promise, board, CommitmentStatus.BROKEN)
        programmes.post_update(programme, board, happened_on=day(start + 21),
                               text="Presentamos el proyecto y el presupuesto en la asamblea de la federación.",
                               links="https://example.org/acta-de-asamblea")
        if status is Status.DONE:
            programmes.post_update(programme, board, happened_on=day(due - 5),
                                   text="Terminamos la obra: así quedó, lista para abrir.", links="",
                                   photo=_finished_works_picture(),
                                   photo_description="Dibujo del edificio terminado, con su puerta y dos ventanas, "
                                                     "bajo un cielo azul.")
        if status is Status.PLANNED:
            continue
        programmes.change_status(programme, board, Status.IN_PROGRESS)
        if status is Status.BLOCKED:
            programmes.change_status(programme, board, Status.BLOCKED, reason)
        elif status is Status.DONE:
            programmes.change_status(programme, board, Status.DONE)
    _womens_projects(agenda, board, items, day)


def _finished_works_picture() -> bytes:
    """Draw the demo's photo of finished works (a building under a blue sky), as a phone would send it: a PNG."""
    # Pillow loads only here, when the demo posts its photo.
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (960, 640), (135, 190, 235))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 470, 960, 640), fill=(150, 120, 80))
    draw.rectangle((250, 230, 710, 500), fill=(240, 232, 215), outline=(90, 70, 50), width=6)
    draw.polygon([(220, 240), (480, 120), (740, 240)], fill=(170, 60, 45))
    draw.rectangle((440, 370, 520, 500), fill=(110, 75, 45))
    for left in (300, 580):
        draw.rectangle((left, 300, left + 80, 360), fill=(90, 140, 190), outline=(60, 60, 60), width=4)
    draw.ellipse((800, 40, 900, 140), fill=(250, 215, 80))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def _womens_projects(agenda, board, items, day) -> None:
    """Add two projects designed by women, for women: a cooperative under way and a leadership school planned."""
    if not items:
        return
    cooperative = programmes.create_programme(agenda, board, items[0].id, programmes.ProgrammeFields(
        title_es="Cooperativa de mujeres artesanas", title_en="Women artisans' cooperative",
        description_es="Diseñada por las socias de los clubes: capital semilla y venta en ferias de California.",
        description_en="Designed by the clubs' women: seed money and sales at California fairs.",
        owner_kind=OwnerKind.BOARD, authority=Target.MEXICAN_STATE, starts_on=day(-60), due_on=day(240),
        is_for_women=True))
    programmes.set_progress(cooperative, board, 35)
    programmes.change_status(cooperative, board, Status.IN_PROGRESS)
    school = programmes.create_programme(agenda, board, items[-1].id, programmes.ProgrammeFields(
        title_es="Escuela de liderazgo para mujeres", title_en="Leadership school for women",
        description_es="Diez sesiones para que más mujeres dirijan sus clubes y la federación.",
        description_en="Ten sessions so that more women lead their clubs and the federation.",
        owner_kind=OwnerKind.BOARD, starts_on=day(20), due_on=day(200), is_for_women=True))
    programmes.set_progress(school, board, 5)


def _minority_report(consultation, board) -> None:
    """Open the report window, let a dissenting club's officer write a report and another club co-sign, close it."""
    draft = agenda_draft.build_draft(consultation)
    slugs = sorted(agenda_reports.minority_clubs(draft))
    if not slugs:
        return
    agenda = agenda_draft.open_report_window(consultation, board, utcnow() + timedelta(days=7))

    def officer_of(slug: str):
        return db.session.scalars(
            select(Membership).join(Organization, Organization.id == Membership.organization_id)
            .where(Organization.slug == slug, Membership.role == Role.OFFICER,
                   Membership.status == MembershipStatus.ACTIVE).order_by(Membership.id)).first()

    author = officer_of(slugs[0])
    report = agenda_reports.submit_report(
        consultation, author.user, as_club=True, language="es", title="Lo que nuestro club pidió",
        text="Nuestro club no está de acuerdo con todo el orden de esta agenda. Para nuestro pueblo, lo más urgente "
             "es lo que pusimos en primer lugar y quedó fuera. Pedimos que la federación lo lleve también a las "
             "reuniones con el gobierno del estado.\n\nFirmamos este informe para que quede constancia.")
    others = [club.slug for club in consultation.federation.clubs() if club.id != report.club_id]
    if others:
        signer = officer_of(others[0])
        if signer is not None:
            agenda_reports.cosign_report(report, signer.user)
    agenda.minority_report_until = utcnow() - timedelta(seconds=1)  # the demo's window closes at once
    db.session.commit()

