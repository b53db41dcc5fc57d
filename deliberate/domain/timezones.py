"""Time zones: which zones a federation may choose, and moving stored moments between UTC and a federation's clock.

Every moment is stored as naive UTC. A federation chooses one IANA zone; pages show its moments on that clock, and
what its board types as a wall-clock time ("until 6 p.m.") is read on that clock too. A phase's "last day" is a
calendar day of the federation: it ends at midnight on the federation's clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "UTC"

# The zones a federation may choose, in the order the settings page offers them: the United States' zones where the
# clubs live, then Mexico's, where their hometowns are, then UTC.
ZONES: tuple[str, ...] = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/New_York",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Tijuana",
    "America/Hermosillo",
    "America/Mazatlan",
    "America/Mexico_City",
    "America/Cancun",
    "UTC",
)


class UnknownZone(ValueError):
    """A time zone name that a federation may not choose (misspelt, or not on the list)."""

    def __init__(self, name: object) -> None:
        super().__init__(f"unknown time zone: {name!r}")
        self.name = name


def zone(name: str) -> ZoneInfo:
    """Return the zone a federation may choose by its IANA name, or raise UnknownZone."""
    if name not in ZONES:
        raise UnknownZone(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:  # no time zone database on this platform
        raise UnknownZone(name) from error


def to_local(moment: datetime, name: str) -> datetime:
    """Return a stored moment (naive UTC) as an aware datetime on the zone's clock."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(name))


def to_stored(wall_clock: datetime, name: str) -> datetime:
    """Return a wall-clock time typed on the zone's clock (naive) as a stored moment (naive UTC).

    A time that the clock skips when summer time starts is read with the offset before the change; a time that
    happens twice when it ends is read as the first of the two (fold=0), as most people mean it.
    """
    local = wall_clock.replace(tzinfo=zone(name), fold=0)
    return local.astimezone(UTC).replace(tzinfo=None)


def end_of_day(day: date, name: str) -> datetime:
    """Return the stored moment (naive UTC) at which a "last day" ends: the next midnight on the zone's clock."""
    return to_stored(datetime.combine(day + timedelta(days=1), time()), name)


def local_today(now: datetime, name: str) -> date:
    """Return the calendar day on the zone's clock at a stored moment (naive UTC)."""
    return to_local(now, name).date()
