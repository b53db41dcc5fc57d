"""Federation health: how strong each club is, where women are missing, and whether the leadership quotas hold.

Reads the rows, counts people by gender and hands the counts to ``deliberate.domain.health``, which suppresses
every figure about fewer than five people. Only what the product already records is counted: memberships and
roles, demand authors and reactions, who voted (``BallotCast``: who, never how; per counting group, the way the
count pools small clubs, see ``docs/ballot-secrecy.md``), event attendance and mentoring pairs.

Who may see what: anyone reads the public summary (clubs active, women's share among members, officers and the
board against the baseline, quota rules); the federation's board reads the whole dashboard and sets the quota
rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from deliberate.domain import health as rules
from deliberate.domain import privacy
from deliberate.domain.errors import NotFound, PermissionDenied, ValidationFailed
from deliberate.domain.events import RsvpStatus
from deliberate.domain.gender import Gender
from deliberate.domain.health import Body, GenderCount, Population, QuotaResult, Share
from deliberate.domain.programmes import Status as ProgrammeStatus
from deliberate.domain.timezones import local_today, to_local, to_stored
from deliberate.extensions import db
from deliberate.mentoring.services import paired_people
from deliberate.models import (
    Agenda,
    BallotCast,
    Consultation,
    Demand,
    Membership,
    MembershipStatus,
    Organization,
    Programme,
    QuotaRule,
    Reaction,
    Role,
    User,
    utcnow,
)
from deliberate.models.events import Event, Rsvp
from deliberate.permissions import is_board
from deliberate.volunteers.services import volunteers as volunteers_of

TREND_CONSULTATIONS = 6


def baseline_of(federation: Organization) -> float:
    value = federation.parity_baseline
    return rules.DEFAULT_BASELINE if value is None else float(value)


# --- counting people ----------------------------------------------------------------------------------------------

def _count(user_ids: Iterable[int], genders: dict[int, Gender | None]) -> GenderCount:
    ids = set(user_ids)
    return GenderCount(women=sum(1 for uid in ids if genders.get(uid) is Gender.WOMAN), total=len(ids))


def _genders(user_ids: Iterable[int]) -> dict[int, Gender | None]:
    ids = list(set(user_ids))
    found: dict[int, Gender | None] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update(db.session.execute(select(User.id, User.gender).where(User.id.in_(chunk))).all())
    return found


def _people(rows) -> set[int]:
    return {row for row in rows if row is not None}


@dataclass
class _Roster:
    club_of: dict[int, int]  # user id -> their club's id (the first one in this federation)
    members: dict[int, set[int]]  # club id -> active user ids
    officers: dict[int, set[int]]
    board: set[int]
    joined: dict[int, datetime]  # club id -> last membership created


def _roster(federation: Organization, clubs: list[Organization]) -> _Roster:
    club_ids = [club.id for club in clubs]
    roster = _Roster({}, defaultdict(set), defaultdict(set), set(), {})
    rows = db.session.execute(
        select(Membership.user_id, Membership.organization_id, Membership.role, Membership.created_at)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id.in_([federation.id, *club_ids]),
               Membership.status == MembershipStatus.ACTIVE, User.is_deleted.is_(False))
        .order_by(Membership.id)).all()
    for user_id, org_id, role, created_at in rows:
        if org_id == federation.id:
            if role.rank >= Role.BOARD.rank:
                roster.board.add(user_id)
            continue
        roster.club_of.setdefault(user_id, org_id)
        roster.members[org_id].add(user_id)
        if role.rank >= Role.OFFICER.rank:
            roster.officers[org_id].add(user_id)
        if org_id not in roster.joined or created_at > roster.joined[org_id]:
            roster.joined[org_id] = created_at
    return roster


def _consultations(federation: Organization) -> list[Consultation]:
    rows = db.session.scalars(select(Consultation).where(Consultation.federation_id == federation.id)
                              .order_by(Consultation.created_at.desc(), Consultation.id.desc())
                              .limit(TREND_CONSULTATIONS)).all()
    return list(reversed(rows))


def _authors(consultation: Consultation) -> set[int]:
    return _people(db.session.scalars(select(Demand.author_id).where(Demand.consultation_id == consultation.id)
                                      .distinct()))


def _reactors(consultation: Consultation) -> set[int]:
    return _people(db.session.scalars(select(Reaction.user_id).join(Demand, Demand.id == Reaction.demand_id)
                                      .where(Demand.consultation_id == consultation.id).distinct()))


def _voters(consultation: Consultation) -> set[int]:
    return _people(db.session.scalars(select(BallotCast.user_id)
                                      .where(BallotCast.consultation_id == consultation.id)))


def _attendees(federation: Organization) -> set[int]:
    return _people(db.session.scalars(select(Rsvp.user_id).join(Event, Event.id == Rsvp.event_id)
                                      .where(Event.federation_id == federation.id, Rsvp.attended.is_(True),
                                             Rsvp.status != RsvpStatus.CANCELLED).distinct()))


def _mentoring(federation: Organization) -> tuple[set[int], set[int]]:
    """Return the people who mentor and who are mentored in the federation (see deliberate.mentoring)."""
    return paired_people(federation)


# --- what the pages show ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClubRow:
    club: Organization
    members: int | None  # None: one to four
    officers: int  # officers are named on the club's page: their number is no secret
    has_woman_officer: bool
    is_active: bool
    last_active: datetime | None
    authors: int | None
    reactors: int | None


@dataclass(frozen=True)
class VoteGroup:
    """Votes cast in a counting group: one club, or small clubs pooled (their names), as the count pools them."""

    clubs: tuple[str, ...]
    voters: int | None


@dataclass(frozen=True)
class TrendRow:
    consultation: Consultation
    authors: Share
    reactors: Share
    voters: Share


@dataclass(frozen=True)
class QuarterRow:
    """One quarter's share of women among voters, demand authors and event attendees (each may be suppressed)."""

    quarter: rules.Quarter
    voters: Share
    authors: Share
    attendees: Share


