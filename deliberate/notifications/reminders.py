"""Reminders before a phase's last day, to the members who have not taken part yet, each sent once.

On the day before a phase's last day (or on the last day itself, when the worker was down the day before), on
the federation's clock, one reminder fan-out is recorded per consultation and phase, under the key
``reminder:<consultation>:<phase>``: nobody gets the same reminder twice. While collecting and deliberating, it
goes to members with no reaction in the consultation yet; while voting, to members with no ``BallotCast`` row
(who has cast, which the product records anyway; no ballot is read).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from deliberate.domain.phases import Phase
from deliberate.domain.timezones import local_today
from deliberate.extensions import db
from deliberate.models import Audience, Consultation, Fanout, utcnow
from deliberate.notifications.services import _record

#: The phases with a reminder, and whom it reaches.
REMINDED = {
    Phase.COLLECTING: Audience.NOT_REACTED,
    Phase.DELIBERATING: Audience.NOT_REACTED,
    Phase.VOTING: Audience.NOT_VOTED,
}


def queue_due(now: datetime | None = None) -> int:
    """Record the reminders due now that were not recorded yet; return how many. Commits."""
    now = now or utcnow()
    recorded = 0
    consultations = db.session.scalars(select(Consultation).where(Consultation.phase.in_(tuple(REMINDED))))
    for consultation in consultations:
        last_day = consultation.until(consultation.phase)
        if last_day is None:
            continue
        today = local_today(now, consultation.federation.time_zone)
        if not last_day - timedelta(days=1) <= today <= last_day:
            continue
        key = f"reminder:{consultation.id}:{consultation.phase.value}"
        if db.session.scalar(select(Fanout.id).where(Fanout.key == key)) is not None:
            continue
        _record(Fanout(
            key=key, kind="reminder", link=f"/consultations/{consultation.id}",
            params={"consultation_id": consultation.id, "title_es": consultation.title_es,
                    "title_en": consultation.title_en, "phase": consultation.phase.value,
                    "until": last_day.isoformat()},
            audience=REMINDED[consultation.phase], federation_id=consultation.federation_id,
            consultation_id=consultation.id))
        recorded += 1
    db.session.commit()
    return recorded
