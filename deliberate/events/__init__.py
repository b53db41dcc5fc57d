"""Events: workshops, assemblies and trainings with their seats, waiting list, attendance and materials; the
translated names of their kinds, modes and audiences."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from deliberate.domain.events import EventKind, EventMode, RsvpStatus, TrackAudience

KIND_LABELS = {EventKind.WORKSHOP: _l("Workshop"), EventKind.ASSEMBLY: _l("Assembly"),
               EventKind.TRAINING: _l("Training")}
MODE_LABELS = {EventMode.IN_PERSON: _l("In person"), EventMode.ONLINE: _l("Online")}
AUDIENCE_LABELS = {TrackAudience.EVERYONE: _l("Everyone"), TrackAudience.WOMEN: _l("Women"),
                   TrackAudience.OFFICERS: _l("Club officers and the board")}
RSVP_LABELS = {RsvpStatus.GOING: _l("You have a seat"), RsvpStatus.WAITING: _l("You are on the waiting list"),
               RsvpStatus.CANCELLED: _l("You cancelled")}