@dataclass(frozen=True)
class Health:
    federation: Organization
    baseline: float
    clubs_total: int
    clubs_active: int
    members: int | None
    shares: tuple[Share, ...]
    quotas: tuple[QuotaResult, ...]
    rules: tuple[QuotaRule, ...]
    club_rows: tuple[ClubRow, ...] = ()
    latest: Consultation | None = None
    vote_groups: tuple[VoteGroup, ...] = ()
    trends: tuple[TrendRow, ...] = ()
    flags: tuple[rules.Flag, ...] = ()
    volunteers: int | None = 0  # people holding a volunteer role now; None: one to four
    quarters: tuple[QuarterRow, ...] = ()
    womens_projects: tuple[tuple[ProgrammeStatus, int], ...] = ()  # every status and how many projects hold it


PUBLIC_POPULATIONS = (Population.MEMBERS, Population.OFFICERS, Population.BOARD)


def _last_activity(clubs: list[Organization], roster: _Roster, since: datetime) -> dict[int, datetime]:
    """Return each club's latest sign of life: a member joined, a demand, a reaction by a member, an event."""
    last: dict[int, datetime] = dict(roster.joined)

    def bump(club_id: int | None, moment: datetime | None) -> None:
        if club_id is not None and moment is not None and (club_id not in last or moment > last[club_id]):
            last[club_id] = moment

    club_ids = [club.id for club in clubs]
    for club_id, moment in db.session.execute(select(Demand.club_id, func.max(Demand.created_at))
                                              .where(Demand.club_id.in_(club_ids)).group_by(Demand.club_id)):
        bump(club_id, moment)
    for club_id, moment in db.session.execute(select(Event.club_id, func.max(Event.starts_at))
                                              .where(Event.club_id.in_(club_ids), Event.starts_at <= utcnow())
                                              .group_by(Event.club_id)):
        bump(club_id, moment)
    recent = db.session.execute(select(Reaction.user_id, func.max(Reaction.created_at))
                                .where(Reaction.created_at >= since).group_by(Reaction.user_id))
    for user_id, moment in recent:
        bump(roster.club_of.get(user_id), moment)
    return last


