"""Secret ballots: who voted (BallotCast) apart from what was voted, sealed while voting is open and mixed at the count.

While voting is open a ballot lives as a :class:`SealedBallot`: its content (counting club, gender bucket,
ranking, approvals, receipt hash) encrypted with a key that lives outside the database, found by a keyed tag of
its receipt. When voting closes, one transaction opens every sealed ballot, writes the plain :class:`Ballot` rows in
a random order with random keys and no date, and deletes the sealed ones (see ``docs/ballot-secrecy.md``).
A plain ballot carries only what the count needs: its counting group (its club, or the small clubs it is pooled
with), its ranking and approvals, and the SHA-256 of the voter's receipt code. The gender buckets become one
table of federation totals in :class:`BallotBox`, never a column of a ballot.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deliberate.extensions import db
from deliberate.models.base import utcnow


def _random_key() -> str:
    return secrets.token_hex(16)


class BallotCast(db.Model):
    """Record that a member has voted in a consultation (and nothing about how, nor when).

    ``receipt_check`` is a keyed hash of the member and their receipt code: it lets the member (and only them)
    replace their ballot while voting is open. It is erased when the ballots are mixed.
    """

    __tablename__ = "ballot_cast"
    __table_args__ = (UniqueConstraint("consultation_id", "user_id", name="uq_ballot_cast_consultation_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    receipt_check: Mapped[str | None] = mapped_column(String(64))
    #: the club assembly at which the member voted on paper (None: online); one row per member either way, so the
    #: unique constraint settles a paper mark racing an online cast
    assembly_id: Mapped[int | None] = mapped_column(ForeignKey("assembly.id", ondelete="SET NULL"))

    @property
    def is_on_paper(self) -> bool:
        return self.assembly_id is not None


class SealedBallot(db.Model):
    """A ballot while voting is open: encrypted content, found only by a keyed tag of its receipt code."""

    __tablename__ = "sealed_ballot"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_key)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    receipt_tag: Mapped[str] = mapped_column(String(64), unique=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class Ballot(db.Model):
    """A counted, anonymous ballot: its counting group, a ranking in tiers of agenda item ids, the approved ids
    and, where its group's split of online and paper ballots may be shown, which of the two it was."""

    __tablename__ = "ballot"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_key)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    group: Mapped[str] = mapped_column(String(2000))
    ranking: Mapped[list] = mapped_column(JSON)
    approved: Mapped[list] = mapped_column(JSON)
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: "paper" or "online" where the group's split may be shown (see domain.assembly.split_is_shown), else None
    channel: Mapped[str | None] = mapped_column(String(6))


class BallotBox(db.Model):
    """What the mix froze for the count: the counting groups with their members, and the gender totals.

    ``clubs`` is the ``clubs`` section of the count's input document (each counting group, its registered members
    and, when pooled, its clubs); ``gender_table`` the federation's totals per gender with small groups hidden;
    ``turnout`` how many voters said woman, man or something else (who voted is known apart from the ballots);
    ``uncounted`` how many sealed ballots were left out because their club had left the federation.
    """

    __tablename__ = "ballot_box"

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True)
    clubs: Mapped[dict] = mapped_column(JSON)
    gender_table: Mapped[dict] = mapped_column(JSON)
    turnout: Mapped[dict] = mapped_column(JSON)
    uncounted: Mapped[int] = mapped_column(default=0, server_default="0")


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
