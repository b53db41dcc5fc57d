"""Encode ballots as ranks and count them pairwise (``support[a, b]``, approvals), whole or per counting group."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from deliberate.domain.tally.results import Ballot, InvalidBallot, PairwiseCount, Ranking


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
