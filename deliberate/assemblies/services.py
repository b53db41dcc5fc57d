"""Club assemblies: record and co-sign an in-person meeting, enter its demands, mark who voted on paper, and type
its paper ballots twice until they agree.

Nothing of an assembly counts until a second officer or a board member co-signs its record. Who voted on paper is
marked on the voter roll (a :class:`BallotCast` with the assembly), so the one unique constraint of the roll settles
a paper mark racing an online vote. Each paper sheet is typed by two officers; an entry is sealed with a key that
lives outside the database and found by a keyed tag of its sheet code, with a random key and no date. When a second
entry agrees with the first, both are deleted and one sealed ballot remains, exactly like an online one: its club,
no gender, the SHA-256 of its sheet code as its receipt, and no officer, assembly or time. The mix at the close of
voting then counts it with its club (see :mod:`deliberate.ballots.services`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select
from sqlalchemy import update as sa_update
from sqlalchemy.exc import IntegrityError

from deliberate import audit, permissions
from deliberate.ballots import sealing
from deliberate.ballots.services import hash_receipt, read_ballot, still_voting
from deliberate.consolidation.services import active_items
from deliberate.demands.services import DemandInput, submit_demand
from deliberate.domain import assembly as engine
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, PhaseClosed, ValidationFailed
from deliberate.domain.phases import Phase, accepts_ballots
from deliberate.domain.rules import VotingMethod
from deliberate.extensions import db
from deliberate.models import (
    AgendaItem,
    Assembly,
    BallotCast,
    Consultation,
    Demand,
    Membership,
    MembershipStatus,
    Organization,
    PaperEntry,
    SealedBallot,
    User,
    utcnow,
)
from deliberate.text import clean_text

#: The phases in which a club may record an assembly: from collecting demands to the close of voting.
RECORDING_PHASES = (Phase.COLLECTING, Phase.CONSOLIDATING, Phase.DELIBERATING, Phase.VOTING)
MAX_PLACE = 200
MAX_MINUTES = 20_000
MAX_PRESENT = 100_000
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class AssemblyInput:
    """What an officer records: the date, the place, how many members were present and the minutes' text."""

    held_on: date
    place: str
    members_present: int
    minutes: str


# --- reading ------------------------------------------------------------------------------------------------------

def assemblies_of(consultation: Consultation) -> list[Assembly]:
    """Return a consultation's assemblies, the most recent meeting first."""
    return list(db.session.scalars(select(Assembly).where(Assembly.consultation_id == consultation.id)
                                   .order_by(Assembly.held_on.desc(), Assembly.id.desc())))


def cosigned_assemblies(consultation: Consultation) -> list[Assembly]:
    """Return the assemblies that count (co-signed), by club then date: what a published agenda lists."""
    return sorted((a for a in assemblies_of(consultation) if a.is_cosigned),
                  key=lambda a: (a.club.slug, a.held_on, a.id))


def recordable_clubs(consultation: Consultation, user: User | None) -> list[Organization]:
    """Return the clubs of the federation for which the person may record an assembly now."""
    if consultation.phase not in RECORDING_PHASES:
        return []
    return [club for club in consultation.federation.clubs() if permissions.can_record_assembly(user, club)]


@dataclass(frozen=True)
class RollEntry:
    """One member of the club on the assembly's voter roll: ``state`` is "here" (voted on paper at this
    assembly), "elsewhere" (on paper at another of the club's assemblies), "online" (voted online) or "none"."""

    user: User
    state: str


def roll(assembly: Assembly) -> list[RollEntry]:
    """Return the club's active members with what the voter roll says of each, by name."""
    members = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == assembly.club_id, Membership.status == MembershipStatus.ACTIVE,
               User.is_deleted.is_(False))).all()
    casts = {cast.user_id: cast for cast in db.session.scalars(
        select(BallotCast).where(BallotCast.consultation_id == assembly.consultation_id,
                                 BallotCast.user_id.in_([user.id for user in members])))}

    def state(user: User) -> str:
        cast = casts.get(user.id)
        if cast is None:
            return "none"
        if cast.assembly_id is None:
            return "online"
        return "here" if cast.assembly_id == assembly.id else "elsewhere"

    return sorted((RollEntry(user, state(user)) for user in members),
                  key=lambda entry: (entry.user.display_name.casefold(), entry.user.id))


