"""What the pages of programmes show: each programme's progress, standing and funding today, the public
tracker of an agenda, recent updates, follows, and where a member's demand went."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from deliberate.agenda import draft as agenda_draft
from deliberate.agenda import publish as agenda_publish
from deliberate.domain import programmes as rules
from deliberate.domain.programmes import CommitmentStatus, OwnerKind, Status
from deliberate.extensions import db
from deliberate.models import (
    Agenda,
    AgendaItem,
    Commitment,
    Demand,
    Follow,
    Funding,
    Organization,
    Programme,
    ProgrammeUpdate,
    User,
)
from deliberate.models.agenda import DemandPlacement
from deliberate.programmes.services import agenda_items, federation_of, today


@dataclass(frozen=True)
class CommitmentView:
    commitment: Commitment
    standing: CommitmentStatus


@dataclass(frozen=True)
class ProgrammeView:
    """A programme with what is computed from it today."""

    programme: Programme
    progress: float
    is_overdue: bool
    overdue_milestones: int
    weight_total: int
    funding: tuple[rules.FundingTotal, ...]
    commitments: tuple[CommitmentView, ...]

    @property
    def is_blocked(self) -> bool:
        return self.programme.status is Status.BLOCKED

    def to_dict(self) -> dict[str, Any]:
        p = self.programme
        return {
            "id": p.id, "item": p.agenda_item_id, "title_es": p.title_es, "title_en": p.title_en,
            "description_es": p.description_es, "description_en": p.description_en,
            "status": p.status.value, "status_reason": p.status_reason, "progress": round(self.progress, 4),
            "is_for_women": p.is_for_women,
            "is_overdue": self.is_overdue, "owner": owner_dict(p),
            "authority": p.authority.value if p.authority else None,
            "starts_on": iso_day(p.starts_on), "due_on": iso_day(p.due_on),
            "budget": {"cents": p.budget_cents, "currency": p.budget_currency.value} if p.budget_cents else None,
            "milestones": [{"title_es": m.title_es, "title_en": m.title_en, "due_on": iso_day(m.due_on),
                            "weight": m.weight, "is_done": m.is_done} for m in p.milestones],
            "funding": [{"source": f.source.value, "currency": f.currency.value,
                         "committed_cents": f.committed_cents, "received_cents": f.received_cents,
                         "committed_on": iso_day(f.committed_on), "received_on": iso_day(f.received_on)}
                        for f in p.fundings],
            "commitments": [{"official": c.commitment.official, "authority": c.commitment.authority.value,
                             "promise": c.commitment.promise, "promised_on": iso_day(c.commitment.promised_on),
                             "due_on": iso_day(c.commitment.due_on), "evidence": c.commitment.evidence_links,
                             "status": c.standing.value} for c in self.commitments],
        }


@dataclass(frozen=True)
class ItemView:
    item: AgendaItem
    position: int
    programmes: tuple[ProgrammeView, ...]
    progress: float | None


@dataclass(frozen=True)
class Tracker:
    """A published agenda's follow-up: its items with their programmes, totals and scorecards."""

    agenda: Agenda
    items: tuple[ItemView, ...]
    progress: float
    funding: tuple[rules.FundingTotal, ...]
    by_authority: tuple[rules.Score, ...]
    by_official: tuple[rules.Score, ...]
    today: date
    counts: dict[str, int] = field(default_factory=dict)
    womens: rules.Portfolio | None = None  # the projects designed for women

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "deliberate-tracker/1", "agenda": self.agenda.id,
            "consultation": {"id": self.agenda.consultation_id, "title_es": self.agenda.consultation.title_es,
                             "title_en": self.agenda.consultation.title_en},
            "as_of": self.today.isoformat(), "progress": round(self.progress, 4),
            "funding": [total.to_dict() for total in self.funding],
            "womens_projects": self.womens.to_dict() if self.womens else None,
            "scorecard": {"authorities": [score.to_dict() for score in self.by_authority],
                          "officials": [score.to_dict() for score in self.by_official]},
            "items": [{"item": view.item.id, "position": view.position, "title_es": view.item.title_es,
                       "title_en": view.item.title_en,
                       "progress": None if view.progress is None else round(view.progress, 4),
                       "programmes": [p.to_dict() for p in view.programmes]} for view in self.items],
        }


