"""Extended justified representation: cohesive groups of voters a committee leaves under-represented."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from deliberate.domain.selection.profiles import (
    Approvals,
    check_seats,
    make_profile,
)
from deliberate.domain.selection.results import (
    EJRReport,
    EJRViolation,
)


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
    profile = make_profile(approvals, n_items, weights)
    check_seats(seats, n_items)
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
