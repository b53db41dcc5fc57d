"""Weigh stored features over the corpus at hand (TF-IDF blocks, places) and score pairs of demands."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from deliberate.domain.consolidation.features import FEATURES_VERSION, DemandFeatures, term_hash
from deliberate.domain.consolidation.text import stem_pair

if TYPE_CHECKING:
    import scipy.sparse as sp

# Weights of the similarity blocks (lexical weights are relative; the encoder takes ENCODER_WEIGHT of the total
# when every demand has a meaning vector).
WORD_WEIGHT = 0.75
CHAR_WEIGHT = 0.25
ENCODER_WEIGHT = 0.25
# When both demands name places and share none, their similarity is multiplied by 1 - PLACE_PENALTY.
PLACE_PENALTY = 0.5
# When one demand names a hometown and the other names no place at all, their similarity is multiplied by
# 1 - ONE_SIDED_PENALTY: "pave the road from Jerez to Los Haro" is a work in one place, "3x1 funds only for water and
# roads" a rule for every place.
ONE_SIDED_PENALTY = 0.35


@dataclass(frozen=True)
class Corpus:
    lexical: sp.csr_matrix  # n x D, rows of unit norm (word and char blocks weighted and concatenated)
    vectors: np.ndarray | None  # n x 512 unit rows, or None
    places: tuple[sp.csr_matrix, ...]  # towns, cities, regions: n x P binary each
    encoder_weight: float
    levels: list[list[tuple[str, ...]]]  # each demand's towns, cities and regions

    @property
    def size(self) -> int:
        return self.lexical.shape[0]


def _tfidf_block(indices: list[np.ndarray], counts: list[np.ndarray]) -> sp.csr_matrix:
    import scipy.sparse as sp  # a tenth of a second to load: only a consolidation run needs it
    n = len(indices)
    lengths = np.fromiter((len(a) for a in indices), dtype=np.int64, count=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    flat = np.concatenate(indices) if n else np.zeros(0, dtype=np.int64)
    values = np.concatenate(counts).astype(np.float64) if n else np.zeros(0)
    columns, compact = np.unique(flat, return_inverse=True)
    matrix = sp.csr_matrix((np.log1p(values), compact.astype(np.int64), indptr), shape=(n, len(columns)))
    matrix.sum_duplicates()
    document_frequency = np.bincount(matrix.indices, minlength=len(columns))
    idf = np.log((1.0 + n) / (1.0 + document_frequency)) + 1.0
    matrix = matrix @ sp.diags(idf)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


def _place_matrix(groups: list[tuple[str, ...]]) -> sp.csr_matrix:
    import scipy.sparse as sp  # a tenth of a second to load: only a consolidation run needs it
    names = sorted({name for group in groups for name in group})
    position = {name: i for i, name in enumerate(names)}
    rows = [i for i, group in enumerate(groups) for _ in group]
    cols = [position[name] for group in groups for name in group]
    data = np.ones(len(rows), dtype=np.float32)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(groups), max(1, len(names))))


def build_corpus(features: Sequence[DemandFeatures], use_encoder: bool | None) -> Corpus:
    import scipy.sparse as sp  # a tenth of a second to load: only a consolidation run needs it
    for item in features:
        if item.version != FEATURES_VERSION:
            raise ValueError(f"demand features of version {item.version}; recompute them with featurize()")
    words = _tfidf_block([f.word_index for f in features], [f.word_count for f in features])
    chars = _tfidf_block([f.char_index for f in features], [f.char_count for f in features])
    total = WORD_WEIGHT + CHAR_WEIGHT
    lexical = sp.hstack(
        [words * math.sqrt(WORD_WEIGHT / total), chars * math.sqrt(CHAR_WEIGHT / total)], format="csr"
    ).astype(np.float32)
    levels = place_levels(features)
    levels[0] = _infer_towns(features, levels[0])
    have_vectors = bool(features) and all(f.vector is not None for f in features)
    vectors = None
    encoder_weight = 0.0
    if have_vectors and use_encoder is not False:
        vectors = np.vstack([f.vector for f in features]).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        vectors /= norms
        encoder_weight = ENCODER_WEIGHT
    elif use_encoder:
        raise ValueError("use_encoder=True but some demand features carry no meaning vector")
    return Corpus(
        lexical=lexical,
        vectors=vectors,
        places=tuple(_place_matrix(level) for level in levels),
        levels=levels,
        encoder_weight=encoder_weight,
    )


def _infer_towns(features: Sequence[DemandFeatures], towns: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Give a demand that names no town the towns of the corpus whose every word it uses in lower case.

    "asfalto pa la labor" names no place on its own, but another demand of the corpus wrote "rancho La Labor":
    the corpus teaches the name. Only towns of two letters or more a word, and only to demands naming none.
    """
    keys = sorted({town for group in towns for town in group})
    if not keys:
        return towns
    needs: list[tuple[str, list[list[int]]]] = []
    for town in keys:
        tokens = town.split(":", 1)[1].split("_")
        if any(len(t) < 3 for t in tokens):
            continue
        needs.append((town, [sorted({term_hash("w:" + stem) for stem in stem_pair(t)}) for t in tokens]))
    if not needs:
        return towns
    wanted = {h for _, alternatives in needs for hashes in alternatives for h in hashes}
    holders: dict[int, set[int]] = {h: set() for h in wanted}
    for position, item in enumerate(features):
        if towns[position]:
            continue
        for h in item.word_index.tolist():
            if h in holders:
                holders[h].add(position)
    result = list(towns)
    for town, alternatives in needs:
        found: set[int] | None = None
        for hashes in alternatives:
            having = set().union(*(holders[h] for h in hashes))
            found = having if found is None else found & having
            if not found:
                break
        for position in sorted(found or ()):
            result[position] = (*result[position], town) if result[position] else (town,)
    # A demand that takes two or more towns this way is ambiguous: it keeps none of them.
    return [
        group if towns[i] or len(group) <= 1 else () for i, group in enumerate(result)
    ]


