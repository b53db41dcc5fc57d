"""Plain approval voting: the items with the most approval weight (not proportional)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deliberate.domain.selection.profiles import (
    Approvals,
    check_seats,
    make_profile,
    take,
)
from deliberate.domain.selection.results import (
    Selection,
    SelectionStep,
    TieBreak,
)


def approval_ranking(
    approvals: Approvals,
    n_items: int,
    seats: int,
    *,
    weights: Sequence[float] | np.ndarray | None = None,
) -> Selection:
    """Choose the ``seats`` items with the most approval weight, ties to the lowest item index."""
    profile = make_profile(approvals, n_items, weights)
    check_seats(seats, n_items)
    support = profile.support
    order = np.lexsort((np.arange(n_items), -support))
    committee: list[int] = []
    steps: list[SelectionStep] = []
    ties: list[TieBreak] = []
    available = np.ones(n_items, dtype=bool)
    for item in order[:seats]:
        tied = np.flatnonzero(available & (support == support[item]))
        take(int(item), tied, "approval", float(support[item]), committee, steps, ties, available, support)
    return Selection(
        method="approval", seats=seats, committee=tuple(committee), steps=tuple(steps), tie_breaks=tuple(ties)
    )
