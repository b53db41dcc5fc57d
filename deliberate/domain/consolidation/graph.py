"""Build the sparse similarity graph: each demand's best neighbours, exactly or from a seeded sketch."""

from __future__ import annotations

import math

import numpy as np

from deliberate.domain.consolidation.similarity import Corpus, block_scores, pair_scores

NEIGHBOURS = 20
EXACT_LIMIT = 5000
SKETCH_DIM = 256
ENCODER_SKETCH_DIM = 128
CHUNK = 1000
SEED = 20260401
KMEANS_ROUNDS = 5
PROBES = 4


def _top_neighbours(block: np.ndarray, offset: int, floor: float, k: int) -> tuple[np.ndarray, ...]:
    """Keep, per row of a score block, the ``k`` best other demands scoring at least ``floor``."""
    height, width = block.shape
    block[np.arange(height), np.arange(height) + offset] = -np.inf
    k = min(k, width - 1)
    if k <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=block.dtype)
    cols = np.argpartition(block, width - k, axis=1)[:, width - k :]
    values = np.take_along_axis(block, cols, axis=1).ravel()
    rows = np.repeat(np.arange(height), k)
    cols = cols.ravel()
    keep = values >= floor
    return rows[keep] + offset, cols[keep].astype(np.int64), values[keep]


def _sketch(corpus: Corpus) -> np.ndarray:
    """Project the features to a small dense space whose dot products approximate the similarities."""
    import scipy.sparse as sp  # a tenth of a second to load: only a consolidation run needs it
    n, width = corpus.lexical.shape
    rng = np.random.default_rng(SEED)
    bucket = rng.integers(0, SKETCH_DIM, size=width)
    sign = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=width)
    projection = sp.csr_matrix((sign, (np.arange(width), bucket)), shape=(width, SKETCH_DIM))
    sketch = np.asarray((corpus.lexical @ projection).todense(), dtype=np.float32)
    if corpus.vectors is None:
        return sketch
    sketch *= math.sqrt(1.0 - corpus.encoder_weight)
    centred = corpus.vectors - corpus.vectors.mean(axis=0)
    _, axes = np.linalg.eigh(centred.T @ centred)
    reduced = corpus.vectors @ axes[:, -ENCODER_SKETCH_DIM:]
    return np.hstack([sketch, math.sqrt(corpus.encoder_weight) * reduced.astype(np.float32)])


