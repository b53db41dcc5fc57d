"""What the opinion map returns: each participant's place and group, the groups' statements, the consensus."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import cached_property

AGREE = 1
DISAGREE = -1
PASS = 0

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

