"""Count ranked ballots with ties and truncation: Schulze, ranked pairs, Borda, Copeland and approval.

A ballot is a ranking in tiers (items in one tier are tied; items left out tie below every ranked item) plus
an approval set (the items above the voter's approval line). Every count goes through a
:class:`PairwiseCount`: ``support[a, b]`` is the (weighted) number of ballots ranking ``a`` strictly above
``b`` and ``approvals[a]`` the (weighted) number approving ``a``. All five methods are functions of that count
alone, which is what lets the federation module combine clubs before ranking.

Rankings are returned as tiers of item indices, best first, with ties explicit; items inside a tier are listed
in index order and that listing means nothing. When a total order is needed (the last seat of an agenda),
:func:`break_ties` orders a tier by a priority that the caller states (see :func:`lottery_priority` for a
verifiable one) and reports that it did so.

Conventions (they match the published test vectors in ``shared/data/voting``):

- Schulze: path strength by margins (or winning votes on request); ``a`` beats ``b`` when the strongest path
  from ``a`` to ``b`` (over all items) is stronger than the one back. Tier 0 is the Schulze winners (nobody
  beats them), tier 1 the items that only tier 0 beats, and so on (the "Schulze levels"). The strongest paths
  are not recomputed without tier 0: two items may stay tied in a lower tier although one of them beats the
  other head to head.
- Ranked pairs: majorities are locked strongest margin first, skipping any that would contradict what is
  already locked. Equal margins are locked as a group: if locking them in different orders could give
  different results (they form a cycle with each other and with what is locked), the edges of that cycle are
  *not* locked and are reported in :attr:`TallyResult.ties`; the remaining edges of the group are locked. No
  arbitrary order is used. Passing ``priority`` instead gives Tideman's tie-break: equal margins are locked in
  lexicographic order of (winner, loser) positions in ``priority`` and zero margins are locked last the same
  way, giving a total order.
- Borda: on a ballot an item gets one point per item ranked below it and half a point per item tied with it,
  so ``m - 1`` points go to the first of ``m`` items and unranked items share the points that remain equally.
- Copeland: pairwise wins minus pairwise losses.
- Approval: the weighted number of ballots approving the item.

Floating-point counts (from weighted federations) treat values within 1e-9 of the total weight of each other
as equal, so that shares equal in exact arithmetic tie despite rounding (a difference that small is not a
difference of any voter's say).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import TypeVar

import numpy as np

from deliberate.domain.errors import DomainError
from deliberate.domain.rules import VotingMethod

Ranking = tuple[tuple[int, ...], ...]
"""Tiers of item indices, best first; items inside a tier are tied."""

_TOLERANCE = 1e-9

T = TypeVar("T")


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


# ------------------------------------------------------------------------------------------------------------
# Encoding ballots


def rank_dtype(n_items: int) -> np.dtype:
    """Return the smallest signed integer dtype that holds ranks ``0..n_items`` (``n_items`` = unranked)."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_items < np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def encode_ballots(
    ballots: Iterable[Ballot | tuple[Sequence[Sequence[int]], Iterable[int]]], n_items: int
) -> tuple[np.ndarray, np.ndarray]:
    """Encode ballots as a rank array (tier number, ``n_items`` for unranked) and an approval array.

    Each ballot is a :class:`Ballot` or a ``(ranking, approved)`` pair. Raise :class:`InvalidBallot` for an
    item outside ``range(n_items)`` or an item ranked twice.
    """
    rows: list[np.ndarray] = []
    approvals: list[np.ndarray] = []
    dtype = rank_dtype(n_items)
    for index, ballot in enumerate(ballots):
        ranking, approved = (ballot.ranking, ballot.approved) if isinstance(ballot, Ballot) else ballot
        row = np.full(n_items, n_items, dtype=dtype)
        for tier_number, tier in enumerate(ranking):
            for item in tier:
                if not isinstance(item, int | np.integer) or not 0 <= item < n_items:
                    raise InvalidBallot(index, "unknown_item", item)
                if row[item] != n_items:
                    raise InvalidBallot(index, "duplicate_item", item)
                row[item] = tier_number
        approval = np.zeros(n_items, dtype=bool)
        for item in approved:
            if not isinstance(item, int | np.integer) or not 0 <= item < n_items:
                raise InvalidBallot(index, "unknown_item", item)
            approval[item] = True
        rows.append(row)
        approvals.append(approval)
    if not rows:
        return np.zeros((0, n_items), dtype=dtype), np.zeros((0, n_items), dtype=bool)
    return np.stack(rows), np.stack(approvals)


