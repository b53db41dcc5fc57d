"""The privacy minimum, and the counting groups that keep every counted group of ballots at or above it.

No figure about fewer than :data:`MIN_GROUP` people is ever shown. For ballots this is a property of the count,
not of a page: a club's own result with one voter *is* that voter's ballot, and a federation total next to every
other club's result gives a small club's ballots away by subtraction. So ballots are counted in **counting
groups** (:func:`counting_groups`):

- a club with at least ``MIN_GROUP`` voters is its own group;
- a club without voters is its own group (it carries no weight and shows nothing);
- the clubs with one to ``MIN_GROUP - 1`` voters are pooled into one group, which carries the sum of their
  weights and counts once for each of its clubs in the double majority;
- if that pool still has fewer than ``MIN_GROUP`` voters, the club groups with the fewest voters join it, one
  at a time (fewest voters first, then by name), until it reaches the minimum;
- if the whole consultation has fewer than ``MIN_GROUP`` voters, all its voters form one group, and
  :func:`is_small` of their number says that no result may be shown at all.

A pooled group is named by its clubs' names joined with ``+`` (club slugs never hold one), so that a ballots file
says what it pools.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MIN_GROUP = 5
"""The fewest people any published figure, table cell or counted group of ballots may be about."""

POOL_SEPARATOR = "+"


@dataclass(frozen=True)
class CountingGroup:
    """Name the clubs whose ballots are counted together, and how many voters they hold in all."""

    clubs: tuple[str, ...]
    voters: int

    @property
    def name(self) -> str:
        """Return the group's name: its club's name, or its clubs' names joined with ``+`` when pooled."""
        return POOL_SEPARATOR.join(self.clubs)

    @property
    def is_pooled(self) -> bool:
        return len(self.clubs) > 1


def is_small(count: int) -> bool:
    """Say whether a figure covers one to ``MIN_GROUP - 1`` people: it would be about people one could name."""
    return 0 < count < MIN_GROUP


def counting_groups(voters: Mapping[str, int]) -> tuple[CountingGroup, ...]:
    """Return the counting groups of clubs with these voter counts (see the module docstring), in a stable order.

    Clubs keep the order of ``voters`` (the clubs' own order); the pooled group takes the place of its first
    club. Every group has zero or at least ``MIN_GROUP`` voters, unless all voters together number fewer.
    """
    order = {club: index for index, club in enumerate(voters)}
    if any(count < 0 for count in voters.values()):
        raise ValueError("a club cannot have fewer than zero voters")
    pool = [club for club, count in voters.items() if is_small(count)]
    alone = [club for club, count in voters.items() if count >= MIN_GROUP]
    pooled_voters = sum(voters[club] for club in pool)
    for club in sorted(alone, key=lambda name: (voters[name], order[name])):
        if not is_small(pooled_voters):
            break
        pool.append(club)
        alone.remove(club)
        pooled_voters += voters[club]
    groups: list[tuple[int, CountingGroup]] = []
    if pool:
        members = tuple(sorted(pool, key=order.__getitem__))
        groups.append((order[members[0]], CountingGroup(members, pooled_voters)))
    groups += [(order[club], CountingGroup((club,), voters[club])) for club in voters if club not in pool]
    return tuple(group for _, group in sorted(groups, key=lambda pair: pair[0]))


def group_of(groups: Sequence[CountingGroup]) -> dict[str, str]:
    """Return the name of each club's counting group."""
    return {club: group.name for group in groups for club in group.clubs}
