"""Agenda items: the consolidated candidates that demands are linked to, and that members vote on."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberate.domain.bilingual import in_language
from deliberate.extensions import db
from deliberate.models.accounts import User
from deliberate.models.base import enum_column, utcnow
from deliberate.models.consultations import Consultation
from deliberate.models.demands import Demand


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

    @property
    def is_translation_pending(self) -> bool:
        """Tell whether the item still lacks its title in one of the two languages (shown until it is written)."""
        return not (self.title_es and self.title_en)

    def title(self, locale: str) -> str:
        return in_language(self.title_es, self.title_en, locale)

    def summary(self, locale: str) -> str:
        return in_language(self.summary_es, self.summary_en, locale)


class PlacementStatus(enum.StrEnum):
    """Where the board put a demand: linked to an item, kept as an item of its own, or set aside."""

    LINKED = "linked"
    OWN_ITEM = "own_item"
    OUT_OF_SCOPE = "out_of_scope"


class DemandPlacement(db.Model):
    """One row per placed demand: the item it is linked to (or why it was set aside), who placed it and when.

    The demand itself is never rewritten; moving it changes this row only (the audit log keeps the history).
    """

    __table_args__ = (
        UniqueConstraint("demand_id"),
        Index("ix_demand_placement_item", "agenda_item_id"),
        Index("ix_demand_placement_consultation", "consultation_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    demand_id: Mapped[int] = mapped_column(ForeignKey("demand.id", ondelete="CASCADE"))
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id", ondelete="SET NULL"))
    status: Mapped[PlacementStatus] = mapped_column(enum_column(PlacementStatus))
    reason: Mapped[str] = mapped_column(Text, default="")  # public, for a demand set aside
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)

    demand: Mapped[Demand] = relationship()
    agenda_item: Mapped[AgendaItem | None] = relationship()
    placed_by: Mapped[User | None] = relationship()


class Objection(db.Model):
    """An author's objection to where the board placed their demand, and the board's answer."""

    __table_args__ = (Index("ix_objection_demand", "demand_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demand.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None]

    demand: Mapped[Demand] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])


class ConsolidationSuggestion(db.Model):
    """The engine's latest suggested clusters for a consultation (demand ids), kept so pages stay fast."""

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), unique=True
    )
    clusters: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
