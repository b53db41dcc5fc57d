"""Proportional agenda selection: Equal Shares, PAV and the EJR check, proven against abcvoting and published cases."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from abcvoting import abcrules, properties, scores
from abcvoting.preferences import Profile, Voter
from hypothesis import given, settings
from hypothesis import strategies as st

from deliberate.domain.selection import (
    Selection,
    approval_ranking,
    ejr_check,
    ejr_violations,
    equal_shares,
    pav,
    proportional_approval,
    seqpav,
)

VECTORS = Path(__file__).resolve().parents[1] / "data" / "voting" / "test-vectors.json"


# ----------------------------------------------------------------------------------------------------------------
# helpers


def random_profiles(seed: int, count: int, max_voters: int = 24, max_items: int = 8):
    """Yield seeded small profiles (matrix, weights or None, seats) of three kinds, many of them full of ties."""
    rng = np.random.default_rng(seed)
    for trial in range(count):
        n_voters = int(rng.integers(1, max_voters + 1))
        n_items = int(rng.integers(2, max_items + 1))
        seats = int(rng.integers(1, n_items + 1))
        kind = trial % 3
        if kind == 0:  # independent approvals of varying density
            matrix = rng.random((n_voters, n_items)) < rng.uniform(0.1, 0.7)
        elif kind == 1:  # a few blocs casting identical ballots: ties everywhere
            blocs = rng.random((int(rng.integers(1, 4)), n_items)) < 0.4
            matrix = blocs[rng.integers(0, len(blocs), n_voters)]
        else:  # a majority bloc and scattered minorities
            matrix = rng.random((n_voters, n_items)) < 0.25
            matrix[: n_voters * 2 // 3, : max(1, n_items // 2)] = True
        weights = rng.integers(1, 6, n_voters) if trial % 4 == 0 else None
        yield matrix, weights, seats


def abc_profile(matrix: np.ndarray, weights=None, *, unit: bool = False) -> Profile:
    """Build the abcvoting profile of the same ballots (``unit``: one unit-weight voter per unit of weight)."""
    profile = Profile(matrix.shape[1])
    voters = []
    for i, row in enumerate(matrix):
        weight = 1 if weights is None else int(weights[i])
        approved = [int(j) for j in np.flatnonzero(row)]
        voters += [Voter(approved)] * weight if unit else [Voter(approved, weight=weight)]
    profile.add_voters(voters)
    return profile


def load_vectors() -> dict:
    return json.loads(VECTORS.read_text(encoding="utf-8"))["approval"]


def vector_profile(case: dict) -> tuple[list[list[int]], list[int], int, Callable, Callable]:
    """Return ballots, weights, number of items, and name<->index converters of a test-vector case."""
    candidates = case["candidates"]
    if "integers" in candidates:
        n_items = int(candidates.split("..")[1].split()[0]) + 1

        def to_index(c):
            return int(c)

        def to_names(committee):
            return sorted(committee)
    else:
        n_items = len(candidates)
        to_index = candidates.index

        def to_names(committee):
            return "".join(candidates[i] for i in sorted(committee))

    ballots = [[to_index(c) for c in voter["approves"]] for voter in case["voters"]]
    weights = [voter["weight"] for voter in case["voters"]]
    return ballots, weights, n_items, to_index, to_names


# ----------------------------------------------------------------------------------------------------------------
# the same committees as abcvoting


@pytest.mark.parametrize("seed", range(4))
def test_equal_shares_elects_abcvotings_committee_on_random_profiles(seed):
    for matrix, weights, seats in random_profiles(seed, 90):
        expected = abcrules.compute("equal-shares", abc_profile(matrix, weights), seats, resolute=True)[0]
        selection = equal_shares(matrix, matrix.shape[1], seats, weights=weights)
        assert sorted(selection.committee) == sorted(expected), (matrix.astype(int).tolist(), weights, seats)


def opinion_profile(rng: np.random.Generator, n_voters: int, n_items: int) -> np.ndarray:
    """Draw ballots from opinion groups with their own tastes, each voter approving a few top items."""
    groups = rng.integers(0, 5, n_voters)
    utility = rng.normal(size=(5, n_items))[groups] + rng.normal(size=(n_voters, n_items))
    line = rng.integers(1, max(2, n_items // 5), n_voters)
    return utility >= -np.sort(-utility, axis=1)[np.arange(n_voters), line - 1][:, None]


@pytest.mark.parametrize(
    ("n_voters", "n_items", "seats", "kind"),
    [(300, 20, 8, "plain"), (600, 60, 15, "plain"), (800, 40, 25, "weighted"), (300, 100, 30, "blocs")],
)
def test_equal_shares_elects_abcvotings_committee_on_larger_profiles(n_voters, n_items, seats, kind):
    rng = np.random.default_rng(n_voters + n_items)
    matrix = opinion_profile(rng, n_voters, n_items)
    if kind == "blocs":  # 60 distinct ballots, repeated: many ties and a long completion
        matrix = matrix[rng.integers(0, 60, n_voters)]
    weights = rng.integers(1, 4, n_voters) if kind == "weighted" else None
    expected = abcrules.compute("equal-shares", abc_profile(matrix, weights), seats, resolute=True)[0]
    selection = equal_shares(matrix, n_items, seats, weights=weights)
    assert sorted(selection.committee) == sorted(expected)
    assert {step.phase for step in selection.steps} == {"equal-shares", "phragmen-completion"}


def test_pav_is_abcvotings_optimum_on_larger_profiles():
    rng = np.random.default_rng(8)
    for n_voters, n_items, seats in ((60, 12, 4), (120, 10, 5)):
        matrix = opinion_profile(rng, n_voters, n_items)
        optimal = abcrules.compute("pav", abc_profile(matrix), seats, resolute=False, algorithm="branch-and-bound")
        selection = pav(matrix, n_items, seats)
        assert selection.is_exact and selection.committee == min(tuple(sorted(c)) for c in optimal)


@pytest.mark.parametrize("seed", range(2))
def test_seqpav_elects_abcvotings_committee_on_random_profiles(seed):
    for matrix, weights, seats in random_profiles(100 + seed, 90):
        expected = abcrules.compute("seqpav", abc_profile(matrix, weights), seats, resolute=True)[0]
        assert sorted(seqpav(matrix, matrix.shape[1], seats, weights=weights).committee) == sorted(expected)


@pytest.mark.parametrize("seed", range(3))
def test_pav_is_the_smallest_of_abcvotings_optimal_committees_and_reports_ties(seed):
    for matrix, weights, seats in random_profiles(200 + seed, 80):
        optimal = abcrules.compute(
            "pav", abc_profile(matrix, weights), seats, resolute=False, algorithm="branch-and-bound"
        )
        optimal = sorted(tuple(sorted(c)) for c in optimal)
        selection = pav(matrix, matrix.shape[1], seats, weights=weights)
        assert selection.method == "pav" and selection.is_exact
        assert selection.committee == optimal[0]
        assert bool(selection.tie_breaks) == (len(optimal) > 1)


@pytest.fixture
def bounded_pav(monkeypatch):
    """Send every PAV count through the Lagrangian bound (large counts take that path; small ones search directly)."""
    monkeypatch.setattr(proportional_approval, "_DIRECT_SEARCH_NODES", 0)


@pytest.mark.parametrize("seed", range(3))
def test_pav_through_the_lagrangian_bound_is_the_smallest_of_abcvotings_optima(seed, bounded_pav):
    for matrix, weights, seats in random_profiles(500 + seed, 80, max_voters=30, max_items=9):
        optimal = abcrules.compute(
            "pav", abc_profile(matrix, weights), seats, resolute=False, algorithm="branch-and-bound"
        )
        optimal = sorted(tuple(sorted(c)) for c in optimal)
        selection = pav(matrix, matrix.shape[1], seats, weights=weights)
        assert selection.method == "pav" and selection.is_exact and "Lagrangian" in selection.notes[0]
        assert selection.committee == optimal[0], (matrix.astype(int).tolist(), weights, seats)
        assert bool(selection.tie_breaks) == (len(optimal) > 1)
        if selection.tie_breaks:
            assert selection.tie_breaks[0].tied[1] in optimal[1]


def test_pav_through_the_lagrangian_bound_reaches_abcvotings_optimal_score_on_larger_profiles(bounded_pav):
    rng = np.random.default_rng(5)
    for _ in range(6):
        n_voters, n_items, seats = int(rng.integers(100, 500)), int(rng.integers(15, 40)), int(rng.integers(3, 10))
        matrix = opinion_profile(rng, n_voters, n_items)
        profile = abc_profile(matrix)
        expected = abcrules.compute("pav", profile, seats, resolute=True, algorithm="pulp-highs")[0]
        selection = pav(matrix, n_items, seats)
        assert selection.is_exact
        assert scores.thiele_score("pav", profile, selection.committee) == scores.thiele_score("pav", profile, expected)
        if not selection.tie_breaks:
            assert selection.committee == tuple(sorted(expected))


def test_pav_is_exact_on_a_federation_sized_count_where_sequential_pav_is_not():
    rng = np.random.default_rng(23)
    matrix = opinion_profile(rng, 20_000, 100)
    selection = pav(matrix, 100, 10)
    assert selection.method == "pav" and selection.is_exact and "Lagrangian" in selection.notes[0]
    harmonic = np.concatenate(([0.0], np.cumsum(1 / np.arange(1, 11))))

    def score(committee):
        return harmonic[matrix[:, list(committee)].sum(axis=1)].sum()

    assert score(selection.committee) > score(seqpav(matrix, 100, 10).committee)


@pytest.mark.parametrize("seed", range(2))
def test_ejr_check_agrees_with_abcvotings_brute_force(seed):
    rng = np.random.default_rng(300 + seed)
    for matrix, _, seats in random_profiles(300 + seed, 80, max_voters=12):
        committee = [int(c) for c in rng.choice(matrix.shape[1], seats, replace=False)]
        # abcvoting's brute force tries every group of the minimum size: unit weights keep it small.
        satisfied = properties.check_EJR(abc_profile(matrix), committee, algorithm="brute-force")
        report = ejr_check(matrix, matrix.shape[1], committee, seats)
        assert report.is_exhaustive
        assert report.satisfies_ejr is satisfied
        assert report.satisfies_jr is properties.check_JR(abc_profile(matrix), committee)


def test_a_weighted_voter_counts_in_the_ejr_check_as_that_many_voters():
    rng = np.random.default_rng(7)
    for matrix, weights, seats in random_profiles(400, 60, max_voters=12):
        weights = rng.integers(1, 4, len(matrix))
        committee = [int(c) for c in rng.choice(matrix.shape[1], seats, replace=False)]
        weighted = ejr_check(matrix, matrix.shape[1], committee, seats, weights=weights)
        expanded = ejr_check(np.repeat(matrix, weights, axis=0), matrix.shape[1], committee, seats)
        assert weighted.satisfies_ejr is expanded.satisfies_ejr is not None
        assert [(v.ell, v.items, v.weight) for v in weighted.violations] == [
            (v.ell, v.items, v.weight) for v in expanded.violations
        ]


# ----------------------------------------------------------------------------------------------------------------
# the published examples


def approval_cases():
    return sorted(json.loads(VECTORS.read_text(encoding="utf-8"))["approval"])


RULES = {"equal-shares": equal_shares, "pav": pav, "seqpav": seqpav, "av": approval_ranking}


@pytest.mark.parametrize("name", approval_cases())
def test_every_published_approval_example(name):
    case = load_vectors()[name]
    ballots, weights, n_items, to_index, to_names = vector_profile(case)
    seats = case["k"]
    checked = 0
    for rule, expected in case.get("expected_committees", {}).items():
        if rule in RULES:
            committee = RULES[rule](ballots, n_items, seats, weights=weights).committee
            assert to_names(committee) in [to_names([to_index(c) for c in e]) for e in expected], rule
            checked += 1
    expected = case.get("expected", {})
    for rule, key in (("equal-shares", "equal_shares_committee"), ("pav", "pav_committee")):
        if key in expected:
            assert sorted(RULES[rule](ballots, n_items, seats, weights=weights).committee) == expected[key]
            checked += 1
    claims = []  # (committee, {"jr": ..., "ejr": ..., "pjr": ...})
    for name, props in case.get("expected_properties", {}).items():  # "abd": {"jr": false, ...}
        claims.append(([to_index(c) for c in name], props))
    for key, value in expected.items():
        if key.startswith("committee_"):  # "committee_0_to_6": items 0..6
            low, high = (int(x) for x in key.removeprefix("committee_").split("_to_"))
            claims.append((list(range(low, high + 1)), value))
        elif key.endswith("_ejr"):  # "seqphragmen_ejr", with "seqphragmen_committee" beside it
            claims.append((expected[key.removesuffix("_ejr") + "_committee"], {"ejr": value}))
    for committee, props in claims:
        report = ejr_check(ballots, n_items, committee, seats, weights=weights)
        assert report.is_exhaustive
        if "jr" in props:
            assert report.satisfies_jr is props["jr"], committee
        if "ejr" in props:
            assert report.satisfies_ejr is props["ejr"], committee
        if props.get("pjr") is False:  # failing PJR implies failing EJR
            assert report.satisfies_ejr is False, committee
        checked += 1
    assert checked


def test_ejr_violations_names_the_minority_that_approval_voting_leaves_out():
    case = load_vectors()["V15_jr_minority"]
    ballots, weights, n_items, to_index, _ = vector_profile(case)
    committee = approval_ranking(ballots, n_items, case["k"], weights=weights).committee
    assert sorted(committee) == [0, 1, 2]
    violations = ejr_violations(ballots, n_items, committee, case["k"], weights=weights)
    assert [(v.ell, v.items, v.voters) for v in violations] == [(1, (to_index("d"),), (4, 5))]
    assert violations[0].weight == violations[0].required_weight == 2
    for rule in (equal_shares, pav):
        assert ejr_violations(ballots, n_items, rule(ballots, n_items, 3).committee, 3) == []


def test_the_ejr_check_finds_the_larger_group_sequential_phragmen_under_represents():
    case = load_vectors()["V17_brill_seqphragmen_fails_ejr"]
    ballots, weights, n_items, _, _ = vector_profile(case)
    committee = case["expected"]["seqphragmen_committee"]
    report = ejr_check(ballots, n_items, committee, case["k"], weights=weights)
    assert report.is_exhaustive and report.satisfies_jr and not report.satisfies_ejr
    assert {v.ell for v in report.violations} == {2}
    assert all(set(v.items) <= {0, 1, 2, 3} and v.weight >= v.required_weight for v in report.violations)


# ----------------------------------------------------------------------------------------------------------------
# proportionality properties


def cohesive_profiles():
    """Draw profiles where some bloc of at least n/seats voters shares an item, plus noise voters."""
    return st.tuples(
        st.integers(2, 7),  # items
        st.integers(1, 4),  # seats (capped at the items below)
        st.lists(st.lists(st.booleans(), min_size=7, max_size=7), min_size=1, max_size=14),
        st.lists(st.integers(1, 4), min_size=14, max_size=14),
    )


@settings(max_examples=120, deadline=None, derandomize=True, database=None)
@given(cohesive_profiles())
def test_every_cohesive_group_gets_an_item_it_supports_under_equal_shares_and_pav(drawn):
    n_items, seats, rows, weights = drawn
    seats = min(seats, n_items)
    matrix = np.array(rows, dtype=bool)[:, :n_items]
    weights = weights[: len(rows)]
    for rule in (equal_shares, pav):
        committee = rule(matrix, n_items, seats, weights=weights).committee
        total = sum(weights)
        for item in range(n_items):  # any group of weight >= W/seats approving `item` must be represented
            group = matrix[:, item] & ~matrix[:, list(committee)].any(axis=1)
            assert sum(w for w, g in zip(weights, group, strict=True) if g) * seats < total, (rule, item)
        report = ejr_check(matrix, n_items, committee, seats, weights=weights)
        assert report.satisfies_ejr is True, (rule.__name__, report)


def test_a_third_of_the_voters_gets_a_third_of_the_agenda():
    matrix = np.zeros((9, 9), dtype=bool)
    matrix[:6, :6] = True  # two thirds approve items 0-5
    matrix[6:, 6:] = True  # one third approves items 6-8
    for rule in (equal_shares, pav):
        assert sorted(rule(matrix, 9, 3).committee) == [0, 1, 6]
    assert sorted(approval_ranking(matrix, 9, 3).committee) == [0, 1, 2]


# ----------------------------------------------------------------------------------------------------------------
# determinism, inputs and the record of ties


def test_reordering_or_grouping_ballots_changes_nothing():
    rng = np.random.default_rng(5)
    matrix = rng.random((60, 10)) < 0.3
    weights = rng.integers(1, 4, 60)
    expanded = np.repeat(matrix, weights, axis=0)
    order = rng.permutation(len(expanded))
    as_sets = [set(np.flatnonzero(row).tolist()) for row in expanded[order]]
    for rule in (equal_shares, pav, seqpav, approval_ranking):
        reference = rule(matrix, 10, 4, weights=weights)
        assert rule(expanded, 10, 4).committee == reference.committee
        assert rule(as_sets, 10, 4).committee == reference.committee
        assert rule(expanded[order].astype(np.int8), 10, 4).committee == reference.committee


def test_ties_are_broken_towards_the_lowest_index_and_recorded():
    ballots = [[0, 1, 2]] * 4 + [[3, 4]] * 2
    selection = equal_shares(ballots, 5, 3)
    assert selection.committee == (0, 1, 3)
    assert [(t.seat, t.tied, t.chosen) for t in selection.tie_breaks] == [
        (1, (0, 1, 2), 0),
        (2, (1, 2), 1),
        (3, (3, 4), 3),
    ]
    assert "lowest item index" in selection.tie_break_descriptions[0]
    optimum = pav(ballots, 5, 3)
    assert optimum.committee == (0, 1, 3) and optimum.tie_breaks[0].tied == (3, 4)


def test_equal_shares_records_prices_and_hands_unspent_seats_to_the_completion():
    ballots = [[0]] * 5 + [[1]] * 3 + [[2]] * 2  # 10 voters, 3 seats: each voter holds 0.3
    selection = equal_shares(ballots, 3, 3)
    first = selection.steps[0]
    assert (first.item, first.phase, first.value, first.support) == (0, "equal-shares", pytest.approx(0.2), 5.0)
    # Items 1 and 2 cost 1 but their voters hold 0.9 and 0.6: sequential Phragmen fills both seats, 1 first.
    assert [s.phase for s in selection.steps] == ["equal-shares", "phragmen-completion", "phragmen-completion"]
    assert selection.committee == (0, 1, 2)
    assert selection.steps[1].value == pytest.approx((1 - 0.9) / 3)
    assert selection.budget_left == pytest.approx(2.0)


def test_pav_falls_back_to_sequential_pav_past_its_work_limit_and_says_so():
    rng = np.random.default_rng(3)
    matrix = rng.random((40, 12)) < 0.4
    selection = pav(matrix, 12, 5, exact_limit=1)
    assert selection.method == "seqpav" and not selection.is_exact and "work limit" in selection.notes[0]
    assert selection.committee == seqpav(matrix, 12, 5).committee


def test_the_ejr_search_stops_at_its_work_limit_and_says_so():
    matrix = np.zeros((12, 8), dtype=bool)
    matrix[:, :6] = True
    report = ejr_check(matrix, 8, [6, 7], 2, max_work=1)
    assert report.satisfies_jr is False and not report.is_exhaustive and report.checked_up_to == 1
    assert report.satisfies_ejr is False  # a violation was found before the search stopped
    clean = ejr_check(np.eye(4, dtype=bool), 4, [0, 1, 2, 3], 4, max_work=0)
    assert clean.satisfies_ejr is True


def test_edge_cases():
    assert equal_shares([[0]], 3, 0).committee == ()
    nobody = equal_shares([[], []], 3, 2)
    assert nobody.committee == (0, 1) and nobody.tie_breaks[0].tied == (0, 1, 2)
    assert pav([[], [2]], 3, 2).committee == (0, 2)
    everything = equal_shares(np.ones((3, 4), dtype=bool), 4, 4)
    assert sorted(everything.committee) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("approvals", "n_items", "seats", "weights"),
    [
        (np.zeros((2, 3), dtype=bool), 4, 1, None),  # wrong width
        ([[0, 5]], 3, 1, None),  # item out of range
        ([[0]], 3, 4, None),  # more seats than items
        ([[0], [1]], 3, 1, [1, 0]),  # zero weight
        ([[0], [1]], 3, 1, [1]),  # weights of the wrong length
        ([], 3, 1, None),  # no ballots
        (np.full((2, 3), 2), 3, 1, None),  # not approvals
    ],
)
def test_invalid_input_is_rejected(approvals, n_items, seats, weights):
    with pytest.raises(ValueError):
        equal_shares(approvals, n_items, seats, weights=weights)


def test_a_selection_is_a_frozen_value():
    selection = approval_ranking([[0, 1], [1]], 2, 1)
    assert isinstance(selection, Selection) and selection.committee == (1,) and selection.items == {1}
    with pytest.raises(dataclasses.FrozenInstanceError):
        selection.committee = (0,)  # type: ignore[misc]
