"""Quota rules over a federation's leadership: "at least 40% women on the board", checked on the health dashboard."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberate.domain.health import Body
from deliberate.extensions import db
from deliberate.models.accounts import Organization
from deliberate.models.base import enum_column, utcnow


class QuotaRule(db.Model):
    """The least share of women (in whole percent) a leadership body of the federation should have."""

    __table_args__ = (UniqueConstraint("federation_id", "body"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    body: Mapped[Body] = mapped_column(enum_column(Body))
    min_percent: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    federation: Mapped[Organization] = relationship()
