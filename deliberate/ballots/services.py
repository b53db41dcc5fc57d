"""Secret ballots and the official count: cast and replace a ballot, mix and count when voting closes, the results.

While voting is open, a cast writes who voted (BallotCast) and the ballot sealed with a key that lives outside the
database (SealedBallot) in one transaction: a crash keeps both or neither. When voting closes, :func:`mix_ballot_box`
opens every sealed ballot in one transaction and writes the plain ballots in a random order, with random keys, no
date and no gender, counted in groups of at least five voters (see :mod:`deliberate.domain.privacy`). The voter's
receipt code is returned once; only its SHA-256 is stored on the ballot, and a keyed hash of it with the voter on
their cast, so that only the voter (logged in, with the receipt) can replace their ballot. The official count runs
the same functions as the ``deliberate tally`` command on the anonymised input document, and is stored with the
SHA-256 of that document. ``docs/ballot-secrecy.md`` is the threat model.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Insert, Integer, String, bindparam, func, insert, select
from sqlalchemy import delete as sa_delete
from sqlalchemy import update as sa_update
from sqlalchemy.exc import IntegrityError

from deliberate import audit, permissions
from deliberate.ballots import sealing
from deliberate.ballots.tallyfile import parse_tally
from deliberate.consolidation.services import active_items
from deliberate.domain import assembly as assembly_engine
from deliberate.domain import electorate as electorate_engine
from deliberate.domain import equity as equity_engine
from deliberate.domain import privacy
from deliberate.domain import tally as tally_engine
from deliberate.domain.count import Count, tally_input
from deliberate.domain.errors import Conflict, NotFound, PhaseClosed, ValidationFailed
from deliberate.domain.gender import Gender, GenderGroup, gender_group
from deliberate.domain.phases import Phase, accepts_ballots
from deliberate.domain.rules import ClubWeighting
from deliberate.extensions import db
from deliberate.models import (
    AgendaItem,
    Assembly,
    Ballot,
    BallotBox,
    BallotCast,
    Consultation,
    Membership,
    MembershipStatus,
    Organization,
    PaperEntry,
    SealedBallot,
    Tally,
    User,
    utcnow,
)

#: Receipt codes: 20 characters from an alphabet without look-alikes, shown in groups of four (about 100 bits).
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RECEIPT_LENGTH = 20




# --- reading ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BallotPaper:
    """What a member votes on in a consultation: the club their ballot counts with and the items on the ballot."""

    user_id: int
    club: Organization
    items: list[AgendaItem]

    @property
    def item_ids(self) -> list[int]:
        return [item.id for item in self.items]


def ballot_paper(consultation: Consultation, user: User) -> BallotPaper:
    """Return the member's ballot paper; raise Conflict("not_a_member") for someone without a club in the federation."""
    club = permissions.voting_club(user, consultation)
    if club is None:
        raise Conflict("not_a_member")
    return BallotPaper(user.id, club, active_items(consultation))


def has_cast(user: User, consultation: Consultation) -> bool:
    """Tell whether the person has already cast a ballot in this consultation."""
    return db.session.scalar(
        select(BallotCast.id).where(BallotCast.consultation_id == consultation.id, BallotCast.user_id == user.id)
    ) is not None


# --- ballots ------------------------------------------------------------------------------------------------------

