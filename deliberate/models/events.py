"""Events: a federation's tracks, its workshops, assemblies and trainings, the RSVPs with their waiting list and
attendance, and the materials shared after an event.

``Event.seats_taken`` is the number of RSVPs that hold a seat; it only moves through guarded updates (``WHERE
seats_taken < capacity``), so two people taking the last seat at once cannot both get it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberate.domain.bilingual import in_language
from deliberate.domain.events import EventKind, EventMode, RsvpStatus, TrackAudience
from deliberate.extensions import db
from deliberate.models.accounts import Organization, User
from deliberate.models.base import enum_column, utcnow


class Track(db.Model):
    """A line of events the federation runs, such as "women's leadership", with the audience it is for."""

    __table_args__ = (UniqueConstraint("federation_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(60))
    name_es: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    audience: Mapped[TrackAudience] = mapped_column(enum_column(TrackAudience), default=TrackAudience.EVERYONE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    federation: Mapped[Organization] = relationship()


class Event(db.Model):
    """A workshop, an assembly or a training of the federation (or of one of its clubs)."""

    __table_args__ = (Index("ix_event_federation_starts", "federation_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    club_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="SET NULL"), index=True)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("track.id", ondelete="SET NULL"), index=True)
    is_reserved: Mapped[bool] = mapped_column(default=False)  # only the track's audience may take a seat
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind), default=EventKind.WORKSHOP)
    title_es: Mapped[str] = mapped_column(String(160), default="")
    title_en: Mapped[str] = mapped_column(String(160), default="")
    description_es: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[EventMode] = mapped_column(enum_column(EventMode), default=EventMode.IN_PERSON)
    address: Mapped[str] = mapped_column(String(300), default="")
    online_link: Mapped[str] = mapped_column(String(500), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    capacity: Mapped[int]
    seats_taken: Mapped[int] = mapped_column(default=0)
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    federation: Mapped[Organization] = relationship(foreign_keys=[federation_id])
    club: Mapped[Organization | None] = relationship(foreign_keys=[club_id])
    track: Mapped[Track | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    rsvps: Mapped[list[Rsvp]] = relationship(back_populates="event", order_by="Rsvp.id", cascade="all, delete-orphan")
    materials: Mapped[list[EventMaterial]] = relationship(
        back_populates="event", order_by="EventMaterial.id", cascade="all, delete-orphan")

    def title(self, locale: str) -> str:
        return in_language(self.title_es, self.title_en, locale)

    def description(self, locale: str) -> str:
        return in_language(self.description_es, self.description_en, locale)


class Rsvp(db.Model):
    """A member's answer to an event: a seat, a place on the waiting list (in the order of ``waiting_since``), or
    cancelled; and, after the event, whether they came."""

    __table_args__ = (UniqueConstraint("event_id", "user_id"), Index("ix_rsvp_event_status", "event_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    status: Mapped[RsvpStatus] = mapped_column(enum_column(RsvpStatus))
    waiting_since: Mapped[datetime | None]
    attended: Mapped[bool] = mapped_column(default=False)
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="rsvps")
    user: Mapped[User] = relationship()


class EventMaterial(db.Model):
    """Something shared with an event's people after it: a link (slides, notes, a recording), or a document (a
    PDF, a JPEG or a PNG) stored in the instance folder under ``stored_name``, a random name nobody types."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(160))
    url: Mapped[str] = mapped_column(String(500))  # empty for a document
    stored_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    content_type: Mapped[str | None] = mapped_column(String(40))
    size_bytes: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="materials")

    @property
    def is_document(self) -> bool:
        return self.stored_name is not None