def _cells(sketch: np.ndarray, count: int, probes: int) -> tuple[np.ndarray, np.ndarray]:
    """Partition the sketched demands into ``count`` cells (a few k-means rounds, seeded).

    Return each demand's cell and its ``probes`` nearest cells (where its neighbours are searched).
    """
    import scipy.sparse as sp  # a tenth of a second to load: only a consolidation run needs it
    n = len(sketch)
    rng = np.random.default_rng(SEED)
    centres = sketch[np.sort(rng.choice(n, size=count, replace=False))].copy()

    def nearest(how_many: int) -> np.ndarray:
        found = np.empty((n, how_many), dtype=np.int64)
        for start in range(0, n, 4 * CHUNK):
            scores = sketch[start : start + 4 * CHUNK] @ centres.T
            if how_many == 1:
                found[start : start + 4 * CHUNK, 0] = scores.argmax(axis=1)
            else:
                top = np.argpartition(scores, count - how_many, axis=1)[:, count - how_many :]
                best = np.take_along_axis(scores, top, axis=1).argmax(axis=1)
                # Put the nearest cell first: it is the demand's own cell.
                top[np.arange(len(top)), [0] * len(top)], top[np.arange(len(top)), best] = (
                    top[np.arange(len(top)), best],
                    top[np.arange(len(top)), 0],
                )
                found[start : start + 4 * CHUNK] = top
        return found

    for _ in range(KMEANS_ROUNDS):
        assign = nearest(1)[:, 0]
        membership = sp.csr_matrix((np.ones(n, dtype=np.float32), (assign, np.arange(n))), shape=(count, n))
        sizes = np.bincount(assign, minlength=count)
        sums = np.asarray(membership @ sketch)
        filled = sizes > 0
        centres[filled] = sums[filled] / sizes[filled, None]
        norms = np.linalg.norm(centres, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        centres /= norms
    probe = nearest(min(probes, count))
    return probe[:, 0], probe


def _approximate_edges(corpus: Corpus, floor: float, k: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Find each demand's ``k`` best neighbours without comparing every pair (for large corpora).

    Demands are sketched into a small dense space and partitioned into cells; each demand is compared, on the
    sketch, with the demands of its nearest cells; the ``2 k`` best candidates are re-scored exactly.
    """
    n = corpus.size
    sketch = _sketch(corpus)
    count = max(2, int(math.sqrt(n)))
    own, probe = _cells(sketch, count, PROBES)
    order = np.argsort(own, kind="stable")
    bounds = np.searchsorted(own[order], np.arange(count + 1))
    take = k + k // 2
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    # Compare each cell's demands with the demands of every cell they probe, one block per pair of cells.
    pairs = np.unique(own[:, None] * count + probe, axis=None) if len(probe) else np.zeros(0, dtype=np.int64)
    probed_by = own[:, None] * count + probe
    for pair in pairs.tolist():
        cell, target = divmod(pair, count)
        members = order[bounds[cell] : bounds[cell + 1]]
        queries = members[(probed_by[members] == pair).any(axis=1)]
        candidates = order[bounds[target] : bounds[target + 1]]
        if len(queries) == 0 or len(candidates) == 0:
            continue
        for start in range(0, len(queries), CHUNK):
            chunk = queries[start : start + CHUNK]
            block = sketch[chunk] @ sketch[candidates].T
            if cell == target:
                block[chunk[:, None] == candidates[None, :]] = -np.inf
            width = block.shape[1]
            best = min(take, width)
            top = np.argpartition(block, width - best, axis=1)[:, width - best :]
            values = np.take_along_axis(block, top, axis=1).ravel()
            keep = values > -np.inf
            found.append((np.repeat(chunk, best)[keep], candidates[top.ravel()][keep], values[keep]))
    rows = np.concatenate([f[0] for f in found])
    cols = np.concatenate([f[1] for f in found])
    values = np.concatenate([f[2] for f in found])
    # The best ``take`` candidates of each demand over all the cells it probed, by sketched score.
    ranked = np.lexsort((cols, -values, rows))
    rows, cols = rows[ranked], cols[ranked]
    first = np.searchsorted(rows, rows, side="left")
    keep = (np.arange(len(rows)) - first) < take
    rows, cols = rows[keep], cols[keep]
    parts = []
    for start in range(0, len(rows), 100_000):
        r, c = rows[start : start + 100_000], cols[start : start + 100_000]
        scores = pair_scores(corpus, r, c)
        keep = scores >= floor
        parts.append((r[keep], c[keep], scores[keep]))
    rows = np.concatenate([p[0] for p in parts])
    cols = np.concatenate([p[1] for p in parts])
    scores = np.concatenate([p[2] for p in parts])
    # Keep the k best exact scores per demand (best first, then the smaller index).
    ranked = np.lexsort((cols, -scores, rows))
    rows, cols, scores = rows[ranked], cols[ranked], scores[ranked]
    first = np.searchsorted(rows, rows, side="left")
    keep = (np.arange(len(rows)) - first) < k
    return [(rows[keep], cols[keep], scores[keep])]


def neighbour_edges(corpus: Corpus, floor: float, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Build the sparse similarity graph: for each demand, its ``k`` best neighbours at or above ``floor``."""
    n = corpus.size
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if n <= EXACT_LIMIT:
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            parts.append(_top_neighbours(block_scores(corpus, start, stop), start, floor, k))
    else:
        parts = _approximate_edges(corpus, floor, k)
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    rows = np.concatenate([p[0] for p in parts])
    cols = np.concatenate([p[1] for p in parts])
    scores = np.concatenate([p[2] for p in parts]).astype(np.float64)
    low = np.minimum(rows, cols)
    high = np.maximum(rows, cols)
    # The two directions of a pair carry the same exact score up to rounding: keep one, the larger.
    order = np.lexsort((-scores, high, low))
    low, high, scores = low[order], high[order], scores[order]
    unique = np.ones(len(low), dtype=bool)
    unique[1:] = (low[1:] != low[:-1]) | (high[1:] != high[:-1])
    return low[unique], high[unique], scores[unique]