def hash_receipt(code: str) -> str:
    """Return the SHA-256 (hex) of a receipt code, ignoring spaces, dashes and case."""
    normal = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def read_ballot(items: list[AgendaItem], ranks: Mapping[int, str | int | None],
                supported: Iterable[int]) -> tuple[list[list[int]], list[int]]:
    """Turn the form's rank numbers (equal numbers tie; empty means not ranked) and supported items into tiers.

    Raises ValidationFailed("ranking", "empty") when nothing is ranked, ("ranking", "invalid") for a number out of
    range or an unknown item.
    """
    known = {item.id for item in items}
    levels: dict[int, list[int]] = {}
    for item_id, value in ranks.items():
        if item_id not in known:
            raise ValidationFailed("ranking", "invalid")
        if value in (None, ""):
            continue
        try:
            rank = int(value)
        except (TypeError, ValueError):
            raise ValidationFailed("ranking", "invalid") from None
        if not 1 <= rank <= len(items):
            raise ValidationFailed("ranking", "invalid")
        levels.setdefault(rank, []).append(item_id)
    if not levels:
        raise ValidationFailed("ranking", "empty")
    approved = sorted(set(supported))
    if set(approved) - known:
        raise ValidationFailed("approved", "invalid")
    return [sorted(levels[rank]) for rank in sorted(levels)], approved


def cast_ballot(consultation: Consultation, user: User, ranking: list[list[int]], approved: list[int],
                receipt: str | None = None, paper: BallotPaper | None = None) -> str | None:
    """Cast the member's ballot, or replace it with its receipt code; return the new receipt code (None on replace).

    ``paper`` is the member's :func:`ballot_paper` when the caller has just loaded it (the cast page reads the
    form with it), else it is loaded here. Raises PhaseClosed outside voting, Conflict("not_a_member") for someone
    without a club in the federation, Conflict("already_cast") when the member voted and gave no receipt,
    Conflict("voted_on_paper") when they were marked on the roll at a club assembly, Conflict("bad_receipt") for a
    receipt that is not this member's (whether or not it is someone else's: nothing tells). A second ballot is
    refused by the BallotCast unique constraint, which also settles two casts at the same moment (or a cast racing
    a paper mark): one gets through, the other leaves nothing behind.
    """
    if not accepts_ballots(consultation.phase):
        raise PhaseClosed(consultation.phase)
    if paper is None or paper.user_id != user.id:
        paper = ballot_paper(consultation, user)
    known = paper.item_ids
    if not ranking or any(i not in known for tier in ranking for i in tier) or set(approved) - set(known):
        raise ValidationFailed("ranking", "invalid")
    if receipt and receipt.strip():
        _replace_ballot(consultation, user, receipt, ranking, approved, known)
        return None
    consultation_id, user_id = consultation.id, user.id
    code = new_receipt_code()
    receipt_hash = hash_receipt(code)
    content = sealing.Content(paper.club.slug, gender_group(user.gender), ranking, approved, receipt_hash)
    write_sealed, write_cast = _cast_statements()
    try:
        # the sealed ballot is written first: a worker killed before the cast is written leaves neither
        db.session.execute(write_sealed, {
            "consultation_id": consultation_id, "receipt_tag": sealing.receipt_tag(consultation_id, receipt_hash),
            "sealed": sealing.seal(consultation_id, content, known)})
        written = db.session.execute(write_cast, {
            "consultation_id": consultation_id, "user_id": user_id,
            "receipt_check": sealing.receipt_check(consultation_id, user_id, receipt_hash)})
        if written.rowcount != 1:  # voting closed since the consultation was loaded: nothing is kept
            db.session.rollback()
            raise PhaseClosed(db.session.scalar(select(Consultation.phase).where(Consultation.id == consultation_id)))
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        _refuse_second_ballot(consultation_id, user_id)  # voted already, online or on paper: say which
        raise Conflict("already_cast") from error
    return code


@functools.cache
def _cast_statements() -> tuple[Insert, Insert]:
    """Return the cast's two writes, built once per process (building them cost more than running them).

    The sealed ballot (``consultation_id``, ``receipt_tag``, ``sealed``; its key is random), then the cast
    (``consultation_id``, ``user_id``, ``receipt_check``), written only while voting is open (accepts_ballots),
    holding the consultation's row until the commit like still_voting: one statement for the write and the check.
    """
    sealed = insert(SealedBallot.__table__)
    cast = insert(BallotCast.__table__).from_select(
        ["consultation_id", "user_id", "receipt_check"],
        select(Consultation.id, bindparam("user_id", type_=Integer), bindparam("receipt_check", type_=String))
        .where(Consultation.id == bindparam("consultation_id"), Consultation.phase == Phase.VOTING)
        .with_for_update(read=True),
    ).execution_options(preserve_rowcount=True)
    return sealed, cast


