"""What sets each group apart (representative statements) and what every group shares (consensus)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from deliberate.domain.opinion.results import AGREE, DISAGREE, ConsensusStatement, Id, RepresentativeStatement
from deliberate.domain.opinion.votes import Votes

#: z of a one-sided test at 90% confidence, as Polis uses.
Z_90 = 1.2816
#: Representative statements kept per group, consensus statements kept per direction.
MAX_REPRESENTATIVE = 5
MAX_CONSENSUS = 5


@dataclass(frozen=True)
class Stats:
    """Agree / disagree / seen counts per group (rows) and statement (columns), and for everyone clustered."""

    agree: np.ndarray
    disagree: np.ndarray
    seen: np.ndarray

    @property
    def n_groups(self) -> int:
        """Return the number of groups counted."""
        return self.agree.shape[0]


def group_stats(votes: Votes, labels: np.ndarray, n_groups: int, n_statements: int) -> Stats:
    """Count agree, disagree and seen per group and visible statement."""
    rows, cols, values = votes.rows, votes.cols, votes.values
    grouped = labels[rows] >= 0
    flat = labels[rows[grouped]] * n_statements + cols[grouped]
    size = n_groups * n_statements
    vals = values[grouped]

    def count(mask: np.ndarray) -> np.ndarray:
        """Count the selected reactions per (group, statement)."""
        return np.bincount(flat[mask], minlength=size).reshape(n_groups, n_statements).astype(np.float64)

    return Stats(
        agree=count(vals == AGREE),
        disagree=count(vals == DISAGREE),
        seen=count(np.ones_like(vals, dtype=bool)),
    )


def _smoothed(successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Return the smoothed rate ``(successes + 1) / (trials + 2)`` (one pseudo-vote each way)."""
    return (successes + 1.0) / (trials + 2.0)


def _z_rate(successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """One-sided z of a proportion against one half, with one pseudo-count (a Bayesian-flavoured test)."""
    n = trials + 1.0
    return 2.0 * np.sqrt(n) * ((successes + 1.0) / n - 0.5)


def _z_two(s1: np.ndarray, n1: np.ndarray, s2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """One-sided z that proportion 1 exceeds proportion 2, with one pseudo-count on each side."""
    p1 = (s1 + 1.0) / (n1 + 1.0)
    p2 = (s2 + 1.0) / (n2 + 1.0)
    pooled = (s1 + s2 + 2.0) / (n1 + n2 + 2.0)
    spread = np.sqrt(pooled * (1.0 - pooled) * (1.0 / (n1 + 1.0) + 1.0 / (n2 + 1.0)))
    return np.divide(p1 - p2, spread, out=np.zeros_like(p1), where=spread > 0)


def representatives(stats: Stats, group: int, statements: Sequence[Id]) -> tuple[RepresentativeStatement, ...]:
    """Pick up to five statements that set ``group`` apart; at least one, so every group stays visible."""
    na, nd, ns = stats.agree[group], stats.disagree[group], stats.seen[group]
    ra_, rd_, rs_ = (m.sum(axis=0) - m[group] for m in (stats.agree, stats.disagree, stats.seen))
    pa, pd = _smoothed(na, ns), _smoothed(nd, ns)
    pa_rest, pd_rest = _smoothed(ra_, rs_), _smoothed(rd_, rs_)
    candidates: list[tuple[Any, ...]] = []
    for direction, p, p_rest, n_hit, n_hit_rest in (
        ("agree", pa, pa_rest, na, ra_),
        ("disagree", pd, pd_rest, nd, rd_),
    ):
        ratio = p / p_rest
        z_rate = _z_rate(n_hit, ns)
        z_rest = _z_two(n_hit, ns, n_hit_rest, rs_)
        score = ratio * p
        significant = (z_rate > Z_90) & (z_rest > Z_90)
        candidates.extend(
            (direction, int(j), ratio[j], z_rate[j], z_rest[j], score[j], bool(significant[j]))
            for j in np.flatnonzero(ns > 0)
        )
    # One direction per statement: the significant one, else the better score.
    best_per_statement: dict[int, tuple[Any, ...]] = {}
    for cand in candidates:
        current = best_per_statement.get(cand[1])
        if current is None or (cand[6], cand[5]) > (current[6], current[5]):
            best_per_statement[cand[1]] = cand
    ranked = sorted(best_per_statement.values(), key=lambda c: (not c[6], -c[5], c[1]))
    chosen = [c for c in ranked if c[6]][:MAX_REPRESENTATIVE] or ranked[:1]
    return tuple(
        RepresentativeStatement(
            statement=statements[j],
            direction=direction,
            agree=float(pa[j]),
            disagree=float(pd[j]),
            agree_rest=float(pa_rest[j]),
            disagree_rest=float(pd_rest[j]),
            seen=int(ns[j]),
            seen_rest=int(rs_[j]),
            ratio=float(ratio),
            z_rate=float(z_rate),
            z_rest=float(z_rest),
            score=float(score),
            is_significant=significant,
        )
        for direction, j, ratio, z_rate, z_rest, score, significant in chosen
    )


def group_informed_consensus(stats: Stats) -> np.ndarray:
    """Return, per statement, the product over groups of the smoothed agree rate."""
    if stats.n_groups == 0:
        return np.zeros(stats.agree.shape[1])
    return np.prod(_smoothed(stats.agree, stats.seen), axis=0)


def consensus(stats: Stats, gic: np.ndarray, statements: Sequence[Id]) -> tuple[ConsensusStatement, ...]:
    """Find statements a majority of every group agrees (or disagrees) with, significantly overall."""
    if stats.n_groups == 0:
        return ()
    na, nd, ns = stats.agree.sum(axis=0), stats.disagree.sum(axis=0), stats.seen.sum(axis=0)
    pa, pd = _smoothed(na, ns), _smoothed(nd, ns)
    found: list[ConsensusStatement] = []
    for direction, hits, overall in (("agree", stats.agree, na), ("disagree", stats.disagree, nd)):
        in_every_group = (_smoothed(hits, stats.seen) > 0.5).all(axis=0)
        significant = _z_rate(overall, ns) > Z_90
        picked = np.flatnonzero(in_every_group & significant & (ns > 0))
        rate = _smoothed(overall, ns)
        picked = sorted(picked, key=lambda j: (-rate[j], j))[:MAX_CONSENSUS]
        found.extend(
            ConsensusStatement(
                statement=statements[j],
                direction=direction,
                agree=float(pa[j]),
                disagree=float(pd[j]),
                group_informed_consensus=float(gic[j]),
            )
            for j in picked
        )
    return tuple(found)
