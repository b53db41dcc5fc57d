"""Events: workshops, assemblies and trainings; who may take a seat, what a page may say about seats, and calendars.

Pure rules, no database: the services load rows and call these.

- A seat is taken or given back only through a guarded update (see ``deliberate.events.services``); this module
  says what a page may show about them: a figure of seats taken or people waiting is shown only when it is about
  none or at least ``MIN_GROUP`` people (see ``deliberate.domain.privacy``), otherwise the page says "a few".
- A track's audience says who may take a seat at an event reserved for it.
- ``calendar`` writes an iCalendar (RFC 5545) document: escaped text, folded lines, UTC times.
- A document shared after an event is a PDF, a JPEG or a PNG, known by its bytes, images stripped of their
  metadata, under a safe name (``prepare_document``, ``document_name``).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from deliberate.domain.assembly import MAX_SCAN_BYTES, strip_metadata
from deliberate.domain.errors import ValidationFailed
from deliberate.domain.privacy import is_small

MAX_CAPACITY = 10_000
LONGEST_EVENT = timedelta(days=14)


class EventKind(enum.StrEnum):
    WORKSHOP = "workshop"
    ASSEMBLY = "assembly"
    TRAINING = "training"


class EventMode(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


class TrackAudience(enum.StrEnum):
    """Who a track is for: an event reserved for its track takes RSVPs from this audience only."""

    EVERYONE = "everyone"
    WOMEN = "women"
    OFFICERS = "officers"


class RsvpStatus(enum.StrEnum):
    GOING = "going"
    WAITING = "waiting"
    CANCELLED = "cancelled"


WOMENS_LEADERSHIP = "womens-leadership"
"""The slug of the built-in track every federation may add in one click."""


def check_schedule(starts_at: datetime, ends_at: datetime | None) -> str | None:
    """Return a reason code when an event's times do not make sense (None when they do)."""
    if ends_at is None:
        return None
    if ends_at <= starts_at:
        return "ends_before_start"
    if ends_at - starts_at > LONGEST_EVENT:
        return "too_long_event"
    return None


def reminder_due(*, today: date, event_day: date, has_started: bool, is_cancelled: bool) -> bool:
    """Tell whether the reminder to the people holding a seat is due: from the day before the event (both days on
    the federation's clock) until it starts, unless it was called off."""
    return not is_cancelled and not has_started and event_day - timedelta(days=1) <= today


def check_capacity(capacity: int) -> str | None:
    if not 1 <= capacity <= MAX_CAPACITY:
        return "capacity_range"
    return None


def may_take_seat(audience: TrackAudience | None, *, is_reserved: bool, is_woman: bool, is_officer: bool) -> bool:
    """Tell whether a member may RSVP to an event: anyone, unless the event is reserved for its track's audience."""
    if not is_reserved or audience is None or audience is TrackAudience.EVERYONE:
        return True
    if audience is TrackAudience.WOMEN:
        return is_woman
    return is_officer


@dataclass(frozen=True)
class SeatSummary:
    """What a page says about an event's seats without a figure about fewer than ``MIN_GROUP`` people.

    ``going`` and ``waiting`` are None when the true figure is small (one to four people): the page says "a few".
    ``seats_left`` is None for the same reason (capacity minus it would give the small figure away).
    """

    capacity: int
    is_full: bool
    going: int | None
    waiting: int | None
    seats_left: int | None

    def to_dict(self) -> dict:
        return {"capacity": self.capacity, "is_full": self.is_full, "going": self.going, "waiting": self.waiting,
                "seats_left": self.seats_left}


def seat_summary(capacity: int, going: int, waiting: int) -> SeatSummary:
    """Summarise the seats of an event for anyone's eyes (organisers see the names instead)."""
    shown_going = None if is_small(going) else going
    return SeatSummary(
        capacity=capacity,
        is_full=going >= capacity,
        going=shown_going,
        waiting=None if is_small(waiting) else waiting,
        seats_left=max(capacity - going, 0) if shown_going is not None else None,
    )


def shown_count(count: int) -> int | None:
    """Return a count of people as it may be shown: None (say "fewer than five") for one to four."""
    return None if is_small(count) else count


# --- iCalendar ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    title: str
    starts_at: datetime  # naive UTC
    ends_at: datetime | None
    url: str
    description: str = ""
    location: str = ""
    is_cancelled: bool = False
    updated_at: datetime | None = None


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> list[str]:
    """Fold a content line at 75 octets without cutting a UTF-8 character (RFC 5545, 3.1)."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return out


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def calendar(name: str, entries: Sequence[CalendarEntry], *, now: datetime) -> str:
    """Write an iCalendar document with one VEVENT per entry, its times in UTC."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//deliberate//events//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape(name)}"]
    for entry in entries:
        ends = entry.ends_at or entry.starts_at + timedelta(hours=2)
        lines += ["BEGIN:VEVENT", f"UID:{entry.uid}", f"DTSTAMP:{_stamp(entry.updated_at or now)}",
                  f"DTSTART:{_stamp(entry.starts_at)}", f"DTEND:{_stamp(ends)}", f"SUMMARY:{_escape(entry.title)}",
                  f"URL:{entry.url}"]
        if entry.description:
            lines.append(f"DESCRIPTION:{_escape(entry.description)}")
        if entry.location:
            lines.append(f"LOCATION:{_escape(entry.location)}")
        lines.append("STATUS:CANCELLED" if entry.is_cancelled else "STATUS:CONFIRMED")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))



# --- documents shared after an event ------------------------------------------------------------------------------

MAX_DOCUMENT_BYTES = MAX_SCAN_BYTES  # under the request limit (MAX_CONTENT_LENGTH, 2 MB)
DOCUMENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
_NAME_PART = re.compile(r"[^A-Za-z0-9._-]+")


def prepare_document(data: bytes) -> tuple[str, bytes]:
    """Return a document's type, read from its bytes (never from the name or the browser's word), and the bytes to
    keep: a PDF as it is, a JPEG or PNG without its metadata (EXIF with the place and the camera, XMP, comments,
    text chunks; see :func:`deliberate.domain.assembly.strip_metadata`).

    Raises ValidationFailed("document", code): "required" (empty), "too_large" (past :data:`MAX_DOCUMENT_BYTES`),
    "type" (anything but a PDF, a JPEG or a PNG), "broken" (a file that does not parse as its type).
    """
    if not data:
        raise ValidationFailed("document", "required")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed("document", "too_large")
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise ValidationFailed("document", "broken")
        return "application/pdf", data
    try:
        return strip_metadata(data)
    except ValidationFailed as error:
        raise ValidationFailed("document", error.code) from None


def document_name(name: str, content_type: str) -> str:
    """Return a safe file name to download a document under: ASCII letters, digits, dots, hyphens and underscores,
    no path, no leading dot, at most 80 characters, and the extension of its real type."""
    base = unicodedata.normalize("NFKD", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = base.encode("ascii", "ignore").decode()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _NAME_PART.sub("-", stem).strip(".-_")[:70] or "material"
    return f"{stem}.{DOCUMENT_TYPES[content_type]}"
