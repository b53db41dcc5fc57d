"""Agenda items: the consolidated candidates that demands are linked to, and that members vote on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberate.extensions import db
from deliberate.models.accounts import User
from deliberate.models.base import utcnow
from deliberate.models.consultations import Consultation


class AgendaItem(db.Model):
    """A candidate agenda item: a cluster of demands, linked (never destructively merged)."""

    __table_args__ = (Index("ix_agenda_item_consultation_active", "consultation_id", "merged_into_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    title_es: Mapped[str] = mapped_column(String(160), default="")
    title_en: Mapped[str] = mapped_column(String(160), default="")
    summary_es: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    # A merged item keeps its row and history; its demands now belong to the item it was merged into.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    consultation: Mapped[Consultation] = relationship()
    created_by: Mapped[User | None] = relationship()
    merged_into: Mapped[AgendaItem | None] = relationship(remote_side=[id])

    @property
    def is_active(self) -> bool:
        """Tell whether the item is a live candidate (not merged into another)."""
        return self.merged_into_id is None

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_es or self.title_en

    def summary(self, locale: str) -> str:
        return self.summary_en if locale == "en" and self.summary_en else self.summary_es or self.summary_en
