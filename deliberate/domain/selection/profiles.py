"""Ballots as a profile: validated approval rows, identical ballots grouped and weighted, and shared helpers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from deliberate.domain.selection.results import SelectionStep, TieBreak

#: abcvoting's float tolerances (``misc.FLOAT_ISCLOSE_REL_TOL`` / ``_ABS_TOL``), used for prices and loads.
REL_TOL = 1e-12
ABS_TOL = 1e-12
#: Exact float64 integers stop at 2**53.
EXACT_LIMIT = float(2**53)

Approvals = np.ndarray | Sequence[Iterable[int]]


@dataclass(frozen=True)
class Profile:
    """Hold the distinct non-empty ballots with their total weights."""

    approvals: np.ndarray
    """(G, m) bool: one row per distinct non-empty ballot."""
    weights: np.ndarray
    """(G,) float64: total weight of the voters casting that ballot."""
    group_of: np.ndarray
    """(n,) int64: the row of each voter's ballot, -1 for an empty ballot."""
    total_weight: float
    n_items: int
    is_integral: bool
    """Whether every voter weight is an integer (sums of weights are then exact)."""
    _rows_of_item: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def is_unit(self) -> bool:
        """Return whether every distinct ballot has weight exactly 1 (unweighted, no duplicates)."""
        return bool((self.weights == 1.0).all())

    @cached_property
    def by_item(self) -> np.ndarray:
        """Return the (m, G) transposed approval matrix.

        It is transposed in blocks of rows, which keeps both sides in cache: several times faster than one
        strided copy of the whole matrix.
        """
        n_rows, n_items = self.approvals.shape
        by_item = np.empty((n_items, n_rows), dtype=bool)
        for start in range(0, n_rows, 512):
            by_item[:, start : start + 512] = self.approvals[start : start + 512].T
        return by_item

    @cached_property
    def support(self) -> np.ndarray:
        """Return the approval weight of each item, (m,) float64."""
        counts = np.count_nonzero(self.by_item, axis=1).astype(np.float64)
        heavy = np.flatnonzero(self.weights != 1.0)  # few, unless the voters carry weights
        if heavy.size:
            counts += weighted_sum(self.weights[heavy] - 1.0, self.approvals[heavy])
        return counts

    def rows_approving(self, item: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the rows approving ``item`` and their weights, building each item's list on first use."""
        cached = self._rows_of_item.get(item)
        if cached is None:
            rows = np.flatnonzero(self.by_item[item])
            cached = self._rows_of_item[item] = (rows, self.weights[rows])
        return cached

    @cached_property
    def supporters(self) -> tuple[np.ndarray, ...]:
        """Return, per item, the rows approving it (ascending)."""
        return tuple(self.rows_approving(j)[0] for j in range(self.n_items))

    @cached_property
    def supporter_weights(self) -> tuple[np.ndarray, ...]:
        """Return, per item, the weights of the rows approving it."""
        return tuple(self.rows_approving(j)[1] for j in range(self.n_items))

    def voters_in(self, rows: np.ndarray) -> tuple[int, ...]:
        """Return the indices of the voters whose ballot is one of ``rows``."""
        mask = np.zeros(len(self.weights), dtype=bool)
        mask[rows] = True
        cast = self.group_of >= 0
        voters = np.flatnonzero(cast)[mask[self.group_of[cast]]]
        return tuple(int(v) for v in voters)


def approval_matrix(approvals: Approvals, n_items: int) -> np.ndarray:
    """Return the ballots as an (n_voters, n_items) bool matrix, validating them."""
    if isinstance(n_items, bool) or not isinstance(n_items, int | np.integer) or n_items < 0:
        raise ValueError(f"n_items must be a non-negative integer, got {n_items!r}")
    if isinstance(approvals, np.ndarray):
        if approvals.ndim != 2 or approvals.shape[1] != n_items:
            raise ValueError(f"approvals must have shape (n_voters, {n_items}), got {approvals.shape}")
        if approvals.dtype == np.bool_:
            return np.ascontiguousarray(approvals)
        if np.issubdtype(approvals.dtype, np.integer) and np.isin(approvals, (0, 1)).all():
            return np.ascontiguousarray(approvals != 0)
        raise ValueError("an approval matrix must be boolean (or integers 0 and 1)")
    ballots = [np.asarray(list(ballot), dtype=np.int64).reshape(-1) for ballot in approvals]
    matrix = np.zeros((len(ballots), n_items), dtype=bool)
    if ballots:
        lengths = np.fromiter((len(b) for b in ballots), dtype=np.int64, count=len(ballots))
        items = np.concatenate(ballots) if lengths.sum() else np.zeros(0, dtype=np.int64)
        if items.size and (items.min() < 0 or items.max() >= n_items):
            raise ValueError(f"an approved item index is outside 0..{n_items - 1}")
        matrix[np.repeat(np.arange(len(ballots)), lengths), items] = True
    return matrix


def _voter_weights(weights: Sequence[float] | np.ndarray | None, n_voters: int) -> np.ndarray:
    """Return the voters' weights as float64, defaulting to 1 and rejecting non-positive or non-finite ones."""
    if weights is None:
        return np.ones(n_voters, dtype=np.float64)
    array = np.asarray(weights, dtype=np.float64).reshape(-1)
    if array.shape != (n_voters,):
        raise ValueError(f"expected {n_voters} weights, got {array.size}")
    if not np.isfinite(array).all() or (array <= 0).any():
        raise ValueError("voter weights must be positive finite numbers")
    return array


def group_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(first, inverse, empty)``: each distinct ballot's first voter, each voter's group, empty ballots.

    Rows are bit-packed, hashed to 64 bits and grouped by hash; the grouping is then verified row by row, and an
    exact (slower) grouping is used in the astronomically unlikely case of a collision. When every ballot differs
    the groups are the voters, in order; otherwise they are numbered in hash order, which does not depend on the
    order of the ballots.
    """
    n_voters = matrix.shape[0]
    packed = np.packbits(matrix, axis=1)
    width = -(-max(packed.shape[1], 1) // 8) * 8
    if packed.shape[1] != width:
        padded = np.zeros((n_voters, width), dtype=np.uint8)
        padded[:, : packed.shape[1]] = packed
        packed = padded
    words = packed.view(np.uint64)
    empty = ~words.any(axis=1)
    digest = np.full(n_voters, 0xCBF29CE484222325, dtype=np.uint64)
    for column in range(words.shape[1]):
        digest ^= words[:, column]
        digest *= np.uint64(0x9E3779B97F4A7C15)
        digest ^= digest >> np.uint64(29)
    order = np.argsort(digest)
    ordered = digest[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    if len(starts) == n_voters:  # every hash differs, so every ballot differs
        identity = np.arange(n_voters)
        return identity, identity, empty
    is_start = np.zeros(n_voters, dtype=np.int64)
    is_start[starts] = 1
    group = np.empty(n_voters, dtype=np.int64)
    group[order] = np.cumsum(is_start) - 1
    first = np.minimum.reduceat(order, starts)
    if not np.array_equal(words[first[group]], words):  # a hash collision: group exactly instead
        _, first, group = np.unique(words, axis=0, return_index=True, return_inverse=True)
        group = group.reshape(-1)
    by_appearance = np.argsort(first, kind="stable")
    rank = np.empty_like(by_appearance)
    rank[by_appearance] = np.arange(len(by_appearance))
    return first[by_appearance], rank[group], empty


def weighted_sum(weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Return ``weights @ rows`` for a bool matrix without converting it or calling a threaded BLAS.

    On a shared two-core machine a threaded matrix-vector product spends more time spinning than computing.
    """
    return np.einsum("g,gj->j", weights, rows.view(np.uint8))


def make_profile(approvals: Approvals, n_items: int, weights: Sequence[float] | np.ndarray | None) -> Profile:
    """Validate the ballots and group identical ones into a weighted profile."""
    matrix = approval_matrix(approvals, n_items)
    n_voters = matrix.shape[0]
    voter_weights = _voter_weights(weights, n_voters)
    if n_voters == 0:
        raise ValueError("there are no ballots")
    first, inverse, empty = group_rows(matrix)
    if len(first) == n_voters:
        group_weights = voter_weights
    else:
        group_weights = np.bincount(inverse, weights=voter_weights, minlength=len(first))
    keep = ~empty[first]
    if keep.all():
        group_of = inverse
        rows = matrix if len(first) == n_voters else matrix[first]
    else:
        renumber = np.cumsum(keep) - 1
        group_of = np.where(keep[inverse], renumber[inverse], -1)
        first = first[keep]
        rows = matrix[first]
        group_weights = group_weights[keep]
    return Profile(
        approvals=rows,
        weights=group_weights,
        group_of=group_of,
        total_weight=float(voter_weights.sum()),
        n_items=n_items,
        is_integral=bool(np.all(voter_weights == np.round(voter_weights))),
    )


def check_seats(seats: int, n_items: int) -> None:
    """Reject a committee size that is not an integer between 0 and the number of items."""
    if isinstance(seats, bool) or not isinstance(seats, int | np.integer) or not 0 <= seats <= n_items:
        raise ValueError(f"seats must be an integer between 0 and {n_items}, got {seats!r}")


def isclose(values: np.ndarray, target: float) -> np.ndarray:
    """Compare like ``math.isclose`` with abcvoting's tolerances, elementwise."""
    scale = np.maximum(np.abs(values), abs(target))
    return np.abs(values - target) <= np.maximum(REL_TOL * scale, ABS_TOL)


def pick_minimum(values: np.ndarray) -> tuple[int, np.ndarray] | None:
    """Return the item with the smallest finite value and all items tied with it, or None if none is finite."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    low = float(values[finite].min())
    tied = np.flatnonzero(finite & isclose(np.where(finite, values, 0.0), low))
    return int(tied[0]), tied


def take(
    item: int,
    tied: np.ndarray,
    phase: str,
    value: float,
    committee: list[int],
    steps: list[SelectionStep],
    ties: list[TieBreak],
    available: np.ndarray,
    support: np.ndarray,
) -> None:
    """Add ``item`` to the committee, recording the step and any tie."""
    committee.append(item)
    available[item] = False
    steps.append(SelectionStep(item=item, phase=phase, value=value, support=float(support[item])))
    if len(tied) > 1:
        ties.append(TieBreak(seat=len(committee), tied=tuple(int(t) for t in tied), chosen=item, phase=phase))
