"""Choose who is clustered and cluster them: base k-means clusters, then 2 to 5 groups by silhouette, none of one."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import permutations
from operator import itemgetter
from typing import Any

import numpy as np

from deliberate.domain.opinion.results import Id

#: Reactions needed to be clustered (or every statement, if there are fewer).
MIN_REACTIONS = 7
#: Fewest participants clustered: while fewer qualify, the most active of the others join them.
MIN_CLUSTERED = 15
#: Maximum number of base clusters.
BASE_CLUSTERS = 100
#: Group counts tried: from MIN_GROUPS up to MAX_GROUPS, one more for every BASE_PER_GROUP base clusters.
MIN_GROUPS, MAX_GROUPS = 2, 5
BASE_PER_GROUP = 12
#: Lloyd iterations at most.
KMEANS_ITERATIONS = 300
#: The base k-means also stops when its centres move less, in all, than this share of the points' mean variance.
KMEANS_TOLERANCE = 1e-4
#: Smallest opinion group allowed.
MIN_GROUP_SIZE = 2
#: Seeded k-means++ starts tried for the groups, beside Polis's own start (the first distinct centres).
GROUP_STARTS = 8
#: Largest share of participants that may change group for two k-means results to count as the same partition.
SAME_PARTITION = 0.05
#: Silhouette a larger number of groups must gain over a smaller one to be preferred.
SPLIT_MARGIN = 0.02


#: Most moments of a conversation's history replayed by :func:`once_clustered` (Polis updates now and then too).
MAX_REPLAYED_MOMENTS = 5000


def once_clustered(first_reactions: Iterable[tuple[Any, Id]], statement_times: Iterable[Any]) -> frozenset[Id]:
    """Return who Polis's rule clustered at some moment of the conversation's history; Polis never lets them go.

    ``first_reactions`` holds, per participant and statement, when the participant first reacted (any orderable
    time) and who; ``statement_times`` when each statement appeared. The rule of :func:`participants_to_cluster`
    is replayed moment by moment (each distinct time, at most ``MAX_REPLAYED_MOMENTS`` of them): while fewer than
    seven statements exist, fewer reactions are needed, and while fewer than fifteen people qualify, the most
    active others join. The early participants taken in that way stay clustered. Once fifteen qualify with the full
    seven reactions needed, nothing more can be learnt from the history, and the replay stops.
    """
    events = sorted(first_reactions, key=itemgetter(0))
    if not events:
        return frozenset()
    appeared = sorted(statement_times)
    ids = sorted({who for _, who in events})
    index = {who: number for number, who in enumerate(ids)}
    counts = np.zeros(len(ids), dtype=np.int64)
    ever = np.zeros(len(ids), dtype=bool)
    spacing = len(events) / MAX_REPLAYED_MOMENTS  # events between two replayed moments, at least
    last = -1
    for position, (when, who) in enumerate(events):
        counts[index[who]] += 1
        if position + 1 < len(events) and (events[position + 1][0] == when or position - last < spacing):
            continue  # not the end of a moment, or too soon after the last one replayed
        last = position
        needed = min(MIN_REACTIONS, max(1, bisect_right(appeared, when)))
        qualified = counts >= needed
        missing = MIN_CLUSTERED - int(np.count_nonzero(qualified))
        if missing > 0:
            others = np.flatnonzero(~qualified & (counts > 0))
            ever[others[np.lexsort((others, -counts[others]))][:missing]] = True
        ever |= qualified
        if missing <= 0 and needed == MIN_REACTIONS:
            break
    return frozenset(ids[i] for i in np.flatnonzero(ever))


def participants_to_cluster(taking_part: np.ndarray, placed: np.ndarray, n_statements: int,
                            once: np.ndarray | None = None) -> np.ndarray:
    """Return the indices of the participants to cluster, in order, from their reaction counts.

    ``taking_part`` counts every reaction (to hidden statements too) and ``placed`` the reactions to visible
    statements, without which nobody has a place on the map. As in Polis, a participant is clustered after
    ``min(MIN_REACTIONS, n_statements)`` reactions; while fewer than ``MIN_CLUSTERED`` participants qualify,
    the others who reacted most join them (ties in id order) until there are ``MIN_CLUSTERED``, so that a
    small conversation still has groups.
    """
    eligible = placed > 0
    chosen = eligible & (taking_part >= min(MIN_REACTIONS, n_statements))
    if once is not None:  # clustered earlier in the conversation's history (see once_clustered)
        chosen |= eligible & once
    missing = MIN_CLUSTERED - int(np.count_nonzero(chosen))
    if missing > 0:
        others = np.flatnonzero(eligible & ~chosen)
        most_active = others[np.argsort(-taking_part[others], kind="stable")][:missing]
        chosen[most_active] = True
    return np.flatnonzero(chosen)


def group_counts(n_base: int) -> range:
    """Return the numbers of groups tried for ``n_base`` base clusters (Polis's rule: 2 + one per 12, at most 5)."""
    return range(MIN_GROUPS, min(MAX_GROUPS, MIN_GROUPS + n_base // BASE_PER_GROUP, n_base - 1) + 1)


def cluster(points: np.ndarray) -> np.ndarray:
    """Cluster projected participants into opinion groups (labels 0..k-1 in arbitrary order, -1 for none).

    Base clusters come, as in Polis, from k-means started at the first distinct points (participants in id
    order). The groups are k-means of the base centres, weighted by size, for k = 2..5, from Polis's start
    and seeded k-means++ starts (see :func:`_best_kmeans`); a group of one participant joins the nearest
    group, and the k with the best silhouette wins unless a smaller k comes within ``SPLIT_MARGIN`` of it.

    Why several starts and a margin: Polis starts each update's k-means from the previous update's groups and
    changes the number of groups only after a new one has been best for several updates in a row. On a large
    conversation that history and a single start from the first points end in the same place; on a small one
    (a few hundred participants, fifty statements) a single start often stops in a poor local optimum (ARI
    0.56 against Polis's groups on 15-per-hour-seattle) and a third group that barely beats two on silhouette
    gets shown where Polis, whose choice of k lags, kept two (brexit-consensus). A snapshot cannot replay the
    history; it can look for the partition k-means is after and prefer fewer groups on a near tie. Every start
    is seeded, so there is still no randomness. Measured on the five real conversations kept in tests: the
    figures hold from 8 starts to 64, for a margin from 0.02 to 0.05, and for ``SAME_PARTITION`` from about
    0.03 to 0.09 (below it bg2050-volunteers falls to 0.67, above it 15-per-hour-seattle back to 0.56).
    """
    n = len(points)
    if n < MIN_GROUP_SIZE:
        return np.full(n, -1, dtype=np.int64)
    base_labels, centres, sizes = _kmeans(points, np.ones(n), BASE_CLUSTERS)
    scored: list[tuple[int, float, np.ndarray]] = []
    for k in group_counts(len(centres)):
        centre_labels = _best_kmeans(centres, sizes, k)
        if centre_labels is None:
            continue
        n_groups = int(centre_labels.max()) + 1
        scored.append((n_groups, _weighted_silhouette(centres, sizes, centre_labels, n_groups), centre_labels))
    if not scored:
        return np.zeros(n, dtype=np.int64)
    top = max(score for _, score, _ in scored)
    _, _, labels = min((s for s in scored if s[1] >= top - SPLIT_MARGIN), key=lambda s: (s[0], -s[1]))
    return labels[base_labels]


def _best_kmeans(points: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray | None:
    """Return the weighted k-means partition into ``k`` groups (fewer after merging), or None if there is none.

    The starts are Polis's (the first ``k`` distinct points) and ``GROUP_STARTS`` seeded k-means++ ones; in each
    result a group lighter than ``MIN_GROUP_SIZE`` joins its nearest neighbour, and results left with fewer than
    ``MIN_GROUPS`` groups are dropped. Polis's result is kept when the tightest one (the lowest within-group sum
    of squares) only moves its borders (at most ``SAME_PARTITION`` of the weight changes group): it is then the
    same answer, and the one Polis would show. When they disagree more, Polis's start was stuck in a poorer
    optimum and the tightest result is returned. Only used on the base centres (at most ``BASE_CLUSTERS``
    points in two dimensions), so every start is cheap.
    """
    _, first = np.unique(points, axis=0, return_index=True)
    if len(first) <= k:
        candidates = [_kmeans(points, weights, k)[0]]
    else:
        starts = [points[np.sort(first)[:k]]]
        starts += [_plus_plus_start(points, weights, k, np.random.default_rng(seed)) for seed in range(GROUP_STARTS)]
        candidates = [_lloyd(points, weights, start) for start in starts]
    merged = [_merge_small_groups(points, weights, labels) for labels in candidates]
    valid = [labels for labels in merged if int(labels.max()) + 1 >= MIN_GROUPS]
    if not valid:
        return None
    spreads = [_spread(points, weights, labels) for labels in valid]
    best = valid[int(np.argmin(spreads))]
    first_start = merged[0]
    if int(first_start.max()) + 1 >= MIN_GROUPS and _moved_share(first_start, best, weights) <= SAME_PARTITION:
        return first_start
    return best


def _moved_share(a: np.ndarray, b: np.ndarray, weights: np.ndarray) -> float:
    """Return the share of the weight that changes group between two partitions, groups matched at best.

    There are at most ``MAX_GROUPS`` groups on each side, so trying every matching (120 at most) is exact.
    """
    table = np.zeros((int(a.max()) + 1, int(b.max()) + 1))
    np.add.at(table, (a, b), weights)
    if table.shape[0] > table.shape[1]:
        table = table.T
    matchings = np.array(list(permutations(range(table.shape[1]), table.shape[0])))
    kept = float(table[np.arange(table.shape[0]), matchings].sum(axis=1).max())
    return 1.0 - kept / float(weights.sum())


def _plus_plus_start(points: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Pick ``k`` starting centres by weighted k-means++ (each next centre likelier the farther it is)."""
    chosen = [int(rng.choice(len(points), p=weights / weights.sum()))]
    gaps = ((points - points[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        mass = weights * gaps
        total = mass.sum()
        if total <= 0:
            break
        chosen.append(int(rng.choice(len(points), p=mass / total)))
        gaps = np.minimum(gaps, ((points - points[chosen[-1]]) ** 2).sum(axis=1))
    return points[chosen]


def _lloyd(points: np.ndarray, weights: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Run weighted Lloyd iterations from ``centres`` until no point moves; return labels numbered 0.."""
    labels = np.full(len(points), -1, dtype=np.int64)
    for _ in range(KMEANS_ITERATIONS):
        new = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        mass = np.bincount(labels, weights=weights, minlength=len(centres))
        sums = np.stack([np.bincount(labels, weights=weights * column, minlength=len(centres)) for column in points.T])
        # A centre left without points is dropped; the next assignment renumbers around it.
        centres = (sums[:, mass > 0] / mass[mass > 0]).T
    return np.unique(labels, return_inverse=True)[1].reshape(-1)


def _spread(points: np.ndarray, weights: np.ndarray, labels: np.ndarray) -> float:
    """Return the weighted within-group sum of squares (what k-means minimises)."""
    mass = np.bincount(labels, weights=weights)
    inside = mass > 0
    sums = np.stack([np.bincount(labels, weights=weights * column) for column in points.T])[:, inside]
    return float((weights * (points**2).sum(axis=1)).sum() - ((sums**2).sum(axis=0) / mass[inside]).sum())


def _merge_small_groups(points: np.ndarray, weights: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Merge each group lighter than ``MIN_GROUP_SIZE`` into the group with the nearest centre; renumber."""
    labels = labels.copy()
    while True:
        present = np.unique(labels)
        mass = np.array([weights[labels == g].sum() for g in present])
        if len(present) < 2 or mass.min() >= MIN_GROUP_SIZE:
            break
        small = present[int(np.argmin(mass))]
        centres = np.array([np.average(points[labels == g], axis=0, weights=weights[labels == g]) for g in present])
        gaps = ((centres - centres[present == small]) ** 2).sum(axis=1)
        gaps[present == small] = np.inf
        labels[labels == small] = present[int(np.argmin(gaps))]
    return np.unique(labels, return_inverse=True)[1].reshape(-1)


def _kmeans(points: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run weighted k-means from the first ``k`` distinct points; return labels, centres, weight per cluster.

    With ``k`` or fewer distinct points, each is its own cluster. Clusters left empty are dropped, so fewer
    than ``k`` clusters may come back.
    """
    _, first, inverse = np.unique(points, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)
    if len(first) <= k:
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        labels, centres = rank[inverse.reshape(-1)], points[first[order]]
    else:
        labels, centres = _base_lloyd(points, weights, points[first[order[:k]]])
    mass = np.bincount(labels, weights=weights, minlength=len(centres))
    keep = mass > 0
    if not keep.all():
        remap = np.cumsum(keep) - 1
        labels, centres, mass = remap[labels], centres[keep], mass[keep]
    return labels, centres, mass


def _base_lloyd(points: np.ndarray, weights: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run weighted Lloyd iterations from ``start`` the way scikit-learn's KMeans does; return labels and centres.

    Same steps and stopping rules, so the same base clusters as ``KMeans(init=start, n_init=1)`` without its
    second of import: the points are centred first; each step assigns every point to the nearest centre
    (``|c|^2 - 2 x.c``, the first on a tie) and moves the centres to their members' weighted means; a centre
    left empty takes the point farthest from its own centre. It stops when no point moves, or when the centres
    moved less than ``KMEANS_TOLERANCE`` of the mean per-axis variance (in all, squared), and then assigns once
    more to the final centres.
    """
    mean = points.mean(axis=0)
    x = points - mean
    centres = start - mean
    tolerance = float(np.mean(np.var(x, axis=0))) * KMEANS_TOLERANCE
    k = len(centres)
    labels_old = np.full(len(x), -1, dtype=np.int64)
    converged = False
    # One buffer for the distances: a fresh points x centres array at every step costs more than the step.
    buffer = np.empty((len(x), k))
    for _ in range(KMEANS_ITERATIONS):
        labels = _nearest(x, centres, buffer)
        mass = np.bincount(labels, weights=weights, minlength=k)
        sums = np.stack([np.bincount(labels, weights=weights * column, minlength=k) for column in x.T], axis=1)
        empty = np.flatnonzero(mass == 0)
        if len(empty):
            gaps = ((x - centres[labels]) ** 2).sum(axis=1)
            if gaps.max() > 0:
                farthest = np.argpartition(gaps, -len(empty))[: -len(empty) - 1 : -1]
                for cluster_id, far in zip(empty, farthest, strict=True):
                    sums[labels[far]] -= x[far] * weights[far]
                    sums[cluster_id] = x[far] * weights[far]
                    mass[labels[far]] -= weights[far]
                    mass[cluster_id] = weights[far]
        new = sums / np.where(mass > 0, mass, 1.0)[:, None]
        heaviest = int(np.argmax(mass))
        for cluster_id in np.flatnonzero(mass <= 0):
            # Still empty (its point was another's only one): scikit-learn puts it on the heaviest centre, or on
            # that centre's unaveraged sum when it comes first; the next step relocates it.
            new[cluster_id] = new[heaviest] if cluster_id > heaviest else sums[heaviest]
        shift = float(((new - centres) ** 2).sum())
        centres = new
        if np.array_equal(labels, labels_old):
            converged = True
            break
        if shift <= tolerance:
            break
        labels_old = labels
    if not converged:
        labels = _nearest(x, centres, buffer)
    return labels, centres + mean


def _nearest(x: np.ndarray, centres: np.ndarray, buffer: np.ndarray) -> np.ndarray:
    """Return each point's nearest centre by ``|c|^2 - 2 x.c`` (the first on a tie), computed in ``buffer``."""
    np.matmul(x, -2.0 * centres.T, out=buffer)
    np.add(buffer, (centres**2).sum(axis=1), out=buffer)
    return buffer.argmin(axis=1)


def _weighted_silhouette(centres: np.ndarray, sizes: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Compute the mean silhouette over participants, with each base centre standing for its members."""
    distances = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    # Weighted sum of distances from each centre to each group, and the weight of each group.
    onehot = np.zeros((len(centres), k))
    onehot[np.arange(len(centres)), labels] = 1.0
    to_group = distances @ (onehot * sizes[:, None])
    group_weight = onehot.T @ sizes
    # The others in my group (my own base cluster's other members count, at distance 0).
    own = group_weight[labels] - 1.0
    a = np.divide(to_group[np.arange(len(centres)), labels], own, out=np.zeros(len(centres)), where=own > 0)
    other = to_group / group_weight[None, :]
    other[np.arange(len(centres)), labels] = np.inf
    b = other.min(axis=1)
    denominator = np.maximum(a, b)
    s = np.divide(b - a, denominator, out=np.zeros(len(centres)), where=denominator > 0)
    s[own <= 0] = 0.0
    return float((s * sizes).sum() / sizes.sum())


def canonical_labels(labels: np.ndarray) -> np.ndarray:
    """Renumber groups by size (largest first), ties by their smallest member's position in the sorted ids."""
    present = [g for g in np.unique(labels) if g >= 0]
    keyed = sorted(present, key=lambda g: (-int(np.count_nonzero(labels == g)), int(np.flatnonzero(labels == g)[0])))
    out = np.full_like(labels, -1)
    for new, old in enumerate(keyed):
        out[labels == old] = new
    return out
