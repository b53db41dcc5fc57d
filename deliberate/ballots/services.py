"""Secret ballots and the official count: cast and replace a ballot, count when voting closes, read the results.

Who voted (BallotCast) and what was voted (Ballot) are written in one transaction but share no key. The voter's
receipt code is returned once and only its SHA-256 is stored. The official count runs the same functions as the
``deliberate tally`` command on the anonymised input document, and is stored with the SHA-256 of that document.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from deliberate import audit
from deliberate.ballots.tallyfile import parse_tally, tally_input
from deliberate.domain import federation as federation_engine
from deliberate.domain import tally as tally_engine
from deliberate.domain.errors import Conflict, PhaseClosed, ValidationFailed
from deliberate.domain.phases import Phase, accepts_ballots
from deliberate.extensions import db
from deliberate.models import (
    AgendaItem,
    Ballot,
    BallotCast,
    Consultation,
    Gender,
    Membership,
    MembershipStatus,
    Organization,
    Role,
    Tally,
    User,
    utcnow,
)
from deliberate.permissions import club_membership, has_role

#: Receipt codes: 20 characters from an alphabet without look-alikes, shown in groups of four (about 100 bits).
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RECEIPT_LENGTH = 20

#: Turnout by gender is shown only when every group has at least this many people.
MIN_GROUP = 5

WEIGHTINGS = federation_engine.WEIGHTINGS


# --- reading ------------------------------------------------------------------------------------------------------

def active_items(consultation: Consultation) -> list[AgendaItem]:
    """Return the consultation's live agenda items (not merged into another), in a stable order."""
    return list(db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.consultation_id == consultation.id, AgendaItem.merged_into_id.is_(None))
        .order_by(AgendaItem.id)
    ))


def voting_club(user: User | None, consultation: Consultation) -> Organization | None:
    """Return the club through which the person votes in this consultation, or None if they may not vote."""
    if user is None or not user.is_authenticated:
        return None
    membership = club_membership(user, consultation.federation)
    return db.session.get(Organization, membership.organization_id) if membership else None


def has_cast(user: User, consultation: Consultation) -> bool:
    """Tell whether the person has already cast a ballot in this consultation."""
    return db.session.scalar(
        select(BallotCast.id).where(BallotCast.consultation_id == consultation.id, BallotCast.user_id == user.id)
    ) is not None


def can_see_results(consultation: Consultation, user: User | None) -> bool:
    """Results and receipts: anyone once published; the federation's members after the count."""
    if consultation.phase is Phase.PUBLISHED:
        return True
    return consultation.phase is Phase.TALLIED and has_role(user, consultation.federation, Role.MEMBER)


def is_board(user: User | None, consultation: Consultation) -> bool:
    return has_role(user, consultation.federation, Role.BOARD)


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


def gender_bucket(user: User) -> str | None:
    """Return the coarse gender bucket stored on a ballot: woman, man, other, or None when not stated."""
    if user.gender is None or user.gender is Gender.UNDISCLOSED:
        return None
    return {Gender.WOMAN: "woman", Gender.MAN: "man"}.get(user.gender, "other")


