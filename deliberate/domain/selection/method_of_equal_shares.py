"""The Method of Equal Shares with its sequential Phragmen completion, as abcvoting computes it."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from deliberate.domain.selection.profiles import (
    ABS_TOL,
    REL_TOL,
    Approvals,
    check_seats,
    isclose,
    make_profile,
    take,
)
from deliberate.domain.selection.results import (
    Selection,
    SelectionStep,
    TieBreak,
)


def _lazy_minimum(
    values: np.ndarray, fresh: np.ndarray, refresh: Callable[[int], float], available: np.ndarray
) -> tuple[int, np.ndarray] | None:
    """Return the available item with the smallest value and every item tied with it, or None if all are inf.

    ``values`` holds lower bounds that are exact where ``fresh`` is set; ``refresh(j)`` recomputes item j. Prices
    and loads only grow as voters spend, so an item whose stale bound already exceeds the minimum (beyond the tie
    tolerance) can neither be the minimum nor tie with it, and is not recomputed (lazy evaluation).
    """
    masked = np.where(available, values, np.inf)
    while True:
        best = int(np.argmin(masked))
        low = float(masked[best])
        if low == np.inf:
            return None
        if not fresh[best]:
            masked[best] = values[best] = refresh(best)
            fresh[best] = True
            continue
        reach = low + 2.0 * max(REL_TOL * abs(low), ABS_TOL)
        stale = np.flatnonzero((masked <= reach) & ~fresh)
        if stale.size == 0:
            break
        for j in stale:
            masked[j] = values[j] = refresh(int(j))
            fresh[j] = True
    finite = np.isfinite(masked)
    tied = np.flatnonzero(finite & isclose(np.where(finite, masked, 0.0), low))
    return int(tied[0]), tied


def _poor_below(q: float) -> float:
    """Return the budget per unit of weight under which a voter cannot pay ``q`` (abcvoting's tolerance)."""
    return q - max(REL_TOL * q, ABS_TOL)


def _price(budget: np.ndarray, weight: np.ndarray, total: float, guess: float) -> float:
    """Return the smallest price q per unit of weight at which these supporters can pay 1, or inf.

    ``budget`` is each supporter row's money per unit of weight. Supporters with less than ``q`` pay all they
    have ("poor"), the others ``q`` per unit of weight, so ``q = (1 - money of the poor) / weight of the rest``.
    As in abcvoting, start with nobody poor... or, equivalently and faster, with those poor at a known lower bound
    ``guess`` of the price (prices only rise as voters spend), then move voters who cannot pay ``q`` to the poor
    side until none is left; this reaches the same smallest fixed point. A budget equal to ``q`` within
    abcvoting's float tolerance counts as enough.
    """
    money = weight * budget
    poor = budget < _poor_below(guess) if guess > 0 else np.zeros(budget.shape, dtype=bool)
    n_poor = int(np.count_nonzero(poor))
    while n_poor < budget.size:
        rich_weight = total - float(weight[poor].sum()) if n_poor else total
        if rich_weight <= 0.0:
            break
        q = (1.0 - (float(money[poor].sum()) if n_poor else 0.0)) / rich_weight
        poor |= budget < _poor_below(q)
        before, n_poor = n_poor, int(np.count_nonzero(poor))
        if n_poor == before:
            return q
    return math.inf


def equal_shares(
    approvals: Approvals,
    n_items: int,
    seats: int,
    *,
    weights: Sequence[float] | np.ndarray | None = None,
) -> Selection:
    """Choose ``seats`` items by the Method of Equal Shares with sequential-Phragmen completion.

    This is abcvoting's ``"equal-shares"`` rule with ``resolute=True``: the same committee, ties broken towards
    the lowest item index. ``committee`` lists the Equal Shares purchases first, then the completion's picks.
    """
    profile = make_profile(approvals, n_items, weights)
    check_seats(seats, n_items)
    support = profile.support
    start = seats / profile.total_weight
    budget = np.full(len(profile.weights), start)  # money per unit of weight, per distinct ballot
    committee: list[int] = []
    steps: list[SelectionStep] = []
    ties: list[TieBreak] = []
    available = np.ones(n_items, dtype=bool)

    # Equal Shares. With equal budgets an item's price is 1 / support, if its supporters hold at least 1.
    prices = np.full(n_items, np.inf)
    np.divide(1.0, support, out=prices, where=support > 0)
    prices[start < np.array([_poor_below(p) if np.isfinite(p) else 0.0 for p in prices])] = np.inf
    fresh = np.ones(n_items, dtype=bool)

    def refresh_price(j: int) -> float:
        rows, row_weights = profile.rows_approving(j)
        return _price(budget[rows], row_weights, float(support[j]), float(prices[j]))

    while len(committee) < seats:
        found = _lazy_minimum(prices, fresh, refresh_price, available)
        if found is None:
            break
        item, tied = found
        q = float(prices[item])
        rows, _ = profile.rows_approving(item)
        budget[rows] = np.maximum(budget[rows] - q, 0.0)  # pay min(budget, q)
        take(item, tied, "equal-shares", q, committee, steps, ties, available, support)
        fresh[:] = False
    unspent = start * (profile.total_weight - float(profile.weights.sum()))  # voters who approve nothing
    budget_left = float((profile.weights * budget).sum()) + unspent

    # Completion by sequential Phragmen: a voter's load starts at minus its money left per unit of weight.
    if len(committee) < seats:
        load = -budget
        # Lower bounds: no supporter has a load below -(the most money left). Unsupported items: never.
        loads = np.full(n_items, np.inf)
        np.divide(1.0, support, out=loads, where=support > 0)
        loads -= budget.max(initial=0.0)
        fresh = np.zeros(n_items, dtype=bool)

        def refresh_load(j: int) -> float:
            rows, row_weights = profile.rows_approving(j)
            return (float((row_weights * load[rows]).sum()) + 1.0) / float(support[j])

        while len(committee) < seats:
            found = _lazy_minimum(loads, fresh, refresh_load, available)
            if found is None:  # only items nobody approves are left: abcvoting gives them all the same load
                tied = np.flatnonzero(available)
                item, value = int(tied[0]), math.inf
            else:
                item, tied = found
                value = float(loads[item])
                load[profile.rows_approving(item)[0]] = value
            take(item, tied, "phragmen-completion", value, committee, steps, ties, available, support)
            fresh[:] = False

    return Selection(
        method="equal-shares",
        seats=seats,
        committee=tuple(committee),
        steps=tuple(steps),
        tie_breaks=tuple(ties),
        budget_left=budget_left,
    )
