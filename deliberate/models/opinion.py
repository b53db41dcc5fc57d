"""The opinion map's stored snapshot: one per consultation, recomputed in place until voting freezes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberate.extensions import db
from deliberate.models.base import utcnow
from deliberate.models.consultations import Consultation


class OpinionSnapshot(db.Model):
    """The opinion map of a consultation as last computed.

    ``result`` holds every participant's position and group keyed by user id: private data, shown to nobody but
    the participant themself. The other columns are aggregates safe to publish: the groups with their sizes and
    representative demands, the consensus, the group-informed consensus, and each group's composition by club and
    (only where every category shown has at least five people) by gender, counted when the snapshot was computed.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), unique=True)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    reactions_count: Mapped[int] = mapped_column(default=0)
    participants_count: Mapped[int] = mapped_column(default=0)
    is_frozen: Mapped[bool] = mapped_column(default=False)
    frozen_at: Mapped[datetime | None]
    # Private: {"<user id>": {"group": int | None, "x": float, "y": float}}.
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    groups: Mapped[list] = mapped_column(JSON, default=list)
    consensus: Mapped[list] = mapped_column(JSON, default=list)
    group_informed_consensus: Mapped[dict] = mapped_column(JSON, default=dict)
    composition: Mapped[list] = mapped_column(JSON, default=list)
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)

    consultation: Mapped[Consultation] = relationship()
