"""The phases of a consultation and the guarded moves between them.

A consultation moves forward one step at a time::

    draft -> collecting -> consolidating -> deliberating -> voting -> tallied -> published

There is no skipping. Until something irreversible has happened the board may step back one phase (a plan that
was moved on too early): not from the first phase, not once a ballot has been cast, never once the votes are
counted (the ballots are mixed then), and not back to the draft once members have submitted demands (the draft
is not public, so they would lose sight of them). A correction after publishing is a new agenda version, not a
phase move. Monitoring goes on after ``published`` and is not a phase.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from deliberate.domain.errors import InvalidTransition

__all__ = [
    "TRANSITIONS",
    "InvalidTransition",
    "Phase",
    "accepts_arguments",
    "accepts_ballots",
    "accepts_demands",
    "accepts_reactions",
    "advance",
    "can_advance",
    "is_open_for_editing_demands",
    "next_phase",
    "previous_phase",
    "step_back_refusal",
]


class Phase(StrEnum):
    """Name a phase of a consultation; the value is the lowercase word stored in the database."""

    DRAFT = "draft"
    COLLECTING = "collecting"
    CONSOLIDATING = "consolidating"
    DELIBERATING = "deliberating"
    VOTING = "voting"
    TALLIED = "tallied"
    PUBLISHED = "published"


_ORDER: tuple[Phase, ...] = tuple(Phase)

#: The allowed moves: each phase maps to the set of phases it may move to (at most one: the next).
TRANSITIONS: Mapping[Phase, frozenset[Phase]] = MappingProxyType(
    {
        phase: frozenset({_ORDER[i + 1]}) if i + 1 < len(_ORDER) else frozenset()
        for i, phase in enumerate(_ORDER)
    }
)


def next_phase(phase: Phase) -> Phase | None:
    """Return the phase that follows ``phase``, or None when it is the last one."""
    following = TRANSITIONS[Phase(phase)]
    return next(iter(following)) if following else None


def previous_phase(phase: Phase) -> Phase | None:
    """Return the phase before ``phase``, or None for the first one."""
    index = _ORDER.index(Phase(phase))
    return _ORDER[index - 1] if index else None


def step_back_refusal(current: Phase, *, ballots_cast: bool, has_demands: bool) -> str | None:
    """Return why a consultation in ``current`` may not step back one phase (a short code), or None if it may."""
    current = Phase(current)
    if current in (Phase.TALLIED, Phase.PUBLISHED):
        return "counted"
    if current is Phase.DRAFT:
        return "first_phase"
    if current is Phase.VOTING and ballots_cast:
        return "ballots_cast"
    if current is Phase.COLLECTING and has_demands:
        return "demands_submitted"
    return None


def can_advance(current: Phase, target: Phase) -> bool:
    """Return whether a consultation in ``current`` may move to ``target``."""
    return Phase(target) in TRANSITIONS[Phase(current)]


def advance(current: Phase, target: Phase) -> Phase:
    """Return ``target`` if moving there from ``current`` is allowed, else raise InvalidTransition."""
    current, target = Phase(current), Phase(target)
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(current, target)
    return target


def accepts_demands(phase: Phase) -> bool:
    """Return whether members may submit demands in this phase."""
    return phase == Phase.COLLECTING


def is_open_for_editing_demands(phase: Phase) -> bool:
    """Return whether authors may still edit or withdraw their demands in this phase."""
    return phase == Phase.COLLECTING


def accepts_reactions(phase: Phase) -> bool:
    """Return whether members may agree, disagree or pass on demands in this phase."""
    return phase in (Phase.COLLECTING, Phase.DELIBERATING)


def accepts_arguments(phase: Phase) -> bool:
    """Return whether members may write arguments for or against in this phase."""
    return phase in (Phase.COLLECTING, Phase.DELIBERATING)


def accepts_ballots(phase: Phase) -> bool:
    """Return whether members may cast or replace ballots in this phase."""
    return phase == Phase.VOTING
