"""Behaviour of the minority section and the equity checks (pure, no app)."""

from __future__ import annotations

import dataclasses
import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliberate.domain.electorate import SUPPRESSED, Electorate, Support, Voter, two_proportion_p_value
from deliberate.domain.equity import (
    DEFAULT_WOMEN_BASELINE,
    CheckStatus,
    EquityConfig,
    GenderCounts,
    GenderTable,
    blocks_publishing,
    check_equity,
    tabulate_genders,
)
from deliberate.domain.errors import ValidationFailed
from deliberate.domain.gender import GenderGroup
from deliberate.domain.minority import analyse, analyse_minority
from deliberate.domain.privacy import MIN_GROUP
from deliberate.domain.rules import CheckMode

ITEMS = ["roads", "water", "school", "clinic", "jobs"]


def people(count: int, club: str = "club-a", **attributes) -> list[Voter]:
    """Return ``count`` identical voters."""
    attributes.setdefault("ranking", ())
    attributes.setdefault("approved", ())
    return [Voter(club=club, **attributes) for _ in range(count)]


def only_item(result):
    """Return the analysis of the single agenda item."""
    (item,) = result.items
    return item


# --- suppression ------------------------------------------------------------------------------------------


def test_the_minimum_group_size_is_five():
    assert MIN_GROUP == 5


def test_a_club_with_fewer_than_five_voters_is_suppressed_not_shown_as_a_number():
    voters = people(4, "small", approved=["roads"]) + people(6, "big", approved=["roads"])
    item = only_item(analyse_minority(ITEMS, ["roads"], voters))
    assert item.by_club["small"] is SUPPRESSED
    assert item.by_club["small"].is_suppressed
    assert (item.by_club["small"].voters, item.by_club["small"].share) == (None, None)
    assert item.by_club["big"] == Support(False, 6, 6, 1.0)


def test_a_club_of_exactly_five_voters_is_shown():
    voters = people(3, "five", approved=["roads"]) + people(2, "five")
    item = only_item(analyse_minority(ITEMS, ["roads"], voters))
    assert item.by_club["five"] == Support(False, 5, 3, 0.6)


def test_overall_support_is_suppressed_when_fewer_than_five_people_voted():
    item = only_item(analyse_minority(ITEMS, ["roads"], people(4, approved=["roads"])))
    assert item.overall.is_suppressed


def test_small_opinion_groups_and_genders_are_suppressed():
    voters = people(5, gender="woman", group="g1", approved=["roads"]) + people(
        2, gender="man", group="g2", approved=["roads"]
    )
    voters += people(5)  # unstated: the two men cannot be found as "everyone minus the women"
    item = only_item(analyse_minority(ITEMS, ["roads"], voters))
    assert item.by_group["g1"] == Support(False, 5, 5, 1.0)
    assert item.by_group["g2"].is_suppressed
    assert item.by_gender[GenderGroup.WOMAN] == Support(False, 5, 5, 1.0)
    assert item.by_gender[GenderGroup.MAN].is_suppressed
    assert item.by_gender[GenderGroup.OTHER].is_suppressed
    assert item.gender_gap is None


def test_voters_without_a_stated_gender_or_group_are_left_out_of_those_breakdowns():
    voters = people(5, gender="woman", group=1, approved=["roads"]) + people(20, approved=[])
    item = only_item(analyse_minority(ITEMS, ["roads"], voters))
    assert item.overall == Support(False, 25, 5, 0.2)
    assert item.by_group[1] == Support(False, 5, 5, 1.0)
    assert item.by_gender[GenderGroup.WOMAN].voters == 5
    assert list(item.by_group) == [1]


def test_self_described_genders_other_than_woman_and_man_are_grouped_as_other():
    voters = people(3, gender="non-binary", approved=["roads"]) + people(2, gender="agender")
    voters += people(5, approved=["roads"])
    item = only_item(analyse_minority(ITEMS, ["roads"], voters))
    assert item.by_gender[GenderGroup.OTHER] == Support(False, 5, 3, 0.6)


def test_no_shown_figure_ever_covers_fewer_than_five_people():
    rng = random.Random(3)
    voters = [
        Voter(
            club=f"c{rng.randrange(12)}",
            gender=rng.choice(["woman", "man", "other", None]),
            group=rng.choice([0, 1, 2, 3, None]),
            ranking=((rng.choice(ITEMS),),),
            approved=rng.sample(ITEMS, rng.randrange(len(ITEMS))),
        )
        for _ in range(60)
    ]
    result = analyse_minority(ITEMS, ITEMS, voters)
    for item in result.items:
        for support in [
            item.overall,
            *item.by_club.values(),
            *item.by_group.values(),
            *item.by_gender.values(),
        ]:
            assert support.is_suppressed or support.voters >= MIN_GROUP


# --- dissent ----------------------------------------------------------------------------------------------


def test_a_club_whose_majority_did_not_approve_an_item_dissents():
    voters = (
        people(6, "north", approved=["roads"])
        + people(2, "south", approved=["roads"])
        + people(4, "south", approved=["water"])
    )
    item = only_item(analyse_minority(ITEMS, ["roads"], voters))
    assert item.dissenting_clubs == ("south",)


def test_an_exact_half_is_not_a_dissenting_majority():
    voters = people(3, "even", approved=["roads"]) + people(3, "even")
    assert only_item(analyse_minority(ITEMS, ["roads"], voters)).dissenting_clubs == ()


