"""What a person should do now in a consultation: the tasks a page lists, from facts the service gathers.

Pure: the facts are plain values (the phase, the phase's last day on the federation's clock, counts), and the
result is a tuple of tasks, the most pressing first. A task is urgent when its phase ends within ``URGENT_DAYS``
days. The words are chosen by the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from deliberate.domain.phases import Phase, accepts_ballots, accepts_demands, accepts_reactions, next_phase

__all__ = ["URGENT_DAYS", "ConsultationFacts", "Task", "TaskKind", "days_left", "tasks_for"]

URGENT_DAYS = 3


class TaskKind(StrEnum):
    """The kinds of pending task, in the order a page lists tasks of equal urgency."""

    VOTE = "vote"
    REACT = "react"
    SUBMIT_DEMAND = "submit_demand"
    COSIGN_REPORTS = "cosign_reports"
    APPROVE_MEMBERS = "approve_members"
    BOARD_CONSOLIDATE = "board_consolidate"
    BOARD_NEXT_PHASE = "board_next_phase"
    BOARD_PUBLISH = "board_publish"
    READ_AGENDA = "read_agenda"


_ORDER = {kind: index for index, kind in enumerate(TaskKind)}


@dataclass(frozen=True)
class ConsultationFacts:
    """What the service knows about one consultation and one person, on the federation's clock."""

    consultation_id: int
    phase: Phase
    until: date | None  # the current phase's last day, when the board set one
    today: date
    is_member: bool  # an active member of one of the federation's clubs: takes part and votes
    is_board: bool
    demands_of_mine: int = 0
    to_react: int = 0  # visible demands of others the person has not reacted to
    has_cast: bool = False
    blocking_gaps: int = 0  # what stops the next phase (the board's readiness check)
    warnings: int = 0
    reports_to_cosign: int = 0  # other clubs' minority reports the person's club may still co-sign
    is_agenda_published: bool = False


@dataclass(frozen=True)
class Task:
    """One thing to do: its kind, the consultation (or club) it concerns, how many, by when, and if it is urgent."""

    kind: TaskKind
    consultation_id: int | None = None
    count: int = 0
    until: date | None = None
    is_urgent: bool = False
    club_slug: str | None = None
    club_name: str | None = None
    next_phase: Phase | None = None


def days_left(until: date | None, today: date) -> int | None:
    """Return the days from today to a phase's last day (0 on the day itself), or None without a last day."""
    return None if until is None else (until - today).days


def tasks_for(facts: ConsultationFacts) -> tuple[Task, ...]:
    """Return the person's tasks in one consultation, the urgent ones first, then in the order of ``TaskKind``."""
    left = days_left(facts.until, facts.today)
    urgent = left is not None and 0 <= left <= URGENT_DAYS
    phase = Phase(facts.phase)
    found: list[Task] = []

    def add(kind: TaskKind, count: int = 0, *, is_urgent: bool = urgent, next_phase: Phase | None = None) -> None:
        found.append(Task(kind, facts.consultation_id, count, facts.until, is_urgent, next_phase=next_phase))

    if facts.is_member:
        if accepts_ballots(phase) and not facts.has_cast:
            add(TaskKind.VOTE)
        if accepts_reactions(phase) and facts.to_react > 0:
            add(TaskKind.REACT, facts.to_react)
        if accepts_demands(phase) and facts.demands_of_mine == 0:
            add(TaskKind.SUBMIT_DEMAND)
        if phase is Phase.TALLIED and facts.reports_to_cosign > 0:
            add(TaskKind.COSIGN_REPORTS, facts.reports_to_cosign)
    if facts.is_board:
        if phase is Phase.CONSOLIDATING:
            add(TaskKind.BOARD_CONSOLIDATE, facts.blocking_gaps + facts.warnings, is_urgent=False)
        if phase is Phase.TALLIED:
            add(TaskKind.BOARD_PUBLISH, is_urgent=False)
        elif phase is not Phase.PUBLISHED:
            following = next_phase(phase)
            ended = left is not None and left < 0
            add(TaskKind.BOARD_NEXT_PHASE, facts.blocking_gaps, is_urgent=ended, next_phase=following)
    if phase is Phase.PUBLISHED and facts.is_agenda_published:
        add(TaskKind.READ_AGENDA, is_urgent=False)
    return tuple(sorted(found, key=lambda task: (not task.is_urgent, _ORDER[task.kind])))

