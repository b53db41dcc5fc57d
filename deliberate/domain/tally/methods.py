"""The five counting methods on a pairwise count: Schulze, ranked pairs, Borda, Copeland and approval."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby

import numpy as np

from deliberate.domain.rules import VotingMethod
from deliberate.domain.tally.results import PairwiseCount, Ranking, TallyResult, TiedEdges, UnknownMethod

"""Tiers of item indices, best first; items inside a tier are tied."""
_TOLERANCE = 1e-9


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
        position = positions_in(priority, m)
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


def positions_in(priority: Sequence[int], n_items: int) -> list[int]:
    """Return each item's position in ``priority``; raise ValueError unless it is a permutation of the
    items."""
    if sorted(priority) != list(range(n_items)):
        raise ValueError("priority must list every item exactly once")
    position = [0] * n_items
    for place, item in enumerate(priority):
        position[item] = place
    return position
