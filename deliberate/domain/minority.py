"""Analyse who supports the agenda, who dissents, what minorities wanted instead.

This is the engine of the agenda's minority section. It is
pure (stdlib + numpy): the service hands it item ids, the agenda, one :class:`Voter` record per counted
ballot and a :class:`GenderTable`, and gets frozen dataclasses back. ``items`` should be given in the official
count's order (best first): that order is used to sort outputs and as the last, documented tie-break.

Decisions, each taken privacy-first (members may be undocumented; no breakdown of fewer than five people):

* **Dissent.** A club dissents on an item when a strict majority of its voters did not approve it
  (``2 * approving < voters``; an exact half is not a majority). Dissent is assessed only for clubs with
  at least :data:`MIN_GROUP` voters: saying "most of a three-voter club rejected X" reveals how at
  least two people voted. Smaller clubs are listed in :attr:`MinorityAnalysis.suppressed_clubs` and never
  appear as dissenting.
* **First choice of a club or an opinion group**: plurality of first preferences. Each voter's first tier
  carries one vote, split equally among the items tied in it (a voter who ranks nothing casts no first
  preference). Items whose score equals the maximum are *all* the group's first choices: ties are
  reported, never broken silently. Only groups with at least :data:`MIN_GROUP` voters have a reported
  first choice.
* **Minority priorities** are the items not on the agenda that are the first choice of some club, opinion
  group or of the women voters, or that at least :data:`WIDE_APPROVAL_SHARE` (a quarter) of all voters
  approved.

The gender figures (the gender table, the gender gap, the women's first choice) and the equity checks are in
:mod:`deliberate.domain.equity`; the electorate and the suppressed figures in :mod:`deliberate.domain.electorate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from deliberate.domain.electorate import (
    EPSILON,
    ClubId,
    Electorate,
    GroupId,
    ItemId,
    Plain,
    Support,
    Voter,
    as_electorate,
    check_agenda,
)
from deliberate.domain.equity import (
    EquityConfig,
    EquityReport,
    GenderGap,
    GenderTable,
    check_equity,
    gender_gap,
    gender_table_of,
    women_first_choices,
)
from deliberate.domain.gender import GenderGroup
from deliberate.domain.privacy import MIN_GROUP

#: An item left off the agenda is a minority priority when at least this share of all voters approved it.
WIDE_APPROVAL_SHARE = 0.25
# First-preference scores are sums of fractions (1/k for a k-way tied first tier); equal up to this tolerance.
_SCORE_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class ItemAnalysis(Plain):
    """Describe who supports one agenda item.

    ``position`` is 1-based on the agenda. The mappings are read-only and sorted by key; suppressed groups
    are present with :data:`SUPPRESSED`. ``dissenting_clubs`` lists clubs (with at least MIN_GROUP
    voters) where a strict majority did not approve. ``gender_gap`` is None unless the gender table shows
    both women and men.
    """

    item: ItemId
    position: int
    overall: Support
    by_club: Mapping[ClubId, Support]
    by_group: Mapping[GroupId, Support]
    by_gender: Mapping[GenderGroup, Support]
    dissenting_clubs: tuple[ClubId, ...]
    gender_gap: GenderGap | None


@dataclass(frozen=True, slots=True)
class MinorityPriority(Plain):
    """Describe an item left off the agenda that some minority put first, and who did.

    ``first_for_clubs`` / ``first_for_groups`` list the clubs and opinion groups whose first choice it is
    (ties included), ``is_first_for_women`` whether it is a first choice of women voters, and
    ``is_widely_approved`` whether at least a quarter of all voters approved it (``overall`` gives the
    figures).
    """

    item: ItemId
    first_for_clubs: tuple[ClubId, ...]
    first_for_groups: tuple[GroupId, ...]
    is_first_for_women: bool
    is_widely_approved: bool
    overall: Support


@dataclass(frozen=True, slots=True)
class MinorityAnalysis(Plain):
    """Hold the minority section: per agenda item support, minority priorities and what was suppressed.

    ``voters`` is the total number of counted ballots. ``women_first_choices`` are the women voters' first
    choices (empty when the gender table hides women). ``suppressed_clubs`` / ``suppressed_groups``
    are those with fewer than MIN_GROUP voters, whose figures, dissent and first choices are not shown.
    """

    voters: int
    agenda: tuple[ItemId, ...]
    items: tuple[ItemAnalysis, ...]
    priorities: tuple[MinorityPriority, ...]
    women_first_choices: tuple[ItemId, ...]
    suppressed_clubs: tuple[ClubId, ...]
    suppressed_groups: tuple[GroupId, ...]


@dataclass(frozen=True, slots=True)
class Analysis(Plain):
    """Hold the equity report and the minority section computed on the agenda to publish."""

    equity: EquityReport
    minority: MinorityAnalysis

    def to_dict(self) -> dict[str, Any]:
        """Return both parts as plain JSON-ready data."""
        return {"equity": self.equity.to_dict(), "minority": self.minority.to_dict()}


def _first_choices(scores: np.ndarray) -> np.ndarray:
    """Return a boolean matrix marking each row's top-scoring items (all ties; none for an all-zero row)."""
    top = scores.max(axis=1, initial=0.0)[:, None]
    return (scores > 0) & (scores >= top - _SCORE_TOLERANCE * np.maximum(top, 1.0))


