"""The federated count: weightings, bloc mode, nesting and the double majority."""

from __future__ import annotations

import json
import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliberate.domain import federation, tally
from deliberate.domain.errors import ValidationFailed
from deliberate.domain.federation import Unit
from deliberate.domain.rules import ClubMode, ClubWeighting, VotingMethod

VECTORS = Path(__file__).resolve().parents[1] / "data" / "voting" / "test-vectors.json"


@pytest.fixture(scope="module")
def vectors() -> dict:
    """Return the published federation vectors (tests/data/voting)."""
    return json.loads(VECTORS.read_text())["federation"]


def units_from_letters(candidates: str, clubs: dict[str, list[str]]) -> tuple[Unit, ...]:
    """Build club units from ``"count RANKING"`` strings; registered members equal the voters."""
    ranks, groups = [], []
    for number, ballots in enumerate(clubs.values()):
        for ballot in ballots:
            count, ranking = ballot.split()
            ranks.extend([[ranking.index(c) for c in candidates]] * int(count))
            groups.extend([number] * int(count))
    sizes = np.bincount(groups, minlength=len(clubs)).tolist()
    return federation.club_units(np.array(ranks, dtype=np.int8), None, np.array(groups), list(clubs), sizes)


def unanimous_units(members: dict[str, int], approving: str) -> tuple[Unit, ...]:
    """Build one-item units whose voters are all their members, all approving the item or none."""
    units = []
    for name, size in members.items():
        approvals = np.array([size if name in approving else 0], dtype=np.int64)
        count = tally.PairwiseCount(np.zeros((1, 1), dtype=np.int64), approvals, float(size))
        units.append(Unit(name, size, size, count, approvals))
    return tuple(units)


def test_the_winner_depends_on_how_clubs_are_combined_as_published(vectors: dict) -> None:
    example = vectors["flat_vs_federated"]
    expected = example["expected"]
    units = units_from_letters("XYZ", example["clubs"])

    def winner(weighting: str, club_mode: str) -> str:
        result = federation.combine(units, weighting, club_mode=club_mode)
        assert len(result.ranking[0]) == 1
        return "XYZ"[result.ranking[0][0]]

    for unit in federation.combine(units).units:
        assert "".join("XYZ"[t[0]] for t in unit.ranking) == expected["club_rankings"][unit.name]
    assert winner("members", "proportional") == expected["flat_pooling"]
    assert winner("members", "proportional") == expected["normalised_pooling_proportional"]
    assert winner("equal", "proportional") == expected["normalised_pooling_equal"]
    assert winner("sqrt", "proportional") == expected["normalised_pooling_sqrt"]
    assert winner("equal", "bloc") == expected["club_ranking_ballots_equal"]
    assert winner("members", "bloc") == expected["club_ranking_ballots_proportional"]
    assert winner("sqrt", "bloc") == expected["club_ranking_ballots_sqrt_x1000_2236_2236_3317"]
    sqrt_weights = [round(1000 * u.weight) for u in federation.combine(units, "sqrt").units]
    assert sqrt_weights == [2236, 2236, 3317]
    equal = federation.combine(units, "equal").count.support
    assert [round(float(equal[0, 1]), 9), round(float(equal[1, 0]), 9)] == expected["normalised_pooling_equal_XY_vs_YX"]


def test_weights_follow_the_published_rules(vectors: dict) -> None:
    members = vectors["clubs"]
    units = unanimous_units(members, "")
    for rule, weighting in (("equal", "equal"), ("proportional", "members"), ("sqrt", "sqrt")):
        weights = {u.name: u.weight for u in federation.combine(units, weighting, method="approval").units}
        total = sum(weights.values())
        shares = {name: Fraction(w / total).limit_denominator(1000) for name, w in weights.items()}
        assert shares == {name: Fraction(value) for name, value in vectors["weights"][rule].items()}


@pytest.mark.parametrize("case", ["ABC", "ACD", "BCD", "AB", "BCD_with_min_blocking_2"])
def test_the_double_majority_matches_the_published_cases(vectors: dict, case: str) -> None:
    approving, _, blocking = case.partition("_with_min_blocking_")
    units = unanimous_units(vectors["clubs"], approving)
    (item,) = federation.double_majority(
        units, voter_threshold=0.65, club_threshold=0.55, min_blocking=int(blocking or 0)
    )
    assert item.passes == vectors["double_majority_55_65"][case]


def test_the_double_majority_reports_both_shares() -> None:
    ranks = np.zeros((10, 2), dtype=np.int8)
    approved = np.array([[True, False]] * 6 + [[False, True]] * 4)
    clubs = np.array([0] * 6 + [1, 1, 2, 2])  # club 0: 6 approve item 0; clubs 1 and 2 approve item 1
    units = federation.club_units(ranks, approved, clubs, ["a", "b", "c"], [6, 2, 2])
    first, second = federation.combine(units).double_majority
    assert (first.voter_share, first.club_share, first.passes) == (0.6, 1 / 3, False)
    assert (second.voter_share, second.club_share, second.passes) == (0.4, 2 / 3, False)
    assert first.voters_pass and second.clubs_pass


