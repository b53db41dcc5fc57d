"""Find opinion groups in members' reactions, the way Polis does.

Input is plain values: participant ids, statement (demand) ids and reactions ``(participant, statement,
value)`` with agree 1, disagree -1 and pass 0. The method re-implements, from the published formulas, what
Polis computes (no Polis code is used):

1. The reaction matrix (participants x visible statements), a pass counting as 0; a missing cell is filled
   with the statement's mean, so once the columns are centred it contributes nothing.
2. PCA to two components; each participant is projected from the cells they voted only, scaled by
   ``sqrt(n_statements / n_votes)`` so that people who voted on few statements are not all drawn to the
   centre.
3. Participants with at least ``min(7, n_statements)`` reactions are clustered: k-means into up to 100 base
   clusters, then k-means of the base centres weighted by their sizes for k = 2..5, keeping the k with the
   best silhouette (over participants: each base centre weighs as many as it holds).
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
the first distinct points in id order (participants, then base clusters); the principal axes have a canonical
sign (the largest loading is positive; very large matrices use a randomized SVD with a fixed seed); groups are
numbered by size, largest first, ties broken by their smallest member id. The same reactions in any order
give the same groups, labels and picture.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

AGREE = 1
DISAGREE = -1
PASS = 0

#: z of a one-sided test at 90% confidence, as Polis uses.
Z_90 = 1.2816
#: Maximum number of base clusters.
BASE_CLUSTERS = 100
#: Group counts tried.
MIN_GROUPS, MAX_GROUPS = 2, 5
#: Reactions needed to be clustered (or every statement, if there are fewer).
MIN_REACTIONS = 7
#: Representative statements kept per group, consensus statements kept per direction.
MAX_REPRESENTATIVE = 5
MAX_CONSENSUS = 5
#: Lloyd iterations at most.
KMEANS_ITERATIONS = 300
#: Above this many participants and statements, PCA uses a randomized SVD.
EXACT_PCA_LIMIT = 1000
#: Smallest opinion group allowed.
MIN_GROUP_SIZE = 2

DUPLICATE = "more than one reaction by a participant to a statement; keep the latest only"

Id = Hashable


@dataclass(frozen=True)
class ParticipantPosition:
    """Where a participant sits on the map and which group (if any) they belong to."""

    participant: Id
    group: int | None
    x: float
    y: float


@dataclass(frozen=True)
class RepresentativeStatement:
    """A statement that sets a group apart from the rest, with the evidence.

    ``direction`` says whether the group stands out by agreeing or by disagreeing. Rates are smoothed
    (``(n + 1) / (seen + 2)``); ``ratio`` is the rate (in ``direction``) in the group over the same rate in
    the rest; ``z_rate`` tests it against one half, ``z_rest`` the group against the rest; ``is_significant``
    says both are above 1.2816; ``score`` (ratio x rate) ranks the statements.
    """

    statement: Id
    direction: str
    agree: float
    disagree: float
    agree_rest: float
    disagree_rest: float
    seen: int
    seen_rest: int
    ratio: float
    z_rate: float
    z_rest: float
    score: float
    is_significant: bool


@dataclass(frozen=True)
class OpinionGroup:
    """An opinion group: its members and the statements that characterise it."""

    id: int
    size: int
    members: tuple[Id, ...]
    representative: tuple[RepresentativeStatement, ...]


@dataclass(frozen=True)
class ConsensusStatement:
    """A statement every group agrees (or disagrees) with; rates are smoothed over clustered participants."""

    statement: Id
    direction: str
    agree: float
    disagree: float
    group_informed_consensus: float


@dataclass(frozen=True)
class OpinionMap:
    """The computed opinion map: positions, groups, consensus and group-informed consensus."""

    participants: tuple[ParticipantPosition, ...]
    groups: tuple[OpinionGroup, ...]
    consensus: tuple[ConsensusStatement, ...]
    group_informed_consensus: dict[Id, float]
    explained_variance: tuple[float, float] = (0.0, 0.0)

    @cached_property
    def _by_participant(self) -> dict[Id, ParticipantPosition]:
        """Index the positions by participant id (built on first use)."""
        return {p.participant: p for p in self.participants}

    def position(self, participant: Id) -> ParticipantPosition:
        """Return one participant's position and group (``KeyError`` if unknown)."""
        return self._by_participant[participant]

    def group_of(self, participant: Id) -> int | None:
        """Return the group of a participant, or ``None`` if they were not clustered."""
        return self.position(participant).group


