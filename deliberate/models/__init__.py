"""ORM models, one module per area; import them from here."""

from deliberate.models.accounts import (
    AuditEntry,
    Gender,
    Invitation,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    PasswordReset,
    Role,
    User,
)
from deliberate.models.base import utcnow

__all__ = [
    "AuditEntry",
    "Gender",
    "Invitation",
    "Membership",
    "MembershipStatus",
    "Organization",
    "OrganizationKind",
    "PasswordReset",
    "Role",
    "User",
    "utcnow",
]
