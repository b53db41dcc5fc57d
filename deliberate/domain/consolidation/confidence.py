"""Rate groups and the demands in them: how sure the engine is that they ask for the same thing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from deliberate.domain.consolidation.clustering import group_squares
from deliberate.domain.consolidation.similarity import Corpus

# A demand's cohesion reaches full strength at CONFIDENCE_SCALE times the threshold; groups at or above CONFIDENT
# are pre-selected for the board.
CONFIDENCE_SCALE = 2.0
CONFIDENT = 0.3


@dataclass(frozen=True)
class Suggestion:
    """One suggested group: its demands (indices, sorted), how sure the engine is of it, and of each demand in it.

    ``confidence`` is in [0, 1]: for a group, how clearly its demands ask for the same thing and for nothing else
    (its weakest demand weighs most); for a demand alone, how clearly it has no close match. ``member_confidence``
    gives each demand's own confidence, in the order of ``members``.
    """

    members: tuple[int, ...]
    confidence: float
    member_confidence: tuple[float, ...]

    @property
    def is_confident(self) -> bool:
        """Tell whether the board can take this group as it is (it is pre-selected in the workspace)."""
        return len(self.members) > 1 and self.confidence >= CONFIDENT

    def to_dict(self) -> dict[str, Any]:
        """Return the suggestion as plain JSON values."""
        return {
            "members": list(self.members),
            "confidence": self.confidence,
            "member_confidence": list(self.member_confidence),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Suggestion:
        """Rebuild a suggestion from :meth:`to_dict`."""
        return cls(
            members=tuple(int(i) for i in data["members"]),
            confidence=float(data["confidence"]),
            member_confidence=tuple(float(c) for c in data["member_confidence"]),
        )


def rate_groups(
    corpus: Corpus,
    groups: list[list[int]],
    low: np.ndarray,
    high: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    squares: Sequence[np.ndarray | None] | None = None,
) -> list[Suggestion]:
    """Rate each group and each demand in it (silhouette-like, on exact scores inside, neighbour lists outside).

    A demand's cohesion is its mean similarity to the rest of its group; its separation is its mean similarity to
    the closest other group among its neighbours (missing edges count as zero). The demand's confidence is how much
    the first exceeds the second, times how strong the cohesion is against the threshold. A group's confidence is
    the mean of its demands' confidences and its weakest demand's.
    """
    n = corpus.size
    label = np.empty(n, dtype=np.int64)
    for g, group in enumerate(groups):
        label[group] = g
    sizes = np.array([len(group) for group in groups], dtype=np.float64)
    # Mean similarity of each demand to each neighbouring group, from the sparse edges (both directions).
    rows = np.concatenate([low, high])
    cols = np.concatenate([high, low])
    values = np.concatenate([scores, scores])
    other = label[cols]
    outside = other != label[rows]
    separation = np.zeros(n)
    if outside.any():
        r, g, v = rows[outside], other[outside], values[outside]
        key = r * len(groups) + g
        unique, inverse = np.unique(key, return_inverse=True)
        sums = np.bincount(inverse, weights=v)
        means = sums / sizes[unique % len(groups)]
        np.maximum.at(separation, unique // len(groups), means)
        best_edge = np.zeros(n)
        np.maximum.at(best_edge, r, v)
    else:
        best_edge = np.zeros(n)
    if squares is None:
        squares = group_squares(corpus, groups)
    # For groups too large for a dense square, cohesion comes from the edges the neighbour lists hold.
    inside = ~outside
    within = np.bincount(rows[inside], weights=values[inside], minlength=n)
    result = []
    for group, square in zip(groups, squares, strict=True):
        if len(group) == 1:
            i = group[0]
            alone = float(np.clip(1.0 - best_edge[i] / threshold, 0.0, 1.0))
            result.append(Suggestion((i,), round(alone, 4), (round(alone, 4),)))
            continue
        total = square.sum(axis=1) if square is not None else within[group]
        cohesion = total / (len(group) - 1)
        apart = separation[group]
        margin = np.clip((cohesion - apart) / np.maximum(cohesion, 1e-9), 0.0, 1.0)
        strength = np.clip(cohesion / (CONFIDENCE_SCALE * threshold), 0.0, 1.0)
        each = margin * strength
        overall = 0.5 * (float(each.mean()) + float(each.min()))
        result.append(
            Suggestion(tuple(group), round(overall, 4), tuple(round(float(c), 4) for c in each))
        )
    return result
