"""Volunteer roles a club or the federation's board posts, and the members who take them up.

``VolunteerRole.places_taken`` is the number of people holding the role now; it only moves through guarded updates
(``WHERE places_taken < places``), so two people taking the last place at once cannot both get it. A member's
``is_shown`` is her own choice to show the role beside her name; it is off until she turns it on.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberate.domain.bilingual import in_language
from deliberate.extensions import db
from deliberate.models.accounts import Organization, User
from deliberate.models.base import utcnow


class VolunteerRole(db.Model):
    """A role the federation's board (``club_id`` empty) or a club needs filled, with its number of places."""

    __table_args__ = (Index("ix_volunteer_role_federation_closed", "federation_id", "is_closed"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    club_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    title_es: Mapped[str] = mapped_column(String(160), default="")
    title_en: Mapped[str] = mapped_column(String(160), default="")
    description_es: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    places: Mapped[int]
    places_taken: Mapped[int] = mapped_column(default=0)
    ends_on: Mapped[date | None]
    is_closed: Mapped[bool] = mapped_column(default=False)
    closed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    federation: Mapped[Organization] = relationship(foreign_keys=[federation_id])
    club: Mapped[Organization | None] = relationship(foreign_keys=[club_id])
    created_by: Mapped[User | None] = relationship()
    assignments: Mapped[list[VolunteerAssignment]] = relationship(
        back_populates="role", order_by="VolunteerAssignment.id", cascade="all, delete-orphan")

    def title(self, locale: str) -> str:
        return in_language(self.title_es, self.title_en, locale)

    def description(self, locale: str) -> str:
        return in_language(self.description_es, self.description_en, locale)


class VolunteerAssignment(db.Model):
    """A member in a volunteer role, from when she took it until she leaves it (``left_at``)."""

    __table_args__ = (UniqueConstraint("role_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("volunteer_role.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    is_shown: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]

    role: Mapped[VolunteerRole] = relationship(back_populates="assignments")
    user: Mapped[User] = relationship()

    @property
    def is_active(self) -> bool:
        return self.left_at is None