def test_a_club_under_five_voters_is_never_reported_as_dissenting():
    voters = people(4, "tiny") + people(10, "big", approved=["roads"])
    result = analyse_minority(ITEMS, ["roads"], voters)
    assert only_item(result).dissenting_clubs == ()
    assert result.suppressed_clubs == ("tiny",)


def test_dissenting_clubs_are_listed_in_a_stable_order():
    voters = people(5, "zeta") + people(5, "alpha") + people(5, "mid", approved=["roads"])
    assert only_item(analyse_minority(ITEMS, ["roads"], voters)).dissenting_clubs == ("alpha", "zeta")


# --- gender gap -------------------------------------------------------------------------------------------


def gendered(women_yes: int, women: int, men_yes: int, men: int) -> list[Voter]:
    """Return women and men voters approving "roads" in the given numbers."""
    return (
        people(women_yes, gender="woman", approved=["roads"])
        + people(women - women_yes, gender="woman")
        + people(men_yes, gender="man", approved=["roads"])
        + people(men - men_yes, gender="man")
    )


def test_the_two_proportion_p_value_matches_a_hand_computation():
    # 30/50 against 20/50: pooled 0.5, standard error sqrt(0.25 * (1/50 + 1/50)) = 0.1, z = 2.0,
    # p = 2 * (1 - Phi(2)) = 0.0455002638963584.
    assert two_proportion_p_value(30, 50, 20, 50) == pytest.approx(0.0455002638963584, rel=1e-12)
    # 6/10 against 4/10: pooled 0.5, se = sqrt(0.05) = 0.2236, z = 0.8944, p = 0.3710933695.
    assert two_proportion_p_value(6, 10, 4, 10) == pytest.approx(0.37109336952269756, rel=1e-9)


def test_equal_or_unanimous_shares_give_no_evidence_of_a_difference():
    assert two_proportion_p_value(5, 10, 5, 10) == 1.0
    assert two_proportion_p_value(10, 10, 7, 7) == 1.0
    assert two_proportion_p_value(0, 10, 0, 7) == 1.0


def test_a_large_and_significant_gender_gap_is_flagged():
    gap = only_item(analyse_minority(ITEMS, ["roads"], gendered(30, 50, 20, 50))).gender_gap
    assert gap is not None
    assert gap.difference == pytest.approx(0.2)
    assert gap.z == pytest.approx(2.0)
    assert gap.p_value == pytest.approx(0.0455002638963584)
    assert gap.women == Support(False, 50, 30, 0.6)
    assert gap.men == Support(False, 50, 20, 0.4)
    assert gap.is_flagged


def test_a_gap_against_women_is_flagged_with_a_negative_difference():
    gap = only_item(analyse_minority(ITEMS, ["roads"], gendered(20, 50, 30, 50))).gender_gap
    assert gap.difference == pytest.approx(-0.2)
    assert gap.is_flagged


def test_a_large_gap_between_small_groups_is_not_flagged_without_significance():
    gap = only_item(analyse_minority(ITEMS, ["roads"], gendered(6, 10, 4, 10))).gender_gap
    assert gap.difference == pytest.approx(0.2)
    assert gap.p_value > 0.05
    assert not gap.is_flagged


def test_a_significant_but_small_gap_is_not_flagged():
    gap = only_item(analyse_minority(ITEMS, ["roads"], gendered(550, 1000, 480, 1000))).gender_gap
    assert gap.p_value < 0.01
    assert gap.difference == pytest.approx(0.07)
    assert not gap.is_flagged


def test_a_gap_of_exactly_ten_points_counts_when_significant():
    gap = only_item(analyse_minority(ITEMS, ["roads"], gendered(600, 1000, 500, 1000))).gender_gap
    assert gap.difference == pytest.approx(0.1)
    assert gap.is_flagged


def test_no_gender_gap_is_assessed_when_fewer_than_five_men_voted():
    item = only_item(analyse_minority(ITEMS, ["roads"], gendered(10, 10, 0, 4)))
    assert item.gender_gap is None


# --- the gender table -------------------------------------------------------------------------------------


def counts(ballots: int, approving: dict | None = None, ranked_first: dict | None = None) -> GenderCounts:
    """Return one gender's hand-written counts over ITEMS (items not named count 0)."""
    return GenderCounts(
        ballots,
        {item: (approving or {}).get(item, 0) for item in ITEMS},
        {item: (ranked_first or {}).get(item, 0) for item in ITEMS},
    )


def hand_table(woman=None, man=None, other=None, unstated: int = 0) -> tuple[GenderTable, list[Voter]]:
    """Return a hand-written gender table and as many genderless voters, each approving and ranking first
    every item (so that any figure of the table fits them)."""
    genders = {GenderGroup.WOMAN: woman, GenderGroup.MAN: man, GenderGroup.OTHER: other}
    ballots = unstated + sum(c.ballots for c in genders.values() if c is not None)
    return GenderTable(ballots, genders), people(ballots, approved=ITEMS, ranking=(tuple(ITEMS),))


