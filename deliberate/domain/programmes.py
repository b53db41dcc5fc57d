"""Programmes: the follow-up of a published agenda's items, from status and progress to funding and promises.

Pure rules, no storage:

- a programme's **status** moves between planned, in progress, blocked, done and dropped; blocking or dropping
  needs a public reason (:func:`check_move`);
- its **progress** (0 to 1) comes from its milestones' weights when it has milestones, else from the figure its
  owner set; a done programme is complete (:func:`programme_progress`);
- an **item's** progress is the mean of its programmes that were not dropped, and the **agenda's** the mean of its
  items, an item with no programme yet counting as nothing done (:func:`roll_up`, :func:`agenda_progress`); the
  **federation's** is the mean of its published agendas (:func:`federation_progress`);
- **funding** is totalled per source and currency; MXN and USD are kept apart and never converted
  (:func:`funding_totals`); nothing is received beyond what was committed (:func:`check_share`);
- a **commitment** by an official is kept, in progress, late (in progress past its date) or broken, and is scored
  per authority and per official (:func:`scorecard`);
- the **projects designed for women** (by women, for women) are summed up apart: how many, how many in each
  status, how many overdue, and their mean progress (:func:`portfolio`).

Amounts are whole cents (int) so that sums are exact. Dates are ``datetime.date``; "today" is always passed in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from deliberate.domain.errors import Conflict, ValidationFailed

__all__ = [
    "MAX_WEIGHT_TOTAL",
    "MOVES",
    "CommitmentStatus",
    "Currency",
    "FundingShare",
    "FundingTotal",
    "MilestoneState",
    "OwnerKind",
    "Portfolio",
    "Score",
    "Source",
    "Status",
    "agenda_progress",
    "check_dates",
    "check_milestone",
    "check_move",
    "check_progress",
    "check_share",
    "commitment_status",
    "funding_totals",
    "is_overdue",
    "portfolio",
    "programme_progress",
    "roll_up",
    "scorecard",
]


class Status(StrEnum):
    """Where a programme stands; the value is stored."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    DROPPED = "dropped"


#: The allowed moves. A done programme may be reopened (in progress); a dropped one may be planned again.
MOVES: dict[Status, frozenset[Status]] = {
    Status.PLANNED: frozenset({Status.IN_PROGRESS, Status.BLOCKED, Status.DROPPED}),
    Status.IN_PROGRESS: frozenset({Status.BLOCKED, Status.DONE, Status.DROPPED}),
    Status.BLOCKED: frozenset({Status.PLANNED, Status.IN_PROGRESS, Status.DROPPED}),
    Status.DONE: frozenset({Status.IN_PROGRESS}),
    Status.DROPPED: frozenset({Status.PLANNED}),
}

#: Moves into these need a public reason.
NEEDS_REASON = frozenset({Status.BLOCKED, Status.DROPPED})

#: A finished programme is never overdue.
CLOSED = frozenset({Status.DONE, Status.DROPPED})

#: Milestone weights are shares of 100: together they may not pass it.
MAX_WEIGHT_TOTAL = 100


class OwnerKind(StrEnum):
    """Who answers for a programme: a club, the federation's board, or a named member."""

    CLUB = "club"
    BOARD = "board"
    MEMBER = "member"


class Source(StrEnum):
    """Who puts money in (3x1-style co-funding: the clubs and the three levels of Mexican government)."""

    CLUB = "club"
    FEDERATION = "federation"
    MUNICIPALITY = "municipality"
    STATE = "state"
    FEDERAL = "federal"


class Currency(StrEnum):
    MXN = "MXN"
    USD = "USD"


class CommitmentStatus(StrEnum):
    """A promise's standing. ``late`` is never recorded: it is an in-progress promise past its date."""

    KEPT = "kept"
    IN_PROGRESS = "in_progress"
    LATE = "late"
    BROKEN = "broken"


# --- status -------------------------------------------------------------------------------------------------------