def compute_opinion_map(
    participants: Iterable[Id],
    statements: Iterable[Id],
    reactions: Iterable[tuple[Id, Id, int]],
    *,
    hidden: Iterable[Id] = (),
) -> OpinionMap:
    """Compute the opinion map of a conversation from its reactions.

    ``participants`` and ``statements`` list every id (reactions may only refer to those); ids of one kind
    must be mutually orderable (ints from the database, for instance), and participants who never reacted are
    placed at the centre, ungrouped. ``reactions`` holds at most one reaction per participant and statement:
    resolve history ("latest wins") before calling. ``hidden`` lists statements moderated out, which carry no
    weight (see the module's documentation for the two Polis details). Raises ``ValueError`` on an unknown id,
    a duplicate reaction or a value other than 1, -1, 0.
    """
    # One thread: on a shared machine (or under several web workers) BLAS and OpenMP thread pools fight for
    # the cores and make the map tens of times slower; single-threaded it takes a fraction of a second.
    with threadpool_limits(limits=1):
        return _compute(participants, statements, reactions, hidden)


def _compute(
    participants: Iterable[Id],
    statements: Iterable[Id],
    reactions: Iterable[tuple[Id, Id, int]],
    hidden: Iterable[Id],
) -> OpinionMap:
    """Compute the map (see :func:`compute_opinion_map`)."""
    people = sorted(set(participants))
    hidden_set = set(hidden)
    all_statements = sorted(set(statements))
    visible = [s for s in all_statements if s not in hidden_set]
    votes = _reaction_arrays(reactions, people, all_statements, hidden_set)
    n_people, n_statements = len(people), len(visible)

    xy, explained = _project(votes, n_people, n_statements)
    visible_counts = np.bincount(votes.rows, minlength=n_people)
    # Reactions to hidden statements count as taking part (as in Polis), but someone must have reacted to at
    # least one visible statement to have a place on the map and a statement to share with a group.
    enough = visible_counts + votes.hidden_counts >= min(MIN_REACTIONS, n_statements)
    clustered = np.flatnonzero(enough & (visible_counts > 0))
    labels = np.full(n_people, -1, dtype=np.int64)
    labels[clustered] = _cluster(xy[clustered])
    labels = _canonical_labels(labels)
    n_groups = int(labels.max()) + 1 if n_people else 0

    stats = _group_stats(votes, labels, n_groups, n_statements)
    groups = tuple(
        OpinionGroup(
            id=g,
            size=int(np.count_nonzero(labels == g)),
            members=tuple(people[i] for i in np.flatnonzero(labels == g)),
            representative=_representative(stats, g, visible),
        )
        for g in range(n_groups)
    )
    gic = _group_informed_consensus(stats)
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
        consensus=_consensus(stats, gic, visible),
        group_informed_consensus={s: float(gic[j]) for j, s in enumerate(visible)} if n_groups else {},
        explained_variance=explained,
    )