def cast_ballot(consultation: Consultation, user: User, ranking: list[list[int]], approved: list[int],
                receipt: str | None = None) -> str | None:
    """Cast the member's ballot, or replace it with its receipt code; return the new receipt code (None on replace).

    Raises PhaseClosed outside voting, Conflict("not_a_member") for someone without a club in the federation,
    Conflict("already_cast") when the member voted and gave no receipt, Conflict("bad_receipt") for a receipt that
    matches no ballot of this consultation. Two casts at the same moment: the BallotCast unique constraint lets one
    through; the other raises Conflict("already_cast") and leaves nothing behind.
    """
    if not accepts_ballots(consultation.phase):
        raise PhaseClosed(consultation.phase)
    club = voting_club(user, consultation)
    if club is None:
        raise Conflict("not_a_member")
    items = active_items(consultation)
    known = {item.id for item in items}
    if not ranking or any(i not in known for tier in ranking for i in tier) or set(approved) - known:
        raise ValidationFailed("ranking", "invalid")
    today = utcnow().date()
    if receipt and receipt.strip():
        if not has_cast(user, consultation):
            raise Conflict("bad_receipt")
        ballot = db.session.scalar(select(Ballot).where(
            Ballot.consultation_id == consultation.id, Ballot.receipt_hash == hash_receipt(receipt)))
        if ballot is None:
            raise Conflict("bad_receipt")
        ballot.ranking, ballot.approved, ballot.club_id, ballot.cast_on = ranking, approved, club.id, today
        ballot.gender = gender_bucket(user)
        db.session.commit()
        return None
    if has_cast(user, consultation):
        raise Conflict("already_cast")
    code = new_receipt_code()
    db.session.add(BallotCast(consultation_id=consultation.id, user_id=user.id, cast_on=today))
    db.session.add(Ballot(consultation_id=consultation.id, club_id=club.id, ranking=ranking, approved=approved,
                          receipt_hash=hash_receipt(code), cast_on=today, gender=gender_bucket(user)))
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict("already_cast") from error
    return code


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

    Candidates are agenda item ids (as text), clubs are club slugs with their active member counts, ballots are
    sorted by their receipt hash (which is not shown): nothing in it points to a person. A ballot carries its
    club, never its voter's gender: see :func:`official_tally_input_and_genders`.
    """
    return official_tally_input_and_genders(consultation)[0]


def official_tally_input_and_genders(consultation: Consultation) -> tuple[dict[str, Any], list[str | None]]:
    """Return the count's input document and, apart, the gender bucket stored on each of its ballots, in order.

    The genders are never published per ballot (next to federation totals, they would let anyone subtract their
    way to small groups): the agenda turns them into a table of federation totals with small groups hidden.
    """
    items = active_items(consultation)
    clubs = _clubs(consultation)
    members = _active_members([club.id for club in clubs])
    slugs = {club.id: club.slug for club in clubs}
    known = {item.id for item in items}
    ballots, genders = [], []
    for ballot in db.session.scalars(
            select(Ballot).where(Ballot.consultation_id == consultation.id).order_by(Ballot.receipt_hash)):
        if ballot.club_id not in slugs:
            continue
        tiers = [[str(i) for i in tier if i in known] for tier in ballot.ranking]
        ballots.append({"club": slugs[ballot.club_id], "ranking": [tier for tier in tiers if tier],
                        "approved": [str(i) for i in ballot.approved if i in known]})
        genders.append(ballot.gender)
    document = {
        "candidates": [str(item.id) for item in items],
        "clubs": {club.slug: {"members": members.get(club.id, 0)} for club in clubs},
        "ballots": ballots,
        "rules": rules(consultation),
    }
    return document, genders


def inputs_hash(document: dict[str, Any]) -> str:
    """Return the SHA-256 of the canonical form of an input document (sorted keys, compact JSON)."""
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def count(document: dict[str, Any], *, weighting: str | None = None) -> dict[str, Any]:
    """Count an input document under its rules (or another weighting) with the command line's functions."""
    rule = document["rules"]
    weighting = weighting or rule["weighting"]
    cap = rule["cap"]
    if weighting == "capped" and cap is None:
        cap = max((club["members"] for club in document["clubs"].values()), default=1) or 1
    data = parse_tally(orjson.dumps(document, option=orjson.OPT_SORT_KEYS))  # the bytes anyone downloads
    seats = min(rule["seats"], len(document["candidates"])) or None
    result = tally_input(data, method=rule["method"], weighting=weighting, cap=cap, club_mode=rule["club_mode"],
                         seats=seats if document["ballots"] else None, selection=rule["selection"],
                         voters_threshold=rule["voters_threshold"], clubs_threshold=rule["clubs_threshold"])
    result["cap"] = cap
    return result


def store_official_tally(consultation: Consultation) -> Tally:
    """Count the ballots under the consultation's rules and store the result as official (no commit: the phase
    move commits it)."""
    document = official_tally_input(consultation)
    tally = Tally(consultation_id=consultation.id, method=consultation.voting_method.value,
                  weighting=consultation.club_weighting.value, result=count(document),
                  inputs_hash=inputs_hash(document), created_at=utcnow(), is_official=True)
    db.session.add(tally)
    audit.record(consultation.federation, None, "consultation.tally", consultation.title("es"),
                 facts={"ballots": len(document["ballots"]), "sha256": tally.inputs_hash})
    return tally


