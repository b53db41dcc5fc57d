"""Suggest groups of demands that ask for the same thing, and rate the groups the board keeps."""

from __future__ import annotations

from collections.abc import Sequence

from threadpoolctl import threadpool_limits

from deliberate.domain.consolidation import clustering
from deliberate.domain.consolidation.clustering import (
    HARD_LEVELS,
    SPLIT_RATIO,
    average_linkage,
    group_squares,
    prune_group,
    split_group,
)
from deliberate.domain.consolidation.confidence import Suggestion, rate_groups
from deliberate.domain.consolidation.features import DemandFeatures, featurize_many
from deliberate.domain.consolidation.graph import NEIGHBOURS, neighbour_edges
from deliberate.domain.consolidation.lexicon import Gazetteer, Vocabulary
from deliberate.domain.consolidation.similarity import build_corpus

# Chosen by cross-validation over the tuning sets (benchmarks/eval_consolidation.py), favouring precision.
DEFAULT_THRESHOLD = 0.11
DEFAULT_THRESHOLD_ENCODER = 0.13


def default_threshold(features: Sequence[DemandFeatures] = ()) -> float:
    """Return the default merge threshold for these features (higher scale when meaning vectors are used)."""
    if features and all(f.vector is not None for f in features):
        return DEFAULT_THRESHOLD_ENCODER
    return DEFAULT_THRESHOLD


def suggest(
    features: Sequence[DemandFeatures],
    *,
    threshold: float | None = None,
    use_encoder: bool | None = None,
    neighbours: int = NEIGHBOURS,
    split_ratio: float | None = None,
) -> list[Suggestion]:
    """Group stored demand features into rated suggestions.

    Every index appears in exactly one suggestion; members are sorted; suggestions are sorted by size, largest
    first, then by their first index. ``threshold`` is the mean similarity a group must keep (None: the default for
    the features at hand); ``use_encoder`` False ignores stored meaning vectors; ``split_ratio`` (None: the
    default, 0: no second pass) is how much less alike two parts of a group may be before the group is split.
    """
    n = len(features)
    if n == 0:
        return []
    corpus = build_corpus(features, use_encoder)
    if threshold is None:
        threshold = DEFAULT_THRESHOLD_ENCODER if corpus.vectors is not None else DEFAULT_THRESHOLD
    ratio = SPLIT_RATIO if split_ratio is None else split_ratio
    floor = max(0.01, threshold / 2)
    # Many small products: one BLAS thread is faster than threads that wait on each other on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        low, high, scores = neighbour_edges(corpus, floor, neighbours)
        places = [
            tuple(frozenset(level) for level in levels)
            for levels in zip(*corpus.levels[:HARD_LEVELS], strict=True)
        ]
        groups = average_linkage(n, low, high, scores, threshold, neighbours, places)
        rated = list(zip(groups, group_squares(corpus, groups), strict=True))
        if ratio > 0:
            ceiling = clustering.SPLIT_CEILING * threshold
            rated = [part for group, square in rated for part in split_group(group, square, ratio, ceiling)]
        prune = clustering.PRUNE_RATIO * threshold
        if prune > 0:
            rated = [part for group, square in rated for part in prune_group(group, square, prune)]
        rated.sort(key=lambda pair: (-len(pair[0]), pair[0][0]))
        return rate_groups(
            corpus, [g for g, _ in rated], low, high, scores, threshold, [square for _, square in rated]
        )


def rate(
    features: Sequence[DemandFeatures],
    groups: Sequence[Sequence[int]],
    *,
    threshold: float | None = None,
    use_encoder: bool | None = None,
    neighbours: int = NEIGHBOURS,
) -> list[Suggestion]:
    """Rate given groups of indices into ``features`` (a stored suggestion) the way :func:`suggest` rates its own.

    Every index must be in exactly one group; the suggestions come back in the order of ``groups``.
    """
    n = len(features)
    members = sorted(i for group in groups for i in group)
    if members != list(range(n)):
        raise ValueError("every demand must be in exactly one group")
    if n == 0:
        return []
    corpus = build_corpus(features, use_encoder)
    if threshold is None:
        threshold = DEFAULT_THRESHOLD_ENCODER if corpus.vectors is not None else DEFAULT_THRESHOLD
    with threadpool_limits(limits=1, user_api="blas"):
        low, high, scores = neighbour_edges(corpus, max(0.01, threshold / 2), neighbours)
        return rate_groups(corpus, [sorted(g) for g in groups], low, high, scores, threshold)


def suggest_clusters_from_features(
    features: Sequence[DemandFeatures],
    *,
    threshold: float | None = None,
    use_encoder: bool | None = None,
    neighbours: int = NEIGHBOURS,
    split_ratio: float | None = None,
) -> list[list[int]]:
    """Group stored demand features into suggested clusters of indices (:func:`suggest` without the ratings)."""
    found = suggest(
        features, threshold=threshold, use_encoder=use_encoder, neighbours=neighbours, split_ratio=split_ratio
    )
    return [list(s.members) for s in found]


def suggest_clusters(
    texts: Sequence[str],
    *,
    threshold: float | None = None,
    use_encoder: bool | None = None,
    vocabulary: Vocabulary | None = None,
    gazetteer: Gazetteer | None = None,
) -> list[list[int]]:
    """Group demand texts that ask for the same thing; return groups of indices into ``texts``.

    Same rules as :func:`suggest_clusters_from_features`; an app should store each demand's features at submission
    and call that instead, so that the encoder runs once per demand.
    """
    features = featurize_many(texts, use_encoder=use_encoder, vocabulary=vocabulary, gazetteer=gazetteer)
    return suggest_clusters_from_features(features, threshold=threshold, use_encoder=use_encoder)