def test_the_gender_table_counts_ballots_approvals_and_first_places_per_gender():
    voters = (
        people(3, gender="woman", ranking=(("roads",), ("water",)), approved=["roads", "water"])
        + people(5, gender="woman", ranking=(("water", "school"),), approved=["water"])
        + people(1, gender="woman")
        + people(5, gender="man", ranking=(("jobs",),), approved=["jobs", "roads"])
        + people(5, ranking=(("roads",),), approved=["roads"])
        + people(2, ranking=(("clinic",),), approved=["clinic"])
    )
    table = tabulate_genders(ITEMS, voters)
    assert table.ballots == 21
    women = table.genders[GenderGroup.WOMAN]
    assert women.ballots == 9
    # only 2 ballots approved the clinic and ranked it first: those figures are not split by gender
    assert dict(women.approving) == {"roads": 3, "water": 8, "school": 0, "clinic": None, "jobs": 0}
    # a first place tied between water and school counts once for each
    assert dict(women.ranked_first) == {"roads": 3, "water": 5, "school": 5, "clinic": None, "jobs": 0}
    men = table.genders[GenderGroup.MAN]
    assert (men.ballots, men.approving["roads"], men.ranked_first["jobs"], men.ranked_first["clinic"]) == (
        5, 5, 5, None)
    assert table.genders[GenderGroup.OTHER] is None
    assert table.to_dict()["genders"]["other"] is None  # hidden, never 0
    assert analyse_minority(ITEMS, [], voters).women_first_choices == ("water", "school")


def test_a_gender_of_four_voters_is_hidden_and_one_of_five_is_shown():
    four = tabulate_genders(ITEMS, people(4, gender="woman") + people(10))
    five = tabulate_genders(ITEMS, people(5, gender="woman") + people(10))
    assert four.genders[GenderGroup.WOMAN] is None
    assert five.genders[GenderGroup.WOMAN].ballots == 5


@pytest.mark.parametrize(
    ("women", "men", "others", "unstated", "shown"),
    [
        (20, 30, 0, 0, {GenderGroup.WOMAN, GenderGroup.MAN}),  # nobody outside: nothing to find by subtraction
        (20, 30, 0, 5, {GenderGroup.WOMAN, GenderGroup.MAN}),
        (20, 30, 5, 0, {GenderGroup.WOMAN, GenderGroup.MAN, GenderGroup.OTHER}),
        (20, 30, 2, 0, {GenderGroup.WOMAN}),  # the 2 would be everyone minus women minus men: men are hidden too
        (20, 30, 0, 2, {GenderGroup.WOMAN}),
        (20, 30, 5, 2, {GenderGroup.WOMAN, GenderGroup.MAN}),  # hiding the other genders leaves 7 outside: enough
        (6, 3, 0, 0, set()),  # the 3 men would be everyone minus the women
        (3, 30, 0, 0, set()),
    ],
)
def test_no_gender_is_shown_when_subtracting_it_would_reveal_a_smaller_group(women, men, others, unstated, shown):
    voters = people(women, gender="woman") + people(men, gender="man") + people(others, gender="non-binary")
    table = tabulate_genders(ITEMS, voters + people(unstated))
    assert {gender for gender, c in table.genders.items() if c is not None} == shown


def test_a_shown_gender_table_never_leaves_a_group_of_one_to_four_people():
    rng = random.Random(5)
    for _ in range(300):
        voters = [Voter(club="c", gender=rng.choice(["woman", "man", "other", None])) for _ in range(rng.randrange(40))]
        table = tabulate_genders(ITEMS, voters)
        shown = [c.ballots for c in table.genders.values() if c is not None]
        assert all(size >= MIN_GROUP for size in shown)
        rest = table.ballots - sum(shown)
        assert not shown or rest == 0 or rest >= MIN_GROUP


def test_the_analysis_reads_gender_only_from_the_table():
    rng = random.Random(8)
    voters = [
        Voter(
            club=rng.choice(["a", "b", "c"]),
            gender=rng.choice(["woman", "man", None]),
            ranking=tuple((item,) for item in rng.sample(ITEMS, 3)),
            approved=rng.sample(ITEMS, 2),
        )
        for _ in range(120)
    ]
    genderless = [dataclasses.replace(voter, gender=None) for voter in voters]
    published = GenderTable.from_dict(json.loads(json.dumps(tabulate_genders(ITEMS, voters).to_dict())))
    config = EquityConfig(womens_priority_slot=CheckMode.ENFORCE)
    private = analyse(ITEMS, ITEMS[:2], voters, config=config)
    public = analyse(ITEMS, ITEMS[:2], genderless, genders=published, config=config)
    assert public.minority.to_dict() == private.minority.to_dict()
    assert public.equity.womens_priority_slot == private.equity.womens_priority_slot
    assert public.equity.participation_parity == private.equity.participation_parity


def test_support_by_gender_and_the_gap_come_from_a_hand_table():
    table, voters = hand_table(counts(50, {"roads": 30}), counts(50, {"roads": 20}))
    item = only_item(analyse_minority(ITEMS, ["roads"], voters, table))
    assert item.by_gender[GenderGroup.WOMAN] == Support(False, 50, 30, 0.6)
    assert item.by_gender[GenderGroup.MAN] == Support(False, 50, 20, 0.4)
    assert item.by_gender[GenderGroup.OTHER] is SUPPRESSED
    assert item.gender_gap.p_value == pytest.approx(0.0455002638963584)
    assert item.gender_gap.is_flagged


@pytest.mark.parametrize(("women_yes", "flagged"), [(600, True), (599, False)])
def test_the_gap_flag_needs_ten_points_from_a_hand_table(women_yes, flagged):
    table, voters = hand_table(counts(1000, {"roads": women_yes}), counts(1000, {"roads": 500}))
    gap = only_item(analyse_minority(ITEMS, ["roads"], voters, table)).gender_gap
    assert gap.p_value < 0.001
    assert gap.is_flagged is flagged


