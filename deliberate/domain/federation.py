"""Combine clubs' counts into a federation result, and federations into a confederation's, the same way.

Each unit (a club, or a federation inside a confederation) brings its voters ``V``, its registered members and
its :class:`~deliberate.domain.tally.PairwiseCount`. In the ``proportional`` club mode the unit's pairwise
shares ``p = S / weight`` (for a club, the share of its voters ranking ``a`` above ``b``) are combined as
``F = sum W * p`` with the weight ``W`` set by the weighting rule:

- ``members``: ``W = V`` (one voter, one vote): ``F`` is exactly the count of all ballots pooled;
- ``equal``: ``W = 1`` (one club, one vote);
- ``sqrt``: ``W = sqrt(registered members)`` (Penrose);
- ``capped``: ``W = min(registered members, cap)``.

A unit may pool several clubs (see :mod:`deliberate.domain.privacy`: clubs with fewer than five voters are
counted together). A pooled unit carries the sum of its clubs' weights (``equal``: one per club; ``sqrt`` and
``capped``: each club's own, summed) and counts once for each of its clubs in the double majority.

Approvals are combined the same way. In the ``bloc`` club mode each unit's own ranking (by the chosen method)
counts as one ballot of weight ``W`` (a club mandate), and the unit approves the items a majority of its
voters approve. Units without voters are listed but carry no weight.

The double majority is reported per item: the share of all voters who approve it, the share of units whose
voters' majority approves it, and whether each passes its threshold (more than half by default).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from deliberate.domain.errors import ValidationFailed
from deliberate.domain.rules import ClubMode, ClubWeighting, VotingMethod
from deliberate.domain.tally import (
    PairwiseCount,
    Ranking,
    TallyResult,
    UnknownMethod,
    count_by_group,
    ranking_support,
    tally,
)

_WEIGHTINGS = frozenset(ClubWeighting)
_CLUB_MODES = frozenset(ClubMode)


@dataclass(frozen=True)
class Unit:
    """Hold what the combiner needs from a club or a federation.

    ``approvers[a]`` is the number of the unit's voters approving item ``a`` (a plain count of people,
    whatever the weighting), used for the double majority.
    """

    name: str
    voters: int
    members: int
    count: PairwiseCount
    approvers: np.ndarray = field(compare=False, repr=False)
    pooled: tuple[int, ...] = ()
    """The registered members of each club the unit pools (empty: the unit is one club of ``members``)."""

    def __post_init__(self) -> None:
        self.approvers.flags.writeable = False

    @property
    def clubs(self) -> int:
        """Return how many clubs the unit stands for."""
        return len(self.pooled) or 1

    @property
    def club_sizes(self) -> tuple[int, ...]:
        """Return the registered members of each club of the unit."""
        return self.pooled or (self.members,)


@dataclass(frozen=True)
class UnitResult:
    """Hold one unit's own result and the weight it carried in the combination."""

    name: str
    voters: int
    members: int
    weight: float
    result: TallyResult

    @property
    def ranking(self) -> Ranking:
        """Return the unit's own ranking in tiers."""
        return self.result.ranking


@dataclass(frozen=True)
class ItemMajority:
    """Hold the double-majority figures for one item.

    ``voter_share`` is the share of all voters approving the item, ``club_share`` the share of units (with
    voters) whose voters' majority approves it; ``opposing_units`` counts the units whose majority does not.
    """

    item: int
    voter_share: float
    club_share: float
    opposing_units: int
    voters_pass: bool
    clubs_pass: bool

    @property
    def passes(self) -> bool:
        """Return whether both majorities pass."""
        return self.voters_pass and self.clubs_pass


@dataclass(frozen=True)
class FederationResult:
    """Hold the combined result: ranking, each unit's result and weight, combined count, double majority.

    ``count.support`` is the combined matrix ``F``; :meth:`as_unit` lets a confederation combine this result
    with others.
    """

    name: str
    method: str
    weighting: str
    club_mode: str
    cap: float | None
    result: TallyResult
    units: tuple[UnitResult, ...]
    count: PairwiseCount
    voters: int
    members: int
    double_majority: tuple[ItemMajority, ...]
    approvers: np.ndarray = field(compare=False, repr=False)

    @property
    def ranking(self) -> Ranking:
        """Return the combined ranking in tiers."""
        return self.result.ranking

    def as_unit(self) -> Unit:
        """Return this result as one unit of a higher level (a federation inside a confederation)."""
        return Unit(self.name, self.voters, self.members, self.count, self.approvers)


def club_units(
    ranks: np.ndarray,
    approved: np.ndarray | None,
    clubs: np.ndarray,
    names: Sequence[str],
    members: Sequence[int],
    pooled: Sequence[Sequence[int]] | None = None,
) -> tuple[Unit, ...]:
    """Count the ballots of every club at once and return one unit per club, in the order of ``names``.

    ``clubs[i]`` is the index (into ``names``) of the club of ballot ``i``; ``members`` are the clubs'
    registered members; ``pooled[c]``, when given, lists the registered members of each club that unit ``c``
    pools (empty for a unit of one club).
    """
    counts = count_by_group(ranks, approved, clubs, len(names))
    pooled = pooled if pooled is not None else [()] * len(names)
    return tuple(
        Unit(name, int(count.weight), int(size), count, count.approvals, tuple(int(m) for m in parts))
        for name, size, count, parts in zip(names, members, counts, pooled, strict=True)
    )


