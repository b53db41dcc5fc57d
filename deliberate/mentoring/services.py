"""Mentoring: members offer to mentor or ask for a mentor; the board pairs them; the pair records meetings and ends
the pairing with a note.

Who may do what: any member of the federation offers or asks; the board sees the open requests with suggestions
(``deliberate.domain.mentoring``) and pairs; the mentor and the mentee, and only they, read and write their
meetings' notes; either of them (or the board) ends the pairing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select

from deliberate.domain import mentoring as rules
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from deliberate.domain.gender import Gender
from deliberate.extensions import db
from deliberate.models import Organization, User, utcnow
from deliberate.models.mentoring import Mentoring, MentoringMeeting, MentorOffer, MentorRequest
from deliberate.notifications.services import notify
from deliberate.permissions import club_membership, is_board, is_member
from deliberate.text import clean_text

MAX_TEXT = 1000
MAX_NOTE = 500


def _text(value: str | None, limit: int, field: str, required: bool = False) -> str:
    text = clean_text(value or "")
    if len(text) > limit:
        raise ValidationFailed(field, "too_long")
    if required and not text:
        raise ValidationFailed(field, "required")
    return text


# --- reading ------------------------------------------------------------------------------------------------------

def own_offer(user: User, federation: Organization) -> MentorOffer | None:
    return db.session.scalar(select(MentorOffer).where(MentorOffer.federation_id == federation.id,
                                                       MentorOffer.user_id == user.id))


def own_request(user: User, federation: Organization) -> MentorRequest | None:
    return db.session.scalar(select(MentorRequest).where(
        MentorRequest.federation_id == federation.id, MentorRequest.user_id == user.id,
        MentorRequest.is_open.is_(True)))


def pairings_of(user: User, federation: Organization) -> list[Mentoring]:
    return list(db.session.scalars(select(Mentoring).where(
        Mentoring.federation_id == federation.id,
        or_(Mentoring.mentor_id == user.id, Mentoring.mentee_id == user.id)).order_by(Mentoring.id.desc())))


def open_requests(federation: Organization) -> list[MentorRequest]:
    return list(db.session.scalars(select(MentorRequest).where(
        MentorRequest.federation_id == federation.id, MentorRequest.is_open.is_(True)).order_by(MentorRequest.id)))


def all_pairings(federation: Organization) -> list[Mentoring]:
    return list(db.session.scalars(select(Mentoring).where(Mentoring.federation_id == federation.id)
                                   .order_by(Mentoring.id.desc())))


def get_pairing(mentoring_id: int) -> Mentoring:
    mentoring = db.session.get(Mentoring, mentoring_id)
    if mentoring is None:
        raise NotFound("mentoring", mentoring_id)
    return mentoring


def get_request(request_id: int) -> MentorRequest:
    request = db.session.get(MentorRequest, request_id)
    if request is None:
        raise NotFound("mentor_request", request_id)
    return request


def is_in_pair(user: User | None, mentoring: Mentoring) -> bool:
    return user is not None and user.is_authenticated and user.id in (mentoring.mentor_id, mentoring.mentee_id)


def paired_people(federation: Organization) -> tuple[set[int], set[int]]:
    """Return who mentors and who is mentored in the federation (in any pairing, ended or not)."""
    rows = db.session.execute(select(Mentoring.mentor_id, Mentoring.mentee_id)
                              .where(Mentoring.federation_id == federation.id)).all()
    return {mentor for mentor, _ in rows}, {mentee for _, mentee in rows}


def _club_id(user: User, federation: Organization) -> int | None:
    membership = club_membership(user, federation)
    return membership.organization_id if membership else None


def suggestions(request: MentorRequest) -> list[rules.Suggestion]:
    """Suggest mentors for a request: another club first, a woman mentor when asked, the less busy first."""
    federation = request.federation
    offers = db.session.scalars(select(MentorOffer).where(MentorOffer.federation_id == federation.id,
                                                          MentorOffer.is_active.is_(True))).all()
    busy = dict(db.session.execute(select(Mentoring.mentor_id, func.count(Mentoring.id)).where(
        Mentoring.federation_id == federation.id, Mentoring.ended_at.is_(None)).group_by(Mentoring.mentor_id)).all())
    mentors = [rules.MentorFacts(offer.user_id, offer.user.display_name, _club_id(offer.user, federation),
                                 offer.user.gender is Gender.WOMAN, busy.get(offer.user_id, 0), offer.topics)
               for offer in offers if not offer.user.is_deleted]
    mentee = rules.MenteeFacts(request.user_id, _club_id(request.user, federation), request.wants,
                               request.wants_woman_mentor)
    return rules.suggest_mentors(mentee, mentors)


# --- writing ------------------------------------------------------------------------------------------------------

def offer_to_mentor(federation: Organization, user: User, topics: str) -> MentorOffer:
    """Offer to mentor (or change what one offers)."""
    if not is_member(user, federation):
        raise PermissionDenied("not_member")
    topics = _text(topics, MAX_TEXT, "topics", required=True)
    offer = own_offer(user, federation)
    if offer is None:
        offer = MentorOffer(federation_id=federation.id, user_id=user.id)
        db.session.add(offer)
    offer.topics, offer.is_active = topics, True
    db.session.commit()
    return offer


def withdraw_offer(federation: Organization, user: User) -> None:
    offer = own_offer(user, federation)
    if offer is None or not offer.is_active:
        raise Conflict("not_offered")
    offer.is_active = False
    db.session.commit()


def ask_for_mentor(federation: Organization, user: User, wants: str, wants_woman_mentor: bool) -> MentorRequest:
    """Ask the board for a mentor, saying what one wants to learn."""
    if not is_member(user, federation):
        raise PermissionDenied("not_member")
    if own_request(user, federation) is not None:
        raise Conflict("already_asked")
    request = MentorRequest(federation_id=federation.id, user_id=user.id,
                            wants=_text(wants, MAX_TEXT, "wants", required=True),
                            wants_woman_mentor=wants_woman_mentor)
    db.session.add(request)
    db.session.commit()
    return request


def pair(request: MentorRequest, mentor: User, actor: User) -> Mentoring:
    """Pair a request with a mentor who offered (the board); both are told."""
    federation = request.federation
    if not is_board(actor, federation):
        raise PermissionDenied("not_board")
    if not request.is_open:
        raise Conflict("not_open")
    offer = own_offer(mentor, federation)
    if offer is None or not offer.is_active or mentor.id == request.user_id:
        raise ValidationFailed("mentor", "not_a_mentor")
    mentoring = Mentoring(federation_id=federation.id, mentor_id=mentor.id, mentee_id=request.user_id,
                          request_id=request.id, paired_by_id=actor.id)
    request.is_open = False
    db.session.add(mentoring)
    db.session.flush()
    notify([mentor, request.user], "mentoring_paired", {"mentoring_id": mentoring.id},
           f"/mentoring/{mentoring.id}")
    db.session.commit()
    return mentoring


def record_meeting(mentoring: Mentoring, user: User, met_on: date, note: str) -> MentoringMeeting:
    """Record a meeting of the pair (the mentor or the mentee), with a short private note."""
    if not is_in_pair(user, mentoring):
        raise PermissionDenied("not_in_pair")
    if not mentoring.is_active:
        raise Conflict("ended")
    if met_on > utcnow().date():
        raise ValidationFailed("met_on", "in_the_future")
    meeting = MentoringMeeting(mentoring_id=mentoring.id, met_on=met_on, note=_text(note, MAX_NOTE, "note"),
                               author_id=user.id)
    db.session.add(meeting)
    db.session.commit()
    return meeting


def end_pairing(mentoring: Mentoring, user: User, note: str) -> None:
    """End a pairing with a short note (the mentor, the mentee or the board)."""
    if not (is_in_pair(user, mentoring) or is_board(user, mentoring.federation)):
        raise PermissionDenied("not_in_pair")
    if not mentoring.is_active:
        raise Conflict("ended")
    mentoring.end_note = _text(note, MAX_NOTE, "note", required=True)
    mentoring.ended_at = utcnow()
    db.session.commit()