def test_no_gap_is_assessed_when_the_table_hides_men():
    table, voters = hand_table(counts(50, {"roads": 30}), unstated=5)
    item = only_item(analyse_minority(ITEMS, ["roads"], voters, table))
    assert item.gender_gap is None
    assert item.by_gender[GenderGroup.MAN] is SUPPRESSED


@pytest.mark.parametrize(
    ("agenda", "mode", "status", "published"),
    [
        (["clinic", "roads"], CheckMode.ENFORCE, CheckStatus.PASS, ("clinic", "roads")),
        (["roads", "water"], CheckMode.WARN, CheckStatus.WARN, ("roads", "water")),
        (["roads", "water"], CheckMode.ENFORCE, CheckStatus.ADJUSTED, ("roads", "clinic")),
    ],
)
def test_the_women_slot_from_a_hand_table(agenda, mode, status, published):
    women = counts(6, {"clinic": 6, "roads": 2}, {"clinic": 5, "roads": 1})
    table, voters = hand_table(women, counts(9, {"roads": 9}, {"roads": 9}))
    report = check_equity(ITEMS, agenda, voters, genders=table, config=EquityConfig(womens_priority_slot=mode))
    assert report.womens_priority_slot.status is status
    assert report.womens_priority_slot.women_voters == 6
    assert report.agenda == published


def test_the_women_slot_does_not_apply_when_the_table_hides_women():
    table, voters = hand_table(None, counts(9, {"roads": 9}, {"roads": 9}), unstated=5)
    config = EquityConfig(womens_priority_slot=CheckMode.ENFORCE)
    report = check_equity(ITEMS, ["roads"], voters, genders=table, config=config)
    assert report.womens_priority_slot.status is CheckStatus.NOT_APPLICABLE
    assert report.womens_priority_slot.women_voters is None
    assert report.agenda == ("roads",)


def test_a_tie_in_the_table_goes_to_the_item_more_women_approve():
    women = counts(10, {"jobs": 10, "water": 5}, {"jobs": 5, "water": 5})
    table, voters = hand_table(women, unstated=5)
    slot = check_equity(ITEMS, ["roads"], voters, genders=table, config=EquityConfig()).womens_priority_slot
    assert (slot.first_choices, slot.item) == (("water", "jobs"), "jobs")


def test_womens_first_choice_counts_a_tied_first_place_for_each_item_while_a_clubs_splits_it():
    voters = (
        people(5, "c", gender="woman", ranking=(("water",),))
        + people(4, "c", gender="woman", ranking=(("jobs", "school"),))
        + people(1, "c", gender="woman", ranking=(("jobs",),))
    )
    result = analyse_minority(ITEMS, ["roads"], voters)
    assert result.women_first_choices == ("water", "jobs")  # 5 women ranked each first
    assert [p.item for p in result.priorities if p.first_for_clubs] == ["water"]  # 5 against 3 for jobs


def test_womens_first_choice_needs_five_women_ranking_it_first():
    """Items fewer than 5 ballots ranked first are not split by gender, so a smaller maximum is not known."""
    voters = people(3, gender="woman", ranking=(("water",),)) + people(3, gender="woman", ranking=(("jobs",),))
    voters += people(10, gender="man", ranking=(("roads",),), approved=["roads"])
    config = EquityConfig(womens_priority_slot=CheckMode.ENFORCE)
    report = check_equity(ITEMS, ["roads"], voters, config=config)
    assert report.womens_priority_slot.women_voters == 6
    assert report.womens_priority_slot.first_choices == ()
    assert report.womens_priority_slot.status is CheckStatus.NOT_APPLICABLE
    assert report.agenda == ("roads",)


def test_an_item_fewer_than_five_voters_approved_shows_no_support_by_gender():
    voters = people(3, gender="woman", approved=["roads"]) + people(6, gender="woman")
    voters += people(10, gender="man", approved=["water"])
    item = only_item(analyse_minority(ITEMS, ["roads"], voters))
    assert item.overall == Support(False, 19, 3, 3 / 19)
    assert all(support is SUPPRESSED for support in item.by_gender.values())
    assert item.gender_gap is None


def test_parity_figures_follow_the_table_and_the_status_the_true_count():
    config = EquityConfig(participation_parity=CheckMode.ENFORCE)
    parity = check_equity(ITEMS, [], turnout(20, 30, other=2), config=config).participation_parity
    assert (parity.women, parity.men, parity.women_share, parity.other_or_unstated) == (None, None, None, None)
    assert parity.status is CheckStatus.PASS


def test_a_table_that_does_not_fit_the_ballots_is_refused():
    table, voters = hand_table(counts(5), counts(5))
    cases = [
        ((table, voters[:-1]), "ballots_mismatch"),
        (hand_table(counts(4), counts(6)), "not_suppressed"),
        (hand_table(counts(20), counts(30), unstated=2), "not_suppressed"),
        (hand_table(counts(5, {"roads": 6}), counts(5)), "exceeds_ballots"),
        ((hand_table(counts(5, {"roads": 5}), counts(5, {"roads": 5}))[0], people(10)), "exceeds_ballots"),
        ((GenderTable(10, {GenderGroup.WOMAN: GenderCounts(5, {"roads": 0}, {"roads": 0})}), voters), "items_mismatch"),
        # three ballots approved roads: splitting them by gender would show whose they are
        ((hand_table(counts(5, {"roads": 2}), counts(5, {"roads": 1}))[0], people(3, approved=["roads"]) + people(7)),
         "not_suppressed"),
    ]
    for (wrong, electorate), code in cases:
        with pytest.raises(ValidationFailed) as caught:
            analyse(ITEMS, ["roads"], electorate, genders=wrong)
        assert (caught.value.field, caught.value.code) == ("genders", code)


