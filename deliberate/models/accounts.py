"""People, organizations and the memberships between them."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, select, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberate.domain.gender import Gender
from deliberate.domain.timezones import DEFAULT_ZONE
from deliberate.extensions import db
from deliberate.models.base import enum_column, utcnow


class OrganizationKind(enum.StrEnum):
    CONFEDERATION = "confederation"
    FEDERATION = "federation"
    CLUB = "club"


class Role(enum.StrEnum):
    """A member's role in one organization; a higher role includes the powers of the lower ones."""

    MEMBER = "member"
    OFFICER = "officer"
    BOARD = "board"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class MembershipStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DECLINED = "declined"
    REMOVED = "removed"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased: unique regardless of case
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(256))
    locale: Mapped[str | None] = mapped_column(String(5))
    gender: Mapped[Gender | None] = mapped_column(enum_column(Gender))
    gender_description: Mapped[str | None] = mapped_column(String(80))
    contact_public: Mapped[str | None] = mapped_column(String(200))  # opt-in contact for the leaders' directory
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_deleted: Mapped[bool] = mapped_column(default=False)
    is_pseudonymous: Mapped[bool] = mapped_column(default=False)  # an imported participant, who cannot log in
    # False from registration until the emailed link is opened (or a password reset proves the address): until
    # then nobody logs in with it, so registering cannot tell whether an address already had an account.
    is_email_confirmed: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", foreign_keys="Membership.user_id", cascade="all, delete-orphan"
    )

    #: The secret of the log-in this object was loaded for (see UserSession); set by deliberate.auth.sessions.
    session_token = None

    @property
    def is_active(self) -> bool:  # Flask-Login: a deleted account cannot log in
        return not self.is_deleted

    def get_id(self) -> str:
        """Return what Flask-Login keeps in the session and the remember-me cookie: "id:token" of this log-in."""
        if not self.session_token:
            raise RuntimeError("log in through deliberate.auth.services, which opens a session for the user")
        return f"{self.id}:{self.session_token}"

    def active_memberships(self) -> list[Membership]:
        return [m for m in self.memberships if m.status is MembershipStatus.ACTIVE]

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class Organization(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganizationKind] = mapped_column(enum_column(OrganizationKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    hometown_municipality: Mapped[str | None] = mapped_column(String(120))
    hometown_state: Mapped[str | None] = mapped_column(String(80))
    us_city: Mapped[str | None] = mapped_column(String(120))
    us_state: Mapped[str | None] = mapped_column(String(80))
    founded_year: Mapped[int | None]
    public_contact: Mapped[str | None] = mapped_column(String(200))
    parity_baseline: Mapped[float | None]  # women's share the federation compares participation with
    # The IANA zone its pages show times in and its board's typed times are read in (clubs use their federation's).
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_ZONE, server_default=DEFAULT_ZONE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Organization | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Organization]] = relationship(back_populates="parent", order_by="Organization.name")
    memberships: Mapped[list[Membership]] = relationship(back_populates="organization")

    @property
    def is_club(self) -> bool:
        return self.kind is OrganizationKind.CLUB

    @property
    def federation(self) -> Organization:
        """Return the federation this organization belongs to (itself for a federation or confederation)."""
        return self.parent if self.is_club and self.parent is not None else self

    def clubs(self) -> list[Organization]:
        return [child for child in self.children if child.is_club]

    def active_member_count(self) -> int:
        return db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.organization_id == self.id, Membership.status == MembershipStatus.ACTIVE
            )
        ) or 0

    def __repr__(self) -> str:
        return f"<Organization {self.slug}>"


class Membership(db.Model):
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.MEMBER)
    status: Mapped[MembershipStatus] = mapped_column(enum_column(MembershipStatus), default=MembershipStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    removal_reason: Mapped[str | None] = mapped_column(String(500))

    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])
    organization: Mapped[Organization] = relationship(back_populates="memberships")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_active(self) -> bool:
        return self.status is MembershipStatus.ACTIVE

    def __repr__(self) -> str:
        return f"<Membership user={self.user_id} org={self.organization_id} {self.role} {self.status}>"


class Invitation(db.Model):
    """An expiring link that lets whoever holds it join a club (or a federation's board) directly."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.MEMBER)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    max_uses: Mapped[int] = mapped_column(default=1)
    uses: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None]
    # Set for an invitation made from a roster: a keyed digest of the address (never the address itself), so that
    # importing the roster again updates the invitation instead of sending a second one, and the language its
    # message was written in.
    email_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    locale: Mapped[str | None] = mapped_column(String(5))

    organization: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.uses < self.max_uses and now < self.expires_at


class PasswordReset(db.Model):
    """A single-use, expiring password-reset token; only its hash is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """One log-in on one device, until it logs out or is ended from elsewhere; only its token's hash is stored.

    The session cookie and the remember-me cookie carry the token; a cookie whose row is gone (log-out, a password
    change or reset, "log out everywhere", a deleted account) no longer logs anyone in. Nothing about the device
    (address, browser) is kept.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    user: Mapped[User] = relationship()


class AuditEntry(db.Model):
    """Who did what, when, in which organization: kept for boards and for accountability."""

    __table_args__ = (Index("ix_audit_entry_organization_created", "organization_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()
    organization: Mapped[Organization | None] = relationship()