@dataclass(frozen=True)
class _Votes:
    """Reactions to visible statements as index arrays, and what is known of reactions to hidden ones."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    hidden_counts: np.ndarray  # per participant: reactions to hidden statements
    hidden_reacted: int  # hidden statements that received at least one reaction


def _reaction_arrays(
    reactions: Iterable[tuple[Id, Id, int]], people: Sequence[Id], statements: Sequence[Id], hidden: set[Id]
) -> _Votes:
    """Turn reaction tuples into index arrays, setting hidden statements apart and checking ids and values."""
    items = reactions if isinstance(reactions, list | tuple) else list(reactions)
    rows, cols, values = _int_indices(items, people, statements) or _generic_indices(items, people, statements)
    if not np.isin(values, (AGREE, DISAGREE, PASS)).all():
        bad = values[~np.isin(values, (AGREE, DISAGREE, PASS))][0]
        raise ValueError(f"reaction value {bad!r} is not 1, -1 or 0")
    keys = np.sort(rows * max(len(statements), 1) + cols)
    if len(keys) > 1 and not np.all(keys[1:] != keys[:-1]):
        raise ValueError(DUPLICATE)
    is_hidden = np.fromiter((s in hidden for s in statements), dtype=bool, count=len(statements))
    visible_index = np.cumsum(~is_hidden) - 1
    on_hidden = is_hidden[cols]
    return _Votes(
        rows=rows[~on_hidden],
        cols=visible_index[cols[~on_hidden]],
        values=values[~on_hidden].astype(np.float64),
        hidden_counts=np.bincount(rows[on_hidden], minlength=len(people)),
        hidden_reacted=len(np.unique(cols[on_hidden])),
    )


def _int_indices(
    items: Sequence[tuple[Id, Id, int]], people: Sequence[Id], statements: Sequence[Id]
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Map integer ids to indices with numpy (fast); return None when ids are not all plain integers."""
    if not all(type(x) is int for x in people) or not all(type(x) is int for x in statements):
        return None
    try:
        flat = np.fromiter(chain.from_iterable(items), dtype=np.int64, count=3 * len(items))
    except (TypeError, ValueError, OverflowError):
        return None
    triples = flat.reshape(-1, 3)
    indices = []
    for column, known, what in ((0, people, "participant"), (1, statements, "statement")):
        found, unknown = _lookup(np.asarray(known, dtype=np.int64), triples[:, column])
        if unknown.any():
            preposition = "by" if column == 0 else "to"
            raise ValueError(f"reaction {preposition} unknown {what} {int(triples[unknown][0, column])!r}")
        indices.append(found)
    return indices[0], indices[1], triples[:, 2].copy()