@dataclass(frozen=True, eq=False)
class _Breakdown:
    """Hold the voters split one way (by club or by opinion group): sizes, approvals and first choices."""

    keys: tuple[Any, ...]
    sizes: np.ndarray
    approvals: np.ndarray
    shown: np.ndarray
    first: np.ndarray

    @classmethod
    def of(cls, electorate: Electorate, codes: np.ndarray, keys: tuple[Any, ...]) -> _Breakdown:
        """Split ``electorate`` by category ``codes`` into ``keys``; groups under MIN_GROUP get no first."""
        sizes = electorate.sizes(codes, len(keys))
        shown = sizes >= MIN_GROUP
        first = _first_choices(electorate.first_scores_by(codes, len(keys))) & shown[:, None]
        return cls(keys, sizes, electorate.approvals_by(codes, len(keys)), shown, first)

    def support(self, j: int) -> Mapping[Any, Support]:
        """Return each group's support for item column ``j``, suppressed under MIN_GROUP voters."""
        return _support_map(self.keys, self.approvals[:, j], self.sizes)

    def first_for(self, j: int) -> tuple[Any, ...]:
        """Return the groups whose first choice is item column ``j``."""
        return tuple(self.keys[g] for g in np.flatnonzero(self.first[:, j]))

    def suppressed(self) -> tuple[Any, ...]:
        """Return the groups under MIN_GROUP voters."""
        return tuple(self.keys[g] for g in np.flatnonzero(~self.shown))


def analyse_minority(
    items: Sequence[ItemId],
    agenda: Sequence[ItemId],
    voters: Sequence[Voter] | Electorate,
    genders: GenderTable | None = None,
) -> MinorityAnalysis:
    """Compute the minority section of ``agenda``: support, dissent, gender gaps and minority priorities.

    Gender figures come from ``genders`` (by default, the table of the voters' own genders).
    """
    electorate = as_electorate(items, voters)
    agenda = check_agenda(electorate, agenda)
    table = gender_table_of(electorate, genders)
    n, items = electorate.size, electorate.items
    total_approvals = electorate.total_approvals()
    clubs = _Breakdown.of(electorate, electorate.club, electorate.clubs)
    groups = _Breakdown.of(electorate, electorate.group, electorate.groups)
    dissent = clubs.shown[:, None] & (2 * clubs.approvals < clubs.sizes[:, None])

    analyses = []
    for position, item in enumerate(agenda, start=1):
        j = electorate.item_index[item]
        analyses.append(
            ItemAnalysis(
                item=item,
                position=position,
                overall=Support.of(int(total_approvals[j]), n),
                by_club=clubs.support(j),
                by_group=groups.support(j),
                by_gender=table.support(item),
                dissenting_clubs=tuple(clubs.keys[c] for c in np.flatnonzero(dissent[:, j])),
                gender_gap=gender_gap(table, item),
            )
        )

    women_first = women_first_choices(table, items)
    on_agenda = set(agenda)
    widely = (n >= MIN_GROUP) & (total_approvals + EPSILON >= WIDE_APPROVAL_SHARE * n)
    priorities = tuple(
        MinorityPriority(
            item=item,
            first_for_clubs=clubs.first_for(j),
            first_for_groups=groups.first_for(j),
            is_first_for_women=item in women_first,
            is_widely_approved=bool(widely[j]),
            overall=Support.of(int(total_approvals[j]), n),
        )
        for j, item in enumerate(items)
        if item not in on_agenda
        and (clubs.first[:, j].any() or groups.first[:, j].any() or item in women_first or widely[j])
    )
    return MinorityAnalysis(
        voters=n,
        agenda=agenda,
        items=tuple(analyses),
        priorities=priorities,
        women_first_choices=women_first,
        suppressed_clubs=clubs.suppressed(),
        suppressed_groups=groups.suppressed(),
    )


def _support_map(keys: Sequence[Any], approving: np.ndarray, sizes: np.ndarray) -> Mapping[Any, Support]:
    """Return a read-only mapping from each key to its Support, suppressed under MIN_GROUP voters."""
    return MappingProxyType(
        {
            key: Support.of(int(a), int(s))
            for key, a, s in zip(keys, approving.tolist(), sizes.tolist(), strict=True)
        }
    )


def analyse(
    items: Sequence[ItemId],
    agenda: Sequence[ItemId],
    voters: Sequence[Voter] | Electorate,
    *,
    genders: GenderTable | None = None,
    board_genders: Sequence[str | None] = (),
    config: EquityConfig | None = None,
    turnout: Mapping[str, int] | None = None,
) -> Analysis:
    """Run the equity checks, then compute the minority section on the agenda they return."""
    electorate = as_electorate(items, voters)
    table = gender_table_of(electorate, genders)
    equity = check_equity(electorate.items, agenda, electorate, genders=table, board_genders=board_genders,
                          config=config, turnout=turnout)
    return Analysis(equity=equity, minority=analyse_minority(electorate.items, equity.agenda, electorate, table))