def _refuse_second_ballot(consultation_id: int, user_id: int) -> None:
    """Raise Conflict("voted_on_paper") for a member marked at a club assembly, ("already_cast") for one who voted."""
    cast = db.session.scalar(select(BallotCast).where(BallotCast.consultation_id == consultation_id,
                                                      BallotCast.user_id == user_id))
    if cast is not None:
        raise Conflict("voted_on_paper" if cast.is_on_paper else "already_cast")


def voted_on_paper(user: User, consultation: Consultation) -> bool:
    """Tell whether the member is marked on the voter roll as having voted on paper at a club assembly."""
    return db.session.scalar(select(BallotCast.id).where(
        BallotCast.consultation_id == consultation.id, BallotCast.user_id == user.id,
        BallotCast.assembly_id.is_not(None))) is not None


def still_voting(consultation: Consultation) -> None:
    """Check, holding the consultation's row, that voting is still open (else roll back and raise PhaseClosed).

    Closing the vote updates that row and mixes the sealed ballots in the same transaction: a cast either commits
    before the close reads the sealed ballots, or waits for it and finds voting closed. No ballot is left behind.
    """
    phase = db.session.scalar(select(Consultation.phase).where(Consultation.id == consultation.id)
                              .with_for_update(read=True).execution_options(populate_existing=True))
    if not accepts_ballots(phase):
        db.session.rollback()
        raise PhaseClosed(phase)


def _replace_ballot(consultation: Consultation, user: User, receipt: str, ranking: list[list[int]],
                    approved: list[int], known: list[int]) -> None:
    """Replace the member's sealed ballot, found by their receipt code; its club and gender bucket stay."""
    receipt_hash = hash_receipt(receipt)
    expected = db.session.scalar(select(BallotCast.receipt_check).where(
        BallotCast.consultation_id == consultation.id, BallotCast.user_id == user.id))
    given = sealing.receipt_check(consultation.id, user.id, receipt_hash)
    if expected is None or not hmac.compare_digest(expected, given):
        raise Conflict("bad_receipt")
    sealed = db.session.scalar(select(SealedBallot).where(
        SealedBallot.consultation_id == consultation.id,
        SealedBallot.receipt_tag == sealing.receipt_tag(consultation.id, receipt_hash)).with_for_update())
    if sealed is None:
        raise Conflict("bad_receipt")
    before = _open(consultation, sealed)
    content = sealing.Content(before.club, before.gender, ranking, approved, before.receipt_hash)
    sealed.sealed = sealing.seal(consultation.id, content, known)
    db.session.flush()
    still_voting(consultation)
    db.session.commit()


def _open(consultation: Consultation, sealed: SealedBallot) -> sealing.Content:
    try:
        return sealing.open_sealed(consultation.id, sealed.sealed)
    except sealing.SealBroken:
        raise Conflict("ballot_key") from None


# --- the mix: from sealed ballots to the counted ones -------------------------------------------------------------

def ballot_box(consultation: Consultation) -> BallotBox:
    """Return what the mix froze for the count; raise NotFound before voting has closed."""
    box = db.session.get(BallotBox, consultation.id)
    if box is None:
        raise NotFound("ballot_box", consultation.id)
    return box


