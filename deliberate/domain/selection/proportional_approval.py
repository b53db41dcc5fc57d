"""Proportional Approval Voting, exact (branch and bound after a Lagrangian reduction) and sequential."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from deliberate.domain.selection.profiles import (
    EXACT_LIMIT,
    Approvals,
    Profile,
    check_seats,
    make_profile,
    take,
    weighted_sum,
)
from deliberate.domain.selection.results import (
    TIE_RULE,
    Selection,
    SelectionStep,
    TieBreak,
)


def _pav_scale(profile: Profile, seats: int) -> tuple[float, float]:
    """Return ``(scale, tolerance)`` for comparing PAV scores.

    With integer weights, multiplying the harmonic numbers by lcm(1..seats) makes every marginal score an integer;
    if the largest possible score stays below 2**53 float64 sums are then exact and ties are exact (tolerance 0).
    """
    lcm = math.lcm(*range(1, seats + 1)) if seats else 1
    harmonic = sum(1.0 / i for i in range(1, seats + 1))
    if profile.is_integral and lcm * harmonic * profile.total_weight < EXACT_LIMIT:
        return float(lcm), 0.0
    return 1.0, 1e-12 * max(1.0, harmonic * profile.total_weight)


def _marginal(profile: Profile, counts: np.ndarray, scale: float, items: Iterable[int]) -> np.ndarray:
    """Return the marginal PAV score (times ``scale``) of adding each of ``items`` to the current committee."""
    gain = (
        profile.weights * (scale / (counts + 1.0))
        if scale == 1.0
        else profile.weights * np.floor_divide(scale, counts + 1.0)
    )
    return np.array([float(gain[profile.supporters[j]].sum()) for j in items], dtype=np.float64)


def _seqpav(profile: Profile, seats: int) -> tuple[list[int], list[SelectionStep], list[TieBreak], float]:
    """Run sequential PAV; return the committee, its steps, ties and its scaled score."""
    scale, tol = _pav_scale(profile, seats)
    counts = np.zeros(len(profile.weights))
    available = np.ones(profile.n_items, dtype=bool)
    committee: list[int] = []
    steps: list[SelectionStep] = []
    ties: list[TieBreak] = []
    total = 0.0
    for _ in range(seats):
        gains = np.full(profile.n_items, -np.inf)
        gains[available] = _marginal(profile, counts, scale, np.flatnonzero(available))
        best = gains.max()
        tied = np.flatnonzero(gains >= best - tol)
        item = int(tied[0])
        counts[profile.supporters[item]] += 1
        total += best
        take(item, tied, "seqpav", best / scale, committee, steps, ties, available, profile.support)
    return committee, steps, ties, total


def seqpav(
    approvals: Approvals,
    n_items: int,
    seats: int,
    *,
    weights: Sequence[float] | np.ndarray | None = None,
) -> Selection:
    """Choose ``seats`` items by sequential PAV, ties to the lowest item index (abcvoting's ``"seqpav"``)."""
    profile = make_profile(approvals, n_items, weights)
    check_seats(seats, n_items)
    committee, steps, ties, _ = _seqpav(profile, seats)
    return Selection(
        method="seqpav", seats=seats, committee=tuple(committee), steps=tuple(steps), tie_breaks=tuple(ties)
    )


class _SearchTooLarge(Exception):
    """Signal that the exact PAV search went past its work limit."""


@dataclass
class _Search:
    """Hold the state of the exact PAV search."""

    best: tuple[int, ...] | None
    score: float
    other: tuple[int, ...] | None = None
    nodes: int = 0


def _pav_exact(
    matrix: np.ndarray,
    weights: np.ndarray,
    seats: int,
    scale: float,
    tol: float,
    limit: int,
    floor: float,
    start_counts: np.ndarray | None = None,
) -> _Search:
    """Return the search result: the lexicographically smallest PAV-optimal committee and another optimum if any.

    Depth-first search choosing the committee's items (columns of ``matrix``) in ascending order, so committees are
    met in lexicographic order: the first one reaching the best score is the lexicographically smallest optimum,
    and later ones must be strictly better to replace it. Subtrees are pruned with the submodularity bound (score
    so far plus the largest ``need`` marginal gains); until a second optimum is seen, subtrees that can only tie
    are still explored, so that a tie is never missed. ``floor`` is a score no larger than the optimum (sequential
    PAV's), used to prune before the first leaf. ``start_counts`` are items each row already has in the committee
    (the items fixed in before the search). Raises ``_SearchTooLarge`` after ``limit`` units of work (distinct
    ballots x items per node).
    """
    n_items = matrix.shape[1]
    per_node = max(1, matrix.size)
    search = _Search(best=None, score=floor)

    def visit(start: int, chosen: tuple[int, ...], counts: np.ndarray, score: float) -> None:
        search.nodes += 1
        if search.nodes * per_node > limit:
            raise _SearchTooLarge
        need = seats - len(chosen)
        if need == 0:
            if score > search.score + tol:
                search.best, search.score, search.other = chosen, score, None
            elif score >= search.score - tol:
                if search.best is None:
                    search.best = chosen
                elif search.other is None:
                    search.other = chosen
            return
        if scale == 1.0:
            gains = weighted_sum(weights / (counts + 1.0), matrix)
        else:
            gains = weighted_sum(weights * np.floor_divide(scale, counts + 1.0), matrix)
        top = np.sort(gains[start:])[::-1][:need]
        if not promising(score + float(top.sum())):
            return
        # A child adding j can gain at most gains[j] plus the best need - 1 other gains (they only shrink).
        best_others = float(top[: need - 1].sum())
        for j in range(start, n_items - need + 1):
            # Unless j is itself among the best need - 1, they are the others; otherwise take j out of the best need.
            in_best = need > 1 and gains[j] >= top[need - 2]
            others = float(top.sum()) - float(gains[j]) if in_best else best_others
            if promising(score + float(gains[j]) + others):
                visit(j + 1, (*chosen, j), counts + matrix[:, j], score + float(gains[j]))

    def promising(bound: float) -> bool:
        """Return whether a subtree with this upper bound can still beat (or, until a tie is seen, tie) the best."""
        if bound < search.score - tol:
            return False
        return search.best is None or search.other is None or bound > search.score + tol

    counts = np.zeros(len(weights)) if start_counts is None else start_counts.astype(np.float64)
    visit(0, (), counts, 0.0)
    return search


#: Work (distinct ballots x items x nodes) and nodes the plain exact search may spend before the bounded search
#: takes over: about a tenth of a second here, on large counts and on small ones.
_DIRECT_SEARCH_WORK = 100_000_000
_DIRECT_SEARCH_NODES = 5_000
#: The bounded search hands over to the exact search once this few committees of the undecided items remain.
_SMALL_ENOUGH = 20_000


@dataclass(frozen=True)
class _Reduction:
    """Hold the items a Lagrangian bound proved to be in every optimal committee, and those still undecided."""

    fixed_in: np.ndarray
    free: np.ndarray
    rounds: int


def _scaled_harmonic(scale: float, seats: int) -> np.ndarray:
    """Return ``scale * H(l)`` for l = 0..seats, summed term by term as the searches sum marginal scores."""
    terms = [scale / i if scale == 1.0 else float(scale // i) for i in range(1, seats + 1)]
    return np.concatenate(([0.0], np.cumsum(terms)))


def _lagrangian_reduction(
    profile: Profile, seats: int, incumbent: Sequence[int], limit: int
) -> tuple[_Reduction, int]:
    """Decide as many items as a Lagrangian bound can, and return what is left with the work spent.

    For prices ``mu_g >= 0`` on the distinct ballots, every committee scores at most
    ``sum_g max_t (w_g H(t) - mu_g t) + (the largest sum of seats item prices p_j = sum of mu_g over the ballots
    approving j)``, with t from 0 to min(seats, |A_g|): the dual of the linear relaxation of the PAV integer
    program. Subgradient steps lower the bound towards the incumbent's score (Polyak steps). Then an item whose
    bound with it in the committee falls below the incumbent's score (by more than a margin far above rounding)
    is in no optimal committee, and an item whose bound without it does is in every one; both are fixed, and the
    bound is tightened again over the items left. Ties are never fixed away: a tied committee reaches the
    incumbent's score, above any such bound. Raises ``_SearchTooLarge`` past ``limit`` units of work
    (non-zero approvals plus ballots plus items, per round).
    """
    weights, n_items = profile.weights, profile.n_items
    rows, cols = np.nonzero(profile.approvals)
    levels = np.minimum(np.bincount(rows, minlength=len(weights)), seats)
    harmonic = _scaled_harmonic(1.0, seats)
    counts = np.count_nonzero(profile.approvals[:, list(incumbent)], axis=1)
    lower = float((weights * harmonic[counts]).sum())
    margin = 1e-9 * max(1.0, lower)
    status = np.zeros(n_items, dtype=np.int8)  # 1 in every optimal committee, -1 in none, 0 undecided
    per_round = rows.size + len(weights) + n_items
    work = 0

    def bound(mu: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Return the bound's part without the undecided items' prices, the ballots' best t and the item prices."""
        ratio = np.divide(weights, mu, out=np.full(len(mu), np.inf), where=mu > 0)
        best_t = np.minimum(levels, np.floor(np.minimum(ratio, seats))).astype(np.int64)
        prices = np.bincount(cols, weights=mu[rows], minlength=n_items)
        base = float((weights * harmonic[best_t] - mu * best_t).sum()) + float(prices[status == 1].sum())
        return base, best_t, prices

    def decide(mu: np.ndarray) -> bool:
        """Fix what the bound at ``mu`` decides; return whether anything changed."""
        base, _, prices = bound(mu)
        free = np.flatnonzero(status == 0)
        need = seats - int(np.count_nonzero(status == 1))
        if need == 0 or need == len(free):
            status[free] = -1 if need == 0 else 1
            return len(free) > 0
        ranked = free[np.argsort(-prices[free], kind="stable")]
        q = prices[ranked]
        top, top_but_one, next_price = float(q[:need].sum()), float(q[: need - 1].sum()), float(q[need])
        inside = np.arange(len(ranked)) < need
        with_it = base + np.where(inside, top, top_but_one + q)
        without_it = base + np.where(inside, top - q + next_price, top)
        out, keep = ranked[with_it < lower - margin], ranked[without_it < lower - margin]
        if np.intersect1d(out, keep).size or need - len(keep) > len(free) - len(out) - len(keep) or len(keep) > need:
            raise _SearchTooLarge  # only rounding could cause this; do not trust the bound
        status[out], status[keep] = -1, 1
        return bool(out.size or keep.size)

    def small_enough() -> bool:
        free = int(np.count_nonzero(status == 0))
        return math.comb(free, seats - int(np.count_nonzero(status == 1))) <= _SMALL_ENOUGH

    mu = np.where(counts == 0, weights, weights * (0.5 / (counts + 1.0) + 0.5 / np.maximum(counts, 1)))
    best, best_mu, step, stale, rounds = math.inf, mu, 1.0, 0, 0
    while not small_enough():
        work += per_round
        if work > limit:
            raise _SearchTooLarge
        rounds += 1
        base, best_t, prices = bound(mu)
        free = np.flatnonzero(status == 0)
        need = seats - int(np.count_nonzero(status == 1))
        chosen = status == 1
        chosen[free[np.argsort(-prices[free], kind="stable")[:need]]] = True
        value = base + float(prices[chosen & (status == 0)].sum())
        if value < best - margin:
            best, best_mu, stale = value, mu, 0
        else:
            stale += 1
            if stale >= 10:
                step, stale = step / 2, 0
        gradient = np.bincount(rows, weights=chosen[cols], minlength=len(weights)) - best_t
        norm = float(gradient @ gradient)
        if norm == 0.0 or value - lower <= margin or rounds % 20 == 0:
            changed = decide(best_mu)
            if not changed and (norm == 0.0 or value - lower <= margin or step < 1e-6):
                break  # the bound can decide no more
            best = math.inf  # the bound changed with the fixed items
            continue
        mu = np.maximum(mu - step * (value - lower) / norm * gradient, 0.0)
    return _Reduction(np.flatnonzero(status == 1), np.flatnonzero(status == 0), rounds), work


def _pav_reduced(profile: Profile, seats: int, incumbent: Sequence[int], limit: int) -> tuple[_Search, str]:
    """Return the exact search's result on the items the Lagrangian bound left undecided, and a note saying how."""
    reduction, work = _lagrangian_reduction(profile, seats, incumbent, limit)
    fixed_in, free = reduction.fixed_in, reduction.free
    scale, tol = _pav_scale(profile, seats)
    harmonic = _scaled_harmonic(scale, seats)
    start = np.count_nonzero(profile.approvals[:, fixed_in], axis=1)
    sub = profile.approvals[:, free]
    keep = sub.any(axis=1)  # ballots approving no undecided item add the same to every committee left
    keys = np.column_stack((start[keep], np.packbits(sub[keep], axis=1))).astype(np.int64)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    weights = np.bincount(inverse.reshape(-1), weights=profile.weights[keep], minlength=len(first))
    counts = np.count_nonzero(profile.approvals[:, list(incumbent)], axis=1)
    floor = float((profile.weights * (harmonic[counts] - harmonic[start])).sum())
    search = _pav_exact(
        np.ascontiguousarray(sub[keep][first]), weights, seats - len(fixed_in), scale, tol,
        limit - work, floor, start[keep][first],
    )
    search.best = tuple(sorted((*fixed_in.tolist(), *(int(free[j]) for j in search.best or ()))))
    if search.other is not None:
        search.other = tuple(sorted((*fixed_in.tolist(), *(int(free[j]) for j in search.other))))
    out = profile.n_items - len(fixed_in) - len(free)
    note = (
        f"exact: a Lagrangian bound ({reduction.rounds} rounds) put {len(fixed_in)} items in every optimal "
        f"committee and {out} in none; exact search over {search.nodes} nodes on the other {len(free)}"
    )
    return search, note


def pav(
    approvals: Approvals,
    n_items: int,
    seats: int,
    *,
    weights: Sequence[float] | np.ndarray | None = None,
    exact_limit: int = 2_000_000_000,
) -> Selection:
    """Choose ``seats`` items by Proportional Approval Voting, exactly when the search fits ``exact_limit``.

    Among several optimal committees the lexicographically smallest (as ascending tuples) is chosen, and the tie is
    recorded at the first seat where another optimal committee differs. Small profiles are searched directly
    (branch and bound); when that search would be long, a Lagrangian bound first decides most items (in every
    optimal committee, or in none) and the search runs on the few left, which gives the same committee.
    ``exact_limit`` bounds the work of both (the default is a few seconds here); past it the result is sequential
    PAV, with ``method == "seqpav"``, ``is_exact`` False and a note. The limit is a count, not a time, so the same
    input always gives the same committee. The committee is listed in ascending order: PAV chooses a set, not a
    sequence.
    """
    profile = make_profile(approvals, n_items, weights)
    check_seats(seats, n_items)
    seq_committee, seq_steps, seq_ties, seq_score = _seqpav(profile, seats)
    scale, tol = _pav_scale(profile, seats)
    direct = min(exact_limit, _DIRECT_SEARCH_WORK, _DIRECT_SEARCH_NODES * max(1, profile.approvals.size))
    try:
        search = _pav_exact(profile.approvals, profile.weights, seats, scale, tol, direct, seq_score)
        how = f"exact search over {search.nodes} nodes"
    except _SearchTooLarge:
        try:
            if direct >= exact_limit:
                raise
            search, how = _pav_reduced(profile, seats, seq_committee, exact_limit - direct)
        except _SearchTooLarge:
            note = (
                f"the exact PAV search exceeded its work limit ({exact_limit}); sequential PAV was used instead, "
                "which does not guarantee EJR"
            )
            return Selection(
                method="seqpav",
                seats=seats,
                committee=tuple(seq_committee),
                steps=tuple(seq_steps),
                tie_breaks=tuple(seq_ties),
                is_exact=False,
                notes=(note,),
            )
    committee = search.best or ()
    counts = np.zeros(len(profile.weights))
    steps = []
    for item in committee:
        gain = float(_marginal(profile, counts, scale, [item])[0]) / scale
        counts[profile.supporters[item]] += 1
        steps.append(SelectionStep(item=item, phase="pav", value=gain, support=float(profile.support[item])))
    notes = [how]
    ties: tuple[TieBreak, ...] = ()
    if search.other is not None:
        seat = next(i for i, (a, b) in enumerate(zip(committee, search.other, strict=True)) if a != b)
        ties = (
            TieBreak(
                seat=seat + 1,
                tied=(committee[seat], search.other[seat]),
                chosen=committee[seat],
                phase="pav",
                rule=f"{TIE_RULE} (the lexicographically smallest optimal committee)",
            ),
        )
        other = ", ".join(str(i) for i in search.other)
        notes.append(f"several committees reach the optimal PAV score, for example {{{other}}}")
    return Selection(
        method="pav",
        seats=seats,
        committee=tuple(committee),
        steps=tuple(steps),
        tie_breaks=ties,
        notes=tuple(notes),
    )
