"""Federation health: the translated names of its populations, leadership bodies and flags."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from deliberate.domain.health import Body, Flag, FlagKind, Population

POPULATION_LABELS = {
    Population.MEMBERS: _l("Members"),
    Population.OFFICERS: _l("Club officers"),
    Population.BOARD: _l("Board"),
    Population.AUTHORS: _l("Demand authors"),
    Population.REACTORS: _l("People who reacted"),
    Population.VOTERS: _l("Voters"),
    Population.ATTENDEES: _l("Event attendees"),
    Population.MENTORS: _l("Mentors"),
    Population.MENTEES: _l("Mentees"),
    Population.VOLUNTEERS: _l("Volunteers"),
}

BODY_LABELS = {Body.BOARD: _l("The board"), Body.OFFICERS: _l("Club officers")}


def population_name(value: str) -> str:
    try:
        return str(POPULATION_LABELS[Population(value)])
    except ValueError:
        return value


def describe_flag(flag: Flag) -> str:
    """Say where action is needed, in the page's language."""
    if flag.kind is FlagKind.NO_WOMAN_OFFICER:
        return _("%(club)s has no woman officer.", club=flag.subject)
    if flag.kind is FlagKind.INACTIVE_CLUB:
        return _("%(club)s has shown no activity in the last 90 days.", club=flag.subject)
    if flag.kind is FlagKind.SHARE_FELL:
        return _("Women's share among %(group)s fell %(points)s points since the previous consultation.",
                 group=population_name(flag.subject).lower(), points=f"{flag.points:g}")
    if flag.kind is FlagKind.BELOW_BASELINE:
        return _("Women's share among %(group)s is %(points)s points below the baseline.",
                 group=population_name(flag.subject).lower(), points=f"{flag.points:g}")
    return _("The quota rule for %(body)s (at least %(percent)s%% women) is not met.",
             body=str(BODY_LABELS[Body(flag.subject)]).lower(), percent=f"{flag.points:g}")
