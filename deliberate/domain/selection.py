"""Choose an agenda of N items from the ballots' approval lines, proportionally.

Each voter approves the items above their approval line. From those approval sets this module chooses a committee
(the agenda) of ``seats`` items:

``equal_shares``
    The Method of Equal Shares (MES, formerly "Rule X"; Peters and Skowron 2020, Lackner and Skowron 2023), as
    abcvoting's ``"equal-shares"`` rule computes it, including its completion. Every voter starts with a budget of
    ``seats * w_i / W`` (``w_i`` the voter's weight, ``W`` the total weight) and every item costs 1. An item is
    affordable when its supporters together still hold at least 1; its price per unit of weight ``q`` is the
    smallest number such that supporters paying ``min(budget_i, q * w_i)`` cover the cost. Each round buys the
    affordable item with the smallest ``q`` and charges its supporters. When no item is affordable before the
    agenda is full, the remaining seats are filled by sequential Phragmen starting from the loads
    ``-budget_i / w_i`` (the money each voter has left), which is abcvoting's default completion; items nobody
    approves come last, lowest index first (abcvoting gives them the load ``seats + 1``, which is the same thing
    whenever weights are at least 1).
``pav``
    Proportional Approval Voting: the committee maximising ``sum_i w_i * (1 + 1/2 + ... + 1/|A_i & W|)``, found
    exactly and deterministically. Small counts are searched directly by branch and bound (the bound is the
    submodularity bound: the current score plus the largest remaining marginal gains). Larger ones (a federation's
    hundreds of items, 100,000 ballots, 20 seats) first go through a Lagrangian bound, the dual of the linear
    relaxation of the PAV integer program with one price per distinct ballot, tightened by subgradient steps: an
    item whose best committee provably scores below sequential PAV's is in no optimal committee, one without which
    every committee does is in all of them, and the branch and bound then runs on the few items left. Both are
    capped by a deterministic amount of work (``exact_limit``); above the cap the result is sequential PAV and
    says so (``method == "seqpav"``, ``is_exact`` False and a note), and the page, the JSON and the recount say
    "sequential PAV". Exact PAV is the rule with the guarantees (EJR); sequential PAV is not.
``seqpav``
    Sequential PAV: add, seat by seat, the item with the largest marginal PAV score.
``approval_ranking``
    The ``seats`` items with the most approval weight (plain approval voting; not proportional).

Ties are never broken silently. Whenever several items are tied for a seat, the item with the lowest index wins
(the same rule as abcvoting with ``resolute=True``), and the selection records a ``TieBreak``; for PAV, which
chooses a set, the lexicographically smallest optimal committee wins. Equal Shares compares prices and loads as
abcvoting's default float arithmetic does (equal within a relative and absolute tolerance of 1e-12, and a budget
that close to the price counts as enough); PAV and sequential PAV compare scores exactly when the weights are
integers (scores are scaled by lcm(1..seats) and summed exactly in float64), and within 1e-12 of the largest
possible score otherwise.

``ejr_check`` / ``ejr_violations`` report cohesive groups left without enough representation (extended justified
representation, EJR; for l = 1 this is justified representation, JR, which is always decided exactly; for l > 1
the search is exact up to a deterministic work limit and says when it stopped).

Identical ballots are grouped first (bit-packed rows, hashed, verified) and carried as one weighted ballot: every
rule here treats identical voters identically, so this changes no result and makes 100,000 ballots cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

__all__ = [
    "TIE_RULE",
    "EJRReport",
    "EJRViolation",
    "Selection",
    "SelectionStep",
    "TieBreak",
    "approval_ranking",
    "ejr_check",
    "ejr_violations",
    "equal_shares",
    "pav",
    "seqpav",
]

#: The documented, deterministic tie-break used by every rule in this module.
TIE_RULE = "lowest item index"

#: abcvoting's float tolerances (``misc.FLOAT_ISCLOSE_REL_TOL`` / ``_ABS_TOL``), used for prices and loads.
_REL_TOL = 1e-12
_ABS_TOL = 1e-12
#: Exact float64 integers stop at 2**53.
_EXACT_LIMIT = float(2**53)

Approvals = np.ndarray | Sequence[Iterable[int]]


@dataclass(frozen=True)
class TieBreak:
    """Record that several items were tied for a seat and which one the rule took."""

    seat: int
    """1-based position in the committee that was being filled."""
    tied: tuple[int, ...]
    """The tied items, ascending."""
    chosen: int
    phase: str
    """The rule or phase that was choosing (``"equal-shares"``, ``"phragmen-completion"``, ``"pav"`` ...)."""
    rule: str = TIE_RULE

    def __str__(self) -> str:
        """Describe the tie in one line, for logs and the JSON output."""
        tied = ", ".join(str(item) for item in self.tied)
        return f"seat {self.seat} ({self.phase}): items {tied} tied; chose {self.chosen} by {self.rule}"


@dataclass(frozen=True)
class SelectionStep:
    """Describe how one item entered the committee.

    ``value`` depends on the phase: for ``"equal-shares"`` the price per unit of voter weight ``q`` (a voter of
    weight 1 who could afford it paid ``q``); for ``"phragmen-completion"`` the new maximal load; for ``"pav"`` and
    ``"seqpav"`` the marginal PAV score the item added when it was chosen; for ``"approval"`` the approval weight.
    ``support`` is the total weight of the voters approving the item.
    """

    item: int
    phase: str
    value: float
    support: float


@dataclass(frozen=True)
class Selection:
    """Hold a chosen committee, in selection order, with how and why each item was chosen."""

    method: str
    """The rule that actually produced the committee (``"equal-shares"``, ``"pav"``, ``"seqpav"``, ``"approval"``)."""
    seats: int
    committee: tuple[int, ...]
    """Item indices in the order the rule selected them (PAV: ascending; it chooses a set)."""
    steps: tuple[SelectionStep, ...]
    tie_breaks: tuple[TieBreak, ...]
    is_exact: bool = True
    """False when an exact rule (PAV) had to fall back to an approximation; see ``notes``."""
    notes: tuple[str, ...] = ()
    budget_left: float | None = None
    """Equal Shares only: the voters' money left (out of ``seats``) when the Equal Shares phase stopped."""

    @property
    def items(self) -> frozenset[int]:
        """Return the committee as a set."""
        return frozenset(self.committee)

    @property
    def tie_break_descriptions(self) -> tuple[str, ...]:
        """Return one human-readable line per tie broken."""
        return tuple(str(tie) for tie in self.tie_breaks)