def place_levels(features: Sequence[DemandFeatures]) -> list[list[tuple[str, ...]]]:
    """Split each demand's places into towns, cities, regions and sides of the border (most specific first)."""
    towns = [tuple(p for p in f.local_places if p.startswith("town:")) for f in features]
    cities = [tuple(p for p in f.local_places if not p.startswith("town:")) for f in features]
    regions = [tuple(r for r in f.regions if not r.startswith("side:")) for f in features]
    sides = [tuple(r for r in f.regions if r.startswith("side:")) for f in features]
    return [towns, cities, regions, sides]


def places_clash(left: Sequence[frozenset[str]], right: Sequence[frozenset[str]]) -> bool:
    """Tell whether two sets of places differ at the most specific level both name."""
    for mine, theirs in zip(left, right, strict=True):
        if mine and theirs:
            return mine.isdisjoint(theirs)
    return False


def _place_factor(corpus: Corpus, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Return the multiplier (1 or 1 - PLACE_PENALTY) for each pair of demands ``rows[k]``, ``cols[k]``."""
    factor = np.ones(len(rows), dtype=np.float32)
    decided = np.zeros(len(rows), dtype=bool)
    clash = np.zeros(len(rows), dtype=bool)
    for matrix in corpus.places:
        counts = np.diff(matrix.indptr)
        both = (counts[rows] > 0) & (counts[cols] > 0) & ~decided
        if both.any():
            pick = np.flatnonzero(both)
            shared = np.asarray(matrix[rows[pick]].multiply(matrix[cols[pick]]).sum(axis=1)).ravel()
            clash[pick[shared == 0]] = True
            decided |= both
    factor[clash] = 1.0 - PLACE_PENALTY
    if ONE_SIDED_PENALTY > 0:
        towns = np.diff(corpus.places[0].indptr) > 0
        named = np.zeros(len(towns), dtype=bool)
        for matrix in corpus.places[:3]:
            named |= np.diff(matrix.indptr) > 0
        one_sided = (towns[rows] & ~named[cols]) | (towns[cols] & ~named[rows])
        factor[one_sided] *= 1.0 - ONE_SIDED_PENALTY
    return factor


def pair_scores(corpus: Corpus, rows: np.ndarray, cols: np.ndarray, batch: int = 50_000) -> np.ndarray:
    """Compute the exact similarity of each pair of demands ``rows[k]``, ``cols[k]``."""
    scores = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), batch):
        r = rows[start : start + batch]
        c = cols[start : start + batch]
        lexical = np.asarray(corpus.lexical[r].multiply(corpus.lexical[c]).sum(axis=1)).ravel()
        if corpus.vectors is not None:
            meaning = np.einsum("ij,ij->i", corpus.vectors[r], corpus.vectors[c])
            lexical = (1.0 - corpus.encoder_weight) * lexical + corpus.encoder_weight * meaning
        scores[start : start + batch] = lexical * _place_factor(corpus, r, c)
    return scores


def block_scores(corpus: Corpus, start: int, stop: int) -> np.ndarray:
    """Compute the exact similarities of demands ``start:stop`` to every demand (a chunk-by-n dense block)."""
    block = (corpus.lexical[start:stop] @ corpus.lexical.T).toarray()
    if corpus.vectors is not None:
        block *= 1.0 - corpus.encoder_weight
        block += corpus.encoder_weight * (corpus.vectors[start:stop] @ corpus.vectors.T)
    decided = np.zeros(block.shape, dtype=bool)
    for matrix in corpus.places:
        counts = np.diff(matrix.indptr)
        if not counts.any():
            continue
        shared = (matrix[start:stop] @ matrix.T).toarray()
        both = (counts[start:stop, None] > 0) & (counts[None, :] > 0) & ~decided
        block[both & (shared == 0)] *= 1.0 - PLACE_PENALTY
        decided |= both
    if ONE_SIDED_PENALTY > 0:
        towns = np.diff(corpus.places[0].indptr) > 0
        named = np.zeros(len(towns), dtype=bool)
        for matrix in corpus.places[:3]:
            named |= np.diff(matrix.indptr) > 0
        one_sided = (towns[start:stop, None] & ~named[None, :]) | (~named[start:stop, None] & towns[None, :])
        block[one_sided] *= 1.0 - ONE_SIDED_PENALTY
    return block