def unit_weight(unit: Unit, weighting: str = ClubWeighting.MEMBERS, cap: float | None = None) -> float:
    """Return the weight ``W`` of a unit under a weighting rule (0 when the unit has no voters).

    Raise :class:`UnknownMethod` for an unknown rule and ``ValidationFailed("cap", "required")`` for ``capped``
    without a cap.
    """
    if weighting not in _WEIGHTINGS:
        raise UnknownMethod(weighting)
    if weighting == ClubWeighting.CAPPED and cap is None:
        raise ValidationFailed("cap", "required")
    if unit.voters <= 0 or unit.count.weight <= 0:
        return 0.0
    if weighting == ClubWeighting.MEMBERS:
        return float(unit.voters)
    if weighting == ClubWeighting.EQUAL:
        return float(unit.clubs)
    if weighting == ClubWeighting.SQRT:
        return sum(math.sqrt(size) for size in unit.club_sizes)
    return float(sum(min(size, cap) for size in unit.club_sizes))


def double_majority(
    units: Sequence[Unit],
    voter_threshold: float = 0.5,
    club_threshold: float = 0.5,
    min_blocking: int = 0,
) -> tuple[ItemMajority, ...]:
    """Return, per item, the share of voters and the share of units approving it, and whether each passes.

    A share passes when it is *more than* its threshold. ``min_blocking`` (0: off) follows the Council of the
    EU's rule: if fewer than that many units oppose an item, the voter test counts as passed. A unit that pools
    several clubs counts once for each of them.
    """
    counted = [unit for unit in units if unit.voters > 0]
    if not counted:
        return ()
    approvers = np.sum([np.asarray(unit.approvers, dtype=np.float64) for unit in counted], axis=0)
    voters = sum(unit.voters for unit in counted)
    clubs = np.array([unit.clubs for unit in counted])
    majority = np.array([np.asarray(unit.approvers) * 2 > unit.voters for unit in counted])
    supporting = (majority * clubs[:, None]).sum(axis=0)
    total_clubs = int(clubs.sum())
    result = []
    for item in range(approvers.shape[0]):
        voter_share = float(approvers[item]) / voters
        club_share = float(supporting[item]) / total_clubs
        opposing = total_clubs - int(supporting[item])
        voters_pass = voter_share > voter_threshold or opposing < min_blocking
        result.append(ItemMajority(item, voter_share, club_share, opposing, voters_pass, club_share > club_threshold))
    return tuple(result)


def combine(
    units: Sequence[Unit],
    weighting: str = ClubWeighting.MEMBERS,
    *,
    cap: float | None = None,
    club_mode: str = ClubMode.PROPORTIONAL,
    method: str = VotingMethod.SCHULZE,
    name: str = "federation",
    voter_threshold: float = 0.5,
    club_threshold: float = 0.5,
    min_blocking: int = 0,
) -> FederationResult:
    """Combine units into one result under a weighting rule and a club mode (see the module docstring).

    Every unit is also ranked on its own by ``method``; the double majority uses the thresholds given.
    """
    if club_mode not in _CLUB_MODES:
        raise UnknownMethod(club_mode)
    if not units:
        raise ValueError("at least one unit is needed")
    n_items = units[0].count.n_items
    weights = [unit_weight(unit, weighting, cap) for unit in units]
    own = [tally(unit.count, method) for unit in units]
    factors = [w / unit.count.weight if w else 0.0 for w, unit in zip(weights, units, strict=True)]
    if club_mode == ClubMode.PROPORTIONAL and all(f in (0.0, 1.0) for f in factors):
        # W = V for every unit (the members rule): the plain sum, exact in integers, is the pooled count
        support = np.sum([unit.count.support for unit, f in zip(units, factors, strict=True) if f], axis=0)
        approvals = np.sum([unit.count.approvals for unit, f in zip(units, factors, strict=True) if f], axis=0)
    else:
        support = np.zeros((n_items, n_items), dtype=np.float64)
        approvals = np.zeros(n_items, dtype=np.float64)
        for unit, weight, factor, result in zip(units, weights, factors, own, strict=True):
            if not weight:
                continue
            if club_mode == ClubMode.PROPORTIONAL:
                support += factor * unit.count.support
                approvals += factor * unit.count.approvals
            else:
                support += weight * ranking_support(result.ranking, n_items)
                approvals += weight * (np.asarray(unit.count.approvals) * 2 > unit.count.weight)
    if np.ndim(support) != 2:  # every unit without voters
        support = np.zeros((n_items, n_items), dtype=np.int64)
        approvals = np.zeros(n_items, dtype=np.int64)
    combined = PairwiseCount(np.asarray(support), np.asarray(approvals), float(sum(weights)))
    approvers = np.sum([np.asarray(unit.approvers) for unit in units], axis=0)
    return FederationResult(
        name=name,
        method=own[0].method if own else method,
        weighting=weighting,
        club_mode=club_mode,
        cap=cap,
        result=tally(combined, method),
        units=tuple(
            UnitResult(unit.name, unit.voters, unit.members, weight, result)
            for unit, weight, result in zip(units, weights, own, strict=True)
        ),
        count=combined,
        voters=sum(unit.voters for unit in units),
        members=sum(unit.members for unit in units),
        double_majority=double_majority(units, voter_threshold, club_threshold, min_blocking),
        approvers=approvers,
    )
