"""Programmes: the follow-up of a published agenda's items; the translated names of their statuses and sources."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from deliberate.domain.programmes import CommitmentStatus, Currency, OwnerKind, Source, Status

STATUS_LABELS = {
    Status.PLANNED: _l("Planned"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.BLOCKED: _l("Blocked"),
    Status.DONE: _l("Done"),
    Status.DROPPED: _l("Dropped"),
}

SOURCE_LABELS = {
    Source.CLUB: _l("Clubs"),
    Source.FEDERATION: _l("Federation"),
    Source.MUNICIPALITY: _l("Municipality"),
    Source.STATE: _l("State government"),
    Source.FEDERAL: _l("Federal government"),
}

CURRENCY_LABELS = {Currency.MXN: _l("Mexican pesos (MXN)"), Currency.USD: _l("US dollars (USD)")}

OWNER_LABELS = {OwnerKind.BOARD: _l("The federation's board"), OwnerKind.CLUB: _l("A club"),
                OwnerKind.MEMBER: _l("A named member")}

COMMITMENT_LABELS = {
    CommitmentStatus.KEPT: _l("Kept"),
    CommitmentStatus.IN_PROGRESS: _l("In progress"),
    CommitmentStatus.LATE: _l("Late"),
    CommitmentStatus.BROKEN: _l("Broken"),
}


def status_name(status: Status | str | None) -> str:
    """Return the translated name of a programme status (the raw value for an unknown one)."""
    try:
        return str(STATUS_LABELS[Status(status)])
    except ValueError:
        return str(status or "")


def commitment_name(status: CommitmentStatus | str) -> str:
    try:
        return str(COMMITMENT_LABELS[CommitmentStatus(status)])
    except ValueError:
        return str(status)
