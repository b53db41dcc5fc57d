"""Whether a consultation is ready for its next phase: what is missing, and what only deserves a second look.

A move the members would regret and nobody could undo is **blocking**: opening the vote on a ballot with no item,
or consolidating a consultation without demands. A gap a board may knowingly accept is a **warning**, which the
board confirms before the move: demands still unplaced, too few reactions for an opinion map, a count of fewer
than five ballots (whose results will not be shown). The rules are pure: the service gathers the facts.
"""

from __future__ import annotations

from dataclasses import dataclass

from deliberate.domain.phases import Phase
from deliberate.domain.privacy import MIN_GROUP

#: Fewer reactions than this, and the opinion map has too little to group people by.
MIN_REACTIONS_FOR_MAP = 20


@dataclass(frozen=True)
class Facts:
    """What the rules look at: counts only."""

    demands: int = 0
    items: int = 0  # agenda items holding at least one visible demand: what a ballot would show
    empty_items: int = 0  # live items without any visible demand (they are left off the ballot)
    unplaced: int = 0  # visible demands in no item and not set aside
    reactions: int = 0
    ballots: int = 0


@dataclass(frozen=True)
class Gap:
    """One thing missing before a move: ``code`` names it, ``count`` says how many, ``blocking`` whether it stops it."""

    code: str
    blocking: bool
    count: int = 0


def gaps(target: Phase, facts: Facts) -> tuple[Gap, ...]:
    """Return what stands between a consultation and ``target``, blocking gaps first."""
    found: list[Gap] = []
    if target is Phase.CONSOLIDATING and facts.demands == 0:
        found.append(Gap("no_demands", blocking=True))
    if target in (Phase.DELIBERATING, Phase.VOTING):
        if facts.items == 0:
            found.append(Gap("no_items", blocking=True))
        if facts.unplaced:
            found.append(Gap("unplaced_demands", blocking=False, count=facts.unplaced))
        if facts.empty_items:
            found.append(Gap("empty_items", blocking=False, count=facts.empty_items))
    if target is Phase.VOTING and facts.items and facts.reactions < MIN_REACTIONS_FOR_MAP:
        found.append(Gap("few_reactions", blocking=False, count=facts.reactions))
    if target is Phase.TALLIED:
        if facts.ballots == 0:
            found.append(Gap("no_ballots", blocking=False))
        elif facts.ballots < MIN_GROUP:
            found.append(Gap("too_few_ballots", blocking=False, count=facts.ballots))
    return tuple(sorted(found, key=lambda gap: not gap.blocking))


def blocking(found: tuple[Gap, ...]) -> tuple[Gap, ...]:
    return tuple(gap for gap in found if gap.blocking)


def warnings(found: tuple[Gap, ...]) -> tuple[Gap, ...]:
    return tuple(gap for gap in found if not gap.blocking)
