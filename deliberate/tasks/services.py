"""What to do now: the open consultations of a person's federations, each phase's last day, and their tasks.

Read only. It gathers the facts each area keeps (demands, reactions, whether a ballot was cast — never how —,
requests to join, minority reports) and lets ``deliberate.domain.tasks`` decide what is pending and how pressing.
The home page, the club and federation pages and the member's own page show the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, func, select

from deliberate.agenda.draft import report_window_open
from deliberate.agenda.reports import officer_club
from deliberate.consultations.services import readiness
from deliberate.deliberation.services import reaction_progress
from deliberate.domain import readiness as readiness_rules
from deliberate.domain.phases import Phase, accepts_reactions
from deliberate.domain.tasks import ConsultationFacts, Task, TaskKind, days_left, tasks_for
from deliberate.domain.timezones import local_today
from deliberate.extensions import db
from deliberate.models import (
    Agenda,
    AgendaVersion,
    BallotCast,
    Consultation,
    Demand,
    Membership,
    MembershipStatus,
    MinorityReport,
    MinorityReportCosign,
    Organization,
    Role,
    User,
    utcnow,
)
from deliberate.permissions import club_membership, has_role

#: How long a published agenda is announced on the pages that list what is happening.
ANNOUNCE_DAYS = 30


@dataclass(frozen=True)
class OpenConsultation:
    """A consultation a page lists: its phase's last day and the days left, on its federation's clock."""

    consultation: Consultation
    until: date | None
    days_left: int | None
    published_agenda_id: int | None = None


@dataclass(frozen=True)
class Now:
    """What is happening in a person's federations and what they should do, the most pressing first."""

    consultations: tuple[OpenConsultation, ...]
    tasks: tuple[Task, ...]

    @property
    def is_empty(self) -> bool:
        return not self.consultations and not self.tasks

    def consultation(self, consultation_id: int | None) -> OpenConsultation | None:
        return next((open_ for open_ in self.consultations if open_.consultation.id == consultation_id), None)


def federations_of(user: User | None) -> list[Organization]:
    """Return the federations a person belongs to (through a club or the board), by name."""
    if user is None or not user.is_authenticated:
        return []
    found = {m.organization.federation.id: m.organization.federation for m in user.active_memberships()
             if not m.organization.federation.is_club}
    return sorted(found.values(), key=lambda federation: federation.name)


def now_for(user: User | None, federations: list[Organization]) -> Now:
    """Return the open and recently published consultations of these federations, with the person's tasks."""
    listed: list[OpenConsultation] = []
    tasks: list[Task] = []
    for federation in federations:
        today = local_today(utcnow(), federation.time_zone)
        is_board = has_role(user, federation, Role.BOARD)
        membership = club_membership(user, federation) if user is not None else None
        for consultation, agenda_id in _current(federation, is_board):
            until = consultation.until(consultation.phase)
            listed.append(OpenConsultation(consultation, until, days_left(until, today), agenda_id))
            if user is not None and user.is_authenticated:
                facts = _facts(consultation, user, today, membership, is_board, agenda_id)
                tasks.extend(tasks_for(facts))
        if user is not None and user.is_authenticated:
            tasks.extend(_requests_to_decide(user, federation, is_board))
    tasks.sort(key=lambda task: (not task.is_urgent, list(TaskKind).index(task.kind)))
    return Now(tuple(listed), tuple(tasks))


def _current(federation: Organization, is_board: bool) -> list[tuple[Consultation, int | None]]:
    """Return the consultations under way (drafts for the board too) and those published in the last days."""
    latest = (select(func.max(AgendaVersion.created_at)).join(Agenda, AgendaVersion.agenda_id == Agenda.id)
              .where(Agenda.consultation_id == Consultation.id).scalar_subquery())
    hidden = () if is_board else (Phase.DRAFT,)
    rows = db.session.execute(
        select(Consultation, latest.label("published_at"))
        .where(Consultation.federation_id == federation.id, Consultation.phase.not_in(hidden))
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
    ).all()
    since = utcnow() - timedelta(days=ANNOUNCE_DAYS)
    found = []
    for consultation, published_at in rows:
        if consultation.phase is Phase.PUBLISHED:
            if published_at is None or published_at < since:
                continue
            agenda_id = db.session.scalar(select(Agenda.id).where(Agenda.consultation_id == consultation.id))
            found.append((consultation, agenda_id))
        else:
            found.append((consultation, None))
    return found