@pytest.mark.parametrize(
    "data",
    [
        {"ballots": 5, "genders": {"woman": None, "man": None}},
        {"ballots": -1, "genders": {"woman": None, "man": None, "other": None}},
        {"ballots": 5, "genders": {"woman": {"ballots": True, "approving": {}, "ranked_first": {}},
                                   "man": None, "other": None}},
        {"ballots": 5, "genders": {"woman": {"ballots": 5, "approving": {"a": "5"}, "ranked_first": {}},
                                   "man": None, "other": None}},
        {"ballots": 5},
        None,
    ],
)
def test_a_malformed_published_table_is_refused(data):
    with pytest.raises(ValidationFailed):
        GenderTable.from_dict(data)


# --- minority priorities ----------------------------------------------------------------------------------


def test_a_clubs_first_choice_left_off_the_agenda_is_a_minority_priority_with_the_club_named():
    voters = people(20, "big", ranking=(("roads",), ("water",)), approved=["roads"]) + people(
        5, "small", ranking=(("water",),)
    )
    result = analyse_minority(ITEMS, ["roads"], voters)
    (priority,) = result.priorities
    assert priority.item == "water"
    assert priority.first_for_clubs == ("small",)
    assert not priority.is_widely_approved
    assert not priority.is_first_for_women


def test_a_clubs_first_choice_is_the_plurality_of_its_first_preferences():
    voters = (
        people(10, "big", ranking=(("roads",),))
        + people(3, "mixed", ranking=(("water",),))
        + people(2, "mixed", ranking=(("school",),))
    )
    (priority,) = analyse_minority(ITEMS, ["roads"], voters).priorities
    assert (priority.item, priority.first_for_clubs) == ("water", ("mixed",))


def test_a_tied_first_tier_splits_the_voters_first_preference():
    # Three voters put water alone first; four tie school and clinic first (two each): water wins.
    voters = (
        people(10, "big", ranking=(("roads",),))
        + people(3, "c", ranking=(("water",),))
        + people(4, "c", ranking=(("school", "clinic"),))
    )
    (priority,) = analyse_minority(ITEMS, ["roads"], voters).priorities
    assert priority.item == "water"


def test_a_tie_for_a_clubs_first_choice_reports_every_tied_item():
    voters = (
        people(10, "big", ranking=(("roads",),))
        + people(3, "c", ranking=(("water",),))
        + people(3, "c", ranking=(("school",),))
    )
    priorities = analyse_minority(ITEMS, ["roads"], voters).priorities
    assert [(p.item, p.first_for_clubs) for p in priorities] == [("water", ("c",)), ("school", ("c",))]


def test_the_first_choice_of_a_club_under_five_voters_is_not_reported():
    voters = people(10, "big", ranking=(("roads",),)) + people(4, "tiny", ranking=(("water",),))
    assert analyse_minority(ITEMS, ["roads"], voters).priorities == ()


def test_an_opinion_groups_first_choice_left_off_the_agenda_is_a_minority_priority():
    voters = (
        people(5, "a", group="g1", ranking=(("roads",),))
        + people(5, "b", group="g1", ranking=(("roads",),))
        + people(3, "a", group="g2", ranking=(("clinic",),))
        + people(3, "b", group="g2", ranking=(("clinic",),))
    )
    (priority,) = analyse_minority(ITEMS, ["roads"], voters).priorities
    assert priority.item == "clinic"
    assert priority.first_for_groups == ("g2",)
    assert priority.first_for_clubs == ()


def test_womens_first_choice_left_off_the_agenda_is_a_minority_priority():
    voters = people(12, "a", gender="man", ranking=(("roads",),)) + people(
        3, "b", gender="woman", ranking=(("school",),)
    )
    voters += people(3, "c", gender="woman", ranking=(("school",),))
    result = analyse_minority(ITEMS, ["roads"], voters)
    assert result.women_first_choices == ("school",)
    (priority,) = result.priorities
    assert priority.item == "school"
    assert priority.is_first_for_women
    assert priority.first_for_clubs == ()


def test_womens_first_choice_is_not_reported_when_fewer_than_five_women_voted():
    voters = people(12, "a", ranking=(("roads",),)) + people(4, "a", gender="woman", ranking=(("school",),))
    result = analyse_minority(ITEMS, ["roads"], voters)
    assert result.women_first_choices == ()
    assert result.priorities == ()


def test_an_item_approved_by_a_quarter_of_voters_is_a_minority_priority():
    voters = people(15, ranking=(("roads",),), approved=["roads"]) + people(
        5, ranking=(("roads",),), approved=["jobs"]
    )
    (priority,) = analyse_minority(ITEMS, ["roads"], voters).priorities
    assert priority.item == "jobs"
    assert priority.is_widely_approved
    assert priority.overall == Support(False, 20, 5, 0.25)


def test_an_item_approved_by_just_under_a_quarter_is_not_a_minority_priority():
    voters = people(16, ranking=(("roads",),), approved=["roads"]) + people(
        5, ranking=(("roads",),), approved=["jobs"]
    )
    assert analyse_minority(ITEMS, ["roads"], voters).priorities == ()