# ------------------------------------------------------------------------------------------------------------
# Pairwise counting


def pairwise_support(ranks: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Return ``S`` with ``S[a, b]`` = (weighted) number of rows where ``ranks[:, a] < ranks[:, b]``.

    ``ranks`` is ``n_ballots x n_items``: a smaller number is a better place, equal numbers are ties, and
    unranked items share one number larger than every ranked one. Unweighted counts are exact integers.
    """
    ranks = np.asarray(ranks)
    n, m = ranks.shape
    if weights is None:
        return pairwise_support_by_group(ranks, np.zeros(n, dtype=np.intp), 1)[0]
    weights = np.asarray(weights, dtype=np.float64)
    support = np.zeros((m, m), dtype=np.float64)
    columns = np.ascontiguousarray(ranks.T)
    for a in range(m):
        support[a] = (columns[a] < columns).astype(np.float64) @ weights
    return support


def pairwise_support_by_group(ranks: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Return one integer support matrix per group: an array ``n_groups x n_items x n_items``.

    ``groups[i]`` is the group (club) of ballot ``i``. The ballots are laid out group by group, each group
    padded to a multiple of 64 ballots with rows that compare equal everywhere, so that one comparison per
    item and a population count per 64-ballot word serve every group at once.
    """
    ranks = np.asarray(ranks)
    groups = np.asarray(groups, dtype=np.intp)
    n, m = ranks.shape
    result = np.zeros((n_groups, m, m), dtype=np.int64)
    if n == 0 or m == 0:
        return result
    order = np.argsort(groups, kind="stable")
    sizes = np.bincount(groups, minlength=n_groups)
    padded = (sizes + 63) // 64 * 64
    padded_starts = np.concatenate(([0], np.cumsum(padded)[:-1]))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    sorted_groups = groups[order]
    destination = padded_starts[sorted_groups] + np.arange(n) - starts[sorted_groups]
    columns = np.zeros((m, int(padded.sum())), dtype=ranks.dtype)
    columns[:, destination] = ranks[order].T
    present = np.flatnonzero(sizes)
    word_starts = padded_starts[present] // 64
    has_popcount = hasattr(np, "bitwise_count")
    for a in range(m):
        beats = columns[a] < columns
        if has_popcount:
            words = np.packbits(beats, axis=1).view(np.uint64)
            per_group = np.add.reduceat(np.bitwise_count(words), word_starts, axis=1, dtype=np.int64)
        else:  # numpy < 2.0
            per_group = np.add.reduceat(beats, padded_starts[present], axis=1, dtype=np.int64)
        result[present, a, :] = per_group.T
    return result


def count_ballots(
    ranks: np.ndarray, approved: np.ndarray | None = None, weights: np.ndarray | None = None
) -> PairwiseCount:
    """Count ballots given as a rank array and an approval array (see :func:`encode_ballots`)."""
    ranks = np.asarray(ranks)
    n, m = ranks.shape
    if approved is None:
        approved = np.zeros((n, m), dtype=bool)
    if weights is None:
        approvals = np.asarray(approved, dtype=bool).sum(axis=0, dtype=np.int64)
        return PairwiseCount(pairwise_support(ranks), approvals, float(n))
    weights = np.asarray(weights, dtype=np.float64)
    approvals = weights @ np.asarray(approved, dtype=np.float64) if n else np.zeros(m)
    return PairwiseCount(pairwise_support(ranks, weights), approvals, float(weights.sum()))


def count_by_group(
    ranks: np.ndarray, approved: np.ndarray | None, groups: np.ndarray, n_groups: int
) -> tuple[PairwiseCount, ...]:
    """Count each group's (club's) ballots separately; ``groups[i]`` is the group of ballot ``i``."""
    ranks = np.asarray(ranks)
    groups = np.asarray(groups, dtype=np.intp)
    n, m = ranks.shape
    support = pairwise_support_by_group(ranks, groups, n_groups)
    sizes = np.bincount(groups, minlength=n_groups)
    approvals = np.zeros((n_groups, m), dtype=np.int64)
    if approved is not None and n:
        order = np.argsort(groups, kind="stable")
        present = np.flatnonzero(sizes)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))[present]
        approvals[present] = np.add.reduceat(np.asarray(approved, dtype=bool)[order], starts, axis=0, dtype=np.int64)
    return tuple(PairwiseCount(support[g], approvals[g], float(sizes[g])) for g in range(n_groups))


