"""What counting takes and gives: ballots, the pairwise count, rankings in tiers, results and total orders."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from deliberate.domain.errors import DomainError

Ranking = tuple[tuple[int, ...], ...]


class InvalidBallot(DomainError):
    """Signal that a ballot cannot be counted.

    ``index`` is the ballot's position in the input, ``code`` says why (``"unknown_item"``,
    ``"duplicate_item"``) and ``item`` is the offending item.
    """

    def __init__(self, index: int, code: str, item: object = None) -> None:
        super().__init__(index, code, item)
        self.index = index
        self.code = code
        self.item = item


class UnknownMethod(DomainError):
    """Signal that a counting method or option is not one of those this module knows."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True)
class Ballot:
    """Hold one voter's ranking in tiers (best first) and the set of items they approve."""

    ranking: tuple[tuple[int, ...], ...]
    approved: frozenset[int] = frozenset()


@dataclass(frozen=True)
class PairwiseCount:
    """Hold what every method needs: the pairwise support matrix, the approvals and the total weight.

    ``support[a, b]`` is the weight of ballots ranking ``a`` strictly above ``b``; ``approvals[a]`` the weight
    of ballots approving ``a``; ``weight`` the total weight (the number of voters for an unweighted count).
    Integer arrays for plain counts, float arrays for weighted ones. The arrays are read-only.
    """

    support: np.ndarray = field(compare=False, repr=False)
    approvals: np.ndarray = field(compare=False, repr=False)
    weight: float

    def __post_init__(self) -> None:
        self.support.flags.writeable = False
        self.approvals.flags.writeable = False

    @property
    def n_items(self) -> int:
        """Return the number of items counted."""
        return int(self.support.shape[0])

    @property
    def margins(self) -> np.ndarray:
        """Return the margin matrix ``support - support.T``."""
        return self.support - self.support.T


@dataclass(frozen=True)
class TiedEdges:
    """Record equal-margin majorities that ranked pairs could not lock without choosing an order among
    them."""

    margin: float
    edges: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class TallyResult:
    """Hold a method's ranking in tiers and the figures that justify it.

    ``scores`` (per item) is set for Borda, Copeland and approval; ``strongest_paths`` (Schulze, over all
    items) for Schulze; ``locked`` (majorities in locking order) and ``ties`` for ranked pairs.
    ``tie_break_used`` is true when a caller-supplied priority decided something that the ballots left tied.
    """

    method: str
    ranking: Ranking
    scores: tuple[float, ...] | None = None
    strongest_paths: tuple[tuple[float, ...], ...] | None = None
    locked: tuple[tuple[int, int], ...] | None = None
    ties: tuple[TiedEdges, ...] = ()
    tie_break_used: bool = False

    @property
    def winners(self) -> tuple[int, ...]:
        """Return the items of the first tier."""
        return self.ranking[0] if self.ranking else ()


@dataclass(frozen=True)
class TotalOrder:
    """Hold a total order derived from a ranking in tiers, and whether a tie-break had to decide any of it.

    ``broken_tiers`` lists the tiers (as they were) whose order was decided by ``rule`` rather than by the
    ballots.
    """

    order: tuple[int, ...]
    tie_break_used: bool
    broken_tiers: tuple[tuple[int, ...], ...]
    rule: str
