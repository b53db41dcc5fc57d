"""The count's result is a frozen, typed value that reads back the JSON it writes, also as published before."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from deliberate.domain import tally
from deliberate.domain.count import Count, CountError, Selection, TallyInput, recount_command, tally_input
from deliberate.domain.rules import AgendaSelection, ClubMode, ClubWeighting, VotingMethod

DATA = Path(__file__).resolve().parents[1] / "data"


def ballots() -> TallyInput:
    """Three clubs of unequal size over four items, with ties, truncation and approval lines."""
    profile = [
        ("north", [[0], [1], [2]], [0, 1]), ("north", [[0], [2]], [0]), ("north", [[1], [0]], [1]),
        ("north", [[0, 1], [3]], [0, 1]), ("south", [[2], [3]], [2, 3]), ("south", [[3], [2]], [3]),
        ("south", [[2]], [2]), ("east", [[1], [3], [0]], [1]), ("east", [[3]], [3]),
    ]
    clubs = ("north", "south", "east")
    ranks, approved = tally.encode_ballots([(ranking, ok) for _, ranking, ok in profile], 4)
    return TallyInput(("a", "b", "c", "d"), clubs, (10, 6, 4), ranks, approved,
                      np.array([clubs.index(club) for club, _, _ in profile]), digest="0" * 64)


@pytest.mark.parametrize("method", list(VotingMethod))
@pytest.mark.parametrize("weighting", list(ClubWeighting))
@pytest.mark.parametrize("rule", list(AgendaSelection))
def test_a_count_reads_back_the_json_it_writes(method, weighting, rule):
    count = tally_input(ballots(), method=method, weighting=weighting, cap=5, seats=2, selection=rule)
    data = json.loads(json.dumps(count.to_dict()))
    assert Count.from_dict(data) == count
    assert Count.from_dict(data).to_dict() == data


def test_a_count_is_frozen_and_typed():
    count = tally_input(ballots(), seats=2, club_mode=ClubMode.BLOC)
    with pytest.raises(dataclasses.FrozenInstanceError):
        count.voters = 0
    with pytest.raises(TypeError):
        count.clubs["north"] = None
    assert count.voters == 9 and count.clubs["north"].voters == 4 and count.clubs["east"].members == 4
    assert isinstance(count.selection, Selection) and count.selection.is_ranking
    assert list(count.selection.items) == count.order[:2]
    assert set(count.double_majority) == set(count.candidates)


def test_a_proportional_selection_says_which_method_ran_and_how_it_checks_representation():
    count = tally_input(ballots(), seats=2, selection=AgendaSelection.EQUAL_SHARES)
    assert not count.selection.is_ranking and count.selection.method == "equal-shares"
    assert count.selection.ejr is not None and count.selection.method_name is None
    assert "tie_break" not in count.to_dict()["selection"]


@pytest.mark.parametrize("published", ["agenda_v1_gender_on_ballots.json", "agenda_v2_before_counting_groups.json"])
def test_a_count_published_by_an_earlier_version_reads_back_unchanged(published):
    data = json.loads((DATA / published).read_text(encoding="utf-8"))["result"]["tally"]
    count = Count.from_dict(data)
    assert count.to_dict() == data
    assert count.selection.items == tuple(data["selection"]["items"])


def test_an_entry_that_an_earlier_count_did_not_have_stays_out():
    data = tally_input(ballots()).to_dict()
    del data["double_majority_rule"]
    count = Count.from_dict(data)
    assert count.double_majority_rule is None and count.to_dict() == data


def test_options_that_cannot_apply_are_refused_with_the_reason():
    with pytest.raises(CountError, match="--cap"):
        tally_input(ballots(), weighting=ClubWeighting.CAPPED)
    with pytest.raises(CountError, match="--seats"):
        tally_input(ballots(), seats=9)
    with pytest.raises(CountError, match="--voters-threshold"):
        tally_input(ballots(), voters_threshold=1.5)


def test_the_recount_command_states_every_setting_the_count_used():
    count = tally_input(ballots(), method=VotingMethod.RANKED_PAIRS, weighting=ClubWeighting.CAPPED, cap=5.0,
                        club_mode=ClubMode.BLOC, seats=2, selection=AgendaSelection.PAV, voters_threshold=0.35,
                        clubs_threshold=0.45, min_blocking=1)
    assert recount_command(count, "agenda-1-v1-ballots.json") == (
        "deliberate tally agenda-1-v1-ballots.json --method ranked-pairs --weighting capped --cap 5"
        " --club-mode bloc --seats 2 --selection pav --voters-threshold 0.35 --clubs-threshold 0.45 --min-blocking 1")


def test_the_recount_command_of_a_default_count_leaves_out_what_does_not_apply():
    assert recount_command(tally_input(ballots()), "ballots.json") == (
        "deliberate tally ballots.json --method schulze --weighting members --club-mode proportional"
        " --voters-threshold 0.5 --clubs-threshold 0.5")
    data = tally_input(ballots(), seats=1).to_dict()
    del data["double_majority_rule"]  # published before the thresholds were reported: they were the defaults
    assert recount_command(Count.from_dict(data), "b.json") == (
        "deliberate tally b.json --method schulze --weighting members --club-mode proportional --seats 1"
        " --selection ranking")


def test_the_recount_command_quotes_a_file_name_a_shell_would_split():
    assert recount_command(tally_input(ballots()), "my ballots.json").startswith("deliberate tally 'my ballots.json' ")
