"""Find opinion groups in members' reactions, the way Polis does.

Input is plain values: participant ids, statement (demand) ids and reactions ``(participant, statement,
value)`` with agree 1, disagree -1 and pass 0. The method re-implements, from the published formulas, what
Polis computes (no Polis code is used):

1. The reaction matrix (participants x visible statements), a pass counting as 0; a missing cell is filled
   with the statement's mean, so once the columns are centred it contributes nothing.
2. PCA to two components; each participant is projected from the cells they voted only, scaled by
   ``sqrt(n_statements / n_votes)`` so that people who voted on few statements are not all drawn to the
   centre.
3. Participants with at least ``min(7, n_statements)`` reactions are clustered (while fewer than 15 qualify,
   the most active of the others join them up to 15, as in Polis), and so is anyone that rule took in earlier in
   the conversation's history, whom Polis never lets go (``once_clustered``, replayed over the reactions' first
   times; with it the clustered set is exactly Polis's on both large exports kept in tests): k-means into up to
   100 base clusters,
   then k-means of the base centres weighted by their sizes for k = 2 to at most 5 (one more group allowed
   per 12 base clusters, Polis's rule, so a dozen participants get at most 3), keeping the k with the
   best silhouette (over participants: each base centre weighs as many as it holds), unless fewer groups come
   within ``SPLIT_MARGIN`` (0.02) of it. For each k the group k-means is run from Polis's start (the first
   distinct centres) and from ``GROUP_STARTS`` seeded k-means++ starts; Polis's result is kept unless the
   tightest one is a different partition (more than ``SAME_PARTITION``, 5% of the participants, change
   group). This stands in for what a snapshot cannot replay: Polis starts every update from the previous
   groups and changes their number only after another has been best for several updates, and on small
   conversations a single start from the first points stopped in poor optima (see ``groups``).
4. Per group, representative statements: smoothed rates ``pa = (na + 1) / (ns + 2)`` (``pd`` for disagree),
   their ratio to the same rate among the other clustered participants, and two one-sided z-tests at 1.2816
   (90%): the rate against one half, and the group against the rest. Every group gets at least one: when none
   passes both tests, the best-scoring one is shown, flagged as not significant, so small groups stay visible.
5. Consensus statements, agreed (or disagreed) by a majority of every group and significantly overall; and
   group-informed consensus, the product over groups of ``pa``.

Hidden (moderated-out) statements carry no weight: they are not in the matrix, the axes, the groups'
statements or the consensus. Two details follow Polis, whose exports this engine is checked against: a
reaction to a hidden statement still counts as taking part (towards the seven reactions needed to be
clustered), and Polis zeroes a moderated-out statement for everyone instead of dropping it, so each hidden
statement that received reactions adds one to both sides of the sparsity ratio
``(n_statements + n_hidden) / (n_votes + n_hidden)``. That moves nobody's direction on the map; it only
tempers how far sparse voters are pushed out. Both details were read off the exported conversations (the
vote counts Polis used, and the groups it found): with them the adjusted Rand index against Polis's groups
rises from 0.16 to 0.93 on bg2050-volunteers and from 0.75 to 0.95 on scoop-hivemind.biodiversity.

No group of one person: when k-means isolates a participant (an outlier), that participant joins the group
whose centre is nearest and the merged partition competes with the others on silhouette. Two or three
clustered participants therefore form a single group, and a lone clustered participant stays ungrouped.

Determinism: there is no randomness. Ids are sorted before anything else; k-means starts, as in Polis, from
the first distinct points in id order (participants, then base clusters), and the other starts of the group
k-means are seeded (seeds 0..GROUP_STARTS-1); the principal axes have a canonical sign (the largest loading
is positive; very large matrices use a randomized SVD with a fixed seed); groups are
numbered by size, largest first, ties broken by their smallest member id. The same reactions in any order
give the same groups, labels and picture.

The package's modules: ``results`` (the map's values), ``votes`` (reactions as arrays), ``projection`` (the two
axes), ``groups`` (the clustering) and ``statements`` (representative and consensus statements).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from threadpoolctl import threadpool_limits

from deliberate.domain.opinion.groups import (
    BASE_CLUSTERS,
    BASE_PER_GROUP,
    GROUP_STARTS,
    KMEANS_ITERATIONS,
    MAX_GROUPS,
    MIN_CLUSTERED,
    MIN_GROUP_SIZE,
    MIN_GROUPS,
    MIN_REACTIONS,
    SAME_PARTITION,
    SPLIT_MARGIN,
    canonical_labels,
    cluster,
    once_clustered,
    participants_to_cluster,
)
from deliberate.domain.opinion.projection import EXACT_PCA_LIMIT, project
from deliberate.domain.opinion.results import (
    AGREE,
    DISAGREE,
    PASS,
    ConsensusStatement,
    Id,
    OpinionGroup,
    OpinionMap,
    ParticipantPosition,
    RepresentativeStatement,
)
from deliberate.domain.opinion.statements import (
    MAX_CONSENSUS,
    MAX_REPRESENTATIVE,
    Z_90,
    consensus,
    group_informed_consensus,
    group_stats,
    representatives,
)
from deliberate.domain.opinion.votes import DUPLICATE, reaction_arrays

__all__ = [
    "AGREE", "BASE_CLUSTERS", "BASE_PER_GROUP", "DISAGREE", "DUPLICATE", "EXACT_PCA_LIMIT", "GROUP_STARTS",
    "KMEANS_ITERATIONS", "MAX_CONSENSUS", "MAX_GROUPS", "MAX_REPRESENTATIVE", "MIN_CLUSTERED", "MIN_GROUPS",
    "MIN_GROUP_SIZE", "MIN_REACTIONS", "PASS", "SAME_PARTITION", "SPLIT_MARGIN", "Z_90",
    "ConsensusStatement", "OpinionGroup", "OpinionMap", "ParticipantPosition", "RepresentativeStatement",
    "compute_opinion_map", "once_clustered",
]


def compute_opinion_map(
    participants: Iterable[Id],
    statements: Iterable[Id],
    reactions: Iterable[tuple[Id, Id, int]],
    *,
    hidden: Iterable[Id] = (),
    once_clustered: Iterable[Id] = (),
) -> OpinionMap:
    """Compute the opinion map of a conversation from its reactions.

    ``participants`` and ``statements`` list every id (reactions may only refer to those); ids of one kind
    must be mutually orderable (ints from the database, for instance), and participants who never reacted are
    placed at the centre, ungrouped. ``reactions`` holds at most one reaction per participant and statement:
    resolve history ("latest wins") before calling. ``hidden`` lists statements moderated out, which carry no
    weight (see the module's documentation for the two Polis details). Raises ``ValueError`` on an unknown id,
    a duplicate reaction or a value other than 1, -1, 0. ``once_clustered`` names participants clustered earlier
    in the conversation's history, who stay clustered as in Polis (see :func:`once_clustered`; without a history,
    the rule is applied to the reactions as they stand).
    """
    # One thread: on a shared machine (or under several web workers) BLAS and OpenMP thread pools fight for
    # the cores and make the map tens of times slower; single-threaded it takes a fraction of a second.
    with threadpool_limits(limits=1):
        return _compute(participants, statements, reactions, hidden, once_clustered)


def _compute(
    participants: Iterable[Id],
    statements: Iterable[Id],
    reactions: Iterable[tuple[Id, Id, int]],
    hidden: Iterable[Id],
    once_clustered: Iterable[Id] = (),
) -> OpinionMap:
    """Compute the map (see :func:`compute_opinion_map`)."""
    people = sorted(set(participants))
    hidden_set = set(hidden)
    all_statements = sorted(set(statements))
    visible = [s for s in all_statements if s not in hidden_set]
    votes = reaction_arrays(reactions, people, all_statements, hidden_set)
    n_people, n_statements = len(people), len(visible)

    xy, explained = project(votes, n_people, n_statements)
    visible_counts = np.bincount(votes.rows, minlength=n_people)
    # Reactions to hidden statements count as taking part (as in Polis), but someone must have reacted to at
    # least one visible statement to have a place on the map and a statement to share with a group.
    earlier = set(once_clustered)
    once = np.fromiter((p in earlier for p in people), bool, n_people) if earlier else None
    clustered = participants_to_cluster(visible_counts + votes.hidden_counts, visible_counts, n_statements, once)
    labels = np.full(n_people, -1, dtype=np.int64)
    labels[clustered] = cluster(xy[clustered])
    labels = canonical_labels(labels)
    n_groups = int(labels.max()) + 1 if n_people else 0

    stats = group_stats(votes, labels, n_groups, n_statements)
    groups = tuple(
        OpinionGroup(
            id=g,
            size=int(np.count_nonzero(labels == g)),
            members=tuple(people[i] for i in np.flatnonzero(labels == g)),
            representative=representatives(stats, g, visible),
        )
        for g in range(n_groups)
    )
    gic = group_informed_consensus(stats)
    positions = tuple(
        ParticipantPosition(
            participant=p,
            group=int(labels[i]) if labels[i] >= 0 else None,
            x=float(xy[i, 0]),
            y=float(xy[i, 1]),
        )
        for i, p in enumerate(people)
    )
    return OpinionMap(
        participants=positions,
        groups=groups,
        consensus=consensus(stats, gic, visible),
        group_informed_consensus={s: float(gic[j]) for j, s in enumerate(visible)} if n_groups else {},
        explained_variance=explained,
    )


