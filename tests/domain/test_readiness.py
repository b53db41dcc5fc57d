"""Readiness for the next phase: a vote never opens on an empty ballot; the rest is the board's informed choice."""

from __future__ import annotations

from deliberate.domain.phases import Phase
from deliberate.domain.readiness import Facts, Gap, blocking, gaps, warnings


def test_the_vote_cannot_open_on_a_ballot_without_items_even_with_many_unplaced_demands():
    found = gaps(Phase.VOTING, Facts(demands=43, unplaced=43, items=0, reactions=300))
    assert blocking(found) == (Gap("no_items", True),)
    assert warnings(found) == (Gap("unplaced_demands", False, 43),)


def test_consolidating_needs_demands_and_deliberating_needs_items():
    assert blocking(gaps(Phase.CONSOLIDATING, Facts())) == (Gap("no_demands", True),)
    assert blocking(gaps(Phase.DELIBERATING, Facts(demands=5, unplaced=5))) == (Gap("no_items", True),)


def test_a_ready_consultation_moves_with_nothing_to_confirm():
    assert gaps(Phase.VOTING, Facts(demands=30, items=6, reactions=200)) == ()
    assert gaps(Phase.TALLIED, Facts(ballots=40)) == ()
    assert gaps(Phase.COLLECTING, Facts()) == ()


def test_warnings_name_what_deserves_a_second_look():
    assert warnings(gaps(Phase.VOTING, Facts(items=3, empty_items=2, reactions=4))) == (
        Gap("empty_items", False, 2), Gap("few_reactions", False, 4))
    assert warnings(gaps(Phase.TALLIED, Facts(ballots=0))) == (Gap("no_ballots", False),)
    assert warnings(gaps(Phase.TALLIED, Facts(ballots=3))) == (Gap("too_few_ballots", False, 3),)


def test_blocking_gaps_come_first():
    found = gaps(Phase.DELIBERATING, Facts(unplaced=2, items=0, empty_items=1))
    assert [gap.blocking for gap in found] == [True, False, False]