@dataclass(frozen=True)
class EJRViolation:
    """Describe a cohesive group that the committee under-represents.

    Every voter in ``voters`` approves all of ``items`` (``len(items) == ell``), has fewer than ``ell`` approved
    items in the committee, and together they weigh ``weight >= required_weight = ell * W / seats``. The group is
    the largest one for these items: every such voter is in it.
    """

    ell: int
    items: tuple[int, ...]
    voters: tuple[int, ...]
    weight: float
    required_weight: float


@dataclass(frozen=True)
class EJRReport:
    """Hold the result of an EJR check and what the check guarantees.

    Every reported violation is real. ``is_exhaustive`` says whether the search also proved that there are no
    others: for ``ell == 1`` (justified representation) the check is always exhaustive; for ``ell > 1`` it is an
    exact search over sets of ``ell`` commonly approved items with pruning, stopped after ``max_work`` ballot-row
    visits (then ``is_exhaustive`` is False and ``checked_up_to`` tells the largest ``ell`` fully checked).
    """

    violations: tuple[EJRViolation, ...]
    is_exhaustive: bool
    checked_up_to: int
    work: int
    """Ballot rows visited by the l > 1 search."""
    truncated: bool = False
    """True when more violations were found than reported (``max_reported`` per ``ell``)."""

    @property
    def satisfies_jr(self) -> bool:
        """Return whether no l = 1 violation exists (always decided exactly)."""
        return not any(v.ell == 1 for v in self.violations)

    @property
    def satisfies_ejr(self) -> bool | None:
        """Return True or False when decided, None when the search stopped before deciding."""
        if self.violations:
            return False
        return True if self.is_exhaustive else None


