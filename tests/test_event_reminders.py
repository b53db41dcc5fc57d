"""Reminders before an event: the people holding a seat are told the day before, on the federation's clock, each
once, in their language and as they chose; a seat that moves up from the waiting list is told at once, then
reminded by the next run."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from deliberate.domain import events as rules
from deliberate.domain.events import EventMode
from deliberate.events import services as events
from deliberate.extensions import db
from deliberate.models import Delivery, Notification, Organization, User
from deliberate.models.events import Event, Rsvp
from deliberate.notifications import event_reminders
from deliberate.notifications.services import set_preferences

# 02:00 UTC on April 1 is 19:00 on March 31 in Los Angeles: the event's day there is March 31
STARTS = datetime(2027, 4, 1, 2, 0)


def test_the_reminder_is_due_from_the_day_before_until_the_start():
    day = date(2027, 3, 31)
    assert not rules.reminder_due(today=date(2027, 3, 29), event_day=day, has_started=False, is_cancelled=False)
    assert rules.reminder_due(today=date(2027, 3, 30), event_day=day, has_started=False, is_cancelled=False)
    assert rules.reminder_due(today=day, event_day=day, has_started=False, is_cancelled=False)
    assert not rules.reminder_due(today=day, event_day=day, has_started=True, is_cancelled=False)
    assert not rules.reminder_due(today=date(2027, 3, 30), event_day=day, has_started=False, is_cancelled=True)


@pytest.fixture
def workshop(app, federation_world) -> int:
    """A two-seat workshop in Los Angeles: the member and the board member hold the seats, the officer waits."""
    world = federation_world
    with app.app_context():
        federation = db.session.get(Organization, world["federation"].id)
        federation.time_zone = "America/Los_Angeles"
        db.session.get(User, world["board"].id).locale = "es"
        db.session.get(User, world["member"].id).locale = "en"
        db.session.commit()
        event = events.create_event(federation, db.session.get(User, world["board"].id), events.EventFields(
            title_es="Taller de tesorería", title_en="Treasury workshop", starts_at=STARTS, capacity=2,
            mode=EventMode.IN_PERSON, address="1200 W Olympic Blvd"))
        for name in ("member", "board", "officer"):
            events.rsvp(event, db.session.get(User, world[name].id))
        return event.id


def _reminded(app) -> list[int]:
    with app.app_context():
        return sorted(db.session.scalars(select(Notification.user_id).where(Notification.kind == "event_reminder")))


def test_people_with_a_seat_are_reminded_the_day_before_on_the_federations_clock_once(app, federation_world,
                                                                                       workshop, outbox):
    world = federation_world
    with app.app_context():
        assert event_reminders.queue_due(datetime(2027, 3, 30, 6)) == 0  # still March 29 in Los Angeles
        assert event_reminders.queue_due(datetime(2027, 3, 30, 8)) == 2  # March 30 there (by UTC, not yet)
        assert event_reminders.queue_due(datetime(2027, 3, 30, 8, 15)) == 0  # the next run: nobody twice
        assert event_reminders.queue_due(datetime(2027, 3, 31, 20)) == 0
    assert _reminded(app) == sorted([world["member"].id, world["board"].id])  # not the officer, who waits
    texts = {message["To"]: message.get_content() for message in outbox}
    assert "Treasury workshop" in texts[world["member"].email] and "Reminder" in texts[world["member"].email]
    assert "Taller de tesorería" in texts[world["board"].email] and "Recordatorio" in texts[world["board"].email]


def test_a_seat_that_moves_up_is_told_at_once_and_reminded_by_the_next_run(app, federation_world, workshop):
    world = federation_world
    with app.app_context():
        assert event_reminders.queue_due(datetime(2027, 3, 30, 12)) == 2
        events.cancel_rsvp(db.session.get(Event, workshop), db.session.get(User, world["member"].id))
        promoted = db.session.scalars(select(Notification.user_id).where(Notification.kind == "event_seat")).all()
        assert promoted == [world["officer"].id]
        assert event_reminders.queue_due(datetime(2027, 3, 30, 12, 15)) == 1
        events.rsvp(db.session.get(Event, workshop), db.session.get(User, world["member"].id))  # back, waiting
    assert _reminded(app) == sorted([world["member"].id, world["board"].id, world["officer"].id])


def test_a_reminder_follows_the_persons_choice_for_events(app, federation_world, workshop, outbox):
    world = federation_world
    with app.app_context():
        set_preferences(world["member"].id, {"events": Delivery.IN_APP})
        event_reminders.queue_due(datetime(2027, 3, 30, 12))
    assert world["member"].id in _reminded(app)
    assert world["member"].email not in {message["To"] for message in outbox}
    assert world["board"].email in {message["To"] for message in outbox}


def test_an_event_called_off_or_already_started_reminds_nobody(app, federation_world, workshop):
    with app.app_context():
        events.cancel_event(db.session.get(Event, workshop), db.session.get(User, federation_world["board"].id))
        assert event_reminders.queue_due(datetime(2027, 3, 31, 12)) == 0
        event = db.session.get(Event, workshop)
        event.is_cancelled = False
        db.session.commit()
        assert event_reminders.queue_due(datetime(2027, 4, 1, 3)) == 0  # it has started
        assert db.session.scalar(select(Rsvp.id).where(Rsvp.reminded_at.is_not(None))) is None