def official_tally(consultation: Consultation) -> Tally | None:
    return db.session.scalar(select(Tally).where(Tally.consultation_id == consultation.id,
                                                 Tally.is_official.is_(True)).order_by(Tally.id.desc()).limit(1))


def what_if(consultation: Consultation) -> dict[str, dict[str, Any]]:
    """Return the result under each other weighting (for the board; never official)."""
    document = official_tally_input(consultation)
    official = consultation.club_weighting.value
    return {weighting: count(document, weighting=weighting) for weighting in WEIGHTINGS if weighting != official}


#: A ballot of more items than this folds each item's summary under its title: forty open summaries make a phone
#: ballot some fourteen screens tall, and the titles are what a voter ranks by.
BALLOT_SUMMARIES_OPEN_UP_TO = 8


#: A what-if ranking this short is shown unfolded: it is no longer than its summary would be useful.
WHAT_IF_UNFOLDED_UP_TO = 6


def what_if_cases(consultation: Consultation, official: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return, for each other weighting, its results view and how its ranking differs from the official one.

    ``moved`` maps the id of each item that changes place to its official position; ``new_first`` says the first
    place changes; ``is_open`` says the board should see the ranking unfolded: it is short, its first place
    differs, or it is the only weighting that changes anything.
    """
    cases = {}
    for weighting, result in what_if(consultation).items():
        moved = tally_engine.moved_items(official["ranking"], result["ranking"])
        firsts = [set(ranking[0]) if ranking else set() for ranking in (official["ranking"], result["ranking"])]
        cases[weighting] = {
            "view": results_view(consultation, result),
            "moved": {int(name): position for name, position in moved.items()},
            "new_first": firsts[0] != firsts[1],
            "items": sum(len(tier) for tier in result["ranking"]),
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
    groups = {"woman": [0, 0], "man": [0, 0], "other": [0, 0]}

    def group(gender: Gender | None) -> str:
        return gender.value if gender in (Gender.WOMAN, Gender.MAN) else "other"

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
    if any(members < MIN_GROUP or voters < MIN_GROUP for members, voters in groups.values()):
        return None
    return [GenderTurnout(name, members, voters) for name, (members, voters) in groups.items()]


def today() -> date:
    return utcnow().date()


def _tiers_of(ranking: list[list[str]], items: dict[str, AgendaItem]) -> list[dict[str, Any]]:
    """Return tiers with their position (1 + the number of items ahead) and their items."""
    tiers, ahead = [], 0
    for tier in ranking:
        tiers.append({"position": ahead + 1, "items": [items[name] for name in tier if name in items]})
        ahead += len(tier)
    return tiers


def results_view(consultation: Consultation, result: dict[str, Any]) -> dict[str, Any]:
    """Prepare a stored result for the results page: item and club objects instead of ids and slugs."""
    items = {str(item.id): item for item in db.session.scalars(
        select(AgendaItem).where(AgendaItem.consultation_id == consultation.id))}
    clubs = {club.slug: club for club in _clubs(consultation)}
    names = result["candidates"]
    total_weight = sum(club["weight"] for club in result["clubs"].values())
    club_rows = []
    for slug, club in result["clubs"].items():
        club_rows.append({
            "club": clubs.get(slug), "slug": slug, "voters": club["voters"], "members": club["members"],
            "weight": club["weight"], "weight_share": club["weight"] / total_weight if total_weight else 0.0,
            "turnout": club["voters"] / club["members"] if club["members"] else None,
            "ranking": _tiers_of(club["ranking"], items) if club["voters"] else [],
        })
    order = [name for tier in result["ranking"] for name in tier]
    index = {name: number for number, name in enumerate(names)}
    support = result["pairwise"]["support"]
    total = result["pairwise"]["total_weight"] or 0
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
        {"item": items.get(name), **result["double_majority"][name]}
        for name in order if name in result.get("double_majority", {})
    ]
    selection = result.get("selection")
    return {
        "ranking": _tiers_of(result["ranking"], items),
        "voters": result["voters"],
        "clubs": club_rows,
        "matrix": matrix,
        "order": [items.get(name) for name in order],
        "double_majority": majority,
        "selection": ({**selection, "items": [items[name] for name in selection["items"] if name in items]}
                      if selection else None),
        "weighting": result["weighting"],
        "method": result["method"],
        "club_mode": result["club_mode"],
        "cap": result.get("cap"),
    }
