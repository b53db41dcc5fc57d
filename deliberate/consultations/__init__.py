"""Consultations: one agenda cycle of a federation, its schedule, settings, categories and phases."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from deliberate.domain.phases import Phase

#: The name of each phase, translated when shown.
PHASE_NAMES = {
    Phase.DRAFT: _l("Draft"),
    Phase.COLLECTING: _l("Collecting demands"),
    Phase.CONSOLIDATING: _l("Consolidating"),
    Phase.DELIBERATING: _l("Deliberating"),
    Phase.VOTING: _l("Voting"),
    Phase.TALLIED: _l("Counted"),
    Phase.PUBLISHED: _l("Published"),
}


def phase_name(phase: Phase | str) -> str:
    """Return the translated name of a phase (the raw value for an unknown one)."""
    try:
        return str(PHASE_NAMES[Phase(phase)])
    except ValueError:
        return str(phase)
