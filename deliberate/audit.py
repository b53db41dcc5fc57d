"""Record who did what: services call this inside their own transaction (it does not commit)."""

from __future__ import annotations

from deliberate.extensions import db
from deliberate.models import AuditEntry, Organization, User


def record(
    organization: Organization | None, actor: User | None, action: str, subject: str = "", detail: str = ""
) -> None:
    """Add an audit entry to the current transaction."""
    db.session.add(
        AuditEntry(organization=organization, actor=actor, action=action, subject=subject[:200], detail=detail)
    )