def paper_voters(assembly: Assembly) -> int:
    """Return how many members the roll marks as having voted on paper at this assembly."""
    return db.session.scalar(select(func.count(BallotCast.id)).where(BallotCast.assembly_id == assembly.id)) or 0


def assembly_demands(assembly: Assembly) -> list[Demand]:
    return list(db.session.scalars(select(Demand).where(Demand.assembly_id == assembly.id).order_by(Demand.id)))


# --- the record and its co-signature -----------------------------------------------------------------------------

def _checked(data: AssemblyInput) -> tuple[str, str]:
    place, minutes = clean_text(data.place), clean_text(data.minutes)
    if not place:
        raise ValidationFailed("place", "required")
    if len(place) > MAX_PLACE:
        raise ValidationFailed("place", "too_long")
    if len(minutes) > MAX_MINUTES:
        raise ValidationFailed("minutes", "too_long")
    if not minutes:
        raise ValidationFailed("minutes", "required")
    if not 1 <= data.members_present <= MAX_PRESENT:
        raise ValidationFailed("members_present", "invalid")
    if not EARLIEST <= data.held_on <= utcnow().date() + timedelta(days=1):
        raise ValidationFailed("held_on", "invalid")
    return place, minutes


def record_assembly(consultation: Consultation, club: Organization, actor: User, data: AssemblyInput,
                    scan: bytes | None = None) -> Assembly:
    """Record a club's assembly for a consultation, with an optional scan or photo of its minutes.

    Raises PhaseClosed outside collecting to voting, PermissionDenied("not_officer") for someone who is not an
    officer of the club (nor the board), ValidationFailed for a bad field or scan (see
    :func:`deliberate.domain.assembly.strip_metadata`).
    """
    if consultation.phase not in RECORDING_PHASES:
        raise PhaseClosed(consultation.phase)
    if club.parent_id != consultation.federation_id or not permissions.can_record_assembly(actor, club):
        raise PermissionDenied("not_officer")
    place, minutes = _checked(data)
    scan_type = scan_sha = None
    if scan:
        scan_type, scan = engine.strip_metadata(scan)
        scan_sha = hashlib.sha256(scan).hexdigest()
    assembly = Assembly(consultation_id=consultation.id, club_id=club.id, held_on=data.held_on, place=place,
                        members_present=data.members_present, minutes=minutes, scan=scan or None,
                        scan_type=scan_type, scan_sha256=scan_sha, acta_sha256=engine.acta_sha256(minutes, scan_sha),
                        recorded_by_id=actor.id, recorded_at=utcnow())
    db.session.add(assembly)
    db.session.flush()
    audit.record(club, actor, "assembly.record", consultation.title("es"),
                 facts={"assembly": assembly.id, "held_on": data.held_on.isoformat(),
                        "members_present": data.members_present, "sha256": assembly.acta_sha256})
    db.session.commit()
    return assembly


def cosign_assembly(assembly: Assembly, actor: User) -> Assembly:
    """Co-sign an assembly's record; from then on its demands, paper voters and ballots can be entered.

    Raises Conflict("cosigned") when already co-signed, Conflict("same_person") for the officer who recorded it,
    PermissionDenied("not_officer") for anyone but an officer of the club or a board member.
    """
    if assembly.is_cosigned:
        raise Conflict("cosigned")
    if actor.id == assembly.recorded_by_id:
        raise Conflict("same_person")
    if not permissions.can_cosign_assembly(actor, assembly):
        raise PermissionDenied("not_officer")
    done = db.session.execute(sa_update(Assembly).where(Assembly.id == assembly.id, Assembly.cosigned_at.is_(None))
                              .values(cosigned_by_id=actor.id, cosigned_at=utcnow()))
    if done.rowcount != 1:
        db.session.rollback()
        raise Conflict("cosigned")
    audit.record(assembly.club, actor, "assembly.cosign", assembly.consultation.title("es"),
                 facts={"assembly": assembly.id, "sha256": assembly.acta_sha256})
    db.session.commit()
    db.session.refresh(assembly)
    return assembly