def mix_ballot_box(consultation: Consultation) -> BallotBox:
    """Open every sealed ballot and write the counted ones, unlinkable to the casts (no commit: the phase move does).

    In one transaction: the plain ballots are written in a random order with random keys, each under its counting
    group (its club, or the pool of small clubs); the gender buckets become the federation's gender table with small
    groups hidden; the sealed ballots are deleted and every cast's receipt check erased, which also gives every cast
    and every ballot the same transaction. Raises Conflict("ballot_key") when a sealed ballot does not open (the
    ballot key changed while voting was open): nothing is counted then.
    """
    existing = db.session.get(BallotBox, consultation.id)
    if existing is not None:
        return existing
    contents = [_open(consultation, sealed) for sealed in db.session.scalars(
        select(SealedBallot).where(SealedBallot.consultation_id == consultation.id))]
    clubs = _clubs(consultation)
    members = _active_members([club.id for club in clubs])
    registered = {club.slug: members.get(club.id, 0) for club in clubs}
    uncounted = sum(1 for content in contents if content.club not in registered)
    contents = [content for content in contents if content.club in registered]
    voters = Counter(content.club for content in contents)
    groups = privacy.counting_groups({slug: voters.get(slug, 0) for slug in registered})
    group_of = privacy.group_of(groups)
    candidates = [str(item.id) for item in active_items(consultation)]
    known = set(candidates)
    plain = [_plain_ballot(content, known) for content in contents]
    electorate = [electorate_engine.Voter(club=group_of[content.club], gender=content.gender, ranking=ranking,
                                        approved=approved) for content, (ranking, approved) in zip(contents, plain,
                                                                                                    strict=True)]
    # who voted on paper is on the roll, with their stated gender, apart from their ballots (which carry none)
    genders = Counter(content.gender or "unstated" for content in contents if not content.paper)
    genders.update(gender_group(gender) or "unstated" for gender in db.session.scalars(
        select(User.gender).join(BallotCast, BallotCast.user_id == User.id)
        .where(BallotCast.consultation_id == consultation.id, BallotCast.assembly_id.is_not(None))))
    paper = Counter(group_of[content.club] for content in contents if content.paper)
    online = Counter(group_of[content.club] for content in contents if not content.paper)
    shown = {name for name in paper if assembly_engine.split_is_shown(online[name], paper[name])}
    box = BallotBox(
        consultation_id=consultation.id,
        clubs={group.name: {"members": sum(registered[club] for club in group.clubs),
                            **({"clubs": {club: registered[club] for club in group.clubs}} if group.is_pooled else {}),
                            **({"paper": paper[group.name] if group.name in shown else None}
                               if paper[group.name] else {})}
               for group in groups},
        gender_table=equity_engine.tabulate_genders(candidates, electorate).to_dict(),
        turnout={group.value: genders.get(group, 0) for group in GenderGroup},
        uncounted=uncounted,
    )
    order = list(range(len(contents)))
    secrets.SystemRandom().shuffle(order)
    for index in order:
        content = contents[index]
        group = group_of[content.club]
        db.session.add(Ballot(id=secrets.token_hex(16), consultation_id=consultation.id,
                              group=group, ranking=content.ranking, approved=content.approved,
                              receipt_hash=content.receipt_hash,
                              channel=("paper" if content.paper else "online") if group in shown else None))
    db.session.execute(sa_delete(SealedBallot).where(SealedBallot.consultation_id == consultation.id))
    db.session.execute(sa_delete(PaperEntry).where(PaperEntry.assembly_id.in_(
        select(Assembly.id).where(Assembly.consultation_id == consultation.id))))  # entries never agreed on
    db.session.execute(sa_update(BallotCast).where(BallotCast.consultation_id == consultation.id)
                       .values(receipt_check=None))
    db.session.add(box)
    db.session.flush()
    return box


def _plain_ballot(content: sealing.Content, known: set[str]) -> tuple[list[list[str]], list[str]]:
    """Return a ballot's tiers and approvals as candidate names, without items no longer on the ballot."""
    tiers = [[str(i) for i in tier if str(i) in known] for tier in content.ranking]
    return [tier for tier in tiers if tier], [str(i) for i in content.approved if str(i) in known]


def counted_receipts(consultation: Consultation) -> list[str]:
    """Return the receipt hashes of the consultation's ballots, sorted (their order says nothing)."""
    return list(db.session.scalars(
        select(Ballot.receipt_hash).where(Ballot.consultation_id == consultation.id).order_by(Ballot.receipt_hash)))


