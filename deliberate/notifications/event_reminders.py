"""Reminders before an event, to the people holding a seat, each person reminded once.

From the day before the event (on the federation's clock) until it starts, a run claims the seats not reminded yet
with one guarded update (``UPDATE rsvp SET reminded_at = now WHERE status = 'going' AND reminded_at IS NULL``) and
records one ``event_reminder`` notification for exactly the people it claimed, in the same transaction. A second
run, or a second worker at the same moment, claims nobody twice; someone who takes a seat after the reminder went
out (a place on the waiting list that moved up) is reminded by the next run. The fan-out job writes each person's
notification and email in their language and as they chose for the topic "events".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from deliberate.domain import events as rules
from deliberate.domain.events import RsvpStatus
from deliberate.domain.timezones import local_today, to_local
from deliberate.extensions import db
from deliberate.models import User, utcnow
from deliberate.models.events import Event, Rsvp
from deliberate.notifications.services import notify

#: How far ahead a run looks: the day before an event starts, on any clock, is within it.
LOOKAHEAD = timedelta(days=3)


def queue_due(now: datetime | None = None) -> int:
    """Record the event reminders due now for the seats not reminded yet; return how many people. Commits."""
    now = now or utcnow()
    events = db.session.scalars(select(Event).where(Event.starts_at > now, Event.starts_at <= now + LOOKAHEAD,
                                                    Event.is_cancelled.is_(False)).order_by(Event.id)).all()
    reminded = 0
    for event in events:
        zone = event.federation.time_zone
        if not rules.reminder_due(today=local_today(now, zone), event_day=to_local(event.starts_at, zone).date(),
                                  has_started=event.starts_at <= now, is_cancelled=event.is_cancelled):
            continue
        claimed = list(db.session.scalars(
            update(Rsvp).where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.GOING,
                               Rsvp.reminded_at.is_(None))
            .values(reminded_at=now).returning(Rsvp.user_id).execution_options(synchronize_session=False)))
        if not claimed:
            continue
        people = db.session.scalars(select(User).where(User.id.in_(claimed))).all()
        notify(people, "event_reminder", {"event_id": event.id, "title_es": event.title_es,
                                          "title_en": event.title_en}, f"/events/{event.id}")
        reminded += len(claimed)
    db.session.commit()
    return reminded