def test_a_confederation_of_federations_under_members_weighting_is_the_flat_count() -> None:
    rng = np.random.default_rng(3)
    ranks = rng.integers(0, 6, size=(400, 5)).astype(np.int8)
    approved = ranks < 2
    clubs = rng.integers(0, 6, size=400)
    units = federation.club_units(ranks, approved, clubs, [f"c{i}" for i in range(6)], [80] * 6)
    flat = tally.count_ballots(ranks, approved)
    north = federation.combine(units[:3], "sqrt", name="north")
    south = federation.combine(units[3:], "sqrt", name="south")
    confederation = federation.combine([north.as_unit(), south.as_unit()], "members")
    assert (confederation.voters, [u.name for u in confederation.units]) == (400, ["north", "south"])
    # each federation weighs its voters over its own sqrt-weighted shares
    expected = sum(f.voters * f.count.support / f.count.weight for f in (north, south))
    assert np.allclose(confederation.count.support, expected)
    members_everywhere = federation.combine(
        [federation.combine(units[:3], name="n").as_unit(), federation.combine(units[3:], name="s").as_unit()]
    )
    assert np.array_equal(members_everywhere.count.support, flat.support)
    assert [d.voter_share for d in members_everywhere.double_majority] == (flat.approvals / 400).tolist()


def test_a_club_without_voters_carries_no_weight() -> None:
    ranks = np.array([[0, 1], [0, 1], [1, 0]], dtype=np.int8)
    approved = np.array([[True, False]] * 3)
    units = federation.club_units(ranks, approved, np.array([0, 0, 2]), ["a", "b", "c"], [5, 9, 4])
    result = federation.combine(units, "equal")
    assert [u.weight for u in result.units] == [1.0, 0.0, 1.0]
    assert result.ranking == ((0, 1),)  # one club each way, equal weight: a tie, shown as a tie
    assert [d.club_share for d in result.double_majority] == [1.0, 0.0]


def test_capped_weighting_needs_a_cap_and_an_unknown_rule_is_refused() -> None:
    units = unanimous_units({"a": 3}, "a")
    with pytest.raises(ValidationFailed) as missing:
        federation.combine(units, "capped")
    assert (missing.value.field, missing.value.code) == ("cap", "required")
    with pytest.raises(tally.UnknownMethod):
        federation.combine(units, "cubic")
    with pytest.raises(tally.UnknownMethod):
        federation.combine(units, club_mode="mixed")
    assert federation.combine(units, "capped", cap=2, method="approval").units[0].weight == 2.0


# --------------------------------------------------------------------------------------------------------------
# Properties


@st.composite
def club_profiles(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Draw ballots (with ties, truncation and approvals) spread over a few clubs."""
    m = draw(st.integers(2, 6))
    n = draw(st.integers(1, 40))
    n_clubs = draw(st.integers(1, 4))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    ranks = np.array([[rng.choice([*range(m), m]) for _ in range(m)] for _ in range(n)], dtype=np.int8)
    approved = np.array([[rng.random() < 0.5 for _ in range(m)] for _ in range(n)])
    clubs = np.array([rng.randrange(n_clubs) for _ in range(n)])
    return ranks, approved, clubs, n_clubs


@settings(max_examples=100, deadline=None)
@given(club_profiles(), st.sampled_from(list(VotingMethod)))
def test_members_weighting_equals_the_flat_count(profile: tuple, method: str) -> None:
    ranks, approved, clubs, n_clubs = profile
    units = federation.club_units(ranks, approved, clubs, [str(i) for i in range(n_clubs)], [50] * n_clubs)
    result = federation.combine(units, "members", method=method)
    flat = tally.count_ballots(ranks, approved)
    assert np.array_equal(result.count.support, flat.support)
    assert np.array_equal(result.count.approvals, flat.approvals)
    assert result.result == tally.tally(flat, method)


@settings(max_examples=100, deadline=None)
@given(club_profiles(), st.sampled_from(list(VotingMethod)), st.sampled_from(list(ClubMode)))
def test_with_one_club_every_weighting_gives_the_same_result(profile: tuple, method: str, mode: str) -> None:
    ranks, approved, _, _ = profile
    units = federation.club_units(ranks, approved, np.zeros(len(ranks), dtype=int), ["only"], [70])
    results = {
        weighting: federation.combine(units, weighting, cap=10, club_mode=mode, method=method)
        for weighting in ClubWeighting
    }
    rankings = {result.ranking for result in results.values()}
    assert len(rankings) == 1
    if mode == "proportional":
        assert rankings == {tally.tally(tally.count_ballots(ranks, approved), method).ranking}