def receipt_counted(consultation: Consultation, code: str) -> bool:
    return hash_receipt(code) in set(counted_receipts(consultation))


# --- the count ----------------------------------------------------------------------------------------------------

def _clubs(consultation: Consultation) -> list[Organization]:
    return list(db.session.scalars(
        select(Organization).where(Organization.parent_id == consultation.federation_id).order_by(Organization.id)))


def _active_members(club_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(Membership.organization_id, func.count(Membership.id))
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id.in_(club_ids), Membership.status == MembershipStatus.ACTIVE,
               User.is_deleted.is_(False))
        .group_by(Membership.organization_id))
    return dict(rows.all())


def rules(consultation: Consultation) -> dict[str, Any]:
    """Return the counting rules of a consultation, in the command line's words."""
    return {
        "method": consultation.voting_method.value,
        "weighting": consultation.club_weighting.value,
        "cap": consultation.weighting_cap,
        "club_mode": consultation.club_mode.value,
        "seats": consultation.agenda_size,
        "selection": consultation.selection.value,
        "voters_threshold": consultation.voters_threshold,
        "clubs_threshold": consultation.clubs_threshold,
    }


def official_tally_input(consultation: Consultation) -> dict[str, Any]:
    """Return the anonymised input document of the count, in the ``deliberate tally`` file format plus its rules.

    Candidates are agenda item ids (as text), clubs are the counting groups frozen by the mix (a club's slug, or
    the small clubs it pools) with their registered members, ballots are sorted by their receipt hash (which is
    not shown): nothing in it points to a person, and no group in it has fewer than five voters.
    """
    box = ballot_box(consultation)
    candidates = [str(item.id) for item in active_items(consultation)]
    known = set(candidates)
    ballots = []
    for ballot in db.session.scalars(
            select(Ballot).where(Ballot.consultation_id == consultation.id).order_by(Ballot.receipt_hash)):
        tiers = [[str(i) for i in tier if str(i) in known] for tier in ballot.ranking]
        ballots.append({"club": ballot.group, "ranking": [tier for tier in tiers if tier],
                        "approved": [str(i) for i in ballot.approved if str(i) in known],
                        **({"paper": True} if ballot.channel == "paper" else {})})
    return {
        "candidates": candidates,
        "clubs": box.clubs,
        "ballots": ballots,
        "rules": rules(consultation),
    }


def too_few_voters(consultation: Consultation) -> bool:
    """Say whether so few people voted that no result may be shown (any figure would be about them)."""
    return privacy.is_small(db.session.scalar(
        select(func.count(BallotCast.id)).where(BallotCast.consultation_id == consultation.id)) or 0)


def inputs_hash(document: dict[str, Any]) -> str:
    """Return the SHA-256 of the canonical form of an input document (sorted keys, compact JSON)."""
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def count(document: dict[str, Any], *, weighting: str | None = None) -> Count:
    """Count an input document under its rules (or another weighting) with the command line's functions."""
    rule = document["rules"]
    weighting = weighting or rule["weighting"]
    cap = rule["cap"]
    if weighting == ClubWeighting.CAPPED and cap is None:
        cap = max((club["members"] for club in document["clubs"].values()), default=1) or 1
    data = parse_tally(orjson.dumps(document, option=orjson.OPT_SORT_KEYS))  # the bytes anyone downloads
    seats = min(rule["seats"], len(document["candidates"])) or None
    result = tally_input(data, method=rule["method"], weighting=weighting, cap=cap, club_mode=rule["club_mode"],
                         seats=seats if document["ballots"] else None, selection=rule["selection"],
                         voters_threshold=rule["voters_threshold"], clubs_threshold=rule["clubs_threshold"])
    return replace(result, cap=cap)


