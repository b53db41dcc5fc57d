"""Objections: while the window is open, a demand's author objects to where the board placed it, and the board
answers; the board sets how many days the window lasts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from deliberate.consolidation.services import placement_link, placement_of, record_action
from deliberate.domain.errors import Conflict, PermissionDenied, PhaseClosed, ValidationFailed
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import (
    Consultation,
    Demand,
    User,
    utcnow,
)
from deliberate.models.agenda import (
    DemandPlacement,
    Objection,
)
from deliberate.notifications.services import notify
from deliberate.text import clean_text

MAX_OBJECTION = 2000
#: Phases in which authors may still object and the board may answer.
OBJECTION_PHASES = (Phase.CONSOLIDATING, Phase.DELIBERATING)


def objections_of(consultation: Consultation, *, open_only: bool = False) -> list[Objection]:
    """Return the objections to placements in a consultation, oldest first."""
    query = (
        select(Objection).join(Demand, Demand.id == Objection.demand_id)
        .where(Demand.consultation_id == consultation.id)
        .options(joinedload(Objection.demand), joinedload(Objection.author))
    )
    if open_only:
        query = query.where(Objection.answered_at.is_(None))
    return list(db.session.scalars(query.order_by(Objection.id)))


def objections_on(demand_ids: Sequence[int]) -> list[Objection]:
    if not demand_ids:
        return []
    return list(db.session.scalars(
        select(Objection).where(Objection.demand_id.in_(demand_ids)).order_by(Objection.id)
    ))


def objection_deadline(consultation: Consultation, placement: DemandPlacement) -> datetime:
    """Return until when the author may object to a placement."""
    return placement.placed_at + timedelta(days=consultation.objection_days)


def can_object(demand: Demand, user: User | None, placement: DemandPlacement | None, now: datetime | None = None
               ) -> bool:
    """Tell whether the person may object to where their demand was placed, now."""
    if user is None or not user.is_authenticated or placement is None or demand.author_id != user.id:
        return False
    consultation = demand.consultation
    return consultation.phase in OBJECTION_PHASES and (now or utcnow()) <= objection_deadline(consultation, placement)


def set_objection_days(consultation: Consultation, actor: User, days: int) -> Consultation:
    """Set how many days authors have to object after a placement (1 to 60); applies to every placement."""
    if consultation.phase not in OBJECTION_PHASES:
        raise PhaseClosed(consultation.phase)
    if not 1 <= int(days) <= 60:
        raise ValidationFailed("days", "out_of_range")
    consultation.objection_days = int(days)
    record_action(consultation, actor, "window", consultation.title("es"), days=int(days))
    db.session.commit()
    return consultation


# --- objections ---------------------------------------------------------------------------------------------------

def object_to_placement(demand: Demand, author: User, text: str) -> Objection:
    """Let a demand's author object to its placement within the consultation's objection window."""
    placement = placement_of(demand)
    if demand.author_id != author.id:
        raise PermissionDenied("not_author")
    if placement is None:
        raise Conflict("not_placed")
    if demand.consultation.phase not in OBJECTION_PHASES:
        raise PhaseClosed(demand.consultation.phase)
    if utcnow() > objection_deadline(demand.consultation, placement):
        raise Conflict("window_closed")
    text = clean_text(text or "")
    if not text:
        raise ValidationFailed("text", "required")
    if len(text) > MAX_OBJECTION:
        raise ValidationFailed("text", "too_long")
    objection = Objection(demand_id=demand.id, author_id=author.id, text=text)
    db.session.add(objection)
    record_action(demand.consultation, author, "objection", demand.title, demand=demand.id)
    db.session.commit()
    return objection


def answer_objection(objection: Objection, actor: User, answer: str) -> Objection:
    """Record the board's public answer to an objection (once; a second answer is refused as stale)."""
    consultation = objection.demand.consultation
    if consultation.phase not in OBJECTION_PHASES:
        raise PhaseClosed(consultation.phase)
    if objection.answered_at is not None:
        raise Conflict("stale")
    answer = clean_text(answer or "")
    if not answer:
        raise ValidationFailed("answer", "required")
    if len(answer) > MAX_OBJECTION:
        raise ValidationFailed("answer", "too_long")
    objection.answer, objection.answered_by_id, objection.answered_at = answer, actor.id, utcnow()
    record_action(consultation, actor, "answer", objection.demand.title,
            demand=objection.demand_id, objection=objection.id)
    if objection.author is not None:
        notify([objection.author], "demand_linked",
               {"demand_id": objection.demand_id, "demand_title": objection.demand.title, "status": "answered"},
               placement_link(objection.demand))
    db.session.commit()
    return objection
