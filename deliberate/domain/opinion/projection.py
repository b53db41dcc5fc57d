"""Place participants on two principal axes, projected from the cells they voted, scaled for sparsity."""

from __future__ import annotations

import numpy as np

from deliberate.domain.opinion.votes import Votes

#: Above this many participants and statements, PCA uses a randomized SVD.
EXACT_PCA_LIMIT = 1000
#: The randomized SVD's extra random directions and power iterations (scikit-learn's defaults for two axes).
SVD_OVERSAMPLES, SVD_ITERATIONS = 10, 7


def project(votes: Votes, n_people: int, n_statements: int) -> tuple[np.ndarray, tuple[float, float]]:
    """Project every participant on the two principal axes of the mean-filled, centred reaction matrix."""
    xy = np.zeros((n_people, 2))
    if n_people == 0 or n_statements == 0 or len(votes.values) == 0:
        return xy, (0.0, 0.0)
    rows, cols, values = votes.rows, votes.cols, votes.values
    sums = np.bincount(cols, weights=values, minlength=n_statements)
    seen = np.bincount(cols, minlength=n_statements)
    means = np.divide(sums, seen, out=np.zeros(n_statements), where=seen > 0)
    # Filling a missing cell with the statement's mean and then centring leaves zero there: the centred matrix
    # only holds the voted cells, which is also exactly the "project from the cells voted" rule.
    centred = np.zeros((n_people, n_statements))
    centred[rows, cols] = values - means[cols]
    axes, explained = _principal_axes(centred)
    # Polis zeroes moderated-out statements for everyone rather than dropping them: they add nothing to any
    # position, but count as cells voted in the sparsity scaling. Doing the same keeps the map Polis's.
    voted = np.bincount(rows, minlength=n_people) + votes.hidden_reacted
    scale = np.sqrt((n_statements + votes.hidden_reacted) / np.maximum(voted, 1))
    xy[:, : axes.shape[0]] = (centred @ axes.T) * scale[:, None]
    return xy, explained


def _principal_axes(centred: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """Return up to two principal axes (rows) with a canonical sign, and their shares of the variance."""
    n_people, n_statements = centred.shape
    if min(n_people, n_statements) > EXACT_PCA_LIMIT:
        # Large matrices: a seeded randomized SVD, accurate for the top two axes and far cheaper than eigh.
        singular, axes = _randomized_svd(centred)
        top = singular**2
    elif n_statements <= n_people:
        eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)
        order = np.argsort(eigenvalues)[::-1][:2]
        axes, top = eigenvectors[:, order].T, eigenvalues[order]
    else:
        eigenvalues, eigenvectors = np.linalg.eigh(centred @ centred.T)
        order = np.argsort(eigenvalues)[::-1][:2]
        top = eigenvalues[order]
        axes = (centred.T @ eigenvectors[:, order]).T
        norms = np.linalg.norm(axes, axis=1)
        axes = np.divide(axes, norms[:, None], out=np.zeros_like(axes), where=norms[:, None] > 0)
    axes = np.array(axes, dtype=np.float64)
    for axis in axes:
        # Canonical sign: the largest loading (rounded, so that float noise cannot flip it) is positive.
        largest = int(np.argmax(np.abs(np.round(axis, 9))))
        if axis[largest] < 0:
            axis *= -1
    total = float(np.einsum("ij,ij->", centred, centred))
    shares = [float(v) / total if total > 0 else 0.0 for v in np.clip(top, 0.0, None)]
    shares += [0.0] * (2 - len(shares))
    return axes, (shares[0], shares[1])




def _randomized_svd(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the top two singular values and right singular vectors (rows) of ``matrix``, by a seeded randomized SVD.

    Halko, Martinsson and Tropp's range finder as scikit-learn's ``randomized_svd(n_components=2,
    n_oversamples=10, n_iter=7, random_state=0)`` runs it (the same seeded start, on the transpose when there are
    fewer rows than columns), its power iterations normalised by QR rather than LU: the same subspace, so the
    same axes up to rounding, without importing scikit-learn and SciPy for a second.
    """
    transpose = matrix.shape[0] < matrix.shape[1]
    m = matrix.T if transpose else matrix
    q = np.random.RandomState(0).normal(size=(m.shape[1], 2 + SVD_OVERSAMPLES))
    for _ in range(SVD_ITERATIONS):
        q = np.linalg.qr(m @ q)[0]
        q = np.linalg.qr(m.T @ q)[0]
    q = np.linalg.qr(m @ q)[0]
    left, singular, right = np.linalg.svd(q.T @ m, full_matrices=False)
    axes = (q @ left[:, :2]).T if transpose else right[:2]
    return singular[:2], axes