def _facts(consultation: Consultation, user: User, today: date, membership: Membership | None, is_board: bool,
           agenda_id: int | None) -> ConsultationFacts:
    phase = consultation.phase
    is_member = membership is not None
    to_react = 0
    if is_member and accepts_reactions(phase):
        progress = reaction_progress(consultation, user)
        to_react = progress.total - progress.seen
    gaps = readiness(consultation) if is_board and phase not in (Phase.TALLIED, Phase.PUBLISHED) else ()
    return ConsultationFacts(
        consultation_id=consultation.id, phase=phase, until=consultation.until(phase), today=today,
        is_member=is_member, is_board=is_board,
        demands_of_mine=_demands_of(consultation, user) if is_member and phase is Phase.COLLECTING else 0,
        to_react=to_react,
        has_cast=_has_cast(consultation, user) if is_member and phase is Phase.VOTING else False,
        blocking_gaps=len(readiness_rules.blocking(gaps)), warnings=len(readiness_rules.warnings(gaps)),
        reports_to_cosign=_reports_to_cosign(consultation, user) if phase is Phase.TALLIED else 0,
        is_agenda_published=agenda_id is not None,
    )


def _demands_of(consultation: Consultation, user: User) -> int:
    return db.session.scalar(select(func.count(Demand.id)).where(
        Demand.consultation_id == consultation.id, Demand.author_id == user.id, Demand.is_withdrawn.is_(False))) or 0


def _has_cast(consultation: Consultation, user: User) -> bool:
    """Tell whether the person has voted: the record that they did, which says nothing about how."""
    return bool(db.session.scalar(select(exists().where(
        BallotCast.consultation_id == consultation.id, BallotCast.user_id == user.id))))


def _reports_to_cosign(consultation: Consultation, user: User) -> int:
    """Count other clubs' minority reports the person's club has not co-signed, while the window is open."""
    agenda = db.session.scalar(select(Agenda).where(Agenda.consultation_id == consultation.id))
    club = officer_club(user, consultation) if report_window_open(agenda) else None
    if club is None:
        return 0
    signed = exists().where(MinorityReportCosign.report_id == MinorityReport.id,
                            MinorityReportCosign.club_id == club.id)
    return db.session.scalar(select(func.count(MinorityReport.id)).where(
        MinorityReport.consultation_id == consultation.id,
        (MinorityReport.club_id.is_(None)) | (MinorityReport.club_id != club.id), ~signed)) or 0


def _requests_to_decide(user: User, federation: Organization, is_board: bool) -> list[Task]:
    """Return one task per club with requests to join that the person may decide (its officers, the board)."""
    clubs = federation.clubs()
    if not is_board:
        officer_of = set(db.session.scalars(select(Membership.organization_id).where(
            Membership.user_id == user.id, Membership.status == MembershipStatus.ACTIVE,
            Membership.role == Role.OFFICER, Membership.organization_id.in_([club.id for club in clubs]))))
        clubs = [club for club in clubs if club.id in officer_of]
    if not clubs:
        return []
    pending = dict(db.session.execute(
        select(Membership.organization_id, func.count(Membership.id))
        .where(Membership.organization_id.in_([club.id for club in clubs]),
               Membership.status == MembershipStatus.PENDING)
        .group_by(Membership.organization_id)).all())
    return [Task(TaskKind.APPROVE_MEMBERS, count=pending[club.id], club_slug=club.slug, club_name=club.name)
            for club in clubs if pending.get(club.id)]