def federation_health(federation: Organization, *, full: bool, now: datetime | None = None) -> Health:
    """Gather the federation's health: the public summary, or (``full``) the board's whole dashboard."""
    now = now or utcnow()
    baseline = baseline_of(federation)
    clubs = federation.clubs()
    roster = _roster(federation, clubs)
    all_members = set().union(*roster.members.values()) if roster.members else set()
    all_officers = set().union(*roster.officers.values()) if roster.officers else set()
    consultations = _consultations(federation) if full else []
    latest = consultations[-1] if consultations else None
    authors = _authors(latest) if latest else set()
    reactors = _reactors(latest) if latest else set()
    voters = _voters(latest) if latest else set()
    attendees = _attendees(federation) if full else set()
    mentors, mentees = _mentoring(federation) if full else (set(), set())
    helpers = volunteers_of(federation)
    trend_people = [(c, _authors(c), _reactors(c), _voters(c)) for c in consultations]
    genders = _genders(all_members | roster.board | authors | reactors | voters | attendees | mentors | mentees
                       | helpers | {uid for _, a, r, v in trend_people for uid in a | r | v})
    groups = {Population.MEMBERS: all_members, Population.OFFICERS: all_officers, Population.BOARD: roster.board}
    if full:
        groups.update({Population.AUTHORS: authors, Population.REACTORS: reactors, Population.VOTERS: voters,
                       Population.ATTENDEES: attendees, Population.MENTORS: mentors, Population.MENTEES: mentees,
                       Population.VOLUNTEERS: helpers})
    shares = tuple(rules.share(p.value, _count(people, genders), baseline) for p, people in groups.items())
    quota_rules = tuple(db.session.scalars(select(QuotaRule).where(QuotaRule.federation_id == federation.id)
                                           .order_by(QuotaRule.body)))
    bodies = {Body.BOARD: roster.board, Body.OFFICERS: all_officers}
    quotas = tuple(rules.check_quota(rule.body, rule.min_percent / 100, _count(bodies[rule.body], genders))
                   for rule in quota_rules)
    last = _last_activity(clubs, roster, now - timedelta(days=rules.INACTIVE_DAYS))
    active = {club.id for club in clubs if club.id in last and now - last[club.id] <= timedelta(
        days=rules.INACTIVE_DAYS)}
    summary = Health(federation=federation, baseline=baseline, clubs_total=len(clubs), clubs_active=len(active),
                     members=rules.shown_people(len(all_members)), shares=shares, quotas=quotas, rules=quota_rules,
                     volunteers=rules.shown_people(len(helpers)))
    if not full:
        return summary
    club_rows = []
    facts = []
    for club in clubs:
        members = roster.members.get(club.id, set())
        officers = roster.officers.get(club.id, set())
        count = _count(officers, genders)
        club_rows.append(ClubRow(
            club=club, members=rules.shown_people(len(members)), officers=len(officers),
            has_woman_officer=count.women > 0, is_active=club.id in active, last_active=last.get(club.id),
            authors=rules.shown_people(len(authors & members)), reactors=rules.shown_people(len(reactors & members))))
        days = (now - last[club.id]).days if club.id in last else None
        facts.append(rules.ClubFacts(club.name, count, days))
    trends = tuple(TrendRow(c, rules.share("authors", _count(a, genders), baseline),
                            rules.share("reactors", _count(r, genders), baseline),
                            rules.share("voters", _count(v, genders), baseline)) for c, a, r, v in trend_people)
    trend_points = {
        name: [rules.TrendPoint(str(row.consultation.id), getattr(row, name).share) for row in trends]
        for name in ("authors", "reactors", "voters")}
    return Health(
        federation=federation, baseline=baseline, clubs_total=len(clubs), clubs_active=len(active),
        members=summary.members, shares=shares, quotas=quotas, rules=quota_rules, club_rows=tuple(club_rows),
        latest=latest, vote_groups=_vote_groups(clubs, roster, voters), trends=trends,
        flags=tuple(rules.flags(facts, shares, trend_points, quotas)), volunteers=summary.volunteers,
        quarters=quarter_trends(federation, baseline, now), womens_projects=womens_projects(federation))


def womens_projects(federation: Organization) -> tuple[tuple[ProgrammeStatus, int], ...]:
    """Return how many of the federation's programmes designed for women stand in each status (none: empty)."""
    counts = dict(db.session.execute(
        select(Programme.status, func.count(Programme.id)).join(Agenda, Agenda.id == Programme.agenda_id)
        .join(Consultation, Consultation.id == Agenda.consultation_id)
        .where(Consultation.federation_id == federation.id, Programme.is_for_women.is_(True))
        .group_by(Programme.status)).all())
    return tuple((status, counts.get(status, 0)) for status in ProgrammeStatus) if counts else ()