def ranking_support(ranking: Ranking, n_items: int) -> np.ndarray:
    """Return the 0/1 support matrix of one ranking in tiers (unlisted items tie last)."""
    place = np.full(n_items, len(ranking), dtype=np.int64)
    for tier_number, tier in enumerate(ranking):
        place[list(tier)] = tier_number
    return (place[:, None] < place[None, :]).astype(np.int64)


# ------------------------------------------------------------------------------------------------------------
# Methods


def _exact(values: np.ndarray, total: float = 1.0, *, antisymmetric: bool = False) -> np.ndarray:
    """Return integer arrays as they are; in float arrays, make values that differ by rounding noise equal.

    Sorted values closer than ``1e-9 * max(1, total)`` to their neighbour take the value of the first of their
    run, and values that close to 0 become 0, so that shares equal in exact arithmetic compare equal. With
    ``antisymmetric`` (margins) the magnitudes are snapped and the signs kept, so ``m[b, a] == -m[a, b]`` stays.
    """
    values = np.asarray(values)
    if np.issubdtype(values.dtype, np.integer):
        return values
    tolerance = _TOLERANCE * max(1.0, abs(float(total)))
    flat = values.astype(np.float64).ravel()
    if antisymmetric:
        return (np.sign(flat) * _snap(np.abs(flat), tolerance)).reshape(values.shape) + 0.0
    return _snap(flat, tolerance).reshape(values.shape) + 0.0  # + 0.0 turns -0.0 into 0.0


def _snap(flat: np.ndarray, tolerance: float) -> np.ndarray:
    """Return ``flat`` with each run of sorted neighbours closer than ``tolerance`` set to the run's first value."""
    flat = np.where(np.abs(flat) <= tolerance, 0.0, flat)
    if flat.size < 2:
        return flat
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    starts = np.concatenate(([True], np.diff(ordered) > tolerance))
    first = np.maximum.accumulate(np.where(starts, np.arange(flat.size), 0))
    # a run that contains 0 keeps 0 as its value
    first_value = ordered[first]
    has_zero = np.zeros(flat.size, dtype=bool)
    zero_runs = np.unique(first[ordered == 0])
    has_zero[np.isin(first, zero_runs)] = True
    snapped = np.empty_like(flat)
    snapped[order] = np.where(has_zero, 0.0, first_value)
    return snapped


def _number(value: float | np.number) -> float:
    """Return a plain int when the value is integral, else a float (for stable, readable output)."""
    value = float(value)
    return int(value) if value.is_integer() else value


def tiers_by_score(scores: Sequence[float] | np.ndarray) -> Ranking:
    """Return tiers of items by score, highest first; equal scores share a tier."""
    values = _exact(np.asarray(scores))
    levels = sorted(set(values.tolist()), reverse=True)
    return tuple(tuple(int(i) for i in np.flatnonzero(values == level)) for level in levels)


