"""Cluster the participants: base k-means clusters, then 2 to 5 groups by silhouette, with no group of one."""

from __future__ import annotations

import numpy as np

#: Maximum number of base clusters.
BASE_CLUSTERS = 100
#: Group counts tried.
MIN_GROUPS, MAX_GROUPS = 2, 5
#: Lloyd iterations at most.
KMEANS_ITERATIONS = 300
#: Smallest opinion group allowed.
MIN_GROUP_SIZE = 2


def cluster(points: np.ndarray) -> np.ndarray:
    """Cluster projected participants into opinion groups (labels 0..k-1 in arbitrary order, -1 for none).

    Like Polis, k-means starts from the first distinct points (participants in id order, then base clusters
    in order), so there is no randomness at all. A group of one participant joins the nearest group.
    """
    n = len(points)
    if n < MIN_GROUP_SIZE:
        return np.full(n, -1, dtype=np.int64)
    base_labels, centres, sizes = _kmeans(points, np.ones(n), BASE_CLUSTERS)
    best: tuple[float, np.ndarray] | None = None
    for k in range(MIN_GROUPS, min(MAX_GROUPS, len(centres) - 1) + 1):
        centre_labels = _merge_small_groups(centres, sizes, _kmeans(centres, sizes, k)[0])
        n_groups = int(centre_labels.max()) + 1
        if n_groups < MIN_GROUPS:
            continue
        score = _weighted_silhouette(centres, sizes, centre_labels, n_groups)
        if best is None or score > best[0] + 1e-12:
            best = (score, centre_labels)
    if best is None:
        return np.zeros(n, dtype=np.int64)
    return best[1][base_labels]


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
        from sklearn.cluster import KMeans  # scikit-learn takes a second to import: only when mapping

        start = points[first[order[:k]]]
        model = KMeans(n_clusters=k, init=start, n_init=1, max_iter=KMEANS_ITERATIONS, algorithm="lloyd")
        labels = model.fit_predict(points, sample_weight=weights)
        centres = model.cluster_centers_
    mass = np.bincount(labels, weights=weights, minlength=len(centres))
    keep = mass > 0
    if not keep.all():
        remap = np.cumsum(keep) - 1
        labels, centres, mass = remap[labels], centres[keep], mass[keep]
    return labels, centres, mass


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
