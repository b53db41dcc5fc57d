"""Consultations (one agenda cycle of a federation) and the federation's demand categories."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberate.domain.bilingual import in_language
from deliberate.domain.phases import Phase
from deliberate.domain.rules import AgendaSelection, CheckMode, ClubMode, ClubWeighting, VotingMethod
from deliberate.extensions import db
from deliberate.models.accounts import Organization, User
from deliberate.models.base import enum_column, utcnow


class Consultation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    title_es: Mapped[str] = mapped_column(String(160))
    title_en: Mapped[str] = mapped_column(String(160))
    description_es: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[Phase] = mapped_column(enum_column(Phase), default=Phase.DRAFT)
    phase_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The schedule: the last day of each phase (informative; the board moves the phase).
    collecting_until: Mapped[date | None]
    consolidating_until: Mapped[date | None]
    deliberating_until: Mapped[date | None]
    voting_until: Mapped[date | None]
    # Settings the later phases use.
    agenda_size: Mapped[int] = mapped_column(default=10)
    voting_method: Mapped[VotingMethod] = mapped_column(enum_column(VotingMethod), default=VotingMethod.SCHULZE)
    club_weighting: Mapped[ClubWeighting] = mapped_column(enum_column(ClubWeighting), default=ClubWeighting.MEMBERS)
    weighting_cap: Mapped[int | None]
    club_mode: Mapped[ClubMode] = mapped_column(enum_column(ClubMode), default=ClubMode.PROPORTIONAL)
    selection: Mapped[AgendaSelection] = mapped_column(enum_column(AgendaSelection), default=AgendaSelection.RANKING)
    voters_threshold: Mapped[float] = mapped_column(default=0.5)
    clubs_threshold: Mapped[float] = mapped_column(default=0.5)
    women_slot: Mapped[CheckMode] = mapped_column(enum_column(CheckMode), default=CheckMode.WARN)
    participation_parity: Mapped[CheckMode] = mapped_column(enum_column(CheckMode), default=CheckMode.WARN)
    board_composition: Mapped[CheckMode] = mapped_column(enum_column(CheckMode), default=CheckMode.WARN)
    # Days an author has to object after their demand is linked to an agenda item or set aside.
    objection_days: Mapped[int] = mapped_column(default=7, server_default="7")

    federation: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()

    def title(self, locale: str) -> str:
        return in_language(self.title_es, self.title_en, locale)

    def description(self, locale: str) -> str:
        return in_language(self.description_es, self.description_en, locale)

    def until(self, phase: Phase) -> date | None:
        """Return the scheduled last day of a phase, when one was set."""
        return getattr(self, f"{phase.value}_until", None)


class Category(db.Model):
    """A demand category of a federation (editable by its board)."""

    __table_args__ = (UniqueConstraint("federation_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(60))
    name_es: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    is_archived: Mapped[bool] = mapped_column(default=False)

    def name(self, locale: str) -> str:
        return in_language(self.name_es, self.name_en, locale)