def _widest_paths(edges: np.ndarray, via: Iterable[int]) -> np.ndarray:
    """Return strongest-path strengths through the intermediates ``via`` (Floyd-Warshall on min/max)."""
    paths = edges.copy()
    for k in via:
        np.maximum(paths, np.minimum(paths[:, k, None], paths[None, k, :]), out=paths)
    return paths


def _levels(beats: np.ndarray) -> Ranking:
    """Return tiers of a strict partial order: items nothing beats, then items only those beat, and so on."""
    levels: list[tuple[int, ...]] = []
    remaining = np.arange(beats.shape[0])
    while remaining.size:
        beaten = beats[np.ix_(remaining, remaining)].any(axis=0)
        top = remaining[~beaten]
        if top.size == 0:  # not reachable for an acyclic relation; keep the rest tied rather than loop
            top = remaining
        levels.append(tuple(int(i) for i in top))
        remaining = remaining[beaten] if top.size < remaining.size else remaining[:0]
    return tuple(levels)


def schulze(count: PairwiseCount, strength: str = "margins") -> TallyResult:
    """Rank by the Schulze method, as levels; ``strength`` is "margins" (default) or "winning_votes"."""
    margins = _exact(count.margins, count.weight, antisymmetric=True)
    if strength == "margins":
        edges = np.where(margins > 0, margins, 0)
    elif strength == "winning_votes":
        edges = np.where(margins > 0, _exact(count.support, count.weight), 0)
    else:
        raise UnknownMethod(strength)
    edges = edges.astype(np.float64)
    np.fill_diagonal(edges, 0)
    paths = _widest_paths(edges, range(count.n_items))
    np.fill_diagonal(paths, 0)
    ranking = _levels(paths > paths.T)
    strongest = tuple(tuple(_number(v) for v in row) for row in paths)
    return TallyResult("schulze", ranking, strongest_paths=strongest)


class _Closure:
    """Keep the transitive closure of locked majorities as bitsets (item ``x`` reaches ``y``)."""

    def __init__(self, n: int) -> None:
        self.reach = [1 << i for i in range(n)]
        self.reached_by = [1 << i for i in range(n)]

    def copy(self) -> _Closure:
        """Return an independent copy."""
        other = _Closure(0)
        other.reach = list(self.reach)
        other.reached_by = list(self.reached_by)
        return other

    def reaches(self, x: int, y: int) -> bool:
        """Return whether ``x`` is locked above ``y`` (directly or through others)."""
        return bool(self.reach[x] >> y & 1)

    def lock(self, u: int, v: int) -> None:
        """Lock ``u`` above ``v`` and everything it implies."""
        sources, targets = self.reached_by[u], self.reach[v]
        reach, reached_by = self.reach, self.reached_by
        rest = sources
        while rest:  # inlined bit loop: this is the hot path of ranked pairs
            low = rest & -rest
            reach[low.bit_length() - 1] |= targets
            rest ^= low
        rest = targets
        while rest:
            low = rest & -rest
            reached_by[low.bit_length() - 1] |= sources
            rest ^= low

    def levels(self) -> Ranking:
        """Return the locked partial order as tiers: items nobody remaining is locked above, and so on."""
        remaining = (1 << len(self.reach)) - 1
        tiers: list[tuple[int, ...]] = []
        while remaining:
            top = tuple(x for x in _bits(remaining) if self.reached_by[x] & remaining == 1 << x)
            tiers.append(top)
            for x in top:
                remaining &= ~(1 << x)
        return tuple(tiers)


