"""The published agenda: a draft with the board's framing, frozen versions with their hash, and minority reports.

A version is never changed once written: its canonical JSON (inputs and result) and the SHA-256 of that JSON are
stored as text, exactly as hashed. A correction is a new version that points to the previous one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberate.extensions import db
from deliberate.models.accounts import Organization, User
from deliberate.models.base import utcnow
from deliberate.models.consultations import Consultation


class Agenda(db.Model):
    """One consultation's agenda: the board's framing texts while drafting, and the report window."""

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), unique=True)
    framing_es: Mapped[str] = mapped_column(Text, default="")
    framing_en: Mapped[str] = mapped_column(Text, default="")
    # Minority reports may be written and co-signed until this moment (naive UTC); None: no window opened yet.
    minority_report_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    consultation: Mapped[Consultation] = relationship()
    versions: Mapped[list[AgendaVersion]] = relationship(
        back_populates="agenda", order_by="AgendaVersion.number", foreign_keys="AgendaVersion.agenda_id"
    )

    @property
    def latest(self) -> AgendaVersion | None:
        return self.versions[-1] if self.versions else None


class AgendaVersion(db.Model):
    """A frozen, published version: canonical JSON of the inputs and the result, and its SHA-256."""

    __table_args__ = (UniqueConstraint("agenda_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_id: Mapped[int] = mapped_column(ForeignKey("agenda.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_version.id", ondelete="SET NULL"))
    framing_es: Mapped[str] = mapped_column(Text, default="")
    framing_en: Mapped[str] = mapped_column(Text, default="")
    correction_note: Mapped[str] = mapped_column(Text, default="")
    document: Mapped[str] = mapped_column(Text)  # canonical JSON: sorted keys, no spaces, UTF-8
    sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agenda: Mapped[Agenda] = relationship(back_populates="versions", foreign_keys=[agenda_id])
    previous: Mapped[AgendaVersion | None] = relationship(remote_side=[id])
    created_by: Mapped[User | None] = relationship()


class AgendaExport(db.Model):
    """A file of a published version, written once by a job after publication (the ballots, the CSV, the gender
    table), so that a download never parses the version's document in a request."""

    __table_args__ = (UniqueConstraint("version_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("agenda_version.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(160))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    byte_size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MinorityReport(db.Model):
    """A report by a dissenting club or an opinion group, published with the agenda as written."""

    __table_args__ = (Index("ix_minority_report_consultation", "consultation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    club_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="SET NULL"))
    opinion_group: Mapped[int | None]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(160))
    text: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    consultation: Mapped[Consultation] = relationship()
    club: Mapped[Organization | None] = relationship()
    author: Mapped[User | None] = relationship()
    cosignatures: Mapped[list[MinorityReportCosign]] = relationship(
        back_populates="report", order_by="MinorityReportCosign.id"
    )


class MinorityReportCosign(db.Model):
    """A club's co-signature of a minority report (one per club), given by one of its officers."""

    __table_args__ = (UniqueConstraint("report_id", "club_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("minority_report.id", ondelete="CASCADE"), index=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[MinorityReport] = relationship(back_populates="cosignatures")
    club: Mapped[Organization] = relationship()
