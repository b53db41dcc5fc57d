"""The rule sets a federation chooses for a consultation: how ballots are counted and how equity is checked.

Each value is the word stored in the database, written in a published tally file and accepted by the recount
command, so that the three always agree. The first member of each enum is the default.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AgendaSelection", "CheckMode", "ClubMode", "ClubWeighting", "VotingMethod"]


class VotingMethod(StrEnum):
    """Name the method that ranks the items from the ballots (Schulze by default)."""

    SCHULZE = "schulze"
    RANKED_PAIRS = "ranked-pairs"
    BORDA = "borda"
    COPELAND = "copeland"
    APPROVAL = "approval"


class ClubWeighting(StrEnum):
    """Name how much say each club carries in the federation count (one person, one vote by default)."""

    MEMBERS = "members"
    EQUAL = "equal"
    SQRT = "sqrt"
    CAPPED = "capped"


class ClubMode(StrEnum):
    """Name how a club's ballots enter the federation count: in proportion, or as one bloc for its own result."""

    PROPORTIONAL = "proportional"
    BLOC = "bloc"


class AgendaSelection(StrEnum):
    """Name how the agenda's items are chosen: the top of the ranking, or proportionally from the approvals."""

    RANKING = "ranking"
    EQUAL_SHARES = "equal-shares"
    PAV = "pav"


class CheckMode(StrEnum):
    """Say how an equity rule acts on publishing: not checked, shown as a warning, or blocking."""

    OFF = "off"
    WARN = "warn"
    ENFORCE = "enforce"