def test_items_on_the_agenda_are_never_minority_priorities():
    voters = people(5, "a", ranking=(("roads",),), approved=["roads"]) + people(
        5, "b", ranking=(("water",),), approved=["water"]
    )
    assert analyse_minority(ITEMS, ["roads", "water"], voters).priorities == ()


def test_one_item_can_be_the_priority_of_several_minorities_at_once():
    voters = (
        people(20, "big", gender="man", group=1, ranking=(("roads",),), approved=["roads"])
        + people(5, "c1", gender="woman", group=2, ranking=(("clinic",),), approved=["clinic"])
        + people(5, "c2", gender="woman", group=2, ranking=(("clinic",),), approved=["clinic"])
    )
    (priority,) = analyse_minority(ITEMS, ["roads"], voters).priorities
    assert priority.item == "clinic"
    assert priority.first_for_clubs == ("c1", "c2")
    assert priority.first_for_groups == (2,)
    assert priority.is_first_for_women
    assert priority.is_widely_approved


def test_minority_priorities_follow_the_order_of_the_items():
    voters = (
        people(10, "big", ranking=(("roads",),))
        + people(5, "x", ranking=(("jobs",),))
        + people(5, "y", ranking=(("water",),))
    )
    assert [p.item for p in analyse_minority(ITEMS, ["roads"], voters).priorities] == ["water", "jobs"]


# --- women's priority slot --------------------------------------------------------------------------------


def slot_electorate(women: int = 5) -> list[Voter]:
    """Return an electorate whose count favours roads/water/school while women put clinic first."""
    return people(
        20, "a", gender="man", ranking=(("roads",), ("water",)), approved=["roads", "water", "school"]
    ) + people(women, "b", gender="woman", ranking=(("clinic",), ("roads",)), approved=["clinic", "roads"])


def test_womens_first_choice_left_out_takes_the_agendas_last_place_under_enforce():
    config = EquityConfig(womens_priority_slot=CheckMode.ENFORCE)
    report = check_equity(ITEMS, ["roads", "water", "school"], slot_electorate(), config=config)
    slot = report.womens_priority_slot
    assert report.agenda == ("roads", "water", "clinic")
    assert slot.status is CheckStatus.ADJUSTED
    assert (slot.item, slot.displaced, slot.position) == ("clinic", "school", 3)
    assert slot.women_voters == 5
    assert slot.is_left_out
    assert not report.blocks_publishing


def test_the_women_slot_only_warns_and_keeps_the_agenda_under_warn():
    report = check_equity(ITEMS, ["roads", "water", "school"], slot_electorate(), config=EquityConfig())
    assert report.agenda == ("roads", "water", "school")
    assert report.womens_priority_slot.status is CheckStatus.WARN
    assert report.womens_priority_slot.item == "clinic"
    assert not report.blocks_publishing


def test_the_women_slot_does_not_apply_when_fewer_than_five_women_voted():
    config = EquityConfig(womens_priority_slot=CheckMode.ENFORCE)
    report = check_equity(ITEMS, ["roads", "water", "school"], slot_electorate(women=4), config=config)
    slot = report.womens_priority_slot
    assert report.agenda == ("roads", "water", "school")
    assert slot.status is CheckStatus.NOT_APPLICABLE
    assert slot.women_voters is None
    assert slot.item is None


def test_the_women_slot_passes_when_their_first_choice_is_already_on_the_agenda():
    config = EquityConfig(womens_priority_slot=CheckMode.ENFORCE)
    report = check_equity(ITEMS, ["clinic", "roads"], slot_electorate(), config=config)
    assert report.womens_priority_slot.status is CheckStatus.PASS
    assert report.agenda == ("clinic", "roads")


def test_the_women_slot_is_skipped_when_off():
    config = EquityConfig(womens_priority_slot=CheckMode.OFF)
    report = check_equity(ITEMS, ["roads", "water"], slot_electorate(), config=config)
    assert report.womens_priority_slot.status is CheckStatus.OFF
    assert report.agenda == ("roads", "water")


def test_a_tie_for_womens_first_choice_goes_to_the_item_more_women_approve():
    voters = people(5, gender="woman", ranking=(("jobs",),), approved=["jobs", "water"]) + people(
        5, gender="woman", ranking=(("water",),), approved=["water"]
    )
    config = EquityConfig(womens_priority_slot=CheckMode.ENFORCE)
    slot = check_equity(ITEMS, ["roads"], voters, config=config).womens_priority_slot
    assert slot.first_choices == ("water", "jobs")
    assert slot.item == "water"


def test_a_full_tie_for_womens_first_choice_goes_to_the_earlier_item_in_the_count():
    voters = people(5, gender="woman", ranking=(("jobs",),), approved=["jobs"]) + people(
        5, gender="woman", ranking=(("water",),), approved=["water"]
    )
    config = EquityConfig(womens_priority_slot=CheckMode.ENFORCE)
    assert check_equity(ITEMS, ["roads"], voters, config=config).womens_priority_slot.item == "water"
    reordered = ["jobs", "roads", "water", "school", "clinic"]
    assert check_equity(reordered, ["roads"], voters, config=config).womens_priority_slot.item == "jobs"


def test_the_women_slot_passes_when_any_tied_first_choice_is_on_the_agenda():
    voters = people(5, gender="woman", ranking=(("jobs",),)) + people(
        5, gender="woman", ranking=(("water",),)
    )
    config = EquityConfig(womens_priority_slot=CheckMode.ENFORCE)
    report = check_equity(ITEMS, ["roads", "jobs"], voters, config=config)
    assert report.womens_priority_slot.status is CheckStatus.PASS
    assert report.agenda == ("roads", "jobs")