def _require_entry(assembly: Assembly, actor: User) -> None:
    if not assembly.is_cosigned:
        raise Conflict("not_cosigned")
    if not permissions.can_enter_for_assembly(actor, assembly):
        raise PermissionDenied("not_officer")


# --- demands from the assembly -----------------------------------------------------------------------------------

def submit_assembly_demand(assembly: Assembly, actor: User, data: DemandInput) -> Demand:
    """Enter a demand raised at the assembly, on the club's behalf; it goes through consolidation like any other."""
    _require_entry(assembly, actor)
    return submit_demand(assembly.consultation, actor, data, assembly=assembly)


# --- the voter roll: who voted on paper --------------------------------------------------------------------------

@dataclass(frozen=True)
class Marks:
    """What marking the roll did: members now marked here, and those refused because they voted online."""

    marked: tuple[User, ...]
    voted_online: tuple[User, ...]


def mark_paper_voters(assembly: Assembly, actor: User, user_ids: Iterable[int]) -> Marks:
    """Mark members of the club as having voted on paper at this assembly (a mark is never taken back).

    Each mark is a row of the voter roll: a member who already voted online (or whose online vote lands at the same
    moment) is refused by the roll's unique constraint and reported in ``voted_online``; a member already marked
    on paper is left as they are. Raises PhaseClosed outside voting, Conflict("not_cosigned") before the
    co-signature, ValidationFailed("members", "invalid") for someone who is not an active member of the club.
    """
    _require_entry(assembly, actor)
    consultation = assembly.consultation
    if not accepts_ballots(consultation.phase):
        raise PhaseClosed(consultation.phase)
    wanted = sorted(set(user_ids))
    members = {user.id: user for user in db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == assembly.club_id, Membership.status == MembershipStatus.ACTIVE,
               User.is_deleted.is_(False), User.id.in_(wanted)))}
    if len(members) != len(wanted):
        raise ValidationFailed("members", "invalid")
    marked, online = [], []
    for user_id in wanted:
        try:
            with db.session.begin_nested():
                db.session.add(BallotCast(consultation_id=consultation.id, user_id=user_id, assembly_id=assembly.id))
        except IntegrityError:
            cast = db.session.scalar(select(BallotCast).where(BallotCast.consultation_id == consultation.id,
                                                              BallotCast.user_id == user_id))
            if cast is not None and cast.assembly_id is None:
                online.append(members[user_id])
            continue
        marked.append(members[user_id])
    still_voting(consultation)
    if marked:
        audit.record(assembly.club, actor, "assembly.paper_voters", consultation.title("es"),
                     facts={"assembly": assembly.id, "marked": len(marked)})
    db.session.commit()
    return Marks(tuple(marked), tuple(online))


# --- paper ballots, typed twice ----------------------------------------------------------------------------------

def sheet_items(assembly: Assembly, sheet_code: str | None = None) -> list[AgendaItem]:
    """Return the consultation's ballot items, in the order printed on this sheet (or by id without a code)."""
    items = active_items(assembly.consultation)
    if sheet_code is None:
        return items
    by_id = {item.id: item for item in items}
    return [by_id[item_id] for item_id in engine.sheet_order(sheet_code, list(by_id))]


def read_sheet(assembly: Assembly, ranks: dict[int, str], supported: set[int]) -> tuple[list[list[int]], list[int]]:
    """Turn a typed sheet's boxes into tiers and approvals, by the online ballot's rules.

    Under approval voting a sheet with approvals and no rank is read as one tier of the approved items.
    Raises ValidationFailed("ranking", "empty" | "invalid") as :func:`deliberate.ballots.services.read_ballot`.
    """
    items = sheet_items(assembly)
    approval = assembly.consultation.voting_method is VotingMethod.APPROVAL
    if approval and supported and not any(str(value or "").strip() for value in ranks.values()):
        if set(supported) - {item.id for item in items}:
            raise ValidationFailed("approved", "invalid")
        return [sorted(supported)], sorted(supported)
    return read_ballot(items, ranks, supported)


