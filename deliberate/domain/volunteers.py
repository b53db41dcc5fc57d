"""Volunteer roles: what a club or the board needs filled (treasurer, translator, event help, a driver for the
December caravan), and the rules for taking one up.

Pure rules, no database. A role takes people while it is open (not closed by its poster, and its end date, on the
federation's clock, not passed) and has places left. A place is taken only through a guarded update (see
``deliberate.volunteers.services``); this module says what a page may show: the number of people in a role is a
figure about people, so it is shown only when it is none or at least ``MIN_GROUP`` (see
``deliberate.domain.privacy``); otherwise the page says "a few" and whether places are left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from deliberate.domain.privacy import is_small

MAX_PLACES = 100


def check_places(places: int) -> str | None:
    """Return a reason code when a role's number of places makes no sense (None when it does)."""
    if not 1 <= places <= MAX_PLACES:
        return "places_range"
    return None


def check_end(ends_on: date | None, today: date) -> str | None:
    """Return a reason code when a new end date is already past on the federation's clock."""
    if ends_on is not None and ends_on < today:
        return "ends_in_the_past"
    return None


def is_open(*, is_closed: bool, ends_on: date | None, today: date) -> bool:
    """Tell whether a role still takes people: not closed, and its last day (if any) not past."""
    return not is_closed and (ends_on is None or today <= ends_on)


def refusal_to_take(*, is_open: bool, taken: int, places: int, already: bool) -> str | None:
    """Return why a member may not take a role now (None when she may)."""
    if already:
        return "already"
    if not is_open:
        return "closed"
    if taken >= places:
        return "full"
    return None


@dataclass(frozen=True)
class PlacesSummary:
    """What anyone may read about a role's places: ``taken`` and ``left`` are None when the true count is small."""

    places: int
    is_full: bool
    taken: int | None
    left: int | None

    def to_dict(self) -> dict:
        return {"places": self.places, "is_full": self.is_full, "taken": self.taken, "left": self.left}


def places_summary(places: int, taken: int) -> PlacesSummary:
    """Summarise a role's places for anyone's eyes (its poster sees the names instead)."""
    shown = None if is_small(taken) else taken
    return PlacesSummary(places=places, is_full=taken >= places, taken=shown,
                         left=max(places - taken, 0) if shown is not None else None)
