"""The names of the rule sets and of the gender groups are defined once, in the domain."""

from __future__ import annotations

import pytest

from deliberate.domain import equity, federation, tally
from deliberate.domain.gender import Gender, GenderGroup, gender_group
from deliberate.domain.rules import AgendaSelection, CheckMode, ClubMode, ClubWeighting, VotingMethod


def test_each_rule_set_keeps_the_words_stored_in_the_database_and_its_default_first():
    assert [m.value for m in VotingMethod] == ["schulze", "ranked-pairs", "borda", "copeland", "approval"]
    assert [w.value for w in ClubWeighting] == ["members", "equal", "sqrt", "capped"]
    assert [c.value for c in ClubMode] == ["proportional", "bloc"]
    assert [s.value for s in AgendaSelection] == ["ranking", "equal-shares", "pav"]
    assert [c.value for c in CheckMode] == ["off", "warn", "enforce"]


def test_the_engines_use_the_rule_set_names_of_the_domain():
    assert equity.CheckMode is CheckMode
    assert equity.EquityConfig().womens_priority_slot is CheckMode.WARN


@pytest.mark.parametrize("method", list(VotingMethod))
def test_every_voting_method_counts(method):
    ranks, approved = tally.encode_ballots([([[0], [1]], [0]), ([[1], [0]], [1]), ([[0]], [0])], 2)
    assert tally.tally(tally.count_ballots(ranks, approved), method).ranking[0] == (0,)


@pytest.mark.parametrize("club_mode", list(ClubMode))
@pytest.mark.parametrize("weighting", list(ClubWeighting))
def test_the_federation_count_knows_every_weighting_and_club_mode(weighting, club_mode):
    ranks, approved = tally.encode_ballots([([[0], [1]], [0])], 2)
    unit = federation.Unit("club", 1, 4, tally.count_ballots(ranks, approved), approved.sum(axis=0))
    result = federation.combine((unit,), weighting=weighting, cap=2, club_mode=club_mode)
    assert result.ranking[0] == (0,)


@pytest.mark.parametrize(("answer", "group"), [
    (Gender.WOMAN, GenderGroup.WOMAN), (Gender.MAN, GenderGroup.MAN), (Gender.NON_BINARY, GenderGroup.OTHER),
    (Gender.ANOTHER, GenderGroup.OTHER), (Gender.UNDISCLOSED, None), (None, None),
    (" Woman ", GenderGroup.WOMAN), ("MAN", GenderGroup.MAN), ("non-binary", GenderGroup.OTHER), ("", None),
    ("undisclosed", None),
])
def test_a_self_described_gender_is_counted_as_a_woman_a_man_another_gender_or_not_said(answer, group):
    assert gender_group(answer) is group
