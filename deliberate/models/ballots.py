"""Secret ballots: who voted (BallotCast) is stored apart from what was voted (Ballot), and the stored counts.

Nothing links a Ballot to a person: it has a random key (not a sequence that would follow the order of the
BallotCast rows), its club, its ranking and approvals, the SHA-256 of the voter's receipt code and the day it was
cast.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deliberate.extensions import db
from deliberate.models.base import utcnow


def _random_key() -> str:
    return secrets.token_hex(16)


class BallotCast(db.Model):
    """Record that a member has voted in a consultation (and nothing about how)."""

    __tablename__ = "ballot_cast"
    __table_args__ = (UniqueConstraint("consultation_id", "user_id", name="uq_ballot_cast_consultation_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    cast_on: Mapped[date]


class Ballot(db.Model):
    """An anonymous ballot: a ranking in tiers of agenda item ids and the approved item ids."""

    __tablename__ = "ballot"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_key)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    ranking: Mapped[list] = mapped_column(JSON)
    approved: Mapped[list] = mapped_column(JSON)
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    cast_on: Mapped[date]
    # The voter's gender bucket (woman, man, other, or None) for the equity analysis. It is never exported with the
    # ballot: only federation totals per bucket are published, with groups under MIN_GROUP_SIZE hidden.
    gender: Mapped[str | None] = mapped_column(String(10))


class Tally(db.Model):
    """A stored count of a consultation's ballots, with the SHA-256 of its canonical inputs."""

    __tablename__ = "tally"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    weighting: Mapped[str] = mapped_column(String(20))
    result: Mapped[dict] = mapped_column(JSON)
    inputs_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_official: Mapped[bool] = mapped_column(default=False)