def store_official_tally(consultation: Consultation) -> Tally:
    """Mix the sealed ballots, count them under the consultation's rules and store the result as official (no
    commit: the phase move commits it)."""
    box = mix_ballot_box(consultation)
    document = official_tally_input(consultation)
    tally = Tally(consultation_id=consultation.id, method=consultation.voting_method.value,
                  weighting=consultation.club_weighting.value, result=count(document).to_dict(),
                  inputs_hash=inputs_hash(document), created_at=utcnow(), is_official=True)
    db.session.add(tally)
    audit.record(consultation.federation, None, "consultation.tally", consultation.title("es"),
                 facts={"ballots": len(document["ballots"]), "sha256": tally.inputs_hash,
                        **({"uncounted": box.uncounted} if box.uncounted else {})})
    return tally


def official_tally(consultation: Consultation) -> Tally | None:
    return db.session.scalar(select(Tally).where(Tally.consultation_id == consultation.id,
                                                 Tally.is_official.is_(True)).order_by(Tally.id.desc()).limit(1))


def what_if(consultation: Consultation) -> dict[str, Count]:
    """Return the result under each other weighting (for the board; never official)."""
    document = official_tally_input(consultation)
    official = consultation.club_weighting.value
    return {weighting: count(document, weighting=weighting) for weighting in ClubWeighting if weighting != official}


#: A ballot of more items than this folds each item's summary under its title: forty open summaries make a phone
#: ballot some fourteen screens tall, and the titles are what a voter ranks by.
BALLOT_SUMMARIES_OPEN_UP_TO = 8


#: A what-if ranking this short is shown unfolded: it is no longer than its summary would be useful.
WHAT_IF_UNFOLDED_UP_TO = 6


def what_if_cases(consultation: Consultation, official: Count) -> dict[str, dict[str, Any]]:
    """Return, for each other weighting, its results view and how its ranking differs from the official one.

    ``moved`` maps the id of each item that changes place to its official position; ``new_first`` says the first
    place changes; ``is_open`` says the board should see the ranking unfolded: it is short, its first place
    differs, or it is the only weighting that changes anything.
    """
    cases = {}
    for weighting, result in what_if(consultation).items():
        moved = tally_engine.moved_items(official.ranking, result.ranking)
        firsts = [set(ranking[0]) if ranking else set() for ranking in (official.ranking, result.ranking)]
        cases[weighting] = {
            "view": results_view(consultation, result),
            "moved": {int(name): position for name, position in moved.items()},
            "new_first": firsts[0] != firsts[1],
            "items": len(result.order),
        }
    differing = [case for case in cases.values() if case["moved"]]
    for case in cases.values():
        case["is_open"] = (case["items"] <= WHAT_IF_UNFOLDED_UP_TO or case["new_first"]
                           or (len(differing) == 1 and case is differing[0]))
    return cases


@dataclass(frozen=True)
class GenderTurnout:
    group: str
    members: int
    voters: int


def turnout_by_gender(consultation: Consultation) -> list[GenderTurnout] | None:
    """Return turnout for women, men and everyone else, or None when any group has fewer than five people
    (members or voters): a small group could be recognised, and the others would give it away by subtraction."""
    clubs = [club.id for club in _clubs(consultation)]
    groups = {group.value: [0, 0] for group in GenderGroup}

    def group(gender: Gender | None) -> str:
        return gender_group(gender) or GenderGroup.OTHER  # not said counts with the other genders here

    member_rows = db.session.execute(
        select(User.id, User.gender).join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id.in_(clubs), Membership.status == MembershipStatus.ACTIVE,
               User.is_deleted.is_(False)).distinct())
    for _user_id, gender in member_rows:
        groups[group(gender)][0] += 1
    voter_rows = db.session.execute(
        select(User.gender).join(BallotCast, BallotCast.user_id == User.id)
        .where(BallotCast.consultation_id == consultation.id))
    for (gender,) in voter_rows:
        groups[group(gender)][1] += 1
    if groups["other"] == [0, 0]:
        del groups["other"]
    if any(members < privacy.MIN_GROUP or voters < privacy.MIN_GROUP for members, voters in groups.values()):
        return None
    return [GenderTurnout(name, members, voters) for name, (members, voters) in groups.items()]