def check_move(current: Status, target: Status, reason: str) -> None:
    """Refuse a status move that is not allowed (Conflict "invalid_move"), or a block or drop without a reason."""
    current, target = Status(current), Status(target)
    if target not in MOVES[current]:
        raise Conflict("invalid_move")
    if target in NEEDS_REASON and not reason.strip():
        raise ValidationFailed("reason", "reason_required")


def is_overdue(due_on: date | None, status: Status, today: date) -> bool:
    """Tell whether a programme (or a milestone, with its own status) is past its date and not finished."""
    return due_on is not None and due_on < today and Status(status) not in CLOSED


# --- dates, weights, progress -------------------------------------------------------------------------------------

def check_dates(starts_on: date | None, due_on: date | None) -> None:
    """Refuse a programme due before it starts."""
    if starts_on is not None and due_on is not None and due_on < starts_on:
        raise ValidationFailed("due_on", "due_before_start")


def check_milestone(weight: int, other_weights: Iterable[int], due_on: date | None,
                    starts_on: date | None) -> None:
    """Refuse a milestone due before its programme starts, or a weight that takes the total past 100."""
    if weight < 1 or weight > MAX_WEIGHT_TOTAL:
        raise ValidationFailed("weight", "weight_range")
    if weight + sum(other_weights) > MAX_WEIGHT_TOTAL:
        raise ValidationFailed("weight", "weights_over")
    if due_on is not None and starts_on is not None and due_on < starts_on:
        raise ValidationFailed("due_on", "before_start")


def check_progress(percent: int) -> None:
    """Refuse a directly set progress outside 0 to 100."""
    if not 0 <= percent <= 100:
        raise ValidationFailed("percent", "percent_range")


@dataclass(frozen=True)
class MilestoneState:
    """What progress needs from a milestone."""

    weight: int
    is_done: bool


def programme_progress(status: Status, milestones: Sequence[MilestoneState], set_percent: int | None) -> float:
    """Return a programme's progress from 0 to 1: the done share of its milestones' weights, else the set figure."""
    if Status(status) is Status.DONE:
        return 1.0
    total = sum(m.weight for m in milestones)
    if total > 0:
        return sum(m.weight for m in milestones if m.is_done) / total
    return max(0, min(100, set_percent or 0)) / 100


def roll_up(programmes: Sequence[tuple[Status, float]]) -> float | None:
    """Return an item's progress: the mean of its programmes that were not dropped (None when there are none)."""
    counted = [progress for status, progress in programmes if Status(status) is not Status.DROPPED]
    return sum(counted) / len(counted) if counted else None


def agenda_progress(items: Sequence[float | None]) -> float:
    """Return an agenda's progress: the mean of its items, an item with no programme counting as nothing done."""
    return sum(progress or 0.0 for progress in items) / len(items) if items else 0.0


def federation_progress(agendas: Sequence[float]) -> float | None:
    """Return a federation's progress across its published agendas: their mean (None before the first one)."""
    return sum(agendas) / len(agendas) if agendas else None


# --- funding ------------------------------------------------------------------------------------------------------

def check_share(committed_cents: int, received_cents: int) -> None:
    """Refuse a negative amount, or more received than was committed."""
    if committed_cents < 0:
        raise ValidationFailed("committed", "negative")
    if received_cents < 0:
        raise ValidationFailed("received", "negative")
    if received_cents > committed_cents:
        raise ValidationFailed("received", "beyond_committed")


@dataclass(frozen=True)
class FundingShare:
    source: Source
    currency: Currency
    committed_cents: int
    received_cents: int


@dataclass(frozen=True)
class FundingTotal:
    """Committed and received in one currency, for one source (``source`` None: all sources)."""

    currency: Currency
    source: Source | None
    committed_cents: int
    received_cents: int

    @property
    def received_share(self) -> float:
        return self.received_cents / self.committed_cents if self.committed_cents else 0.0

    def to_dict(self) -> dict:
        return {"currency": self.currency.value, "source": self.source.value if self.source else None,
                "committed_cents": self.committed_cents, "received_cents": self.received_cents}