def test_an_empty_agenda_gets_the_women_slot_as_its_only_item_under_enforce():
    config = EquityConfig(womens_priority_slot=CheckMode.ENFORCE)
    report = check_equity(ITEMS, [], slot_electorate(), config=config)
    assert report.agenda == ("clinic",)
    assert (report.womens_priority_slot.displaced, report.womens_priority_slot.position) == (None, 1)


def test_the_minority_section_describes_the_agenda_with_the_women_slot():
    config = EquityConfig(womens_priority_slot=CheckMode.ENFORCE)
    result = analyse(ITEMS, ["roads", "water", "school"], slot_electorate(), config=config)
    assert result.minority.agenda == ("roads", "water", "clinic")
    assert [item.item for item in result.minority.items] == ["roads", "water", "clinic"]
    assert "clinic" not in [p.item for p in result.minority.priorities]


# --- participation parity ---------------------------------------------------------------------------------


def turnout(women: int, men: int, other: int = 0) -> list[Voter]:
    """Return voters of the given genders (unstated for ``other``)."""
    return people(women, gender="woman") + people(men, gender="man") + people(other)


def test_parity_passes_when_womens_share_reaches_the_baseline():
    parity = check_equity(ITEMS, [], turnout(44, 56)).participation_parity
    assert parity.status is CheckStatus.PASS
    assert parity.women_share == pytest.approx(0.44)
    assert parity.baseline == DEFAULT_WOMEN_BASELINE == 0.439


def test_parity_passes_within_the_five_point_tolerance():
    parity = check_equity(ITEMS, [], turnout(39, 61)).participation_parity
    assert parity.status is CheckStatus.PASS
    assert parity.tolerance == 0.05


def test_parity_below_the_tolerance_warns_under_warn():
    parity = check_equity(ITEMS, [], turnout(38, 62)).participation_parity
    assert parity.status is CheckStatus.WARN
    assert (parity.women, parity.men, parity.women_share) == (38, 62, pytest.approx(0.38))


def test_parity_below_the_tolerance_blocks_publishing_under_enforce():
    config = EquityConfig(participation_parity=CheckMode.ENFORCE)
    report = check_equity(ITEMS, [], turnout(30, 70), config=config)
    assert report.participation_parity.status is CheckStatus.FAIL
    assert report.blocks_publishing
    assert blocks_publishing(report.results)


def test_parity_counts_only_voters_who_said_woman_or_man():
    parity = check_equity(ITEMS, [], turnout(40, 50, other=30)).participation_parity
    assert parity.women_share == pytest.approx(40 / 90)
    assert parity.other_or_unstated == 30
    assert parity.status is CheckStatus.PASS


def test_parity_hides_figures_when_fewer_than_five_women_voted_but_still_fails():
    config = EquityConfig(participation_parity=CheckMode.ENFORCE)
    parity = check_equity(ITEMS, [], turnout(3, 60), config=config).participation_parity
    assert (parity.women, parity.men, parity.women_share) == (None, None, None)
    assert parity.status is CheckStatus.FAIL


def test_parity_does_not_apply_when_nobody_stated_a_gender():
    parity = check_equity(ITEMS, [], turnout(0, 0, other=10)).participation_parity
    assert parity.status is CheckStatus.NOT_APPLICABLE


def test_parity_uses_the_federations_own_baseline():
    config = EquityConfig(women_baseline=0.5, parity_tolerance=0.0, participation_parity=CheckMode.ENFORCE)
    assert (
        check_equity(ITEMS, [], turnout(49, 51), config=config).participation_parity.status
        is CheckStatus.FAIL
    )
    assert (
        check_equity(ITEMS, [], turnout(50, 50), config=config).participation_parity.status
        is CheckStatus.PASS
    )


def test_parity_is_skipped_when_off():
    config = EquityConfig(participation_parity=CheckMode.OFF)
    assert (
        check_equity(ITEMS, [], turnout(0, 10), config=config).participation_parity.status is CheckStatus.OFF
    )


# --- board composition ------------------------------------------------------------------------------------


def test_three_women_on_a_board_of_seven_meet_the_default_target():
    board = ["woman", "woman", "woman", "man", "man", "man", None]
    check = check_equity(ITEMS, [], [], board_genders=board).board_composition
    assert check.status is CheckStatus.PASS
    assert (check.board_size, check.women, check.required_women) == (7, 3, 3)


def test_two_women_on_a_board_of_seven_block_publishing_under_enforce():
    config = EquityConfig(board_composition=CheckMode.ENFORCE)
    board = ["woman", "woman", "man", "man", "man", "man", "man"]
    report = check_equity(ITEMS, [], [], board_genders=board, config=config)
    assert report.board_composition.status is CheckStatus.FAIL
    assert report.board_composition.women_share == pytest.approx(2 / 7)
    assert report.blocks_publishing


def test_board_composition_uses_its_own_target_when_set():
    config = EquityConfig(board_target=0.5, board_composition=CheckMode.WARN)
    board = ["woman", "man", "man", "man"]
    check = check_equity(ITEMS, [], [], board_genders=board, config=config).board_composition
    assert (check.required_women, check.status) == (2, CheckStatus.WARN)


def test_an_empty_board_is_not_assessed():
    check = check_equity(ITEMS, [], []).board_composition
    assert check.status is CheckStatus.NOT_APPLICABLE


