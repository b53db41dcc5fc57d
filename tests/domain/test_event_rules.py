"""Event rules: schedules, capacity, who may take a seat, what a page may say about seats, and calendars."""

from __future__ import annotations

from datetime import datetime, timedelta

from deliberate.domain.events import (
    CalendarEntry,
    TrackAudience,
    calendar,
    check_capacity,
    check_schedule,
    may_take_seat,
    seat_summary,
)

START = datetime(2027, 3, 6, 17, 0)


def test_an_event_cannot_end_before_it_starts_nor_last_more_than_two_weeks():
    assert check_schedule(START, None) is None
    assert check_schedule(START, START + timedelta(hours=3)) is None
    assert check_schedule(START, START) == "ends_before_start"
    assert check_schedule(START, START + timedelta(days=15)) == "too_long_event"


def test_capacity_is_between_one_and_ten_thousand():
    assert check_capacity(1) is None and check_capacity(10_000) is None
    assert check_capacity(0) == "capacity_range" and check_capacity(10_001) == "capacity_range"


def test_a_reserved_event_takes_seats_from_its_tracks_audience_only():
    assert may_take_seat(TrackAudience.WOMEN, is_reserved=True, is_woman=True, is_officer=False)
    assert not may_take_seat(TrackAudience.WOMEN, is_reserved=True, is_woman=False, is_officer=True)
    assert may_take_seat(TrackAudience.WOMEN, is_reserved=False, is_woman=False, is_officer=False)
    assert may_take_seat(TrackAudience.OFFICERS, is_reserved=True, is_woman=False, is_officer=True)
    assert not may_take_seat(TrackAudience.OFFICERS, is_reserved=True, is_woman=True, is_officer=False)
    assert may_take_seat(None, is_reserved=True, is_woman=False, is_officer=False)


def test_seat_figures_about_one_to_four_people_are_not_shown():
    few = seat_summary(20, 3, 0)
    assert few.going is None and few.seats_left is None and not few.is_full and few.waiting == 0
    many = seat_summary(20, 12, 0)
    assert many.going == 12 and many.seats_left == 8
    full = seat_summary(10, 10, 2)
    assert full.is_full and full.going == 10 and full.waiting is None and full.seats_left == 0
    assert seat_summary(20, 0, 0).seats_left == 20


def test_a_calendar_escapes_text_folds_long_lines_and_writes_utc():
    entry = CalendarEntry(uid="event-1@example.org", title="Taller; liderazgo, mujeres\\ñ", starts_at=START,
                          ends_at=None, url="https://example.org/events/1", description="Línea\n" + "é" * 80,
                          location="Calle 1, LA")
    text = calendar("Federación", [entry], now=START)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "SUMMARY:Taller\\; liderazgo\\, mujeres\\\\ñ\r\n" in text
    assert "DTSTART:20270306T170000Z" in text and "DTEND:20270306T190000Z" in text
    assert "LOCATION:Calle 1\\, LA" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "DESCRIPTION:Línea\\n" + "é" * 80 in unfolded


def test_a_cancelled_event_says_so_in_the_calendar():
    entry = CalendarEntry(uid="u", title="T", starts_at=START, ends_at=START + timedelta(hours=1), url="https://x",
                          is_cancelled=True)
    assert "STATUS:CANCELLED" in calendar("F", [entry], now=START)
