"""Club assemblies: the record of an in-person meeting for a consultation, and the typed entries of its paper ballots.

An :class:`Assembly` is what a club officer records (date, place, members present, minutes and an optional scan) and
a second officer or board member co-signs; until then nothing of it counts. Who voted on paper there is marked on
the voter roll itself (``BallotCast.assembly_id``), exactly as an online vote is. A :class:`PaperEntry` is one
officer's typing of one sheet: random key, no date, the sheet found by a keyed tag of its code and the content
sealed like an online ballot. It lives only until a second officer's entry of the same sheet agrees (then the two
become one sealed ballot, with no officer and no assembly) or a disagreement is resolved.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberate.extensions import db
from deliberate.models.accounts import Organization, User
from deliberate.models.base import utcnow
from deliberate.models.consultations import Consultation


def _random_key() -> str:
    return secrets.token_hex(16)


class Assembly(db.Model):
    """A club's in-person assembly for a consultation, recorded by an officer and co-signed by another person."""

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date]
    place: Mapped[str] = mapped_column(String(200))
    members_present: Mapped[int]
    minutes: Mapped[str] = mapped_column(Text, default="")
    scan: Mapped[bytes | None] = mapped_column(LargeBinary)
    scan_type: Mapped[str | None] = mapped_column(String(20))
    scan_sha256: Mapped[str | None] = mapped_column(String(64))
    acta_sha256: Mapped[str] = mapped_column(String(64))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    cosigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    cosigned_at: Mapped[datetime | None]
    #: paper ballots agreed and sealed so far (never more than the members marked as voting on paper here)
    ballots_entered: Mapped[int] = mapped_column(default=0, server_default="0")

    consultation: Mapped[Consultation] = relationship()
    club: Mapped[Organization] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    cosigned_by: Mapped[User | None] = relationship(foreign_keys=[cosigned_by_id])

    @property
    def is_cosigned(self) -> bool:
        return self.cosigned_at is not None


class PaperEntry(db.Model):
    """One officer's typing of one paper sheet, kept only until a second entry agrees or a conflict is resolved."""

    __tablename__ = "paper_entry"
    __table_args__ = (UniqueConstraint("assembly_id", "sheet_tag", "officer_id",
                                       name="uq_paper_entry_assembly_sheet_officer"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_key)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id", ondelete="CASCADE"), index=True)
    sheet_tag: Mapped[str] = mapped_column(String(64))
    officer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