# ----------------------------------------------------------------------------------------------------------------
# Profiles: validation and grouping of identical ballots


@dataclass(frozen=True)
class _Profile:
    """Hold the distinct non-empty ballots with their total weights."""

    approvals: np.ndarray
    """(G, m) bool: one row per distinct non-empty ballot."""
    weights: np.ndarray
    """(G,) float64: total weight of the voters casting that ballot."""
    group_of: np.ndarray
    """(n,) int64: the row of each voter's ballot, -1 for an empty ballot."""
    total_weight: float
    n_items: int
    is_integral: bool
    """Whether every voter weight is an integer (sums of weights are then exact)."""
    _rows_of_item: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def is_unit(self) -> bool:
        """Return whether every distinct ballot has weight exactly 1 (unweighted, no duplicates)."""
        return bool((self.weights == 1.0).all())

    @cached_property
    def by_item(self) -> np.ndarray:
        """Return the (m, G) transposed approval matrix.

        It is transposed in blocks of rows, which keeps both sides in cache: several times faster than one
        strided copy of the whole matrix.
        """
        n_rows, n_items = self.approvals.shape
        by_item = np.empty((n_items, n_rows), dtype=bool)
        for start in range(0, n_rows, 512):
            by_item[:, start : start + 512] = self.approvals[start : start + 512].T
        return by_item

    @cached_property
    def support(self) -> np.ndarray:
        """Return the approval weight of each item, (m,) float64."""
        counts = np.count_nonzero(self.by_item, axis=1).astype(np.float64)
        heavy = np.flatnonzero(self.weights != 1.0)  # few, unless the voters carry weights
        if heavy.size:
            counts += _weighted_sum(self.weights[heavy] - 1.0, self.approvals[heavy])
        return counts

    def rows_approving(self, item: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the rows approving ``item`` and their weights, building each item's list on first use."""
        cached = self._rows_of_item.get(item)
        if cached is None:
            rows = np.flatnonzero(self.by_item[item])
            cached = self._rows_of_item[item] = (rows, self.weights[rows])
        return cached

    @cached_property
    def supporters(self) -> tuple[np.ndarray, ...]:
        """Return, per item, the rows approving it (ascending)."""
        return tuple(self.rows_approving(j)[0] for j in range(self.n_items))

    @cached_property
    def supporter_weights(self) -> tuple[np.ndarray, ...]:
        """Return, per item, the weights of the rows approving it."""
        return tuple(self.rows_approving(j)[1] for j in range(self.n_items))

    def voters_in(self, rows: np.ndarray) -> tuple[int, ...]:
        """Return the indices of the voters whose ballot is one of ``rows``."""
        mask = np.zeros(len(self.weights), dtype=bool)
        mask[rows] = True
        cast = self.group_of >= 0
        voters = np.flatnonzero(cast)[mask[self.group_of[cast]]]
        return tuple(int(v) for v in voters)


def _approval_matrix(approvals: Approvals, n_items: int) -> np.ndarray:
    """Return the ballots as an (n_voters, n_items) bool matrix, validating them."""
    if isinstance(n_items, bool) or not isinstance(n_items, int | np.integer) or n_items < 0:
        raise ValueError(f"n_items must be a non-negative integer, got {n_items!r}")
    if isinstance(approvals, np.ndarray):
        if approvals.ndim != 2 or approvals.shape[1] != n_items:
            raise ValueError(f"approvals must have shape (n_voters, {n_items}), got {approvals.shape}")
        if approvals.dtype == np.bool_:
            return np.ascontiguousarray(approvals)
        if np.issubdtype(approvals.dtype, np.integer) and np.isin(approvals, (0, 1)).all():
            return np.ascontiguousarray(approvals != 0)
        raise ValueError("an approval matrix must be boolean (or integers 0 and 1)")
    ballots = [np.asarray(list(ballot), dtype=np.int64).reshape(-1) for ballot in approvals]
    matrix = np.zeros((len(ballots), n_items), dtype=bool)
    if ballots:
        lengths = np.fromiter((len(b) for b in ballots), dtype=np.int64, count=len(ballots))
        items = np.concatenate(ballots) if lengths.sum() else np.zeros(0, dtype=np.int64)
        if items.size and (items.min() < 0 or items.max() >= n_items):
            raise ValueError(f"an approved item index is outside 0..{n_items - 1}")
        matrix[np.repeat(np.arange(len(ballots)), lengths), items] = True
    return matrix


def _voter_weights(weights: Sequence[float] | np.ndarray | None, n_voters: int) -> np.ndarray:
    """Return the voters' weights as float64, defaulting to 1 and rejecting non-positive or non-finite ones."""
    if weights is None:
        return np.ones(n_voters, dtype=np.float64)
    array = np.asarray(weights, dtype=np.float64).reshape(-1)
    if array.shape != (n_voters,):
        raise ValueError(f"expected {n_voters} weights, got {array.size}")
    if not np.isfinite(array).all() or (array <= 0).any():
        raise ValueError("voter weights must be positive finite numbers")
    return array


def _group_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(first, inverse, empty)``: each distinct ballot's first voter, each voter's group, empty ballots.

    Rows are bit-packed, hashed to 64 bits and grouped by hash; the grouping is then verified row by row, and an
    exact (slower) grouping is used in the astronomically unlikely case of a collision. When every ballot differs
    the groups are the voters, in order; otherwise they are numbered in hash order, which does not depend on the
    order of the ballots.
    """
    n_voters = matrix.shape[0]
    packed = np.packbits(matrix, axis=1)
    width = -(-max(packed.shape[1], 1) // 8) * 8
    if packed.shape[1] != width:
        padded = np.zeros((n_voters, width), dtype=np.uint8)
        padded[:, : packed.shape[1]] = packed
        packed = padded
    words = packed.view(np.uint64)
    empty = ~words.any(axis=1)
    digest = np.full(n_voters, 0xCBF29CE484222325, dtype=np.uint64)
    for column in range(words.shape[1]):
        digest ^= words[:, column]
        digest *= np.uint64(0x9E3779B97F4A7C15)
        digest ^= digest >> np.uint64(29)
    order = np.argsort(digest)
    ordered = digest[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    if len(starts) == n_voters:  # every hash differs, so every ballot differs
        identity = np.arange(n_voters)
        return identity, identity, empty
    is_start = np.zeros(n_voters, dtype=np.int64)
    is_start[starts] = 1
    group = np.empty(n_voters, dtype=np.int64)
    group[order] = np.cumsum(is_start) - 1
    first = np.minimum.reduceat(order, starts)
    if not np.array_equal(words[first[group]], words):  # a hash collision: group exactly instead
        _, first, group = np.unique(words, axis=0, return_index=True, return_inverse=True)
        group = group.reshape(-1)
    by_appearance = np.argsort(first, kind="stable")
    rank = np.empty_like(by_appearance)
    rank[by_appearance] = np.arange(len(by_appearance))
    return first[by_appearance], rank[group], empty


def _weighted_sum(weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Return ``weights @ rows`` for a bool matrix without converting it or calling a threaded BLAS.

    On a shared two-core machine a threaded matrix-vector product spends more time spinning than computing.
    """
    return np.einsum("g,gj->j", weights, rows.view(np.uint8))


def _profile(approvals: Approvals, n_items: int, weights: Sequence[float] | np.ndarray | None) -> _Profile:
    """Validate the ballots and group identical ones into a weighted profile."""
    matrix = _approval_matrix(approvals, n_items)
    n_voters = matrix.shape[0]
    voter_weights = _voter_weights(weights, n_voters)
    if n_voters == 0:
        raise ValueError("there are no ballots")
    first, inverse, empty = _group_rows(matrix)
    if len(first) == n_voters:
        group_weights = voter_weights
    else:
        group_weights = np.bincount(inverse, weights=voter_weights, minlength=len(first))
    keep = ~empty[first]
    if keep.all():
        group_of = inverse
        rows = matrix if len(first) == n_voters else matrix[first]
    else:
        renumber = np.cumsum(keep) - 1
        group_of = np.where(keep[inverse], renumber[inverse], -1)
        first = first[keep]
        rows = matrix[first]
        group_weights = group_weights[keep]
    return _Profile(
        approvals=rows,
        weights=group_weights,
        group_of=group_of,
        total_weight=float(voter_weights.sum()),
        n_items=n_items,
        is_integral=bool(np.all(voter_weights == np.round(voter_weights))),
    )


def _check_seats(seats: int, n_items: int) -> None:
    """Reject a committee size that is not an integer between 0 and the number of items."""
    if isinstance(seats, bool) or not isinstance(seats, int | np.integer) or not 0 <= seats <= n_items:
        raise ValueError(f"seats must be an integer between 0 and {n_items}, got {seats!r}")


def _isclose(values: np.ndarray, target: float) -> np.ndarray:
    """Compare like ``math.isclose`` with abcvoting's tolerances, elementwise."""
    scale = np.maximum(np.abs(values), abs(target))
    return np.abs(values - target) <= np.maximum(_REL_TOL * scale, _ABS_TOL)


def _pick_minimum(values: np.ndarray) -> tuple[int, np.ndarray] | None:
    """Return the item with the smallest finite value and all items tied with it, or None if none is finite."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    low = float(values[finite].min())
    tied = np.flatnonzero(finite & _isclose(np.where(finite, values, 0.0), low))
    return int(tied[0]), tied


# ----------------------------------------------------------------------------------------------------------------
# Method of Equal Shares


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
        reach = low + 2.0 * max(_REL_TOL * abs(low), _ABS_TOL)
        stale = np.flatnonzero((masked <= reach) & ~fresh)
        if stale.size == 0:
            break
        for j in stale:
            masked[j] = values[j] = refresh(int(j))
            fresh[j] = True
    finite = np.isfinite(masked)
    tied = np.flatnonzero(finite & _isclose(np.where(finite, masked, 0.0), low))
    return int(tied[0]), tied


def _poor_below(q: float) -> float:
    """Return the budget per unit of weight under which a voter cannot pay ``q`` (abcvoting's tolerance)."""
    return q - max(_REL_TOL * q, _ABS_TOL)


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
    profile = _profile(approvals, n_items, weights)
    _check_seats(seats, n_items)
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
        _take(item, tied, "equal-shares", q, committee, steps, ties, available, support)
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
            _take(item, tied, "phragmen-completion", value, committee, steps, ties, available, support)
            fresh[:] = False

    return Selection(
        method="equal-shares",
        seats=seats,
        committee=tuple(committee),
        steps=tuple(steps),
        tie_breaks=tuple(ties),
        budget_left=budget_left,
    )


def _take(
    item: int,
    tied: np.ndarray,
    phase: str,
    value: float,
    committee: list[int],
    steps: list[SelectionStep],
    ties: list[TieBreak],
    available: np.ndarray,
    support: np.ndarray,
) -> None:
    """Add ``item`` to the committee, recording the step and any tie."""
    committee.append(item)
    available[item] = False
    steps.append(SelectionStep(item=item, phase=phase, value=value, support=float(support[item])))
    if len(tied) > 1:
        ties.append(TieBreak(seat=len(committee), tied=tuple(int(t) for t in tied), chosen=item, phase=phase))


# ----------------------------------------------------------------------------------------------------------------
# PAV and sequential PAV


def _pav_scale(profile: _Profile, seats: int) -> tuple[float, float]:
    """Return ``(scale, tolerance)`` for comparing PAV scores.

    With integer weights, multiplying the harmonic numbers by lcm(1..seats) makes every marginal score an integer;
    if the largest possible score stays below 2**53 float64 sums are then exact and ties are exact (tolerance 0).
    """
    lcm = math.lcm(*range(1, seats + 1)) if seats else 1
    harmonic = sum(1.0 / i for i in range(1, seats + 1))
    if profile.is_integral and lcm * harmonic * profile.total_weight < _EXACT_LIMIT:
        return float(lcm), 0.0
    return 1.0, 1e-12 * max(1.0, harmonic * profile.total_weight)


def _marginal(profile: _Profile, counts: np.ndarray, scale: float, items: Iterable[int]) -> np.ndarray:
    """Return the marginal PAV score (times ``scale``) of adding each of ``items`` to the current committee."""
    gain = (
        profile.weights * (scale / (counts + 1.0))
        if scale == 1.0
        else profile.weights * np.floor_divide(scale, counts + 1.0)
    )
    return np.array([float(gain[profile.supporters[j]].sum()) for j in items], dtype=np.float64)


def _seqpav(profile: _Profile, seats: int) -> tuple[list[int], list[SelectionStep], list[TieBreak], float]:
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
        _take(item, tied, "seqpav", best / scale, committee, steps, ties, available, profile.support)
    return committee, steps, ties, total


def seqpav(
    approvals: Approvals,
    n_items: int,
    seats: int,
    *,
    weights: Sequence[float] | np.ndarray | None = None,
) -> Selection:
    """Choose ``seats`` items by sequential PAV, ties to the lowest item index (abcvoting's ``"seqpav"``)."""
    profile = _profile(approvals, n_items, weights)
    _check_seats(seats, n_items)
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
            gains = _weighted_sum(weights / (counts + 1.0), matrix)
        else:
            gains = _weighted_sum(weights * np.floor_divide(scale, counts + 1.0), matrix)
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
    profile: _Profile, seats: int, incumbent: Sequence[int], limit: int
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


def _pav_reduced(profile: _Profile, seats: int, incumbent: Sequence[int], limit: int) -> tuple[_Search, str]:
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
    profile = _profile(approvals, n_items, weights)
    _check_seats(seats, n_items)
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


# ----------------------------------------------------------------------------------------------------------------
# Approval ranking


def approval_ranking(
    approvals: Approvals,
    n_items: int,
    seats: int,
    *,
    weights: Sequence[float] | np.ndarray | None = None,
) -> Selection:
    """Choose the ``seats`` items with the most approval weight, ties to the lowest item index."""
    profile = _profile(approvals, n_items, weights)
    _check_seats(seats, n_items)
    support = profile.support
    order = np.lexsort((np.arange(n_items), -support))
    committee: list[int] = []
    steps: list[SelectionStep] = []
    ties: list[TieBreak] = []
    available = np.ones(n_items, dtype=bool)
    for item in order[:seats]:
        tied = np.flatnonzero(available & (support == support[item]))
        _take(int(item), tied, "approval", float(support[item]), committee, steps, ties, available, support)
    return Selection(
        method="approval", seats=seats, committee=tuple(committee), steps=tuple(steps), tie_breaks=tuple(ties)
    )


# ----------------------------------------------------------------------------------------------------------------
# Extended justified representation


def ejr_check(
    approvals: Approvals,
    n_items: int,
    committee: Iterable[int],
    seats: int,
    *,
    weights: Sequence[float] | np.ndarray | None = None,
    max_work: int = 50_000_000,
    max_reported: int = 20,
) -> EJRReport:
    """Look for groups of voters that the committee under-represents, and say how complete the search was.

    A group is l-cohesive when it weighs at least ``l * W / seats`` and its members jointly approve at least
    ``l`` items; EJR is violated when every member of such a group has fewer than ``l`` approved items in the
    committee. If a violation exists for ``l``, then for some set T of ``l`` items, *all* voters who approve T and
    have fewer than ``l`` committee items form one, so it suffices to search the sets T: for each ``l`` this
    function enumerates them depth-first, in lexicographic order, over the items such voters approve, dropping any
    partial set whose voters already weigh too little.

    For l = 1 that is one pass over the ballots, so justified representation is always decided exactly. For
    l > 1 the search is exact but exponential in the worst case (deciding EJR is coNP-hard): it stops once it has
    touched ``max_work`` ballot rows beyond the l = 1 pass (a count, so the outcome is deterministic), and the
    report then says it is not exhaustive. Violations found before stopping are real. At most ``max_reported``
    distinct groups are reported per ``l``; each comes with the lexicographically first ``l`` items it shares.
    """
    profile = _profile(approvals, n_items, weights)
    _check_seats(seats, n_items)
    chosen = sorted({int(c) for c in committee})
    if any(not 0 <= c < n_items for c in chosen):
        raise ValueError("a committee item is outside the item range")
    matrix, weight, total = profile.approvals, profile.weights, profile.total_weight
    satisfaction = np.zeros(len(weight), dtype=np.int64)
    for item in chosen:
        satisfaction[profile.rows_approving(item)[0]] += 1
    # Cohesion is "weight >= ell * W / seats", compared as weight * seats >= ell * W: exact for integer weights.
    slack = 0.0 if profile.is_integral else 1e-12
    violations: list[EJRViolation] = []
    work = 0
    truncated = False
    checked = 0
    for ell in range(1, seats + 1):
        need = ell * total * (1.0 - slack)
        short = satisfaction < ell
        if float(weight[short].sum()) * seats < need:
            checked = ell
            continue
        # First level: for each item, the under-represented rows approving it (from the per-item lists).
        level: list[tuple[int, np.ndarray]] = []
        for item in range(n_items):
            rows, row_weights = profile.rows_approving(item)
            keep = short[rows]
            if float(row_weights[keep].sum()) * seats >= need:
                level.append((item, rows[keep]))
        found: dict[bytes, tuple[int, ...]] = {}
        stack: list[tuple[tuple[int, ...], int, np.ndarray]] = [
            ((item,), position + 1, rows) for position, (item, rows) in reversed(list(enumerate(level)))
        ]
        stopped = False
        while stack:
            items, start, rows = stack.pop()
            if len(items) == ell:
                found.setdefault(rows.tobytes(), items)
                continue
            children = []
            for position in range(start, len(level) - (ell - len(items)) + 1):
                work += len(rows)
                if work > max_work:
                    stopped = True
                    break
                item = level[position][0]
                child = rows[matrix[rows, item]]
                if float(weight[child].sum()) * seats >= need:
                    children.append(((*items, item), position + 1, child))
            if stopped:
                break
            stack.extend(reversed(children))  # depth first, in lexicographic order of the item sets
        for key, items in list(found.items())[:max_reported]:
            members = np.frombuffer(key, dtype=np.int64)
            violations.append(
                EJRViolation(
                    ell=ell,
                    items=items,
                    voters=profile.voters_in(members),
                    weight=float(weight[members].sum()),
                    required_weight=ell * total / seats,
                )
            )
        truncated = truncated or len(found) > max_reported
        if stopped:
            return EJRReport(
                tuple(violations), is_exhaustive=False, checked_up_to=checked, work=work, truncated=truncated
            )
        checked = ell
    return EJRReport(tuple(violations), is_exhaustive=True, checked_up_to=checked, work=work, truncated=truncated)


def ejr_violations(
    approvals: Approvals,
    n_items: int,
    committee: Iterable[int],
    seats: int,
    *,
    weights: Sequence[float] | np.ndarray | None = None,
    max_work: int = 50_000_000,
) -> list[EJRViolation]:
    """Return the cohesive groups the committee leaves under-represented (see ``ejr_check`` for guarantees).

    An empty list means the committee satisfies EJR only if the search was exhaustive; call ``ejr_check`` to know.
    Violations with l = 1 (justified representation) are always all found.
    """
    return list(ejr_check(approvals, n_items, committee, seats, weights=weights, max_work=max_work).violations)
