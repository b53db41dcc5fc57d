"""Mentoring: members who offer to mentor, members who ask for a mentor, the board's pairings and their meetings.

A meeting's note is private to the pair: the board sees that a pairing exists and how it ended, never the notes.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberate.extensions import db
from deliberate.models.accounts import Organization, User
from deliberate.models.base import utcnow


class MentorOffer(db.Model):
    """A member's offer to mentor others in the federation, with what she can help with."""

    __table_args__ = (UniqueConstraint("federation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    topics: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    federation: Mapped[Organization] = relationship()


class MentorRequest(db.Model):
    """A member's request for a mentor: what she wants to learn, and whether she asks for a woman mentor."""

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    wants: Mapped[str] = mapped_column(Text, default="")
    wants_woman_mentor: Mapped[bool] = mapped_column(default=False)
    is_open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    federation: Mapped[Organization] = relationship()


class Mentoring(db.Model):
    """A pairing of a mentor and a mentee, made by the board, until one of them ends it with a note."""

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("mentor_request.id", ondelete="SET NULL"))
    paired_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_note: Mapped[str] = mapped_column(String(500), default="")

    federation: Mapped[Organization] = relationship()
    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])
    mentee: Mapped[User] = relationship(foreign_keys=[mentee_id])
    request: Mapped[MentorRequest | None] = relationship()
    meetings: Mapped[list[MentoringMeeting]] = relationship(
        back_populates="mentoring", order_by="(MentoringMeeting.met_on, MentoringMeeting.id)",
        cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class MentoringMeeting(db.Model):
    """One meeting of a pair: its date and a short note only the pair reads."""

    id: Mapped[int] = mapped_column(primary_key=True)
    mentoring_id: Mapped[int] = mapped_column(ForeignKey("mentoring.id", ondelete="CASCADE"), index=True)
    met_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(500), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mentoring: Mapped[Mentoring] = relationship(back_populates="meetings")
