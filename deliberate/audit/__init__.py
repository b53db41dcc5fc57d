"""Record who did what: services call :func:`record` inside their own transaction (it does not commit).

An entry's ``detail`` holds its facts in a form no language owns: a JSON object of ids, counts, codes and the
people's own words (a reason, a title), written through ``record(..., facts={...})``. Telling them in the reader's
language is :mod:`deliberate.audit.sentences`' work, when a page shows the entry.
"""

from __future__ import annotations

import json
from typing import Any

from deliberate.extensions import db
from deliberate.models import AuditEntry, Organization, User

#: The consolidation actions' facts start with the consultation, so its log can find them.
CONSULTATION_KEY = "consultation"


def record(
    organization: Organization | None, actor: User | None, action: str, subject: str = "", detail: str = "",
    *, facts: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry to the current transaction; ``facts`` (language-free values) become its detail."""
    if facts is not None:
        detail = json.dumps(facts, ensure_ascii=False)
    db.session.add(
        AuditEntry(organization=organization, actor=actor, action=action, subject=subject[:200], detail=detail)
    )


def consultation_prefixes(consultation_id: int) -> tuple[str, ...]:
    """Return the LIKE patterns of the details that belong to a consultation: facts first, then the older sentences."""
    return (f'{{"{CONSULTATION_KEY}": {consultation_id},%', f'{{"{CONSULTATION_KEY}": {consultation_id}}}',
            f"consultation {consultation_id}:%")
