"""A federation's clock: which zones it may choose, and moments moved between UTC and that clock."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from deliberate.domain import timezones


def test_us_and_mexican_zones_come_first_and_utc_is_offered():
    assert timezones.ZONES[0] == "America/Los_Angeles"
    assert "America/Chicago" in timezones.ZONES[:5]
    assert "America/Mexico_City" in timezones.ZONES
    assert timezones.ZONES[-1] == "UTC" == timezones.DEFAULT_ZONE


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "america/los_angeles", "Europe/Madrid", "../etc/passwd",
                                  None, "America/Los_Angeles\x00"])
def test_a_zone_not_on_the_list_is_refused(name):
    with pytest.raises(timezones.UnknownZone):
        timezones.zone(name)


def test_every_offered_zone_loads():
    for name in timezones.ZONES:
        assert str(timezones.zone(name)) == name


def test_a_stored_moment_is_shown_on_the_federation_clock_with_summer_time():
    # 02:14 UTC on 28 November is 6:14 p.m. the day before in Los Angeles (PST, UTC-8).
    winter = timezones.to_local(datetime(2026, 11, 28, 2, 14), "America/Los_Angeles")
    assert (winter.day, winter.hour, winter.minute) == (27, 18, 14)
    summer = timezones.to_local(datetime(2026, 7, 1, 2, 14), "America/Los_Angeles")
    assert (summer.day, summer.hour) == (30, 19)  # PDT, UTC-7
    # Central Mexico keeps one offset all year since 2022; Chicago moves.
    assert timezones.to_local(datetime(2026, 7, 1, 12), "America/Mexico_City").hour == 6
    assert timezones.to_local(datetime(2026, 7, 1, 12), "America/Chicago").hour == 7


def test_a_typed_wall_clock_time_is_stored_as_utc_and_comes_back_unchanged():
    typed = datetime(2026, 12, 5, 18, 0)
    stored = timezones.to_stored(typed, "America/Chicago")
    assert stored == datetime(2026, 12, 6, 0, 0) and stored.tzinfo is None
    assert timezones.to_local(stored, "America/Chicago").replace(tzinfo=None) == typed
    assert timezones.to_stored(typed, "UTC") == typed


def test_a_time_that_happens_twice_when_summer_time_ends_is_read_as_the_first():
    # 1:30 a.m. on 1 November 2026 happens twice in Los Angeles: first in PDT (08:30 UTC), then in PST.
    assert timezones.to_stored(datetime(2026, 11, 1, 1, 30), "America/Los_Angeles") == datetime(2026, 11, 1, 8, 30)


def test_a_last_day_ends_at_midnight_on_the_federation_clock():
    assert timezones.end_of_day(date(2026, 12, 1), "America/Los_Angeles") == datetime(2026, 12, 2, 8, 0)
    assert timezones.end_of_day(date(2026, 12, 1), "America/Mexico_City") == datetime(2026, 12, 2, 6, 0)
    assert timezones.end_of_day(date(2026, 12, 1), "UTC") == datetime(2026, 12, 2, 0, 0)


def test_today_is_the_federation_calendar_day():
    late_evening_in_california = datetime(2026, 11, 28, 5, 0)  # 9 p.m. on the 27th in Los Angeles
    assert timezones.local_today(late_evening_in_california, "America/Los_Angeles") == date(2026, 11, 27)
    assert timezones.local_today(late_evening_in_california, "UTC") == date(2026, 11, 28)
