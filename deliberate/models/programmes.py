"""Programmes: the follow-up of a published agenda's items, with milestones, funding, promises, updates, followers.

Amounts are whole cents in the currency they were entered in (MXN or USD); no column ever holds a converted sum.
A Follow is a member's own choice to hear about an item's programmes: it is never derived from a ballot.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberate.domain.bilingual import in_language
from deliberate.domain.programmes import CommitmentStatus, Currency, OwnerKind, Source, Status
from deliberate.extensions import db
from deliberate.models.accounts import Organization, User
from deliberate.models.agenda import AgendaItem
from deliberate.models.base import enum_column, utcnow
from deliberate.models.demands import Target
from deliberate.models.publication import Agenda


class Programme(db.Model):
    """One programme that carries out an item of a published agenda: its owner, authority, dates and status."""

    __table_args__ = (Index("ix_programme_agenda_item", "agenda_id", "agenda_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_id: Mapped[int] = mapped_column(ForeignKey("agenda.id", ondelete="CASCADE"))
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True)
    title_es: Mapped[str] = mapped_column(String(160), default="")
    title_en: Mapped[str] = mapped_column(String(160), default="")
    description_es: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    owner_kind: Mapped[OwnerKind] = mapped_column(enum_column(OwnerKind), default=OwnerKind.BOARD)
    owner_club_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="SET NULL"))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    authority: Mapped[Target | None] = mapped_column(enum_column(Target, 30))
    starts_on: Mapped[date | None]
    due_on: Mapped[date | None]
    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.PLANNED)
    status_reason: Mapped[str] = mapped_column(Text, default="")  # public: why it is blocked or dropped
    progress_percent: Mapped[int | None]  # set directly, read only while the programme has no milestones
    budget_cents: Mapped[int | None] = mapped_column(BigInteger)
    budget_currency: Mapped[Currency | None] = mapped_column(enum_column(Currency, 3))
    is_for_women: Mapped[bool] = mapped_column(default=False, server_default=false())  # by women, for women
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    agenda: Mapped[Agenda] = relationship()
    agenda_item: Mapped[AgendaItem] = relationship()
    owner_club: Mapped[Organization | None] = relationship()
    owner_user: Mapped[User | None] = relationship(foreign_keys=[owner_user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="programme", order_by="(Milestone.due_on, Milestone.id)", cascade="all, delete-orphan")
    fundings: Mapped[list[Funding]] = relationship(
        back_populates="programme", order_by="Funding.id", cascade="all, delete-orphan")
    commitments: Mapped[list[Commitment]] = relationship(
        back_populates="programme", order_by="Commitment.id", cascade="all, delete-orphan")
    updates: Mapped[list[ProgrammeUpdate]] = relationship(
        back_populates="programme", order_by="(ProgrammeUpdate.happened_on.desc(), ProgrammeUpdate.id.desc())",
        cascade="all, delete-orphan")

    def title(self, locale: str) -> str:
        return in_language(self.title_es, self.title_en, locale)

    def description(self, locale: str) -> str:
        return in_language(self.description_es, self.description_en, locale)


class Milestone(db.Model):
    """A step of a programme with its due date and its weight (a share of 100); done once ticked by an owner."""

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    title_es: Mapped[str] = mapped_column(String(160), default="")
    title_en: Mapped[str] = mapped_column(String(160), default="")
    due_on: Mapped[date | None]
    weight: Mapped[int] = mapped_column(default=1)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="milestones")
    done_by: Mapped[User | None] = relationship()

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def title(self, locale: str) -> str:
        return in_language(self.title_es, self.title_en, locale)


class Funding(db.Model):
    """A co-funding share: what one source committed and what it has paid, in the currency entered."""

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    source: Mapped[Source] = mapped_column(enum_column(Source))
    currency: Mapped[Currency] = mapped_column(enum_column(Currency, 3))
    committed_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    received_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    committed_on: Mapped[date | None]
    received_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="fundings")


class Commitment(db.Model):
    """A promise by an official or an authority, by when, with links to its evidence; scored publicly."""

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    official: Mapped[str] = mapped_column(String(120))  # a public office holder, named as in the evidence
    authority: Mapped[Target] = mapped_column(enum_column(Target, 30))
    promise: Mapped[str] = mapped_column(Text)
    promised_on: Mapped[date]
    due_on: Mapped[date | None]
    evidence: Mapped[str] = mapped_column(Text, default="")  # links, one a line
    # Recorded as kept, in progress or broken; "late" is read from the date (domain.programmes).
    status: Mapped[CommitmentStatus] = mapped_column(enum_column(CommitmentStatus),
                                                     default=CommitmentStatus.IN_PROGRESS)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="commitments")

    @property
    def evidence_links(self) -> list[str]:
        return [line for line in self.evidence.splitlines() if line.strip()]


class ProgrammeUpdate(db.Model):
    """A dated entry of a programme's public timeline, by an owner; a status change writes one too."""

    __table_args__ = (Index("ix_programme_update_programme_created", "programme_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    happened_on: Mapped[date]
    text: Mapped[str] = mapped_column(Text, default="")  # Markdown source, cleaned
    text_html: Mapped[str] = mapped_column(Text, default="")  # rendered and sanitised once, at write time
    links: Mapped[str] = mapped_column(Text, default="")  # one a line
    status_from: Mapped[Status | None] = mapped_column(enum_column(Status))
    status_to: Mapped[Status | None] = mapped_column(enum_column(Status))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="updates")
    author: Mapped[User | None] = relationship()
    photo: Mapped[UpdatePhoto | None] = relationship(back_populates="update", lazy="selectin",
                                                     cascade="all, delete-orphan")

    @property
    def link_list(self) -> list[str]:
        return [line for line in self.links.splitlines() if line.strip()]


class UpdatePhoto(db.Model):
    """The photo of an update: a JPEG written again from the original's pixels (no metadata is ever stored).

    Its bytes load only when the photo itself is asked for; a timeline reads its size and description.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("programme_update.id", ondelete="CASCADE"), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    width: Mapped[int]
    height: Mapped[int]
    byte_size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(300))  # the text equivalent, for those who cannot see it

    update: Mapped[ProgrammeUpdate] = relationship(back_populates="photo")


class Follow(db.Model):
    """A member's wish to hear about an agenda item's programmes (one per member and item)."""

    __table_args__ = (UniqueConstraint("user_id", "agenda_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    agenda_item: Mapped[AgendaItem] = relationship()