@dataclass(frozen=True)
class EntryOutcome:
    """What typing a sheet did: "waiting" for a second entry, "agreed" (one sealed ballot now), or "conflict"."""

    state: str
    sheet: str


def enter_sheet(assembly: Assembly, actor: User, sheet_code: str, ranking: list[list[int]],
                approved: list[int]) -> EntryOutcome:
    """Record one officer's typing of a paper sheet and compare it with the other officers' typing of it.

    Typing a sheet again replaces one's own entry. When another officer's entry of the same sheet says the same,
    every entry of the sheet is deleted and one sealed ballot remains (see the module docstring). Raises
    ValidationFailed("sheet", "invalid") for a mistyped code, Conflict("sheet_counted") for a sheet already
    counted, Conflict("more_ballots_than_voters") when the assembly would have more paper ballots than members
    marked as voting on paper there, PhaseClosed outside voting, Conflict("not_cosigned") before the co-signature.
    """
    _require_entry(assembly, actor)
    consultation = assembly.consultation
    if not accepts_ballots(consultation.phase):
        raise PhaseClosed(consultation.phase)
    code = engine.normal_sheet_code(sheet_code)
    _hold(assembly)
    known = [item.id for item in active_items(consultation)]
    if not ranking or any(i not in known for tier in ranking for i in tier) or set(approved) - set(known):
        raise ValidationFailed("ranking", "invalid")
    if _counted(consultation, code):
        raise Conflict("sheet_counted")
    tag = sealing.sheet_tag(consultation.id, code)
    mine = engine.PaperBallot.of(ranking, approved)
    entries = list(db.session.scalars(select(PaperEntry).where(PaperEntry.assembly_id == assembly.id,
                                                               PaperEntry.sheet_tag == tag).with_for_update()))
    own = next((entry for entry in entries if entry.officer_id == actor.id), None)
    sealed = sealing.seal_entry(consultation.id, code, [list(t) for t in mine.ranking], list(mine.approved), known)
    if own is None:
        own = PaperEntry(assembly_id=assembly.id, sheet_tag=tag, officer_id=actor.id, sealed=sealed)
        db.session.add(own)
    else:
        own.sealed = sealed
    others = [entry for entry in entries if entry.officer_id != actor.id]
    if any(_ballot_of(consultation, entry) == mine for entry in others):
        _seal_paper_ballot(assembly, code, mine, known)
        state = "agreed"
    else:
        state = "conflict" if others else "waiting"
    try:
        db.session.flush()
    except IntegrityError as error:  # the same officer's two tabs typed the sheet at once
        db.session.rollback()
        raise Conflict("sheet_busy") from error
    still_voting(consultation)
    db.session.commit()
    return EntryOutcome(state, code)


def _hold(assembly: Assembly) -> None:
    """Take the assembly's row for this transaction: two officers typing the same sheet at the same moment are
    compared one after the other, instead of each waiting for an entry the other has not committed yet."""
    db.session.execute(select(Assembly.id).where(Assembly.id == assembly.id).with_for_update())


def _counted(consultation: Consultation, code: str) -> bool:
    tag = sealing.receipt_tag(consultation.id, hash_receipt(code))
    return db.session.scalar(select(SealedBallot.id).where(SealedBallot.receipt_tag == tag)) is not None


def _ballot_of(consultation: Consultation, entry: PaperEntry) -> engine.PaperBallot:
    try:
        _code, ranking, approved = sealing.open_entry(consultation.id, entry.sealed)
    except sealing.SealBroken:
        raise Conflict("ballot_key") from None
    return engine.PaperBallot.of(ranking, approved)


