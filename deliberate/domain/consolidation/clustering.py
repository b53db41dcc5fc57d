"""Cluster the graph by average linkage, then split groups whose two parts are much less alike than each inside."""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np

from deliberate.domain.consolidation.similarity import Corpus, pair_scores, places_clash

# Places at the first HARD_LEVELS levels (towns, cities, regions) keep groups apart; sides only lower similarity.
HARD_LEVELS = 3
# The stricter pass splits a group when two parts of it are less alike than SPLIT_RATIO times the weaker part's
# own mean similarity; groups larger than SPLIT_LIMIT are left as they are.
SPLIT_RATIO = 0.5
SPLIT_LIMIT = 2000
# ... unless the two parts are still alike in absolute terms: at SPLIT_CEILING times the threshold or more across the
# cut, the parts ask for the same thing (a translation is less alike than two Spanish near-copies, yet the same).
SPLIT_CEILING = 2.0
# A demand whose mean similarity to the rest of its group is below PRUNE_RATIO times the threshold leaves the group
# (it stays a suggestion of its own): a group is only as good as its weakest demand.
PRUNE_RATIO = 1.5


def average_linkage(
    n: int,
    low: np.ndarray,
    high: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    k: int,
    places: Sequence[tuple[frozenset[str], ...]] | None = None,
) -> list[list[int]]:
    """Merge groups best first while their mean pairwise similarity reaches ``threshold``.

    A missing edge counts as similarity zero, except that two large groups cannot hold more edges between them
    than the neighbour lists allow (about ``k |A| |B| / (|A| + |B|)``), so the mean is taken over at most that
    many pairs. Groups whose places clash (``places[i]`` per demand: towns, cities, regions) never merge.
    """
    members: list[list[int]] = [[i] for i in range(n)]
    named: list[tuple[frozenset[str], ...] | None] = list(places) if places is not None else [None] * n
    size = [1] * n
    smallest = list(range(n))
    version = [0] * n
    adjacency: list[dict[int, list[float]]] = [{} for _ in range(n)]
    for a, b, s in zip(low.tolist(), high.tolist(), scores.tolist(), strict=True):
        edge = [s, 1.0]
        adjacency[a][b] = edge
        adjacency[b][a] = edge
    square = n * n
    # Linkage values are quantised so that the key fits exactly in a float (2**52 / 2 per unit of the range).
    scale = float(min(1_000_000, (1 << 51) // max(1, square)))

    def entry(a: int, b: int) -> tuple[float, int, int, int, int] | None:
        # The heap key packs (best linkage first, then the smaller first member, then the other) in one exact
        # float, so that ties are broken the same way on every run and comparisons stay cheap.
        total, count = adjacency[a][b]
        size_a, size_b = size[a], size[b]
        product = size_a * size_b
        possible = k * product / (size_a + size_b)
        value = total / max(count, product if product < possible else possible)
        if value < threshold:
            return None
        first, second = smallest[a], smallest[b]
        if first > second:
            first, second = second, first
        key = float(int((2.0 - value) * scale) * square + first * n + second)
        return (key, a, b, version[a], version[b])

    heap = [e for a in range(n) for b in adjacency[a] if a < b and (e := entry(a, b)) is not None]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush

    while heap:
        _, a, b, version_a, version_b = pop(heap)
        if version_a != version[a] or version_b != version[b]:
            if size[a] and size[b] and b in adjacency[a]:
                # Stale: a group grew since. For a pair whose edges did not change, growth only lowers the
                # linkage, so re-queueing it at its current value keeps the merges best first.
                fresh = entry(a, b)
                if fresh is not None:
                    push(heap, fresh)
            continue
        place_a, place_b = named[a], named[b]
        if place_a is not None and place_b is not None and places_clash(place_a, place_b):
            continue
        # Merge the group with fewer neighbours into the other one.
        if len(adjacency[a]) < len(adjacency[b]):
            a, b = b, a
        into, away = adjacency[a], adjacency[b]
        into.pop(b)
        away.pop(a)
        members[a].extend(members[b])
        members[b] = []
        if place_a is not None and place_b is not None:
            named[a] = tuple(x | y for x, y in zip(place_a, place_b, strict=True))
        size[a] += size[b]
        size[b] = 0
        if smallest[b] < smallest[a]:
            smallest[a] = smallest[b]
        version[a] += 1
        version[b] += 1
        for c, (total, count) in away.items():
            neighbour = adjacency[c]
            del neighbour[b]
            edge = into.get(c)
            if edge is None:
                edge = [total, count]
                into[c] = edge
                neighbour[a] = edge
            else:
                edge[0] += total
                edge[1] += count
        # Pairs whose edges changed may link more strongly now: queue them afresh.
        for c in away:
            fresh = entry(a, c)
            if fresh is not None:
                push(heap, fresh)
        adjacency[b] = {}
    groups = [sorted(group) for group in members if group]
    groups.sort(key=lambda group: (-len(group), group[0]))
    return groups


def group_squares(corpus: Corpus, groups: Sequence[Sequence[int]]) -> list[np.ndarray | None]:
    """Return the exact similarities inside each group of 2 to ``SPLIT_LIMIT`` demands (dense squares, zero
    diagonal), computed in one batch; None for the other groups."""
    picked = [g for g, group in enumerate(groups) if 2 <= len(group) <= SPLIT_LIMIT]
    result: list[np.ndarray | None] = [None] * len(groups)
    if not picked:
        return result
    triangles: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    rows, cols = [], []
    for g in picked:
        m = len(groups[g])
        if m not in triangles:
            triangles[m] = np.triu_indices(m, k=1)
        members = np.asarray(groups[g], dtype=np.int64)
        rows.append(members[triangles[m][0]])
        cols.append(members[triangles[m][1]])
    scores = pair_scores(corpus, np.concatenate(rows), np.concatenate(cols)).astype(np.float64)
    offset = 0
    for g in picked:
        m = len(groups[g])
        r, c = triangles[m]
        square = np.zeros((m, m))
        square[r, c] = scores[offset : offset + len(r)]
        square[c, r] = square[r, c]
        offset += len(r)
        result[g] = square
    return result


def _best_cut(square: np.ndarray) -> tuple[float, np.ndarray, float] | None:
    """Find the bipartition of a group whose two sides are least alike, relative to how alike each side is.

    The candidates are the cuts along the group's Fiedler vector (spectral bisection, deterministic). Return the
    ratio of the mean similarity across the cut to the weaker side's own mean similarity, the mask of one side, and
    the mean similarity across the cut.
    """
    m = len(square)
    weights = np.clip(square, 0.0, None)
    degree = weights.sum(axis=1)
    if (degree <= 0).any():
        lonely = degree <= 0
        return 0.0, lonely, 0.0
    scale = 1.0 / np.sqrt(degree)
    laplacian = np.eye(m) - scale[:, None] * weights * scale[None, :]
    _, vectors = np.linalg.eigh(laplacian)
    fiedler = vectors[:, 1] * scale
    order = np.lexsort((np.arange(m), fiedler))
    ordered = weights[np.ix_(order, order)]
    prefix = ordered.cumsum(axis=0).cumsum(axis=1)
    total = prefix[-1, -1]
    best: tuple[float, int, float] | None = None
    for cut in range(1, m):
        size_a, size_b = cut, m - cut
        inside_a = prefix[cut - 1, cut - 1]
        across = prefix[cut - 1, -1] - inside_a
        inside_b = total - inside_a - 2 * across
        mean_across = across / (size_a * size_b)
        means = []
        if size_a > 1:
            means.append(inside_a / (size_a * (size_a - 1)))
        if size_b > 1:
            means.append(inside_b / (size_b * (size_b - 1)))
        ratio = mean_across / max(min(means), 1e-9)
        if best is None or ratio < best[0] - 1e-12:
            best = (ratio, cut, mean_across)
    assert best is not None
    mask = np.zeros(m, dtype=bool)
    mask[order[: best[1]]] = True
    return best[0], mask, best[2]


def split_group(
    group: list[int], square: np.ndarray | None, ratio: float, ceiling: float = float("inf")
) -> list[tuple[list[int], np.ndarray | None]]:
    """Split a group, recursively, while two parts of it are much less alike than each part is inside (and less
    alike than ``ceiling`` across the cut)."""
    if square is None or len(group) < 3:
        return [(group, square)]
    pending, done = [(group, square)], []
    while pending:
        part, block = pending.pop()
        found = _best_cut(block) if len(part) >= 3 else None
        if found is None or found[0] >= ratio or found[2] >= ceiling:
            done.append((part, block))
            continue
        mask = found[1]
        for side in (mask, ~mask):
            chosen = np.flatnonzero(side)
            pending.append(([part[i] for i in chosen], block[np.ix_(chosen, chosen)]))
    # Members stay sorted: each part keeps the order of the group it came from.
    return done


def prune_group(
    group: list[int], square: np.ndarray | None, floor: float
) -> list[tuple[list[int], np.ndarray | None]]:
    """Take out of a group, weakest first, each demand whose mean similarity to the rest is below ``floor``.

    The demands taken out become groups of their own; what remains is checked again, so a group of two stays
    together only when its two demands are at least ``floor`` alike.
    """
    if square is None or len(group) < 2 or floor <= 0:
        return [(group, square)]
    inside = np.ones(len(group), dtype=bool)
    totals = square.sum(axis=1)
    alone: list[int] = []
    remaining = len(group)
    while remaining >= 2:
        cohesion = np.where(inside, totals / (remaining - 1), np.inf)
        weakest = int(np.argmin(cohesion))
        if cohesion[weakest] >= floor:
            break
        if remaining == 2:
            alone.extend(np.flatnonzero(inside).tolist())
            inside[:] = False
            remaining = 0
            break
        alone.append(weakest)
        inside[weakest] = False
        totals -= square[:, weakest]
        remaining -= 1
    keep = np.flatnonzero(inside)
    parts: list[tuple[list[int], np.ndarray | None]] = []
    if len(keep):
        parts.append(([group[i] for i in keep], square[np.ix_(keep, keep)] if len(keep) > 1 else None))
    parts.extend(([group[i]], None) for i in sorted(alone))
    return parts
