"""Counting groups: no counted group of ballots is about fewer than five voters, whatever the clubs' sizes."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deliberate.domain import federation
from deliberate.domain.privacy import MIN_GROUP, counting_groups, group_of, is_small
from deliberate.domain.tally import count_by_group


def _shape(groups):
    return [(group.clubs, group.voters) for group in groups]


def test_clubs_with_five_or_more_voters_are_counted_on_their_own():
    assert _shape(counting_groups({"a": 5, "b": 12})) == [(("a",), 5), (("b",), 12)]


def test_small_clubs_are_pooled_in_the_place_of_the_first_of_them():
    groups = counting_groups({"a": 9, "b": 1, "c": 20, "d": 4})
    assert _shape(groups) == [(("a",), 9), (("b", "d"), 5), (("c",), 20)]
    assert groups[1].name == "b+d" and groups[1].is_pooled and not groups[0].is_pooled


def test_a_pool_under_five_takes_in_the_smallest_club_then_the_next():
    assert _shape(counting_groups({"big": 30, "mid": 6, "tiny": 2})) == [(("big",), 30), (("mid", "tiny"), 8)]
    # equal sizes: the club listed first joins first
    assert _shape(counting_groups({"x": 6, "y": 6, "tiny": 1})) == [(("x", "tiny"), 7), (("y",), 6)]


def test_clubs_without_voters_stay_apart_and_carry_nothing():
    assert _shape(counting_groups({"a": 0, "b": 7, "c": 0})) == [(("a",), 0), (("b",), 7), (("c",), 0)]


def test_fewer_than_five_voters_in_all_form_one_group_and_show_nothing():
    groups = counting_groups({"a": 2, "b": 1, "c": 0})
    assert _shape(groups) == [(("a", "b"), 3), (("c",), 0)]
    assert is_small(3) and not is_small(0) and not is_small(MIN_GROUP)


def test_negative_voter_counts_are_refused():
    with pytest.raises(ValueError):
        counting_groups({"a": -1})


@given(st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), st.integers(0, 40), max_size=12))
def test_every_group_has_none_or_at_least_five_voters_and_every_club_is_in_exactly_one(voters):
    groups = counting_groups(voters)
    assert sorted(club for group in groups for club in group.clubs) == sorted(voters)
    assert sum(group.voters for group in groups) == sum(voters.values())
    assert len([group for group in groups if group.is_pooled]) <= 1
    if not is_small(sum(voters.values())):
        assert all(group.voters == 0 or group.voters >= MIN_GROUP for group in groups)
    assert set(group_of(groups)) == set(voters)
    assert counting_groups(dict(voters)) == groups  # deterministic


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_one_to_four_people_are_a_small_group(count):
    assert is_small(count) and not is_small(0) and not is_small(MIN_GROUP)


# --- a pooled group in the federation count ------------------------------------------------------------------------

def _units(ranks, clubs, names, members, pooled):
    return federation.club_units(ranks, np.zeros(ranks.shape, dtype=bool), np.array(clubs), names, members, pooled)


@pytest.mark.parametrize("weighting, expected", [
    ("members", 6.0), ("equal", 2.0), ("sqrt", 3.0 + 4.0), ("capped", 9.0 + 10.0)])
def test_a_pooled_group_carries_the_sum_of_its_clubs_weights(weighting, expected):
    ranks = np.array([[0, 1]] * 6)
    [unit] = _units(ranks, [0] * 6, ["b+c"], [25], [(9, 16)])
    assert unit.clubs == 2 and unit.club_sizes == (9, 16)
    assert federation.unit_weight(unit, weighting, cap=10) == pytest.approx(expected)


def test_a_pooled_group_counts_once_for_each_of_its_clubs_in_the_double_majority():
    rng = random.Random(3)
    ranks = np.array([[rng.randrange(2), rng.randrange(2)] for _ in range(12)])
    approved = np.zeros((12, 2), dtype=bool)
    approved[:6, 0] = True  # the pool (6 voters) approves item 0; the club of 6 does not
    units = federation.club_units(ranks, approved, np.array([0] * 6 + [1] * 6), ["b+c+d", "a"], [30, 10],
                                  [(10, 10, 10), ()])
    [first, _] = federation.double_majority(units)
    assert first.club_share == pytest.approx(3 / 4) and first.opposing_units == 1


def test_a_club_of_its_own_weighs_as_before():
    ranks = np.array([[0, 1]] * 5)
    counts = count_by_group(ranks, None, np.zeros(5, dtype=np.intp), 1)
    unit = federation.Unit("a", 5, 16, counts[0], counts[0].approvals)
    assert federation.unit_weight(unit, "sqrt") == 4.0 and federation.unit_weight(unit, "equal") == 1.0