@dataclass(frozen=True)
class Channels:
    """How a counting group's ballots were cast: ``paper`` is None when the split is not shown (see
    :func:`deliberate.domain.assembly.split_is_shown`); a group without paper ballots has no Channels at all."""

    voters: int
    paper: int | None

    @property
    def online(self) -> int | None:
        return None if self.paper is None else self.voters - self.paper

    @property
    def is_shown(self) -> bool:
        return self.paper is not None


def channels_of(frozen_club: Mapping[str, Any], voters: int) -> Channels | None:
    """Return a counting group's channels from its entry in the count's input (None: every ballot was online)."""
    if "paper" not in frozen_club:
        return None
    return Channels(voters, frozen_club["paper"])


def today() -> date:
    return utcnow().date()


def _tiers_of(ranking: Sequence[Sequence[str]], items: dict[str, AgendaItem]) -> list[dict[str, Any]]:
    """Return tiers with their position (1 + the number of items ahead) and their items."""
    tiers, ahead = [], 0
    for tier in ranking:
        tiers.append({"position": ahead + 1, "items": [items[name] for name in tier if name in items]})
        ahead += len(tier)
    return tiers


def results_view(consultation: Consultation, result: Count) -> dict[str, Any]:
    """Prepare a count for the results page: item and club objects instead of ids and slugs."""
    items = {str(item.id): item for item in db.session.scalars(
        select(AgendaItem).where(AgendaItem.consultation_id == consultation.id))}
    clubs = {club.slug: club for club in _clubs(consultation)}
    box = db.session.get(BallotBox, consultation.id)
    frozen = box.clubs if box is not None else {}
    names = result.candidates
    total_weight = sum(club.weight for club in result.clubs.values())
    club_rows = []
    for slug, club in result.clubs.items():
        channels = channels_of(frozen.get(slug, {}), club.voters)
        pooled = [clubs[part].name if part in clubs else part for part in slug.split(privacy.POOL_SEPARATOR)]
        club_rows.append({
            "club": clubs.get(slug), "slug": slug, "name": clubs[slug].name if slug in clubs else " + ".join(pooled),
            "pooled": pooled if len(pooled) > 1 else [], "voters": club.voters, "members": club.members,
            "weight": club.weight, "weight_share": club.weight / total_weight if total_weight else 0.0,
            "turnout": club.voters / club.members if club.members else None,
            "ranking": _tiers_of(club.ranking, items) if club.voters else [],
            "channels": channels,
        })
    order = result.order
    index = {name: number for number, name in enumerate(names)}
    support = result.pairwise.support
    total = result.pairwise.total_weight or 0
    matrix = []
    for a in order:
        cells = []
        for b in order:
            if a == b:
                cells.append({"state": "self", "item": items.get(b)})
                continue
            ab, ba = support[index[a]][index[b]], support[index[b]][index[a]]
            state = "win" if ab > ba else "lose" if ab < ba else "tie"
            cells.append({"state": state, "item": items.get(b), "share": ab / total if total else 0.0})
        matrix.append({"item": items.get(a), "cells": cells})
    majority = [
        {"item": items.get(name), "majority": result.double_majority[name]}
        for name in order if name in result.double_majority
    ]
    selection = result.selection
    return {
        "ranking": _tiers_of(result.ranking, items),
        "voters": result.voters,
        "clubs": club_rows,
        "matrix": matrix,
        "order": [items.get(name) for name in order],
        "double_majority": majority,
        "selection": selection,
        "selected": [items[name] for name in selection.items if name in items] if selection else [],
        "weighting": result.weighting,
        "method": result.method,
        "club_mode": result.club_mode,
        "cap": result.cap,
    }