def _seal_paper_ballot(assembly: Assembly, code: str, ballot: engine.PaperBallot, known: list[int]) -> None:
    """Turn a sheet's agreed entries into one sealed ballot, with nothing of the officers, the assembly or a time.

    The assembly's count of entered ballots is raised with a compare-and-set against the members marked as voting
    on paper there: two officers sealing the last sheet at once cannot both pass it.
    """
    consultation = assembly.consultation
    marked = (select(func.count(BallotCast.id)).where(BallotCast.assembly_id == assembly.id)).scalar_subquery()
    raised = db.session.execute(sa_update(Assembly)
                                .where(Assembly.id == assembly.id, Assembly.ballots_entered < marked)
                                .values(ballots_entered=Assembly.ballots_entered + 1)
                                .execution_options(synchronize_session=False))
    if raised.rowcount != 1:
        db.session.rollback()
        raise Conflict("more_ballots_than_voters")
    receipt_hash = hash_receipt(code)
    content = sealing.Content(assembly.club.slug, None, [list(tier) for tier in ballot.ranking],
                              list(ballot.approved), receipt_hash, paper=True)
    db.session.add(SealedBallot(consultation_id=consultation.id,
                                receipt_tag=sealing.receipt_tag(consultation.id, receipt_hash),
                                sealed=sealing.seal(consultation.id, content, known)))
    db.session.execute(sa_delete(PaperEntry).where(PaperEntry.assembly_id == assembly.id,
                                                   PaperEntry.sheet_tag == sealing.sheet_tag(consultation.id, code)))


@dataclass(frozen=True)
class SheetConflict:
    """Two or more typings of one sheet that disagree: the code, each entry and the items they differ on."""

    sheet: str
    tag: str
    entries: tuple[tuple[str, engine.PaperBallot], ...]  # (entry id, what it says)
    differences: tuple[int, ...]


@dataclass(frozen=True)
class EntryState:
    """The assembly's typing so far: sheets waiting for their second entry, and sheets whose entries disagree."""

    waiting: tuple[str, ...]
    conflicts: tuple[SheetConflict, ...]


def entry_state(assembly: Assembly) -> EntryState:
    """Return the sheets typed once and the disagreements to resolve (entries name no officer here)."""
    consultation = assembly.consultation
    known = [item.id for item in active_items(consultation)]
    by_sheet: dict[str, list[PaperEntry]] = {}
    for entry in db.session.scalars(select(PaperEntry).where(PaperEntry.assembly_id == assembly.id)):
        by_sheet.setdefault(entry.sheet_tag, []).append(entry)
    waiting, conflicts = [], []
    for tag, entries in by_sheet.items():
        opened = []
        for entry in sorted(entries, key=lambda e: e.id):
            try:
                code, ranking, approved = sealing.open_entry(consultation.id, entry.sealed)
            except sealing.SealBroken:
                raise Conflict("ballot_key") from None
            opened.append((entry.id, code, engine.PaperBallot.of(ranking, approved)))
        code = opened[0][1]
        if len(opened) == 1:
            waiting.append(code)
            continue
        differences = sorted({item for _, _, ballot in opened[1:]
                              for item in opened[0][2].differences(ballot, known)})
        conflicts.append(SheetConflict(code, tag, tuple((entry_id, ballot) for entry_id, _, ballot in opened),
                                       tuple(differences)))
    return EntryState(tuple(sorted(waiting)), tuple(sorted(conflicts, key=lambda c: c.sheet)))


def resolve_sheet(assembly: Assembly, actor: User, sheet_tag: str, entry_id: str) -> None:
    """Resolve a disagreement: keep one entry of the sheet (checked against the paper) as its sealed ballot.

    Raises NotFound when the entry is not one of that sheet's, and what :func:`enter_sheet` raises.
    """
    _require_entry(assembly, actor)
    consultation = assembly.consultation
    if not accepts_ballots(consultation.phase):
        raise PhaseClosed(consultation.phase)
    _hold(assembly)
    entry = db.session.scalar(select(PaperEntry).where(PaperEntry.id == entry_id, PaperEntry.sheet_tag == sheet_tag,
                                                       PaperEntry.assembly_id == assembly.id).with_for_update())
    if entry is None:
        raise NotFound("paper_entry", entry_id)
    try:
        code, ranking, approved = sealing.open_entry(consultation.id, entry.sealed)
    except sealing.SealBroken:
        raise Conflict("ballot_key") from None
    if _counted(consultation, code):
        raise Conflict("sheet_counted")
    known = [item.id for item in active_items(consultation)]
    _seal_paper_ballot(assembly, code, engine.PaperBallot.of(ranking, approved), known)
    still_voting(consultation)
    db.session.commit()