def iso_day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def owner_dict(programme: Programme) -> dict[str, Any]:
    if programme.owner_kind is OwnerKind.CLUB:
        return {"kind": "club", "name": programme.owner_club.name if programme.owner_club else None}
    if programme.owner_kind is OwnerKind.MEMBER:
        user = programme.owner_user
        return {"kind": "member", "name": user.display_name if user and not user.is_deleted else None}
    return {"kind": "board", "name": federation_of(programme.agenda).name}


def funding_shares(fundings: Sequence[Funding]) -> list[rules.FundingShare]:
    return [rules.FundingShare(f.source, f.currency, f.committed_cents, f.received_cents) for f in fundings]


def programme_view(programme: Programme, day: date | None = None) -> ProgrammeView:
    day = day or today()
    milestones = [rules.MilestoneState(m.weight, m.is_done) for m in programme.milestones]
    return ProgrammeView(
        programme=programme,
        progress=rules.programme_progress(programme.status, milestones, programme.progress_percent),
        is_overdue=rules.is_overdue(programme.due_on, programme.status, day),
        overdue_milestones=sum(1 for m in programme.milestones
                               if not m.is_done and rules.is_overdue(m.due_on, programme.status, day)),
        weight_total=sum(m.weight for m in programme.milestones),
        funding=rules.funding_totals(funding_shares(programme.fundings)),
        commitments=tuple(CommitmentView(c, rules.commitment_status(c.status, c.due_on, day))
                          for c in programme.commitments),
    )


def programmes_of(agenda: Agenda) -> list[Programme]:
    return list(db.session.scalars(select(Programme).where(Programme.agenda_id == agenda.id)
                                   .order_by(Programme.id)))


def tracker(agenda: Agenda, day: date | None = None, authority_name=lambda target: target.value) -> Tracker:
    """Build the agenda's tracker as of ``day``; ``authority_name`` names an authority in the reader's language."""
    day = day or today()
    programmes = programmes_of(agenda)
    by_item: dict[int, list[ProgrammeView]] = {}
    for programme in programmes:
        by_item.setdefault(programme.agenda_item_id, []).append(programme_view(programme, day))
    items = []
    for position, item in enumerate(agenda_items(agenda), start=1):
        views = tuple(by_item.get(item.id, ()))
        items.append(ItemView(item, position, views, rules.roll_up([(v.programme.status, v.progress)
                                                                    for v in views])))
    commitments = [c for views in by_item.values() for v in views for c in v.commitments]
    counts = {"programmes": len(programmes),
              "overdue": sum(1 for views in by_item.values() for v in views if v.is_overdue),
              "blocked": sum(1 for p in programmes if p.status is Status.BLOCKED)}
    return Tracker(
        agenda=agenda, items=tuple(items), progress=rules.agenda_progress([view.progress for view in items]),
        funding=rules.funding_totals([s for p in programmes for s in funding_shares(p.fundings)]),
        by_authority=rules.scorecard((authority_name(c.commitment.authority), c.standing) for c in commitments),
        by_official=rules.scorecard((c.commitment.official, c.standing) for c in commitments),
        today=day, counts=counts,
        womens=_portfolio([v for views in by_item.values() for v in views if v.programme.is_for_women]),
    )


@dataclass(frozen=True)
class Dashboard:
    """A federation's follow-up across all its published agendas: each agenda's tracker, and their totals."""

    federation: Organization
    trackers: tuple[Tracker, ...]
    progress: float | None
    funding: tuple[rules.FundingTotal, ...]
    by_authority: tuple[rules.Score, ...]
    by_official: tuple[rules.Score, ...]
    counts: dict[str, int]
    womens: rules.Portfolio
    attention: tuple[tuple[Tracker, ProgrammeView], ...]  # blocked or overdue, the blocked first
    today: date

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "deliberate-follow-up/1", "federation": self.federation.slug, "as_of": self.today.isoformat(),
            "progress": None if self.progress is None else round(self.progress, 4), "counts": self.counts,
            "funding": [total.to_dict() for total in self.funding], "womens_projects": self.womens.to_dict(),
            "scorecard": {"authorities": [score.to_dict() for score in self.by_authority],
                          "officials": [score.to_dict() for score in self.by_official]},
            "agendas": [{"agenda": t.agenda.id, "consultation": t.agenda.consultation_id,
                         "title_es": t.agenda.consultation.title_es, "title_en": t.agenda.consultation.title_en,
                         "published_on": t.agenda.latest.created_at.date().isoformat(),
                         "progress": round(t.progress, 4), "counts": t.counts} for t in self.trackers],
        }


