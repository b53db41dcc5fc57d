"""Count ranked ballots with ties and truncation: Schulze, ranked pairs, Borda, Copeland and approval.

A ballot is a ranking in tiers (items in one tier are tied; items left out tie below every ranked item) plus
an approval set (the items above the voter's approval line). Every count goes through a
:class:`PairwiseCount`: ``support[a, b]`` is the (weighted) number of ballots ranking ``a`` strictly above
``b`` and ``approvals[a]`` the (weighted) number approving ``a``. All five methods are functions of that count
alone, which is what lets the federation module combine clubs before ranking.

Rankings are returned as tiers of item indices, best first, with ties explicit; items inside a tier are listed
in index order and that listing means nothing. When a total order is needed (the last seat of an agenda),
:func:`break_ties` orders a tier by a priority that the caller states (see :func:`lottery_priority` for a
verifiable one) and reports that it did so.

Conventions (they match the published test vectors in ``shared/data/voting``):

- Schulze: path strength by margins (or winning votes on request); ``a`` beats ``b`` when the strongest path
  from ``a`` to ``b`` (over all items) is stronger than the one back. Tier 0 is the Schulze winners (nobody
  beats them), tier 1 the items that only tier 0 beats, and so on (the "Schulze levels"). The strongest paths
  are not recomputed without tier 0: two items may stay tied in a lower tier although one of them beats the
  other head to head.
- Ranked pairs: majorities are locked strongest margin first, skipping any that would contradict what is
  already locked. Equal margins are locked as a group: if locking them in different orders could give
  different results (they form a cycle with each other and with what is locked), the edges of that cycle are
  *not* locked and are reported in :attr:`TallyResult.ties`; the remaining edges of the group are locked. No
  arbitrary order is used. Passing ``priority`` instead gives Tideman's tie-break: equal margins are locked in
  lexicographic order of (winner, loser) positions in ``priority`` and zero margins are locked last the same
  way, giving a total order.
- Borda: on a ballot an item gets one point per item ranked below it and half a point per item tied with it,
  so ``m - 1`` points go to the first of ``m`` items and unranked items share the points that remain equally.
- Copeland: pairwise wins minus pairwise losses.
- Approval: the weighted number of ballots approving the item.

Floating-point counts (from weighted federations) treat values within 1e-9 of the total weight of each other
as equal, so that shares equal in exact arithmetic tie despite rounding (a difference that small is not a
difference of any voter's say).

The package's modules: ``results`` (ballots, counts and results), ``pairwise`` (encoding and counting ballots),
``methods`` (the five methods) and ``order`` (tie-breaks and total orders).
"""

from __future__ import annotations

from deliberate.domain.tally.methods import approval, borda, copeland, ranked_pairs, schulze, tally, tiers_by_score
from deliberate.domain.tally.order import break_ties, lottery_priority, moved_items, tier_positions, top_seats
from deliberate.domain.tally.pairwise import (
    count_ballots,
    count_by_group,
    encode_ballots,
    pairwise_support,
    pairwise_support_by_group,
    rank_dtype,
    ranking_support,
)
from deliberate.domain.tally.results import (
    Ballot,
    InvalidBallot,
    PairwiseCount,
    Ranking,
    TallyResult,
    TiedEdges,
    TotalOrder,
    UnknownMethod,
)

__all__ = [
    "Ballot", "InvalidBallot", "PairwiseCount", "Ranking", "TallyResult", "TiedEdges", "TotalOrder", "UnknownMethod",
    "approval", "borda", "break_ties", "copeland", "count_ballots", "count_by_group", "encode_ballots",
    "lottery_priority", "moved_items", "pairwise_support", "pairwise_support_by_group", "rank_dtype", "ranked_pairs",
    "ranking_support", "schulze", "tally", "tier_positions", "tiers_by_score", "top_seats",
]
