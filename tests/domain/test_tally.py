"""The counting engines against published examples, against pref_voting, and under hypothesis."""

from __future__ import annotations

import importlib.util
import json
import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliberate.domain import tally
from deliberate.domain.rules import VotingMethod
from deliberate.domain.tally import Ballot, InvalidBallot, PairwiseCount

VECTORS = Path(__file__).resolve().parents[1] / "data" / "voting" / "test-vectors.json"


def load_vectors(section: str) -> dict:
    """Return one section of the published test vectors (tests/data/voting)."""
    return json.loads(VECTORS.read_text())[section]


def vector_names(section: str) -> list[str]:
    """Return the example names of a section (empty when the data is absent; the tests then skip)."""
    if not VECTORS.exists():
        return ["absent"]
    return sorted(json.loads(VECTORS.read_text())[section])


def count_letters(candidates: str, ballots: list[dict]) -> PairwiseCount:
    """Count ballots written as best-first letter strings with a count each."""
    rows = []
    for ballot in ballots:
        row = np.full(len(candidates), len(candidates), dtype=np.int8)
        for place, letter in enumerate(ballot["ranking"]):
            row[candidates.index(letter)] = place
        rows.extend([row] * ballot["count"])
    return tally.count_ballots(np.array(rows))


def letters(candidates: str, ranking: tally.Ranking) -> list[str]:
    """Write tiers as letter strings."""
    return ["".join(candidates[i] for i in tier) for tier in ranking]


def random_ballot(rng: random.Random, m: int) -> tuple[tuple[int, ...], ...]:
    """Draw a ranking in tiers with random truncation and random ties."""
    order = list(range(m))
    rng.shuffle(order)
    depth = rng.randint(0, m)
    tiers: list[list[int]] = []
    for item in order[:depth]:
        if tiers and rng.random() < 0.3:
            tiers[-1].append(item)
        else:
            tiers.append([item])
    return tuple(tuple(tier) for tier in tiers)


# --------------------------------------------------------------------------------------------------------------
# Published examples


@pytest.mark.parametrize("name", vector_names("ranked"))
def test_every_published_ranked_example_counts_as_published(name: str) -> None:
    example = load_vectors("ranked")[name]
    candidates, expected = example["candidates"], example["expected"]
    count = count_letters(candidates, example["ballots"])
    index = candidates.index

    support = {a + b: int(count.support[index(a), index(b)]) for a in candidates for b in candidates if a != b}
    assert support == expected["support_matrix_d"]

    schulze = tally.schulze(count)
    assert "".join(candidates[i] for i in schulze.winners) == "".join(sorted(expected["schulze_winners"]))
    if "schulze_levels" in expected:
        assert letters(candidates, schulze.ranking) == expected["schulze_levels"]
    if "schulze_strongest_paths_winning_votes" in expected:
        paths = tally.schulze(count, strength="winning_votes").strongest_paths
        assert {a + b: paths[index(a)][index(b)] for a in candidates for b in candidates if a != b} == expected[
            "schulze_strongest_paths_winning_votes"
        ]

    if expected.get("condorcet_winner"):
        winner = (index(expected["condorcet_winner"]),)
        for method in ("schulze", "ranked_pairs", "copeland"):
            assert tally.tally(count, method).winners == winner

    if "ranked_pairs_rankings_all_tiebreaks" in expected:
        ranked_pairs = tally.ranked_pairs(count)
        rankings = expected["ranked_pairs_rankings_all_tiebreaks"]
        if len(rankings) == 1:
            assert letters(candidates, ranked_pairs.ranking) == list(rankings[0])
            assert ranked_pairs.ties == ()
        else:
            assert ranked_pairs.ties, "a tie that decides the outcome must be reported"
            winners = "".join(candidates[i] for i in ranked_pairs.winners)
            assert winners == "".join(sorted(expected["ranked_pairs_winners_all_tiebreaks"], key=index))
        lexicographic = tally.ranked_pairs(count, priority=range(len(candidates)))
        assert [candidates[i] for i in lexicographic.winners] == [expected["ranked_pairs_tb_lexicographic_winner"]]
        assert lexicographic.tie_break_used == (len(rankings) > 1)

    if "borda_scores" in expected:
        borda = tally.borda(count)
        assert dict(zip(candidates, borda.scores, strict=True)) == expected["borda_scores"]
        assert set(letters(candidates, borda.ranking)[0]) == set(expected["borda_winners"])
    if "copeland_scores" in expected:
        copeland = tally.copeland(count)
        assert dict(zip(candidates, copeland.scores, strict=True)) == expected["copeland_scores"]
        assert set(letters(candidates, copeland.ranking)[0]) == set(expected["copeland_winners"])


