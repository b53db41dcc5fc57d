"""Behaviour of the consultation phase machine and the domain exceptions."""

from __future__ import annotations

import itertools

import pytest

from deliberate.domain.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    PhaseClosed,
    ValidationFailed,
)
from deliberate.domain.phases import (
    TRANSITIONS,
    Phase,
    accepts_arguments,
    accepts_ballots,
    accepts_demands,
    accepts_reactions,
    advance,
    can_advance,
    is_open_for_editing_demands,
    next_phase,
)

CYCLE = ["draft", "collecting", "consolidating", "deliberating", "voting", "tallied", "published"]


def test_phases_are_the_lowercase_words_in_cycle_order():
    assert [p.value for p in Phase] == CYCLE
    assert Phase("voting") is Phase.VOTING
    assert Phase.VOTING == "voting"


def test_a_consultation_walks_the_whole_cycle_one_step_at_a_time():
    phase = Phase.DRAFT
    visited = [phase]
    while (following := next_phase(phase)) is not None:
        phase = advance(phase, following)
        visited.append(phase)
    assert [p.value for p in visited] == CYCLE


def test_published_is_the_last_phase():
    assert next_phase(Phase.PUBLISHED) is None
    assert TRANSITIONS[Phase.PUBLISHED] == frozenset()


@pytest.mark.parametrize(("current", "target"), list(itertools.product(Phase, Phase)))
def test_only_the_next_phase_is_reachable(current, target):
    allowed = CYCLE.index(target.value) == CYCLE.index(current.value) + 1
    assert can_advance(current, target) is allowed
    if allowed:
        assert advance(current, target) is target
    else:
        with pytest.raises(InvalidTransition) as caught:
            advance(current, target)
        assert caught.value.current is current
        assert caught.value.target is target


def test_a_consultation_cannot_skip_straight_to_voting():
    with pytest.raises(InvalidTransition):
        advance(Phase.COLLECTING, Phase.VOTING)


def test_a_published_agenda_cannot_go_back_to_voting():
    with pytest.raises(InvalidTransition):
        advance(Phase.PUBLISHED, Phase.VOTING)


def test_staying_in_the_same_phase_is_not_a_transition():
    with pytest.raises(InvalidTransition):
        advance(Phase.VOTING, Phase.VOTING)


def test_advance_accepts_stored_string_values():
    assert advance("draft", "collecting") is Phase.COLLECTING  # type: ignore[arg-type]


def test_an_unknown_phase_name_is_rejected():
    with pytest.raises(ValueError):
        advance(Phase.DRAFT, "archived")  # type: ignore[arg-type]


def test_the_transition_table_cannot_be_modified():
    with pytest.raises(TypeError):
        TRANSITIONS[Phase.DRAFT] = frozenset({Phase.PUBLISHED})  # type: ignore[index]


@pytest.mark.parametrize(
    ("predicate", "open_phases"),
    [
        (accepts_demands, {Phase.COLLECTING}),
        (is_open_for_editing_demands, {Phase.COLLECTING}),
        (accepts_reactions, {Phase.COLLECTING, Phase.DELIBERATING}),
        (accepts_arguments, {Phase.COLLECTING, Phase.DELIBERATING}),
        (accepts_ballots, {Phase.VOTING}),
    ],
)
def test_each_action_is_open_only_in_its_phases(predicate, open_phases):
    assert {p for p in Phase if predicate(p)} == open_phases


def test_ballots_are_refused_once_tallied():
    assert not accepts_ballots(Phase.TALLIED)


def test_domain_exceptions_carry_data_and_share_a_base():
    errors = [
        PhaseClosed(Phase.VOTING),
        InvalidTransition(Phase.DRAFT, Phase.VOTING),
        PermissionDenied("not_board"),
        NotFound("consultation", 7),
        NotFound(),
        Conflict("duplicate"),
        ValidationFailed("title", "too_long"),
    ]
    assert all(isinstance(e, DomainError) for e in errors)
    assert errors[0].phase is Phase.VOTING
    assert (errors[1].current, errors[1].target) == (Phase.DRAFT, Phase.VOTING)
    assert errors[2].reason == "not_board"
    assert (errors[3].entity, errors[3].key) == ("consultation", 7)
    assert errors[5].reason == "duplicate"
    assert (errors[6].field, errors[6].code) == ("title", "too_long")


def test_phase_closed_can_be_raised_and_caught_as_a_domain_error():
    with pytest.raises(DomainError) as caught:
        raise PhaseClosed(Phase.TALLIED)
    assert caught.value.args == (Phase.TALLIED,)


# --- stepping back one phase -----------------------------------------------------------------------------------

def test_the_board_may_step_back_one_phase_until_something_irreversible_happened():
    from deliberate.domain.phases import previous_phase, step_back_refusal

    assert previous_phase(Phase.DELIBERATING) is Phase.CONSOLIDATING
    assert previous_phase(Phase.DRAFT) is None
    assert step_back_refusal(Phase.DELIBERATING, ballots_cast=False, has_demands=True) is None
    assert step_back_refusal(Phase.CONSOLIDATING, ballots_cast=False, has_demands=True) is None
    assert step_back_refusal(Phase.VOTING, ballots_cast=False, has_demands=True) is None
    assert step_back_refusal(Phase.VOTING, ballots_cast=True, has_demands=True) == "ballots_cast"
    assert step_back_refusal(Phase.COLLECTING, ballots_cast=False, has_demands=True) == "demands_submitted"
    assert step_back_refusal(Phase.COLLECTING, ballots_cast=False, has_demands=False) is None
    assert step_back_refusal(Phase.DRAFT, ballots_cast=False, has_demands=False) == "first_phase"
    for counted in (Phase.TALLIED, Phase.PUBLISHED):
        assert step_back_refusal(counted, ballots_cast=False, has_demands=False) == "counted"
