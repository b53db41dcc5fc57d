"""Volunteer roles: places, end dates, who may take one, and what a page may say about the people in it."""

from __future__ import annotations

from datetime import date

from deliberate.domain import volunteers as rules


def test_a_role_has_one_to_a_hundred_places():
    assert rules.check_places(0) == "places_range"
    assert rules.check_places(101) == "places_range"
    assert rules.check_places(1) is None and rules.check_places(100) is None


def test_a_new_role_cannot_end_in_the_past_on_the_federation_clock():
    today = date(2026, 12, 2)
    assert rules.check_end(date(2026, 12, 1), today) == "ends_in_the_past"
    assert rules.check_end(today, today) is None and rules.check_end(None, today) is None


def test_a_role_is_open_until_its_last_day_included_unless_closed():
    today = date(2026, 12, 2)
    assert rules.is_open(is_closed=False, ends_on=today, today=today)
    assert not rules.is_open(is_closed=False, ends_on=date(2026, 12, 1), today=today)
    assert not rules.is_open(is_closed=True, ends_on=None, today=today)


def test_why_a_member_may_not_take_a_role():
    assert rules.refusal_to_take(is_open=True, taken=0, places=1, already=False) is None
    assert rules.refusal_to_take(is_open=True, taken=1, places=1, already=False) == "full"
    assert rules.refusal_to_take(is_open=False, taken=0, places=1, already=False) == "closed"
    assert rules.refusal_to_take(is_open=True, taken=0, places=1, already=True) == "already"


def test_a_small_number_of_people_in_a_role_is_not_shown():
    few = rules.places_summary(10, 3)
    assert few.taken is None and few.left is None and not few.is_full
    many = rules.places_summary(10, 6)
    assert (many.taken, many.left) == (6, 4)
    assert rules.places_summary(1, 1).is_full
    assert rules.places_summary(4, 0).to_dict() == {"places": 4, "is_full": False, "taken": 0, "left": 4}