def funding_totals(shares: Iterable[FundingShare]) -> tuple[FundingTotal, ...]:
    """Total shares per currency and source, then per currency over all sources; never add MXN to USD.

    Ordered by currency (MXN, USD), each currency's sources in the order of ``Source``, its total last.
    """
    sums: dict[tuple[Currency, Source | None], list[int]] = defaultdict(lambda: [0, 0])
    for share in shares:
        for key in ((Currency(share.currency), Source(share.source)), (Currency(share.currency), None)):
            sums[key][0] += share.committed_cents
            sums[key][1] += share.received_cents
    order = {source: index for index, source in enumerate(Source)}
    keys = sorted(sums, key=lambda key: (list(Currency).index(key[0]),
                                         order[key[1]] if key[1] is not None else len(order)))
    return tuple(FundingTotal(currency, source, *sums[(currency, source)]) for currency, source in keys)


# --- commitments --------------------------------------------------------------------------------------------------

def commitment_status(recorded: CommitmentStatus, due_on: date | None, today: date) -> CommitmentStatus:
    """Return a commitment's standing: an in-progress promise past its date is late."""
    recorded = CommitmentStatus(recorded)
    if recorded is CommitmentStatus.IN_PROGRESS and due_on is not None and due_on < today:
        return CommitmentStatus.LATE
    return recorded


@dataclass(frozen=True)
class Score:
    """How one authority or official kept their promises."""

    name: str
    kept: int
    in_progress: int
    late: int
    broken: int

    @property
    def total(self) -> int:
        return self.kept + self.in_progress + self.late + self.broken

    @property
    def kept_share(self) -> float:
        """Kept among the promises that are settled or late (those still on time are not judged yet)."""
        judged = self.kept + self.late + self.broken
        return self.kept / judged if judged else 0.0

    def to_dict(self) -> dict:
        return {"name": self.name, "kept": self.kept, "in_progress": self.in_progress, "late": self.late,
                "broken": self.broken, "total": self.total}


def scorecard(commitments: Iterable[tuple[str, CommitmentStatus]]) -> tuple[Score, ...]:
    """Count (who, standing) pairs per who: an authority or an official. Sorted by name."""
    counts: dict[str, dict[CommitmentStatus, int]] = defaultdict(lambda: dict.fromkeys(CommitmentStatus, 0))
    for name, status in commitments:
        counts[name][CommitmentStatus(status)] += 1
    return tuple(
        Score(name, c[CommitmentStatus.KEPT], c[CommitmentStatus.IN_PROGRESS], c[CommitmentStatus.LATE],
              c[CommitmentStatus.BROKEN])
        for name, c in sorted(counts.items(), key=lambda pair: pair[0].casefold())
    )


@dataclass(frozen=True)
class Portfolio:
    """A group of programmes summed up: how many, how many in each status (every status, in order), how many
    are overdue, and their mean progress (0-1, dropped ones left out; None when none is left)."""

    total: int
    by_status: tuple[tuple[Status, int], ...]
    overdue: int
    progress: float | None

    def to_dict(self) -> dict:
        return {"total": self.total, "by_status": {status.value: count for status, count in self.by_status},
                "overdue": self.overdue, "progress": None if self.progress is None else round(self.progress, 4)}


def portfolio(programmes: Iterable[tuple[Status, float, bool]]) -> Portfolio:
    """Sum up programmes given as (status, progress, is_overdue)."""
    rows = list(programmes)
    counts = dict.fromkeys(Status, 0)
    for status, _progress, _overdue in rows:
        counts[status] += 1
    return Portfolio(total=len(rows), by_status=tuple(counts.items()),
                     overdue=sum(1 for _s, _p, overdue in rows if overdue),
                     progress=roll_up([(status, progress) for status, progress, _o in rows]))
