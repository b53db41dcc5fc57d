"""Demands, their versions, reactions, arguments, reports of abuse, and notifications."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberate.extensions import db
from deliberate.models.accounts import Organization, User
from deliberate.models.assemblies import Assembly
from deliberate.models.base import enum_column, utcnow
from deliberate.models.consultations import Category, Consultation


class Target(enum.StrEnum):
    """Which government or office a demand addresses."""

    HOMETOWN_MUNICIPALITY = "hometown_municipality"
    MEXICAN_STATE = "mexican_state"
    MEXICAN_FEDERAL = "mexican_federal"
    CONSULATE = "consulate"
    US_CITY = "us_city"
    US_STATE = "us_state"
    US_FEDERAL = "us_federal"


class Language(enum.StrEnum):
    ES = "es"
    EN = "en"
    OTHER = "other"


class ReactionValue(enum.IntEnum):
    """The opinion map's input: agree 1, disagree -1, pass 0."""

    AGREE = 1
    DISAGREE = -1
    PASS = 0


class Side(enum.StrEnum):
    FOR = "for"
    AGAINST = "against"


class Demand(db.Model):
    __table_args__ = (
        Index("ix_demand_consultation_created", "consultation_id", "created_at"),
        UniqueConstraint("consultation_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    club_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(140))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown source, cleaned
    body_html: Mapped[str] = mapped_column(Text, default="")  # rendered and sanitised once, at write time
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id", ondelete="SET NULL"), index=True)
    target: Mapped[Target | None] = mapped_column(enum_column(Target, 30))
    language: Mapped[Language] = mapped_column(enum_column(Language, 5), default=Language.ES)
    version: Mapped[int] = mapped_column(default=1)
    is_withdrawn: Mapped[bool] = mapped_column(default=False)
    endorsed_at: Mapped[datetime | None]
    endorsed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Public counts, recomputed from the reactions on every change (never incremented blindly).
    agree_count: Mapped[int] = mapped_column(default=0)
    disagree_count: Mapped[int] = mapped_column(default=0)
    pass_count: Mapped[int] = mapped_column(default=0)
    #: the club assembly at which the demand was raised, entered by an officer on the club's behalf
    assembly_id: Mapped[int | None] = mapped_column(ForeignKey("assembly.id", ondelete="SET NULL"))
    external_id: Mapped[str | None] = mapped_column(String(60))  # e.g. the comment id of an imported Polis export
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    consultation: Mapped[Consultation] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    club: Mapped[Organization | None] = relationship()
    assembly: Mapped[Assembly | None] = relationship()
    category: Mapped[Category | None] = relationship()
    endorsed_by: Mapped[User | None] = relationship(foreign_keys=[endorsed_by_id])
    hidden_by: Mapped[User | None] = relationship(foreign_keys=[hidden_by_id])
    versions: Mapped[list[DemandVersion]] = relationship(
        back_populates="demand", order_by="DemandVersion.version", cascade="all, delete-orphan"
    )

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_visible(self) -> bool:
        return not self.is_hidden and not self.is_withdrawn

    @property
    def reaction_count(self) -> int:
        return self.agree_count + self.disagree_count + self.pass_count


class DemandVersion(db.Model):
    """An earlier text of a demand, kept when its author edits it."""

    __table_args__ = (UniqueConstraint("demand_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demand.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(140))
    body: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id", ondelete="SET NULL"))
    target: Mapped[Target | None] = mapped_column(enum_column(Target, 30))
    language: Mapped[Language] = mapped_column(enum_column(Language, 5), default=Language.ES)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    demand: Mapped[Demand] = relationship(back_populates="versions")


class Reaction(db.Model):
    """One member's agree / disagree / pass on one demand; changing it replaces it."""

    __table_args__ = (
        UniqueConstraint("demand_id", "user_id"),
        Index("ix_reaction_user_demand", "user_id", "demand_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demand.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    demand: Mapped[Demand] = relationship()


class Argument(db.Model):
    """A written reason for or against a demand."""

    __table_args__ = (Index("ix_argument_demand_side", "demand_id", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demand.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    side: Mapped[Side] = mapped_column(enum_column(Side, 10))
    body: Mapped[str] = mapped_column(Text)
    upvote_count: Mapped[int] = mapped_column(default=0)
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    demand: Mapped[Demand] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class ArgumentVote(db.Model):
    __table_args__ = (UniqueConstraint("argument_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    argument_id: Mapped[int] = mapped_column(ForeignKey("argument.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(db.Model):
    """A member's report that a demand or an argument breaks the rules; the board resolves it."""

    __table_args__ = (UniqueConstraint("reporter_id", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str] = mapped_column(String(20))  # "demand" or "argument"
    subject_id: Mapped[int]
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(String(20))  # "hidden" or "kept"

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])


class Notification(db.Model):
    """Something a member should know; the text is chosen at display time from `kind` and `params`."""

    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    #: Idempotency key of the fan-out or reminder that wrote it: the same notification is never written twice.
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    #: "daily" or "weekly" while it waits for the member's digest; cleared once the digest is written.
    digest: Mapped[str | None] = mapped_column(String(10), index=True)
