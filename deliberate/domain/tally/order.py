"""Order a ranking's tiers when a total order is needed (the last seats of an agenda): a stated priority, a
verifiable lottery, and where items moved between two rankings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import TypeVar

from deliberate.domain.tally.methods import positions_in
from deliberate.domain.tally.results import Ranking, TotalOrder

T = TypeVar("T")


def lottery_priority(seed: bytes | str, n_items: int) -> tuple[int, ...]:
    """Return a verifiable pseudo-random order of the items, drawn from a public seed.

    Items are sorted by ``sha256(seed + b":" + str(item))``; anyone with the seed (for example the hash of the
    published inputs) can recompute it, and nobody can choose it after the ballots are in.
    """
    raw = seed.encode() if isinstance(seed, str) else seed
    return tuple(sorted(range(n_items), key=lambda item: hashlib.sha256(raw + b":" + str(item).encode()).digest()))


def break_ties(ranking: Ranking, priority: Sequence[int] | None = None) -> TotalOrder:
    """Order every tier by ``priority`` (default: item index order) and report which tiers needed it.

    The ballots decide the order between tiers; ``priority`` only decides inside a tier, and ``broken_tiers``
    lists each tier it decided.
    """
    n_items = sum(len(tier) for tier in ranking)
    if priority is None:
        position = list(range(max((i for tier in ranking for i in tier), default=-1) + 1))
        rule = "item order"
    else:
        position = positions_in(priority, n_items)
        rule = "priority order"
    order: list[int] = []
    broken: list[tuple[int, ...]] = []
    for tier in ranking:
        order.extend(sorted(tier, key=lambda item: position[item]))
        if len(tier) > 1:
            broken.append(tuple(tier))
    return TotalOrder(tuple(order), bool(broken), tuple(broken), rule)


def top_seats(ranking: Ranking, seats: int, priority: Sequence[int] | None = None) -> TotalOrder:
    """Return the first ``seats`` items of a ranking; a tier cut by the last seat is ordered by ``priority``.

    ``tie_break_used`` is true only when the cut falls inside a tier; ``broken_tiers`` is then that tier.
    """
    full = break_ties(ranking, priority)
    seen = 0
    for tier in ranking:
        if seen < seats < seen + len(tier):
            return TotalOrder(full.order[:seats], True, (tuple(tier),), full.rule)
        seen += len(tier)
    return TotalOrder(full.order[:seats], False, (), full.rule)


def tier_positions(ranking: Iterable[Iterable[T]]) -> dict[T, int]:
    """Return each item's position in a ranking of tiers: 1 + the number of items ranked ahead of its tier."""
    positions: dict[T, int] = {}
    ahead = 0
    for tier in ranking:
        members = list(tier)
        positions.update((item, ahead + 1) for item in members)
        ahead += len(members)
    return positions


def moved_items(official: Iterable[Iterable[T]], other: Iterable[Iterable[T]]) -> dict[T, int]:
    """Return the official position of every item that has another position (or none) in ``other``.

    Used to say how much another rule would change a ranking: an item counts as moved when the number of items
    ahead of it changes, so two tiers swapping places move every item in both, and a tie that forms or breaks
    moves the items whose position changes.
    """
    before, after = tier_positions(official), tier_positions(other)
    return {item: position for item, position in sorted(before.items(), key=lambda pair: pair[1])
            if after.get(item) != position}