def quarter_trends(federation: Organization, baseline: float, now: datetime) -> tuple[QuarterRow, ...]:
    """Return women's share among voters, demand authors and attendees in each of the last quarters, on the
    federation's clock; each figure follows the small-group rule on its own (see ``rules.share``).

    Voters count in the quarter their consultation's voting closed (or, without a closing day, was created):
    who voted is recorded, never when. Authors count in the quarter they wrote a demand, attendees in the
    quarter of the event they came to.
    """
    zone = federation.time_zone
    quarters = rules.last_quarters(local_today(now, zone))
    since = to_stored(datetime.combine(quarters[0].first_day, time()), zone)
    people: dict[str, dict[rules.Quarter, set[int]]] = {name: defaultdict(set)
                                                         for name in ("voters", "authors", "attendees")}

    def local_quarter(moment: datetime) -> rules.Quarter:
        return rules.Quarter.of(to_local(moment, zone).date())

    for user_id, moment in db.session.execute(
            select(Demand.author_id, Demand.created_at).join(Consultation, Consultation.id == Demand.consultation_id)
            .where(Consultation.federation_id == federation.id, Demand.created_at >= since)):
        if user_id is not None:
            people["authors"][local_quarter(moment)].add(user_id)
    for user_id, moment in db.session.execute(
            select(Rsvp.user_id, Event.starts_at).join(Event, Event.id == Rsvp.event_id)
            .where(Event.federation_id == federation.id, Rsvp.attended.is_(True),
                   Rsvp.status != RsvpStatus.CANCELLED, Event.starts_at >= since, Event.starts_at <= now)):
        people["attendees"][local_quarter(moment)].add(user_id)
    for user_id, closed, created in db.session.execute(
            select(BallotCast.user_id, Consultation.voting_until, Consultation.created_at)
            .join(Consultation, Consultation.id == BallotCast.consultation_id)
            .where(Consultation.federation_id == federation.id)):
        people["voters"][rules.Quarter.of(closed) if closed else local_quarter(created)].add(user_id)
    genders = _genders({uid for groups in people.values() for ids in groups.values() for uid in ids})
    return tuple(QuarterRow(quarter, *(rules.share(name, _count(people[name].get(quarter, ()), genders), baseline)
                                       for name in ("voters", "authors", "attendees")))
                 for quarter in quarters)


def _vote_groups(clubs: list[Organization], roster: _Roster, voters: set[int]) -> tuple[VoteGroup, ...]:
    """Count who voted per club, pooled into counting groups of at least five voters the way the count pools them."""
    if not voters:
        return ()
    per_club = {club.name: len(voters & roster.members.get(club.id, set())) for club in clubs}
    groups = privacy.counting_groups(per_club)
    if privacy.is_small(sum(per_club.values())):
        return (VoteGroup(tuple(per_club), None),)
    return tuple(VoteGroup(group.clubs, group.voters) for group in groups if group.voters)


# --- quota rules --------------------------------------------------------------------------------------------------

def set_quota(federation: Organization, actor: User, body: Body, min_percent: int) -> QuotaRule:
    """Set (or change) the federation's quota rule for a leadership body."""
    if not is_board(actor, federation):
        raise PermissionDenied("not_board")
    if not 1 <= min_percent <= 100:
        raise ValidationFailed("min_percent", "percent_range")
    rule = db.session.scalar(select(QuotaRule).where(QuotaRule.federation_id == federation.id,
                                                     QuotaRule.body == body))
    if rule is None:
        rule = QuotaRule(federation_id=federation.id, body=body, min_percent=min_percent)
        db.session.add(rule)
    else:
        rule.min_percent = min_percent
    db.session.commit()
    return rule


def remove_quota(federation: Organization, actor: User, rule_id: int) -> None:
    if not is_board(actor, federation):
        raise PermissionDenied("not_board")
    rule = db.session.get(QuotaRule, rule_id)
    if rule is None or rule.federation_id != federation.id:
        raise NotFound("quota_rule", rule_id)
    db.session.delete(rule)
    db.session.commit()


