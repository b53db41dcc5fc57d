"""Background work: jobs with their progress, mail waiting to be delivered, notifications waiting to be fanned out.

The database holds what must not be lost; the queue (Huey, in Redis or SQLite) only carries row ids. A job killed
mid-way is found again by the sweeper (``deliberate.jobs.services.sweep``) from these rows, and each row's unique
``key`` is its idempotency key: doing the same work twice finds the row already there.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deliberate.extensions import db
from deliberate.models.base import enum_column, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # failed once, waiting for its next try
    DEAD = "dead"  # out of tries: in the site administrator's dead-letter list


class Job(db.Model):
    """One piece of background work: its name, its arguments (ids only, never people's texts), its progress."""

    __table_args__ = (Index("ix_job_status_updated", "status", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    args: Mapped[list] = mapped_column(JSON, default=list)
    #: Unique while given: a second request for the same work (a burst of reactions) finds the first job.
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    result: Mapped[dict | None] = mapped_column(JSON)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker until ``claimed_until``
    SENT = "sent"
    DEAD = "dead"


class OutgoingMail(db.Model):
    """A message to deliver. Its text is kept only until it is sent."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    #: The notification kind a member can unsubscribe from in one click (None: an answer to their own request).
    unsubscribe_kind: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class Audience(enum.StrEnum):
    """Who a fan-out reaches, worked out by the job (never a list of people written by the request)."""

    USERS = "users"  # the ids in ``user_ids``
    FEDERATION = "federation"  # every active member of the federation
    NOT_REACTED = "not_reacted"  # the federation's members with no reaction in the consultation yet
    NOT_VOTED = "not_voted"  # the federation's members with no BallotCast row in the consultation yet


class Fanout(db.Model):
    """A notification for many people, recorded by the request and fanned out by a job.

    Each person's notification carries the key ``fanout:<id>:<user id>``: a fan-out run twice writes nobody twice.
    A fan-out with a ``key`` (a reminder) is recorded once.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(300))
    audience: Mapped[Audience] = mapped_column(enum_column(Audience), default=Audience.USERS)
    user_ids: Mapped[list | None] = mapped_column(JSON)
    federation_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(enum.StrEnum):
    """How a member wants one kind of notification."""

    IN_APP = "in_app"
    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"


class NotificationPreference(db.Model):
    """A member's choice for one kind of notification; without a row, an email at once."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(40))
    delivery: Mapped[Delivery] = mapped_column(enum_column(Delivery))


class PolisUpload(db.Model):
    """The files of a Polis export a board member uploaded, kept in the database (any worker on any machine reads
    them) until the import job has read them; then their text is erased and the figures stay on the job."""

    __tablename__ = "polis_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8))
    comments: Mapped[str] = mapped_column(Text)
    votes: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_at: Mapped[datetime | None]