def _bits(mask: int) -> Iterable[int]:
    """Yield the positions of the set bits of ``mask``, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def ranked_pairs(count: PairwiseCount, priority: Sequence[int] | None = None) -> TallyResult:
    """Rank by ranked pairs (margins); without ``priority`` equal-margin conflicts are left as ties.

    See the module docstring for the rule. With ``priority`` (a permutation of the items), equal margins are
    locked in lexicographic order of the (winner, loser) positions in ``priority``, then zero margins
    likewise, so the result is a total order; ``tie_break_used`` says whether that order decided anything.
    """
    m = count.n_items
    margins = _exact(count.margins, count.weight, antisymmetric=True)
    closure = _Closure(m)
    locked: list[tuple[int, int]] = []
    ties: list[TiedEdges] = []
    winners, losers = np.nonzero(margins > 0)
    if priority is not None:
        zero_a, zero_b = np.nonzero((margins == 0) & ~np.eye(m, dtype=bool))
        winners, losers = np.concatenate((winners, zero_a)), np.concatenate((losers, zero_b))
        position = _positions(priority, m)
        rank_key = np.asarray(position)
    else:
        rank_key = np.arange(m)
    strengths = margins[winners, losers].tolist()
    order = np.lexsort((rank_key[losers], rank_key[winners], -np.asarray(strengths)))
    used = False
    for strength, members in groupby(order.tolist(), key=lambda e: strengths[e]):
        # edges already implied or contradicted by stronger majorities change nothing, whatever the order
        open_edges = [
            (a, b)
            for a, b in ((int(winners[e]), int(losers[e])) for e in members)
            if not closure.reaches(b, a) and not closure.reaches(a, b)
        ]
        order_matters = len(open_edges) > 1 and _has_cycle(closure, open_edges)
        if priority is not None:
            used = used or order_matters
            for a, b in open_edges:
                if not closure.reaches(b, a) and not closure.reaches(a, b):
                    closure.lock(a, b)
                    locked.append((a, b))
            continue
        skipped: set[tuple[int, int]] = set()
        if order_matters:
            reach = _closure_with(closure, open_edges)
            skipped = {(a, b) for a, b in open_edges if reach[b] >> a & 1}
            ties.append(TiedEdges(_number(strength), tuple(sorted(skipped))))
        for a, b in open_edges:
            if (a, b) not in skipped and not closure.reaches(a, b):
                closure.lock(a, b)
                locked.append((a, b))
    return TallyResult("ranked_pairs", closure.levels(), locked=tuple(locked), ties=tuple(ties), tie_break_used=used)


def _has_cycle(closure: _Closure, edges: list[tuple[int, int]]) -> bool:
    """Return whether adding all ``edges`` to the locked majorities would close a cycle."""
    trial = closure.copy()
    for a, b in edges:
        if trial.reaches(b, a):
            return True
        if not trial.reaches(a, b):
            trial.lock(a, b)
    return False


def _closure_with(closure: _Closure, edges: list[tuple[int, int]]) -> list[int]:
    """Return reachability bitsets of the locked majorities plus ``edges``, cycles allowed (Warshall)."""
    reach = list(closure.reach)
    for a, b in edges:
        reach[a] |= 1 << b
    for k in range(len(reach)):
        bit = 1 << k
        for x in range(len(reach)):
            if reach[x] & bit:
                reach[x] |= reach[k]
    return reach


def borda(count: PairwiseCount) -> TallyResult:
    """Rank by Borda score (ties and unranked items get averaged points), highest first."""
    margins = np.asarray(count.margins, dtype=np.float64)
    scores = _exact(((count.n_items - 1) * count.weight + margins.sum(axis=1)) / 2, count.weight)
    return TallyResult("borda", tiers_by_score(scores), scores=tuple(_number(s) for s in scores))


def copeland(count: PairwiseCount) -> TallyResult:
    """Rank by Copeland score: pairwise wins minus pairwise losses, highest first."""
    margins = _exact(count.margins, count.weight, antisymmetric=True)
    scores = (margins > 0).sum(axis=1) - (margins < 0).sum(axis=1)
    return TallyResult("copeland", tiers_by_score(scores), scores=tuple(int(s) for s in scores))


def approval(count: PairwiseCount) -> TallyResult:
    """Rank by the (weighted) number of ballots approving each item, highest first."""
    scores = _exact(count.approvals, count.weight)
    return TallyResult("approval", tiers_by_score(scores), scores=tuple(_number(s) for s in scores))


def tally(count: PairwiseCount, method: str = VotingMethod.SCHULZE) -> TallyResult:
    """Rank a count by the named method (a :class:`~deliberate.domain.rules.VotingMethod`; ``ranked_pairs`` is
    accepted too)."""
    name = method.replace("-", "_")
    if name == "schulze":
        return schulze(count)
    if name == "ranked_pairs":
        return ranked_pairs(count)
    if name == "borda":
        return borda(count)
    if name == "copeland":
        return copeland(count)
    if name == "approval":
        return approval(count)
    raise UnknownMethod(method)


# ------------------------------------------------------------------------------------------------------------
# Total orders


def _positions(priority: Sequence[int], n_items: int) -> list[int]:
    """Return each item's position in ``priority``; raise ValueError unless it is a permutation of the
    items."""
    if sorted(priority) != list(range(n_items)):
        raise ValueError("priority must list every item exactly once")
    position = [0] * n_items
    for place, item in enumerate(priority):
        position[item] = place
    return position


def lottery_priority(seed: bytes | str, n_items: int) -> tuple[int, ...]:
    """Return a verifiable pseudo-random order of the items, drawn from a public seed.

    Items are sorted by ``sha256(seed + b":" + str(item))``; anyone with the seed (for example the hash of the
    published inputs) can recompute it, and nobody can choose it after the ballots are in.
    """
    raw = seed.encode() if isinstance(seed, str) else seed
    return tuple(sorted(range(n_items), key=lambda item: hashlib.sha256(raw + b":" + str(item).encode()).digest()))


def break_ties(ranking: Ranking, priority: Sequence[int] | None = None) -> TotalOrder:
    """Order every tier by ``priority`` (default: item index order) and report which tiers needed it.

    The ballots decide the order between tiers; ``priority`` only decides inside a tier, and ``broken_tiers``
    lists each tier it decided.
    """
    n_items = sum(len(tier) for tier in ranking)
    if priority is None:
        position = list(range(max((i for tier in ranking for i in tier), default=-1) + 1))
        rule = "item order"
    else:
        position = _positions(priority, n_items)
        rule = "priority order"
    order: list[int] = []
    broken: list[tuple[int, ...]] = []
    for tier in ranking:
        order.extend(sorted(tier, key=lambda item: position[item]))
        if len(tier) > 1:
            broken.append(tuple(tier))
    return TotalOrder(tuple(order), bool(broken), tuple(broken), rule)


def top_seats(ranking: Ranking, seats: int, priority: Sequence[int] | None = None) -> TotalOrder:
    """Return the first ``seats`` items of a ranking; a tier cut by the last seat is ordered by ``priority``.

    ``tie_break_used`` is true only when the cut falls inside a tier; ``broken_tiers`` is then that tier.
    """
    full = break_ties(ranking, priority)
    seen = 0
    for tier in ranking:
        if seen < seats < seen + len(tier):
            return TotalOrder(full.order[:seats], True, (tuple(tier),), full.rule)
        seen += len(tier)
    return TotalOrder(full.order[:seats], False, (), full.rule)


def tier_positions(ranking: Iterable[Iterable[T]]) -> dict[T, int]:
    """Return each item's position in a ranking of tiers: 1 + the number of items ranked ahead of its tier."""
    positions: dict[T, int] = {}
    ahead = 0
    for tier in ranking:
        members = list(tier)
        positions.update((item, ahead + 1) for item in members)
        ahead += len(members)
    return positions


def moved_items(official: Iterable[Iterable[T]], other: Iterable[Iterable[T]]) -> dict[T, int]:
    """Return the official position of every item that has another position (or none) in ``other``.

    Used to say how much another rule would change a ranking: an item counts as moved when the number of items
    ahead of it changes, so two tiers swapping places move every item in both, and a tie that forms or breaks
    moves the items whose position changes.
    """
    before, after = tier_positions(official), tier_positions(other)
    return {item: position for item, position in sorted(before.items(), key=lambda pair: pair[1])
            if after.get(item) != position}
