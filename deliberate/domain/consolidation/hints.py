"""Rank stored demands by similarity to a new one (the "already submitted" hint), from a kept inverted index."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from deliberate.domain.consolidation.features import DemandFeatures, featurize_many
from deliberate.domain.consolidation.lexicon import Gazetteer, Vocabulary
from deliberate.domain.consolidation.similarity import (
    CHAR_WEIGHT,
    ENCODER_WEIGHT,
    PLACE_PENALTY,
    WORD_WEIGHT,
    place_levels,
)


class _Postings:
    """An inverted index of one block of hashed terms: for each term, the demands holding it and their weights."""

    def __init__(self, indices: list[np.ndarray], counts: list[np.ndarray]) -> None:
        n = len(indices)
        lengths = np.fromiter((len(a) for a in indices), dtype=np.int64, count=n)
        flat = np.concatenate(indices) if n else np.zeros(0, dtype=np.int64)
        values = np.log1p(np.concatenate(counts).astype(np.float64)) if n else np.zeros(0)
        owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
        order = np.lexsort((owner, flat))
        flat, values, owner = flat[order], values[order], owner[order]
        self.terms, starts = np.unique(flat, return_index=True)
        self.starts = np.append(starts, len(flat))
        self.size = n
        # Frequencies as if the query were in the corpus too (as when clustering with it).
        self.idf = np.log((2.0 + n) / (2.0 + np.diff(self.starts))) + 1.0
        weights = values * np.repeat(self.idf, np.diff(self.starts))
        norms = np.sqrt(np.bincount(owner, weights=weights * weights, minlength=n))
        norms[norms == 0] = 1.0
        self.owner = owner
        self.weights = weights / norms[owner]

    def cosines(self, index: np.ndarray, count: np.ndarray) -> np.ndarray:
        """Return the cosine of a query's terms with every indexed demand."""
        scores = np.zeros(self.size)
        where = np.searchsorted(self.terms, index)
        known = (where < len(self.terms)) & (self.terms[np.minimum(where, len(self.terms) - 1)] == index)
        idf = np.full(len(index), math.log(2.0 + self.size) + 1.0)
        idf[known] = np.log((2.0 + self.size) / (2.0 + np.diff(self.starts)[where[known]])) + 1.0
        query = np.log1p(count.astype(np.float64)) * idf
        norm = math.sqrt(float(query @ query)) or 1.0
        for position, weight in zip(where[known].tolist(), (query[known] / norm).tolist(), strict=True):
            lo, hi = self.starts[position], self.starts[position + 1]
            np.add.at(scores, self.owner[lo:hi], weight * self.weights[lo:hi])
        return scores


class _HintIndex:
    """What the similar-demands hint needs of the stored demands, built once and reused while they do not change."""

    def __init__(self, features: Sequence[DemandFeatures]) -> None:
        self.features = list(features)
        self.words = _Postings([f.word_index for f in features], [f.word_count for f in features])
        self.chars = _Postings([f.char_index for f in features], [f.char_count for f in features])
        self.vectors = None
        if all(f.vector is not None for f in features):
            self.vectors = np.vstack([f.vector for f in features]).astype(np.float32)
            self.vectors /= np.maximum(np.linalg.norm(self.vectors, axis=1, keepdims=True), 1e-12)
        self.levels = []
        for level in place_levels(features):
            holders: dict[str, list[int]] = {}
            for i, names in enumerate(level):
                for name in names:
                    holders.setdefault(name, []).append(i)
            named = np.fromiter((bool(names) for names in level), dtype=bool, count=len(level))
            self.levels.append((named, {k: np.asarray(v) for k, v in holders.items()}))

    def scores(self, query: DemandFeatures) -> np.ndarray:
        total = WORD_WEIGHT + CHAR_WEIGHT
        block = (WORD_WEIGHT / total) * self.words.cosines(query.word_index, query.word_count)
        block += (CHAR_WEIGHT / total) * self.chars.cosines(query.char_index, query.char_count)
        if self.vectors is not None and query.vector is not None:
            vector = query.vector / max(float(np.linalg.norm(query.vector)), 1e-12)
            block = (1.0 - ENCODER_WEIGHT) * block + ENCODER_WEIGHT * (self.vectors @ vector)
        decided = np.zeros(len(block), dtype=bool)
        for (named, holders), mine in zip(self.levels, place_levels([query]), strict=True):
            if not mine[0]:
                continue
            both = named & ~decided
            shared = np.zeros(len(block), dtype=bool)
            for name in mine[0]:
                if name in holders:
                    shared[holders[name]] = True
            block[both & ~shared] *= 1.0 - PLACE_PENALTY
            decided |= both
        return block


_hint_cache: dict[str, Any] = {}


def _hint_index(features: Sequence[DemandFeatures]) -> _HintIndex:
    # The index holds the features it was built from, so the ids in the key cannot be reused while it is kept.
    # The key and its index are stored as one pair, so that two threads never mix one's key with the other's index.
    key = tuple(map(id, features))
    entry = _hint_cache.get("entry")
    if entry is None or entry[0] != key:
        entry = (key, _HintIndex(features))
        _hint_cache["entry"] = entry
    return entry[1]


def similar_from_features(
    query: DemandFeatures, features: Sequence[DemandFeatures], k: int = 5, *, minimum: float = 0.05
) -> list[tuple[int, float]]:
    """Rank stored demands by similarity to a new one; return up to ``k`` ``(index, score)``, best first.

    The stored demands are indexed once (terms to demands) and the index is kept while the same feature objects
    are passed again, so a hint costs about the query's terms, not the corpus.
    """
    if not features or k <= 0:
        return []
    block = _hint_index(features).scores(query)
    n = len(features)
    if n > 4 * k:
        top = np.argpartition(-block, 4 * k)[: 4 * k]
        cut = np.partition(block[top], len(top) - k)[len(top) - k] if len(top) >= k else -np.inf
        candidates = np.flatnonzero(block >= cut)
    else:
        candidates = np.arange(n)
    order = candidates[np.lexsort((candidates, -block[candidates]))]
    return [(int(i), round(float(block[i]), 6)) for i in order[:k] if block[i] >= minimum]


def similar(
    query: str,
    texts: Sequence[str],
    k: int = 5,
    *,
    vocabulary: Vocabulary | None = None,
    gazetteer: Gazetteer | None = None,
) -> list[tuple[int, float]]:
    """Find the demands in ``texts`` most similar to ``query`` (the "already submitted" hint), best first.

    This featurizes every text; with stored features use :func:`similar_from_features`.
    """
    features = featurize_many([*texts, query], vocabulary=vocabulary, gazetteer=gazetteer)
    return similar_from_features(features[-1], features[:-1], k)
