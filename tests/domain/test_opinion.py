"""Behaviour of the opinion map engine on small, hand-built conversations (pure, no app)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from deliberate.domain.opinion import AGREE, DISAGREE, PASS, OpinionMap, compute_opinion_map, once_clustered

Reaction = tuple[int, int, int]


def two_camps(per_camp: int = 10, statements: int = 8, seed: int = 0) -> tuple[list[int], list[int], list[Reaction]]:
    """Build two camps that disagree on every statement except the last, which everyone agrees with."""
    rng = random.Random(seed)
    people = list(range(2 * per_camp))
    reactions = []
    for person in people:
        camp = person % 2
        for statement in range(statements - 1):
            stance = AGREE if (statement < (statements - 1) / 2) == (camp == 0) else DISAGREE
            value = stance if rng.random() < 0.9 else PASS
            reactions.append((person, statement, value))
        reactions.append((person, statements - 1, AGREE))
    return people, list(range(statements)), reactions


def random_conversation(n_people: int, n_statements: int, seed: int) -> tuple[list[int], list[int], list[Reaction]]:
    """Build a sparse conversation with three planted camps and some outliers."""
    rng = np.random.default_rng(seed)
    camps = rng.choice(3, size=n_people, p=[0.5, 0.35, 0.15])
    stance = rng.choice([-1, 0, 1], size=(3, n_statements))
    reactions = []
    for person in range(n_people):
        seen = rng.choice(n_statements, size=int(rng.integers(3, n_statements + 1)), replace=False)
        for statement in seen.tolist():
            s = stance[camps[person], statement]
            if person % 17 == 0:  # an outlier who votes at random
                value = int(rng.choice([-1, 0, 1]))
            else:
                value = int(s) if rng.random() < 0.85 else int(rng.choice([-1, 0, 1]))
            reactions.append((person, statement, value))
    return list(range(n_people)), list(range(n_statements)), reactions


def groups_of(result: OpinionMap) -> dict[int, int | None]:
    return {p.participant: p.group for p in result.participants}


def test_two_camps_become_two_groups_each_with_what_it_stands_for() -> None:
    people, statements, reactions = two_camps()
    result = compute_opinion_map(people, statements, reactions)

    assert [g.size for g in result.groups] == [10, 10]
    assert {frozenset(g.members) for g in result.groups} == {frozenset(people[0::2]), frozenset(people[1::2])}
    for group in result.groups:
        assert group.representative, "every group shows at least one representative statement"
        best = group.representative[0]
        assert best.is_significant
        assert best.statement != statements[-1]
        rate, rest = (best.agree, best.agree_rest) if best.direction == "agree" else (best.disagree, best.disagree_rest)
        assert rate > 0.5 > rest


def test_the_statement_everyone_agrees_with_is_the_consensus() -> None:
    people, statements, reactions = two_camps()
    result = compute_opinion_map(people, statements, reactions)

    assert [(c.statement, c.direction) for c in result.consensus] == [(statements[-1], "agree")]
    informed = result.group_informed_consensus
    assert max(informed, key=informed.get) == statements[-1]
    assert informed[statements[-1]] == pytest.approx((11 / 12) ** 2)


def test_the_same_reactions_in_any_order_give_the_same_map() -> None:
    people, statements, reactions = random_conversation(80, 25, seed=3)
    expected = compute_opinion_map(people, statements, reactions, hidden={4})
    rng = random.Random(7)
    for _ in range(3):
        shuffled = reactions[:]
        rng.shuffle(shuffled)
        result = compute_opinion_map(
            rng.sample(people, len(people)), rng.sample(statements, len(statements)), iter(shuffled), hidden=[4]
        )
        assert result == expected


def test_groups_are_numbered_by_size_largest_first() -> None:
    people, statements, reactions = random_conversation(120, 30, seed=5)
    result = compute_opinion_map(people, statements, reactions)

    assert [g.id for g in result.groups] == list(range(len(result.groups)))
    sizes = [g.size for g in result.groups]
    assert sizes == sorted(sizes, reverse=True)
    assert len(result.groups) >= 2


@pytest.mark.parametrize("seed", range(6))
def test_no_group_is_a_single_person_and_every_group_has_a_representative(seed: int) -> None:
    people, statements, reactions = random_conversation(40 + 10 * seed, 12 + seed, seed=seed)
    result = compute_opinion_map(people, statements, reactions)

    assert result.groups
    for group in result.groups:
        assert group.size >= 2
        assert group.size == len(group.members)
        assert len(group.representative) >= 1
    members = [m for g in result.groups for m in g.members]
    assert len(members) == len(set(members))
    assert {p for p, g in groups_of(result).items() if g is not None} == set(members)


def test_a_far_outlier_joins_a_group_rather_than_standing_alone() -> None:
    people, statements, reactions = two_camps(per_camp=6)
    outlier = 99
    reactions += [(outlier, s, AGREE if s % 2 else DISAGREE) for s in statements]
    result = compute_opinion_map([*people, outlier], statements, reactions)

    assert result.group_of(outlier) is not None
    assert min(g.size for g in result.groups) >= 2


def test_a_small_group_stays_visible_with_a_representative_statement() -> None:
    people, statements, reactions = two_camps(per_camp=12)
    # Two people who agree with everything the others split on.
    for person in (100, 101):
        reactions += [(person, s, AGREE) for s in statements]
    result = compute_opinion_map([*people, 100, 101], statements, reactions)

    small = [g for g in result.groups if set(g.members) == {100, 101}]
    assert len(small) == 1
    assert small[0].representative
    assert all(r.direction == "agree" for r in small[0].representative)


def test_two_or_three_clustered_people_form_one_group_and_one_alone_none() -> None:
    statements = list(range(7))
    pair = [(p, s, AGREE if p == 0 else DISAGREE) for p in (0, 1) for s in statements]
    result = compute_opinion_map([0, 1], statements, pair)
    assert [g.size for g in result.groups] == [2]

    alone = compute_opinion_map([0, 1], statements, [(0, s, AGREE) for s in statements])
    assert alone.groups == ()
    assert alone.group_of(0) is None
    assert alone.group_informed_consensus == {}


def test_a_participant_needs_seven_reactions_to_be_clustered() -> None:
    people, statements, reactions = two_camps(per_camp=8, statements=20)
    reactions += [(50, s, AGREE) for s in range(6)] + [(51, s, AGREE) for s in range(7)]
    result = compute_opinion_map([*people, 50, 51], statements, reactions)

    assert result.group_of(50) is None
    assert result.group_of(51) is not None
    assert result.position(50).x != 0.0, "unclustered participants are still placed on the map"


def test_with_fewer_than_seven_statements_reacting_to_all_of_them_is_enough() -> None:
    people, statements, reactions = two_camps(per_camp=8, statements=5)
    reactions += [(60, s, DISAGREE) for s in range(5)] + [(61, s, DISAGREE) for s in range(4)]
    result = compute_opinion_map([*people, 60, 61], statements, reactions)

    assert result.group_of(60) is not None
    assert result.group_of(61) is None


def test_while_fewer_than_fifteen_qualify_the_most_active_others_are_clustered_too() -> None:
    people, statements, reactions = two_camps(per_camp=6, statements=20)
    # 12 people reacted to everything; of the four below seven reactions, the three most active make it 15.
    reactions += [(70, s, AGREE) for s in range(6)] + [(71, s, AGREE) for s in range(5)]
    reactions += [(72, s, AGREE) for s in range(2)] + [(73, 0, AGREE)]
    result = compute_opinion_map([*people, 70, 71, 72, 73, 74], statements, reactions)

    assert all(result.group_of(p) is not None for p in (70, 71, 72))
    assert result.group_of(73) is None
    assert result.group_of(74) is None, "someone who never reacted is never clustered"


def test_the_first_participants_taken_in_while_few_qualified_stay_clustered() -> None:
    # Statements appear at times 0..19; participant 1 reacts twice early, when nobody had seven reactions, so the
    # rule takes him in; participant 99 reacts twice at the end, when 15 others qualify: only the first stays.
    statements = range(20)
    early = [(t, 1) for t in (1, 2)]
    crowd = [(100 + t, p) for p in range(2, 17) for t in range(7)]
    late = [(500, 99), (501, 99)]
    kept = once_clustered([*early, *crowd, *late], statements)

    assert 1 in kept and 99 not in kept
    assert once_clustered([], statements) == frozenset()


def test_with_few_statements_yet_few_reactions_were_enough() -> None:
    # At time 3 only three statements exist: three reactions then are all of them.
    first = [(1, 5), (2, 5), (3, 5)] + [(10 + t, p) for p in range(20, 40) for t in range(7)]
    kept = once_clustered(first, [0, 1, 2, 8, 9, 10, 11, 12, 13])

    assert 5 in kept


def test_a_participant_clustered_earlier_stays_clustered() -> None:
    people, statements, reactions = two_camps(per_camp=8, statements=20)
    reactions += [(80, 0, AGREE), (80, 1, AGREE)]
    plain = compute_opinion_map([*people, 80], statements, reactions)
    kept = compute_opinion_map([*people, 80], statements, reactions, once_clustered=[80, 12345])

    assert plain.group_of(80) is None
    assert kept.group_of(80) is not None  # an id that is not a participant is ignored


@pytest.mark.parametrize(("n_people", "seed"), [(12, 7), (20, 0)])
def test_fewer_than_three_dozen_participants_get_at_most_three_groups(n_people: int, seed: int) -> None:
    # As in Polis, one group beyond two per 12 base clusters (here one per participant): four groups before.
    people, statements, reactions = random_conversation(n_people, 30, seed=seed)
    result = compute_opinion_map(people, statements, reactions)

    assert 1 <= len(result.groups) <= 3


def test_hidden_statements_carry_no_weight() -> None:
    people, statements, reactions = two_camps(per_camp=8)
    hidden = 500
    # A hidden statement that would split the camps the other way if it counted.
    with_hidden = reactions + [(p, hidden, AGREE if p < 8 else DISAGREE) for p in people]
    plain = compute_opinion_map(people, statements, reactions)
    result = compute_opinion_map(people, [*statements, hidden], with_hidden, hidden=[hidden])

    assert [g.members for g in result.groups] == [g.members for g in plain.groups]
    assert hidden not in result.group_informed_consensus
    assert all(r.statement != hidden for g in result.groups for r in g.representative)
    assert all(c.statement != hidden for c in result.consensus)
    # Everyone reacted to as many statements, so the (Polis) sparsity ratio only rescales the whole map.
    ratio = np.array([p.x for p in result.participants]) / np.array([p.x for p in plain.participants])
    assert np.allclose(ratio, ratio[0])


def test_reactions_to_hidden_statements_still_count_as_taking_part() -> None:
    people, statements, reactions = two_camps(per_camp=6, statements=12)
    reactions += [(70, s, AGREE) for s in range(5)] + [(70, 100, AGREE), (70, 101, DISAGREE)]
    result = compute_opinion_map([*people, 70], [*statements, 100, 101], reactions, hidden=[100, 101])

    assert result.group_of(70) is not None


def test_the_map_is_the_same_with_text_ids() -> None:
    people, statements, reactions = random_conversation(50, 15, seed=11)
    by_int = compute_opinion_map(people, statements, reactions)
    by_text = compute_opinion_map(
        [f"p{p:03}" for p in people],
        [f"s{s:03}" for s in statements],
        [(f"p{p:03}", f"s{s:03}", v) for p, s, v in reactions],
    )

    assert [p.group for p in by_text.participants] == [p.group for p in by_int.participants]
    assert [p.x for p in by_text.participants] == pytest.approx([p.x for p in by_int.participants])


def test_no_reactions_give_an_empty_map() -> None:
    result = compute_opinion_map([1, 2, 3], [10, 11], [])

    assert result.groups == ()
    assert result.consensus == ()
    assert [(p.group, p.x, p.y) for p in result.participants] == [(None, 0.0, 0.0)] * 3


@pytest.mark.parametrize(
    ("reactions", "message"),
    [
        ([(1, 10, AGREE), (1, 10, DISAGREE)], "more than one reaction"),
        ([(9, 10, AGREE)], "unknown participant"),
        ([(1, 99, AGREE)], "unknown statement"),
        ([(1, 10, 2)], "not 1, -1 or 0"),
        ([(1, 12, AGREE), (1, 12, PASS)], "more than one reaction"),
    ],
)
def test_invalid_reactions_are_refused(reactions: list[Reaction], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compute_opinion_map([1, 2], [10, 11, 12], reactions, hidden=[12])


def test_when_every_statement_is_hidden_nobody_is_grouped() -> None:
    people, statements, reactions = two_camps(per_camp=4)
    result = compute_opinion_map(people, statements, reactions, hidden=statements)

    assert result.groups == ()
    assert all(p.group is None and (p.x, p.y) == (0.0, 0.0) for p in result.participants)


def test_two_thousand_people_and_five_hundred_statements_find_their_camps() -> None:
    """The size benchmarks/bench_opinion.py times (about a second is the target); here only the result counts."""
    rng = np.random.default_rng(1)
    camp = rng.integers(0, 3, size=2000)
    stance = rng.choice([-1, 0, 1], size=(3, 500))
    seen = rng.random((2000, 500)) < rng.beta(1.2, 4.0, size=(2000, 1))
    noise = rng.random((2000, 500)) < 0.2
    values = np.where(noise, rng.integers(-1, 2, size=(2000, 500)), stance[camp])
    people, statements = np.nonzero(seen)
    reactions = list(zip(people.tolist(), statements.tolist(), values[seen].tolist(), strict=True))

    result = compute_opinion_map(range(2000), range(500), reactions, hidden=range(0, 500, 50))

    assert len(result.groups) >= 2


def small_two_camps(
    seed: int, n_people: int = 200, n_statements: int = 50
) -> tuple[list[int], list[int], list[Reaction]]:
    """Build a small, sparse conversation of two planted camps, the size of a federation's consultation.

    Half the participants stop after the first 18 statements, the others go on for a random number more; one
    in five votes on a random half instead. The camps agree on the first tenth of the statements and take
    opposite sides on the rest; each vote follows the camp nine times in ten, after 15% of passes.
    """
    rng = np.random.default_rng(seed)
    camp = (rng.random(n_people) > 0.55).astype(int)
    stance = rng.choice([-1, 1], size=(2, n_statements))
    stance[1, : n_statements // 5] = stance[0, : n_statements // 5]
    reactions = []
    for person in range(n_people):
        count = int(rng.choice([18, 18 + rng.integers(0, n_statements - 18 + 1)], p=[0.5, 0.5]))
        if rng.random() < 0.8:
            seen = np.arange(count)
        else:
            seen = rng.choice(n_statements, size=max(7, count // 2), replace=False)
        for statement in seen:
            side, draw = stance[camp[person], statement], rng.random()
            value = PASS if draw < 0.15 else (side if draw < 0.15 + 0.85 * 0.9 else -side)
            reactions.append((person, int(statement), int(value)))
    return list(range(n_people)), list(range(n_statements)), reactions


@pytest.mark.parametrize("seed", range(20))
def test_a_small_conversation_of_two_camps_gives_two_groups_not_more(seed: int) -> None:
    # A single k-means start from the first points found five groups in one of these (seed 15).
    people, statements, reactions = small_two_camps(seed)

    result = compute_opinion_map(people, statements, reactions)

    assert len(result.groups) == 2