# --------------------------------------------------------------------------------------------------------------
# Against pref_voting on random profiles with ties and truncation


requires_pref_voting = pytest.mark.skipif(
    importlib.util.find_spec("pref_voting") is None, reason="pref_voting (a test dependency) is not installed"
)


def random_profile(seed: int) -> tuple[int, list[tuple[tuple[int, ...], ...]]]:
    """Return a seeded random number of items and ballots with ties and truncation."""
    rng = random.Random(seed)
    m = rng.randint(2, 6)
    return m, [random_ballot(rng, m) for _ in range(rng.randint(1, 25))]


def reference_profile(m: int, ballots: list[tuple[tuple[int, ...], ...]]) -> object:
    """Build the pref_voting profile of the same ballots, unranked items tied below ranked ones."""
    from pref_voting.profiles_with_ties import ProfileWithTies

    rankings = [{item: place + 1 for place, tier in enumerate(ballot) for item in tier} for ballot in ballots]
    profile = ProfileWithTies(rankings, candidates=list(range(m)))
    profile.use_extended_strict_preference()
    return profile


def levels_of(m: int, defeats: set[tuple[int, int]]) -> tally.Ranking:
    """Return tiers of a defeat relation: undefeated items first, then those only they defeat, and so on."""
    remaining, levels = set(range(m)), []
    while remaining:
        top = tuple(sorted(x for x in remaining if not any((y, x) in defeats for y in remaining)))
        levels.append(top)
        remaining -= set(top)
    return tuple(levels)


def tie_break_orders(count: PairwiseCount) -> int:
    """Return how many orders of equal-margin edges pref_voting's ranked pairs would try."""
    margins = count.margins
    sizes = Counter(int(margins[a, b]) for a, b in zip(*np.nonzero(margins >= 0), strict=True) if a != b)
    return math.prod(math.factorial(size) for size in sizes.values())


@requires_pref_voting
@pytest.mark.parametrize("seed", range(150))
def test_random_profiles_count_as_pref_voting_counts_them(seed: int) -> None:
    from pref_voting.c1_methods import copeland as pv_copeland
    from pref_voting.margin_based_methods import beat_path, beat_path_defeat, ranked_pairs, ranked_pairs_tb
    from pref_voting.scoring_methods import symmetric_borda_scores

    m, ballots = random_profile(seed)
    ranks, _ = tally.encode_ballots(((ballot, ()) for ballot in ballots), m)
    count = tally.count_ballots(ranks)
    profile = reference_profile(m, ballots)

    assert [[int(count.support[a, b]) for b in range(m)] for a in range(m)] == [
        [profile.support(a, b) if a != b else 0 for b in range(m)] for a in range(m)
    ]

    schulze = tally.schulze(count)
    assert list(schulze.winners) == beat_path(profile)
    assert schulze.ranking == levels_of(m, set(beat_path_defeat(profile).edges))

    priority = list(range(m))
    random.Random(seed).shuffle(priority)
    assert list(tally.ranked_pairs(count, priority=priority).winners) == ranked_pairs_tb(profile, tie_breaker=priority)
    if tie_break_orders(count) <= 2000:  # pref_voting tries every order of equal margins
        honest = tally.ranked_pairs(count)
        all_tie_breaks = ranked_pairs(profile)
        # no item that wins under some tie-break is left out of the top tier; without a reported tie, the same
        assert set(honest.winners) >= set(all_tie_breaks)
        if not honest.ties:
            assert list(honest.winners) == all_tie_breaks

    symmetric = symmetric_borda_scores(profile)
    borda = tally.borda(count)
    assert [2 * s - len(ballots) * (m - 1) for s in borda.scores] == [symmetric[c] for c in range(m)]

    copeland = tally.copeland(count)
    assert list(copeland.scores) == [profile.copeland_scores()[c] for c in range(m)]
    assert list(copeland.winners) == pv_copeland(profile)