def _lookup(ids: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the position of each query in the sorted ``ids`` and a mask of the queries not found."""
    if len(ids) == 0:
        return np.zeros(len(queries), dtype=np.int64), np.ones(len(queries), dtype=bool)
    low, span = int(ids[0]), int(ids[-1]) - int(ids[0]) + 1
    if span <= max(16 * len(ids), 1 << 16):
        # Dense enough ids (database keys): a direct table beats a binary search by far.
        table = np.full(span, -1, dtype=np.int64)
        table[ids - low] = np.arange(len(ids))
        inside = (queries >= low) & (queries < low + span)
        found = np.full(len(queries), -1, dtype=np.int64)
        found[inside] = table[queries[inside] - low]
        return found.clip(0), found < 0
    found = np.searchsorted(ids, queries).clip(0, len(ids) - 1)
    return found.astype(np.int64), ids[found] != queries


def _generic_indices(
    items: Sequence[tuple[Id, Id, int]], people: Sequence[Id], statements: Sequence[Id]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map ids of any orderable kind to indices with dictionaries."""
    person_index = {p: i for i, p in enumerate(people)}
    statement_index = {s: j for j, s in enumerate(statements)}
    rows: list[int] = []
    cols: list[int] = []
    values: list[int] = []
    for participant, statement, value in items:
        if participant not in person_index:
            raise ValueError(f"reaction by unknown participant {participant!r}")
        if statement not in statement_index:
            raise ValueError(f"reaction to unknown statement {statement!r}")
        if value not in (AGREE, DISAGREE, PASS):
            raise ValueError(f"reaction value {value!r} is not 1, -1 or 0")
        rows.append(person_index[participant])
        cols.append(statement_index[statement])
        values.append(int(value))
    return (
        np.asarray(rows, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        np.asarray(values, dtype=np.int64),
    )


def _project(votes: _Votes, n_people: int, n_statements: int) -> tuple[np.ndarray, tuple[float, float]]:
    """Project every participant on the two principal axes of the mean-filled, centred reaction matrix."""
    xy = np.zeros((n_people, 2))
    if n_people == 0 or n_statements == 0 or len(votes.values) == 0:
        return xy, (0.0, 0.0)
    rows, cols, values = votes.rows, votes.cols, votes.values
    sums = np.bincount(cols, weights=values, minlength=n_statements)
    seen = np.bincount(cols, minlength=n_statements)
    means = np.divide(sums, seen, out=np.zeros(n_statements), where=seen > 0)
    # Filling a missing cell with the statement's mean and then centring leaves zero there: the centred matrix
    # only holds the voted cells, which is also exactly the "project from the cells voted" rule.
    centred = np.zeros((n_people, n_statements))
    centred[rows, cols] = values - means[cols]
    axes, explained = _principal_axes(centred)
    # Polis zeroes moderated-out statements for everyone rather than dropping them: they add nothing to any
    # position, but count as cells voted in the sparsity scaling. Doing the same keeps the map Polis's.
    voted = np.bincount(rows, minlength=n_people) + votes.hidden_reacted
    scale = np.sqrt((n_statements + votes.hidden_reacted) / np.maximum(voted, 1))
    xy[:, : axes.shape[0]] = (centred @ axes.T) * scale[:, None]
    return xy, explained


def _principal_axes(centred: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """Return up to two principal axes (rows) with a canonical sign, and their shares of the variance."""
    n_people, n_statements = centred.shape
    if min(n_people, n_statements) > EXACT_PCA_LIMIT:
        # Large matrices: a seeded randomized SVD, accurate for the top two axes and far cheaper than eigh.
        from sklearn.utils.extmath import randomized_svd  # scikit-learn takes a second to import: only when mapping

        _, singular, axes = randomized_svd(centred, n_components=2, n_oversamples=10, n_iter=7, random_state=0)
        top = singular**2
    elif n_statements <= n_people:
        eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)
        order = np.argsort(eigenvalues)[::-1][:2]
        axes, top = eigenvectors[:, order].T, eigenvalues[order]
    else:
        eigenvalues, eigenvectors = np.linalg.eigh(centred @ centred.T)
        order = np.argsort(eigenvalues)[::-1][:2]
        top = eigenvalues[order]
        axes = (centred.T @ eigenvectors[:, order]).T
        norms = np.linalg.norm(axes, axis=1)
        axes = np.divide(axes, norms[:, None], out=np.zeros_like(axes), where=norms[:, None] > 0)
    axes = np.array(axes, dtype=np.float64)
    for axis in axes:
        # Canonical sign: the largest loading (rounded, so that float noise cannot flip it) is positive.
        largest = int(np.argmax(np.abs(np.round(axis, 9))))
        if axis[largest] < 0:
            axis *= -1
    total = float(np.einsum("ij,ij->", centred, centred))
    shares = [float(v) / total if total > 0 else 0.0 for v in np.clip(top, 0.0, None)]
    shares += [0.0] * (2 - len(shares))
    return axes, (shares[0], shares[1])


def _cluster(points: np.ndarray) -> np.ndarray:
    """Cluster projected participants into opinion groups (labels 0..k-1 in arbitrary order, -1 for none).

    Like Polis, k-means starts from the first distinct points (participants in id order, then base clusters
    in order), so there is no randomness at all. A group of one participant joins the nearest group.
    """
    n = len(points)
    if n < MIN_GROUP_SIZE:
        return np.full(n, -1, dtype=np.int64)
    base_labels, centres, sizes = _kmeans(points, np.ones(n), BASE_CLUSTERS)
    best: tuple[float, np.ndarray] | None = None
    for k in range(MIN_GROUPS, min(MAX_GROUPS, len(centres) - 1) + 1):
        centre_labels = _merge_small_groups(centres, sizes, _kmeans(centres, sizes, k)[0])
        n_groups = int(centre_labels.max()) + 1
        if n_groups < MIN_GROUPS:
            continue
        score = _weighted_silhouette(centres, sizes, centre_labels, n_groups)
        if best is None or score > best[0] + 1e-12:
            best = (score, centre_labels)
    if best is None:
        return np.zeros(n, dtype=np.int64)
    return best[1][base_labels]


def _merge_small_groups(points: np.ndarray, weights: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Merge each group lighter than ``MIN_GROUP_SIZE`` into the group with the nearest centre; renumber."""
    labels = labels.copy()
    while True:
        present = np.unique(labels)
        mass = np.array([weights[labels == g].sum() for g in present])
        if len(present) < 2 or mass.min() >= MIN_GROUP_SIZE:
            break
        small = present[int(np.argmin(mass))]
        centres = np.array([np.average(points[labels == g], axis=0, weights=weights[labels == g]) for g in present])
        gaps = ((centres - centres[present == small]) ** 2).sum(axis=1)
        gaps[present == small] = np.inf
        labels[labels == small] = present[int(np.argmin(gaps))]
    return np.unique(labels, return_inverse=True)[1].reshape(-1)


def _kmeans(points: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run weighted k-means from the first ``k`` distinct points; return labels, centres, weight per cluster.

    With ``k`` or fewer distinct points, each is its own cluster. Clusters left empty are dropped, so fewer
    than ``k`` clusters may come back.
    """
    _, first, inverse = np.unique(points, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)
    if len(first) <= k:
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        labels, centres = rank[inverse.reshape(-1)], points[first[order]]
    else:
        from sklearn.cluster import KMeans  # scikit-learn takes a second to import: only when mapping

        start = points[first[order[:k]]]
        model = KMeans(n_clusters=k, init=start, n_init=1, max_iter=KMEANS_ITERATIONS, algorithm="lloyd")
        labels = model.fit_predict(points, sample_weight=weights)
        centres = model.cluster_centers_
    mass = np.bincount(labels, weights=weights, minlength=len(centres))
    keep = mass > 0
    if not keep.all():
        remap = np.cumsum(keep) - 1
        labels, centres, mass = remap[labels], centres[keep], mass[keep]
    return labels, centres, mass


def _weighted_silhouette(centres: np.ndarray, sizes: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Compute the mean silhouette over participants, with each base centre standing for its members."""
    distances = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    # Weighted sum of distances from each centre to each group, and the weight of each group.
    onehot = np.zeros((len(centres), k))
    onehot[np.arange(len(centres)), labels] = 1.0
    to_group = distances @ (onehot * sizes[:, None])
    group_weight = onehot.T @ sizes
    # The others in my group (my own base cluster's other members count, at distance 0).
    own = group_weight[labels] - 1.0
    a = np.divide(to_group[np.arange(len(centres)), labels], own, out=np.zeros(len(centres)), where=own > 0)
    other = to_group / group_weight[None, :]
    other[np.arange(len(centres)), labels] = np.inf
    b = other.min(axis=1)
    denominator = np.maximum(a, b)
    s = np.divide(b - a, denominator, out=np.zeros(len(centres)), where=denominator > 0)
    s[own <= 0] = 0.0
    return float((s * sizes).sum() / sizes.sum())


def _canonical_labels(labels: np.ndarray) -> np.ndarray:
    """Renumber groups by size (largest first), ties by their smallest member's position in the sorted ids."""
    present = [g for g in np.unique(labels) if g >= 0]
    keyed = sorted(present, key=lambda g: (-int(np.count_nonzero(labels == g)), int(np.flatnonzero(labels == g)[0])))
    out = np.full_like(labels, -1)
    for new, old in enumerate(keyed):
        out[labels == old] = new
    return out


@dataclass(frozen=True)
class _Stats:
    """Agree / disagree / seen counts per group (rows) and statement (columns), and for everyone clustered."""

    agree: np.ndarray
    disagree: np.ndarray
    seen: np.ndarray

    @property
    def n_groups(self) -> int:
        """Return the number of groups counted."""
        return self.agree.shape[0]


def _group_stats(votes: _Votes, labels: np.ndarray, n_groups: int, n_statements: int) -> _Stats:
    """Count agree, disagree and seen per group and visible statement."""
    rows, cols, values = votes.rows, votes.cols, votes.values
    grouped = labels[rows] >= 0
    flat = labels[rows[grouped]] * n_statements + cols[grouped]
    size = n_groups * n_statements
    vals = values[grouped]

    def count(mask: np.ndarray) -> np.ndarray:
        """Count the selected reactions per (group, statement)."""
        return np.bincount(flat[mask], minlength=size).reshape(n_groups, n_statements).astype(np.float64)

    return _Stats(
        agree=count(vals == AGREE),
        disagree=count(vals == DISAGREE),
        seen=count(np.ones_like(vals, dtype=bool)),
    )


def _smoothed(successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Return the smoothed rate ``(successes + 1) / (trials + 2)`` (one pseudo-vote each way)."""
    return (successes + 1.0) / (trials + 2.0)


def _z_rate(successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """One-sided z of a proportion against one half, with one pseudo-count (a Bayesian-flavoured test)."""
    n = trials + 1.0
    return 2.0 * np.sqrt(n) * ((successes + 1.0) / n - 0.5)


def _z_two(s1: np.ndarray, n1: np.ndarray, s2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """One-sided z that proportion 1 exceeds proportion 2, with one pseudo-count on each side."""
    p1 = (s1 + 1.0) / (n1 + 1.0)
    p2 = (s2 + 1.0) / (n2 + 1.0)
    pooled = (s1 + s2 + 2.0) / (n1 + n2 + 2.0)
    spread = np.sqrt(pooled * (1.0 - pooled) * (1.0 / (n1 + 1.0) + 1.0 / (n2 + 1.0)))
    return np.divide(p1 - p2, spread, out=np.zeros_like(p1), where=spread > 0)


def _representative(stats: _Stats, group: int, statements: Sequence[Id]) -> tuple[RepresentativeStatement, ...]:
    """Pick up to five statements that set ``group`` apart; at least one, so every group stays visible."""
    na, nd, ns = stats.agree[group], stats.disagree[group], stats.seen[group]
    ra_, rd_, rs_ = (m.sum(axis=0) - m[group] for m in (stats.agree, stats.disagree, stats.seen))
    pa, pd = _smoothed(na, ns), _smoothed(nd, ns)
    pa_rest, pd_rest = _smoothed(ra_, rs_), _smoothed(rd_, rs_)
    candidates: list[tuple[Any, ...]] = []
    for direction, p, p_rest, n_hit, n_hit_rest in (
        ("agree", pa, pa_rest, na, ra_),
        ("disagree", pd, pd_rest, nd, rd_),
    ):
        ratio = p / p_rest
        z_rate = _z_rate(n_hit, ns)
        z_rest = _z_two(n_hit, ns, n_hit_rest, rs_)
        score = ratio * p
        significant = (z_rate > Z_90) & (z_rest > Z_90)
        candidates.extend(
            (direction, int(j), ratio[j], z_rate[j], z_rest[j], score[j], bool(significant[j]))
            for j in np.flatnonzero(ns > 0)
        )
    # One direction per statement: the significant one, else the better score.
    best_per_statement: dict[int, tuple[Any, ...]] = {}
    for cand in candidates:
        current = best_per_statement.get(cand[1])
        if current is None or (cand[6], cand[5]) > (current[6], current[5]):
            best_per_statement[cand[1]] = cand
    ranked = sorted(best_per_statement.values(), key=lambda c: (not c[6], -c[5], c[1]))
    chosen = [c for c in ranked if c[6]][:MAX_REPRESENTATIVE] or ranked[:1]
    return tuple(
        RepresentativeStatement(
            statement=statements[j],
            direction=direction,
            agree=float(pa[j]),
            disagree=float(pd[j]),
            agree_rest=float(pa_rest[j]),
            disagree_rest=float(pd_rest[j]),
            seen=int(ns[j]),
            seen_rest=int(rs_[j]),
            ratio=float(ratio),
            z_rate=float(z_rate),
            z_rest=float(z_rest),
            score=float(score),
            is_significant=significant,
        )
        for direction, j, ratio, z_rate, z_rest, score, significant in chosen
    )


def _group_informed_consensus(stats: _Stats) -> np.ndarray:
    """Return, per statement, the product over groups of the smoothed agree rate."""
    if stats.n_groups == 0:
        return np.zeros(stats.agree.shape[1])
    return np.prod(_smoothed(stats.agree, stats.seen), axis=0)


def _consensus(stats: _Stats, gic: np.ndarray, statements: Sequence[Id]) -> tuple[ConsensusStatement, ...]:
    """Find statements a majority of every group agrees (or disagrees) with, significantly overall."""
    if stats.n_groups == 0:
        return ()
    na, nd, ns = stats.agree.sum(axis=0), stats.disagree.sum(axis=0), stats.seen.sum(axis=0)
    pa, pd = _smoothed(na, ns), _smoothed(nd, ns)
    found: list[ConsensusStatement] = []
    for direction, hits, overall in (("agree", stats.agree, na), ("disagree", stats.disagree, nd)):
        in_every_group = (_smoothed(hits, stats.seen) > 0.5).all(axis=0)
        significant = _z_rate(overall, ns) > Z_90
        picked = np.flatnonzero(in_every_group & significant & (ns > 0))
        rate = _smoothed(overall, ns)
        picked = sorted(picked, key=lambda j: (-rate[j], j))[:MAX_CONSENSUS]
        found.extend(
            ConsensusStatement(
                statement=statements[j],
                direction=direction,
                agree=float(pa[j]),
                disagree=float(pd[j]),
                group_informed_consensus=float(gic[j]),
            )
            for j in picked
        )
    return tuple(found)