def federation_dashboard(federation: Organization, day: date | None = None,
                         authority_name=lambda target: target.value) -> Dashboard:
    """Build the federation's follow-up across its published agendas, the most recent first."""
    day = day or today()
    trackers = tuple(tracker(agenda, day, authority_name) for agenda in agenda_publish.published_agendas(federation))
    views = [(t, view) for t in trackers for item in t.items for view in item.programmes]
    commitments = [c for _t, view in views for c in view.commitments]
    counts = {"agendas": len(trackers), "programmes": len(views),
              "overdue": sum(1 for _t, view in views if view.is_overdue),
              "blocked": sum(1 for _t, view in views if view.is_blocked),
              "done": sum(1 for _t, view in views if view.programme.status is Status.DONE)}
    attention = sorted(((t, view) for t, view in views if view.is_blocked or view.is_overdue),
                       key=lambda pair: (not pair[1].is_blocked, pair[1].programme.due_on or day, pair[1].programme.id))
    return Dashboard(
        federation=federation, trackers=trackers,
        progress=rules.federation_progress([t.progress for t in trackers]),
        funding=rules.funding_totals([s for _t, view in views for s in funding_shares(view.programme.fundings)]),
        by_authority=rules.scorecard((authority_name(c.commitment.authority), c.standing) for c in commitments),
        by_official=rules.scorecard((c.commitment.official, c.standing) for c in commitments),
        counts=counts, womens=_portfolio([view for _t, view in views if view.programme.is_for_women]),
        attention=tuple(attention), today=day,
    )


def _portfolio(views: Sequence[ProgrammeView]) -> rules.Portfolio:
    return rules.portfolio((v.programme.status, v.progress, v.is_overdue) for v in views)


def womens_projects(agenda: Agenda, day: date | None = None) -> rules.Portfolio:
    """Sum up the agenda's projects designed for women: how many, in which status, overdue, their progress."""
    day = day or today()
    return _portfolio([programme_view(p, day) for p in programmes_of(agenda) if p.is_for_women])


def recent_updates(agenda: Agenda, limit: int = 50) -> list[ProgrammeUpdate]:
    return list(db.session.scalars(
        select(ProgrammeUpdate).join(Programme, Programme.id == ProgrammeUpdate.programme_id)
        .where(Programme.agenda_id == agenda.id)
        .order_by(ProgrammeUpdate.created_at.desc(), ProgrammeUpdate.id.desc()).limit(limit)))


def followed_items(user: User | None, ids: Sequence[int]) -> set[int]:
    """Return which of these items the user follows."""
    if user is None or not user.is_authenticated:
        return set()
    return set(db.session.scalars(select(Follow.agenda_item_id).where(Follow.user_id == user.id,
                                                                      Follow.agenda_item_id.in_(ids))))


@dataclass(frozen=True)
class DemandResult:
    """Where a demand went: the item it joined (or why it was set aside), and that item's programmes."""

    placement: DemandPlacement | None
    item: AgendaItem | None
    agenda: Agenda | None
    on_agenda: bool
    programmes: tuple[ProgrammeView, ...]
    progress: float | None


def demand_result(demand: Demand) -> DemandResult | None:
    """Return where the demand went, or None before the board placed it."""
    placement = db.session.scalar(select(DemandPlacement).where(DemandPlacement.demand_id == demand.id))
    if placement is None:
        return None
    item = placement.agenda_item
    while item is not None and item.merged_into is not None:
        item = item.merged_into
    agenda = agenda_draft.agenda_of(demand.consultation)
    if agenda is None or agenda.latest is None or item is None:
        return DemandResult(placement, item, None, False, (), None)
    on_agenda = any(entry.id == item.id for entry in agenda_items(agenda))
    views = tuple(programme_view(p) for p in db.session.scalars(
        select(Programme).where(Programme.agenda_item_id == item.id).order_by(Programme.id)))
    return DemandResult(placement, item, agenda, on_agenda, views,
                        rules.roll_up([(v.programme.status, v.progress) for v in views]))
