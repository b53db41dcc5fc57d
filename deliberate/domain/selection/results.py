"""What a selection returns: the committee, how each item entered it, the ties broken, and EJR reports."""

from __future__ import annotations

from dataclasses import dataclass

#: The documented, deterministic tie-break used by every rule in this module.
TIE_RULE = "lowest item index"


@dataclass(frozen=True)
class TieBreak:
    """Record that several items were tied for a seat and which one the rule took."""

    seat: int
    """1-based position in the committee that was being filled."""
    tied: tuple[int, ...]
    """The tied items, ascending."""
    chosen: int
    phase: str
    """The rule or phase that was choosing (``"equal-shares"``, ``"phragmen-completion"``, ``"pav"`` ...)."""
    rule: str = TIE_RULE

    def __str__(self) -> str:
        """Describe the tie in one line, for logs and the JSON output."""
        tied = ", ".join(str(item) for item in self.tied)
        return f"seat {self.seat} ({self.phase}): items {tied} tied; chose {self.chosen} by {self.rule}"


@dataclass(frozen=True)
class SelectionStep:
    """Describe how one item entered the committee.

    ``value`` depends on the phase: for ``"equal-shares"`` the price per unit of voter weight ``q`` (a voter of
    weight 1 who could afford it paid ``q``); for ``"phragmen-completion"`` the new maximal load; for ``"pav"`` and
    ``"seqpav"`` the marginal PAV score the item added when it was chosen; for ``"approval"`` the approval weight.
    ``support`` is the total weight of the voters approving the item.
    """

    item: int
    phase: str
    value: float
    support: float


@dataclass(frozen=True)
class Selection:
    """Hold a chosen committee, in selection order, with how and why each item was chosen."""

    method: str
    """The rule that actually produced the committee (``"equal-shares"``, ``"pav"``, ``"seqpav"``, ``"approval"``)."""
    seats: int
    committee: tuple[int, ...]
    """Item indices in the order the rule selected them (PAV: ascending; it chooses a set)."""
    steps: tuple[SelectionStep, ...]
    tie_breaks: tuple[TieBreak, ...]
    is_exact: bool = True
    """False when an exact rule (PAV) had to fall back to an approximation; see ``notes``."""
    notes: tuple[str, ...] = ()
    budget_left: float | None = None
    """Equal Shares only: the voters' money left (out of ``seats``) when the Equal Shares phase stopped."""

    @property
    def items(self) -> frozenset[int]:
        """Return the committee as a set."""
        return frozenset(self.committee)

    @property
    def tie_break_descriptions(self) -> tuple[str, ...]:
        """Return one human-readable line per tie broken."""
        return tuple(str(tie) for tie in self.tie_breaks)


@dataclass(frozen=True)
class EJRViolation:
    """Describe a cohesive group that the committee under-represents.

    Every voter in ``voters`` approves all of ``items`` (``len(items) == ell``), has fewer than ``ell`` approved
    items in the committee, and together they weigh ``weight >= required_weight = ell * W / seats``. The group is
    the largest one for these items: every such voter is in it.
    """

    ell: int
    items: tuple[int, ...]
    voters: tuple[int, ...]
    weight: float
    required_weight: float


@dataclass(frozen=True)
class EJRReport:
    """Hold the result of an EJR check and what the check guarantees.

    Every reported violation is real. ``is_exhaustive`` says whether the search also proved that there are no
    others: for ``ell == 1`` (justified representation) the check is always exhaustive; for ``ell > 1`` it is an
    exact search over sets of ``ell`` commonly approved items with pruning, stopped after ``max_work`` ballot-row
    visits (then ``is_exhaustive`` is False and ``checked_up_to`` tells the largest ``ell`` fully checked).
    """

    violations: tuple[EJRViolation, ...]
    is_exhaustive: bool
    checked_up_to: int
    work: int
    """Ballot rows visited by the l > 1 search."""
    truncated: bool = False
    """True when more violations were found than reported (``max_reported`` per ``ell``)."""

    @property
    def satisfies_jr(self) -> bool:
        """Return whether no l = 1 violation exists (always decided exactly)."""
        return not any(v.ell == 1 for v in self.violations)

    @property
    def satisfies_ejr(self) -> bool | None:
        """Return True or False when decided, None when the search stopped before deciding."""
        if self.violations:
            return False
        return True if self.is_exhaustive else None