# --------------------------------------------------------------------------------------------------------------
# Properties


@st.composite
def profiles(draw: st.DrawFn) -> tuple[int, list[Ballot]]:
    """Draw a number of items and ballots with ties, truncation and approvals."""
    m = draw(st.integers(2, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(1, 30))
    rng = random.Random(seed)
    ballots = []
    for _ in range(n):
        ranking = random_ballot(rng, m)
        ballots.append(Ballot(ranking, frozenset(i for i in range(m) if rng.random() < 0.4)))
    return m, ballots


def count_of(m: int, ballots: list[Ballot]) -> PairwiseCount:
    """Count ballots given as :class:`Ballot` values."""
    return tally.count_ballots(*tally.encode_ballots(ballots, m))


@settings(max_examples=150, deadline=None)
@given(profiles())
def test_a_condorcet_winner_always_comes_first(profile: tuple[int, list[Ballot]]) -> None:
    m, ballots = profile
    count = count_of(m, ballots)
    margins = count.margins
    winners = [a for a in range(m) if all(margins[a, b] > 0 for b in range(m) if b != a)]
    for method in ("schulze", "ranked_pairs", "copeland"):
        result = tally.tally(count, method)
        if winners:
            assert result.ranking[0] == (winners[0],)
        assert sorted(i for tier in result.ranking for i in tier) == list(range(m))


@settings(max_examples=100, deadline=None)
@given(profiles(), st.randoms(use_true_random=False))
def test_renaming_items_or_reordering_ballots_changes_nothing(
    profile: tuple[int, list[Ballot]], rng: random.Random
) -> None:
    m, ballots = profile
    rename = list(range(m))
    rng.shuffle(rename)
    renamed = [
        Ballot(tuple(tuple(rename[i] for i in tier) for tier in b.ranking), frozenset(rename[i] for i in b.approved))
        for b in ballots
    ]
    shuffled = list(ballots)
    rng.shuffle(shuffled)
    for method in VotingMethod:
        original = tally.tally(count_of(m, ballots), method)
        assert tally.tally(count_of(m, shuffled), method) == original
        moved = tally.tally(count_of(m, renamed), method)
        expected = tuple(tuple(sorted(rename[i] for i in tier)) for tier in original.ranking)
        assert moved.ranking == expected


# --------------------------------------------------------------------------------------------------------------
# Behaviour


def test_unranked_items_share_the_remaining_borda_points() -> None:
    count = count_of(4, [Ballot(((2,),))])
    assert tally.borda(count).scores == (1, 1, 3, 1)


def test_a_ballot_naming_an_item_twice_or_an_unknown_item_is_refused() -> None:
    with pytest.raises(InvalidBallot) as twice:
        tally.encode_ballots([Ballot(((0,), (1, 0)))], 3)
    assert (twice.value.index, twice.value.code, twice.value.item) == (0, "duplicate_item", 0)
    with pytest.raises(InvalidBallot) as unknown:
        tally.encode_ballots([Ballot(((0,),)), Ballot(((5,),))], 3)
    assert (unknown.value.index, unknown.value.code) == (1, "unknown_item")


def test_per_club_matrices_add_up_to_the_pooled_matrix() -> None:
    rng = np.random.default_rng(7)
    ranks = rng.integers(0, 9, size=(1000, 8)).astype(np.int8)
    clubs = rng.integers(0, 5, size=1000)
    clubs[clubs == 3] = 4  # one club without ballots
    per_club = tally.count_by_group(ranks, ranks < 3, clubs, 5)
    pooled = tally.count_ballots(ranks, ranks < 3)
    assert np.array_equal(sum(c.support for c in per_club), pooled.support)
    assert np.array_equal(sum(c.approvals for c in per_club), pooled.approvals)
    assert per_club[3].weight == 0 and not per_club[3].support.any()
    for club in range(5):
        assert np.array_equal(per_club[club].support, tally.pairwise_support(ranks[clubs == club]))


def test_weighted_ballots_count_as_repeated_ballots() -> None:
    ranks = np.array([[0, 1, 2], [2, 0, 1]], dtype=np.int8)
    weighted = tally.count_ballots(ranks, weights=np.array([3.0, 2.0]))
    repeated = tally.count_ballots(np.repeat(ranks, [3, 2], axis=0))
    assert np.array_equal(weighted.support, repeated.support)
    assert tally.schulze(weighted) == tally.schulze(repeated)


def test_ties_are_shown_and_a_tie_break_says_it_was_used() -> None:
    count = count_of(3, [Ballot(((0,), (1,), (2,))), Ballot(((1,), (2,), (0,))), Ballot(((2,), (0,), (1,)))])
    assert tally.schulze(count).ranking == ((0, 1, 2),)
    order = tally.break_ties(tally.schulze(count).ranking, priority=[2, 0, 1])
    assert order.order == (2, 0, 1) and order.tie_break_used and order.broken_tiers == ((0, 1, 2),)
    seats = tally.top_seats(((1,), (0, 2)), 2, priority=[2, 1, 0])
    assert seats.order == (1, 2) and seats.tie_break_used
    assert not tally.top_seats(((1,), (0, 2)), 1).tie_break_used


def test_the_lottery_priority_is_a_reproducible_permutation() -> None:
    first = tally.lottery_priority("inputs-hash", 10)
    assert first == tally.lottery_priority(b"inputs-hash", 10)
    assert sorted(first) == list(range(10))
    assert first != tally.lottery_priority("other-hash", 10)


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(tally.UnknownMethod):
        tally.tally(count_of(2, [Ballot(((0,),))]), "plurality")


def test_the_count_is_the_same_without_numpy_2_popcount(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(11)
    ranks = rng.integers(0, 7, size=(300, 6)).astype(np.int8)
    clubs = rng.integers(0, 4, size=300)
    expected = tally.pairwise_support_by_group(ranks, clubs, 4)
    monkeypatch.delattr(np, "bitwise_count", raising=False)
    assert np.array_equal(tally.pairwise_support_by_group(ranks, clubs, 4), expected)


# --- comparing two rankings (the board's what-if page) -------------------------------------------------------------

def test_tier_positions_count_the_items_ahead_of_each_tier():
    assert tally.tier_positions([["c"], ["a", "b"], ["d"]]) == {"c": 1, "a": 2, "b": 2, "d": 4}


def test_moved_items_gives_the_official_place_of_each_item_that_moves():
    official = [["c"], ["a", "b"], ["d"]]
    assert tally.moved_items(official, official) == {}
    assert tally.moved_items(official, [["c"], ["a"], ["b", "d"]]) == {"b": 2, "d": 4}  # a tie that breaks and forms
    assert tally.moved_items([["c"], ["a"]], [["a"], ["c"]]) == {"c": 1, "a": 2}
    assert tally.moved_items([["c"], ["a"]], [["c"]]) == {"a": 2}  # an item left out has moved
    assert list(tally.moved_items([["x"], ["y"], ["z"]], [["z"], ["y"], ["x"]])) == ["x", "z"]  # in official order