# --- publishing gate, configuration, validation -----------------------------------------------------------


def test_only_an_enforced_failure_blocks_publishing():
    config = EquityConfig(
        womens_priority_slot=CheckMode.ENFORCE,
        participation_parity=CheckMode.WARN,
        board_composition=CheckMode.OFF,
    )
    report = check_equity(ITEMS, ["roads", "water"], slot_electorate(), config=config)
    statuses = [r.status for r in report.results]
    assert statuses == [CheckStatus.ADJUSTED, CheckStatus.WARN, CheckStatus.OFF]
    assert not blocks_publishing(report.results)


def test_check_modes_may_be_given_as_stored_strings():
    config = EquityConfig(womens_priority_slot="enforce")  # type: ignore[arg-type]
    assert config.womens_priority_slot is CheckMode.ENFORCE


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"participation_parity": "sometimes"}, "participation_parity"),
        ({"women_baseline": 1.5}, "women_baseline"),
        ({"parity_tolerance": -0.1}, "parity_tolerance"),
    ],
)
def test_an_invalid_equity_configuration_is_rejected(kwargs, field):
    with pytest.raises(ValidationFailed) as caught:
        EquityConfig(**kwargs)
    assert caught.value.field == field


def test_a_ballot_naming_an_unknown_item_is_rejected():
    with pytest.raises(ValidationFailed) as caught:
        analyse_minority(ITEMS, ["roads"], people(5, approved=["moon"]))
    assert (caught.value.field, caught.value.code) == ("approved", "unknown_item")
    with pytest.raises(ValidationFailed):
        analyse_minority(ITEMS, ["roads"], people(5, ranking=(("moon",),)))


def test_an_agenda_with_unknown_or_repeated_items_is_rejected():
    with pytest.raises(ValidationFailed):
        analyse_minority(ITEMS, ["moon"], [])
    with pytest.raises(ValidationFailed):
        analyse_minority(ITEMS, ["roads", "roads"], [])


def test_an_item_approved_twice_on_one_ballot_counts_once():
    item = only_item(analyse_minority(ITEMS, ["roads"], people(5, approved=["roads", "roads"])))
    assert item.overall == Support(False, 5, 5, 1.0)


def test_a_prepared_electorate_gives_the_same_result_and_must_match_the_items():
    voters = slot_electorate()
    electorate = Electorate.build(ITEMS, voters)
    assert analyse_minority(ITEMS, ["roads"], electorate) == analyse_minority(ITEMS, ["roads"], voters)
    with pytest.raises(ValidationFailed):
        analyse_minority(ITEMS[:3], ["roads"], electorate)


def test_results_are_frozen_and_their_mappings_read_only():
    item = only_item(analyse_minority(ITEMS, ["roads"], people(5, approved=["roads"])))
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.overall = SUPPRESSED  # type: ignore[misc]
    with pytest.raises(TypeError):
        item.by_club["club-a"] = SUPPRESSED  # type: ignore[index]


def test_the_whole_analysis_exports_as_json_with_string_keys():
    voters = slot_electorate() + people(5, "c", group=7, gender="man", approved=["jobs"])
    result = analyse(ITEMS, ["roads", "water"], voters, board_genders=["woman", "man"])
    data = json.loads(json.dumps(result.to_dict()))
    assert data["equity"]["checks"][0]["check"] == "womens_priority_slot"
    assert data["minority"]["items"][0]["by_group"]["7"]["voters"] == 5
    assert data["minority"]["items"][0]["by_gender"]["woman"]["share"] == 1.0


# --- determinism ------------------------------------------------------------------------------------------


def test_the_same_ballots_in_another_order_give_the_same_analysis():
    rng = random.Random(11)
    voters = [
        Voter(
            club=rng.choice(["a", "b", "c", 4, 5]),
            gender=rng.choice(["woman", "man", None]),
            group=rng.choice([0, 1, None]),
            ranking=tuple((item,) for item in rng.sample(ITEMS, 3)),
            approved=rng.sample(ITEMS, 2),
        )
        for _ in range(200)
    ]
    shuffled = voters[:]
    rng.shuffle(shuffled)
    config = EquityConfig(womens_priority_slot=CheckMode.ENFORCE)
    first = analyse(ITEMS, ITEMS[:2], voters, board_genders=["woman"], config=config)
    second = analyse(ITEMS, ITEMS[:2], shuffled, board_genders=["woman"], config=config)
    assert first.to_dict() == second.to_dict()
    assert list(first.minority.items[0].by_club) == [4, 5, "a", "b", "c"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from(["woman", "man", None]),
            st.lists(st.sampled_from(ITEMS), max_size=3),
            st.lists(st.sampled_from(ITEMS), max_size=5),
        ),
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_shares_are_consistent_and_voter_order_never_matters(rows, rng):
    voters = [
        Voter(club=club, gender=gender, ranking=(tuple(first),) if first else (), approved=approved)
        for club, gender, first, approved in rows
    ]
    shuffled = voters[:]
    rng.shuffle(shuffled)
    result = analyse_minority(ITEMS, ITEMS[:2], voters)
    assert result == analyse_minority(ITEMS, ITEMS[:2], shuffled)
    for item in result.items:
        for support in [item.overall, *item.by_club.values(), *item.by_gender.values()]:
            if not support.is_suppressed:
                assert support.voters >= MIN_GROUP
                assert math.isclose(support.share, support.approving / support.voters)
