"""The translated name of every value a person reads: phases, roles, statuses, voting rules, and titles.

Each value is named here once, and forms, views, templates (through the ``labels`` global and the macros),
the audit log and notifications read it from here, with :func:`in_language` for the texts written in both
languages (a consultation's, an item's or a programme's title). A name is looked up when shown (``lazy_gettext``), so it
comes out in the reader's language. An unknown value (one stored by an older release) is shown as it was stored,
never as an error.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from enum import Enum
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from deliberate.domain.bilingual import in_language
from deliberate.domain.equity import CheckStatus
from deliberate.domain.events import EventKind, EventMode, TrackAudience
from deliberate.domain.health import Body, Population
from deliberate.domain.phases import Phase
from deliberate.domain.programmes import CommitmentStatus, Currency, OwnerKind, Source, Status
from deliberate.domain.rules import AgendaSelection, CheckMode, ClubMode, ClubWeighting, VotingMethod
from deliberate.i18n import format_number, format_percent
from deliberate.models.accounts import MembershipStatus, Role
from deliberate.models.demands import Language, Target
from deliberate.models.jobs import Delivery, JobStatus

PHASE_NAMES = {
    Phase.DRAFT: _l("Draft"),
    Phase.COLLECTING: _l("Collecting demands"),
    Phase.CONSOLIDATING: _l("Consolidating"),
    Phase.DELIBERATING: _l("Deliberating"),
    Phase.VOTING: _l("Voting"),
    Phase.TALLIED: _l("Counted"),
    Phase.PUBLISHED: _l("Published"),
}

ROLE_NAMES = {
    Role.MEMBER: _l("Member"),
    Role.OFFICER: _l("Officer"),
    Role.BOARD: _l("Board member"),
    Role.ADMIN: _l("Administrator"),
}

MEMBERSHIP_STATUS_NAMES = {
    MembershipStatus.PENDING: _l("waiting for approval"),
    MembershipStatus.ACTIVE: _l("active"),
    MembershipStatus.DECLINED: _l("declined"),
    MembershipStatus.REMOVED: _l("removed"),
}

VOTING_METHOD_NAMES = {
    VotingMethod.SCHULZE: _l("Schulze (recommended)"),
    VotingMethod.RANKED_PAIRS: _l("Ranked pairs"),
    VotingMethod.BORDA: _l("Borda count"),
    VotingMethod.COPELAND: _l("Copeland"),
    VotingMethod.APPROVAL: _l("Approval"),
}

CLUB_WEIGHTING_NAMES = {
    ClubWeighting.MEMBERS: _l("By members: one person, one vote"),
    ClubWeighting.EQUAL: _l("Equal: one club, one vote"),
    ClubWeighting.SQRT: _l("Square root of the club's size"),
    ClubWeighting.CAPPED: _l("By members, with a cap"),
}

CLUB_MODE_NAMES = {ClubMode.PROPORTIONAL: _l("Proportional"), ClubMode.BLOC: _l("Bloc")}

AGENDA_SELECTION_NAMES = {
    AgendaSelection.RANKING: _l("Top of the ranking"),
    AgendaSelection.EQUAL_SHARES: _l("Method of Equal Shares (proportional)"),
    AgendaSelection.PAV: _l("Proportional approval voting"),
}

#: How an equity rule acts, as the settings form offers it ...
CHECK_MODE_CHOICES = {
    CheckMode.OFF: _l("Not checked"),
    CheckMode.WARN: _l("Warn before publishing"),
    CheckMode.ENFORCE: _l("Required to publish"),
}
#: ... and as a published agenda states it beside the check's outcome.
CHECK_MODE_NAMES = {CheckMode.OFF: _l("not checked"), CheckMode.WARN: _l("warning only"),
                    CheckMode.ENFORCE: _l("enforced")}

CHECK_STATUS_NAMES = {
    CheckStatus.PASS: _l("passes"),
    CheckStatus.FAIL: _l("fails: publishing is blocked"),
    CheckStatus.WARN: _l("does not pass (warning)"),
    CheckStatus.ADJUSTED: _l("applied: the agenda was adjusted"),
    CheckStatus.NOT_APPLICABLE: _l("does not apply"),
    CheckStatus.OFF: _l("not checked"),
}

TARGET_NAMES = {
    Target.HOMETOWN_MUNICIPALITY: _l("Hometown municipality"),
    Target.MEXICAN_STATE: _l("Mexican state government"),
    Target.MEXICAN_FEDERAL: _l("Mexican federal government"),
    Target.CONSULATE: _l("Mexican consulate"),
    Target.US_CITY: _l("US city"),
    Target.US_STATE: _l("US state"),
    Target.US_FEDERAL: _l("US federal government"),
}

LANGUAGE_NAMES = {Language.ES: _l("Spanish"), Language.EN: _l("English"), Language.OTHER: _l("Other language")}

PROGRAMME_STATUS_NAMES = {
    Status.PLANNED: _l("Planned"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.BLOCKED: _l("Blocked"),
    Status.DONE: _l("Done"),
    Status.DROPPED: _l("Dropped"),
}

SOURCE_NAMES = {
    Source.CLUB: _l("Clubs"),
    Source.FEDERATION: _l("Federation"),
    Source.MUNICIPALITY: _l("Municipality"),
    Source.STATE: _l("State government"),
    Source.FEDERAL: _l("Federal government"),
}

CURRENCY_NAMES = {Currency.MXN: _l("Mexican pesos (MXN)"), Currency.USD: _l("US dollars (USD)")}

OWNER_NAMES = {OwnerKind.BOARD: _l("The federation's board"), OwnerKind.CLUB: _l("A club"),
               OwnerKind.MEMBER: _l("A named member")}

COMMITMENT_NAMES = {
    CommitmentStatus.KEPT: _l("Kept"),
    CommitmentStatus.IN_PROGRESS: _l("In progress"),
    CommitmentStatus.LATE: _l("Late"),
    CommitmentStatus.BROKEN: _l("Broken"),
}


EVENT_KIND_NAMES = {EventKind.WORKSHOP: _l("Workshop"), EventKind.ASSEMBLY: _l("Assembly"),
                    EventKind.TRAINING: _l("Training")}
EVENT_MODE_NAMES = {EventMode.IN_PERSON: _l("In person"), EventMode.ONLINE: _l("Online")}
AUDIENCE_NAMES = {TrackAudience.EVERYONE: _l("Everyone"), TrackAudience.WOMEN: _l("Women"),
                  TrackAudience.OFFICERS: _l("Club officers and the board")}
#: The groups of people whose women's share the health dashboard shows.
POPULATION_NAMES = {
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
#: The leadership bodies a quota rule can be set over.
BODY_NAMES = {Body.BOARD: _l("The board"), Body.OFFICERS: _l("Club officers")}


#: What each background job is called on its progress page.
JOB_NAMES = {
    "notifications.fan_out": _l("Notifying the members"),
    "notifications.digests": _l("Writing the summary emails"),
    "opinion.recompute": _l("Computing the opinion map"),
    "polis.import": _l("Importing a Polis conversation"),
    "consolidation.suggest": _l("Computing the consolidation suggestions"),
    "agenda.exports": _l("Writing the published agenda's files"),
}
JOB_STATUS_NAMES = {
    JobStatus.QUEUED: _l("Waiting to start"),
    JobStatus.RUNNING: _l("Running"),
    JobStatus.DONE: _l("Finished"),
    JobStatus.FAILED: _l("Failed; it will be tried again"),
    JobStatus.DEAD: _l("Failed"),
}
#: The kinds of notification a member chooses how to receive, and the ways to receive them.
TOPIC_NAMES = {
    "phases": _l("A consultation of my federation changes phase"),
    "reminders": _l("Reminders before a phase's last day, when I have not taken part yet"),
    "my_content": _l("News about my demands and arguments"),
    "programmes": _l("News about the programmes I follow"),
    "events": _l("News about the events and the mentoring I signed up for"),
}
DELIVERY_NAMES = {
    Delivery.IN_APP: _l("Only on the site"),
    Delivery.IMMEDIATE: _l("An email at once"),
    Delivery.DAILY: _l("A daily summary email"),
    Delivery.WEEKLY: _l("A weekly summary email"),
}


#: How each zone a federation may choose is called: its common name, then a city on its clock.
ZONE_NAMES = {
    "America/Los_Angeles": _l("Pacific (Los Angeles)"),
    "America/Denver": _l("Mountain (Denver)"),
    "America/Phoenix": _l("Arizona (Phoenix)"),
    "America/Chicago": _l("Central (Chicago)"),
    "America/New_York": _l("Eastern (New York)"),
    "America/Anchorage": _l("Alaska (Anchorage)"),
    "Pacific/Honolulu": _l("Hawaii (Honolulu)"),
    "America/Tijuana": _l("Baja California (Tijuana)"),
    "America/Hermosillo": _l("Sonora (Hermosillo)"),
    "America/Mazatlan": _l("Mexican Pacific (Mazatlán)"),
    "America/Mexico_City": _l("Central Mexico (Mexico City)"),
    "America/Cancun": _l("Quintana Roo (Cancún)"),
    "UTC": _l("Coordinated Universal Time (UTC)"),
}

#: A consultation's voting settings, as the settings page and the audit log name them.
SETTING_NAMES = {
    "agenda_size": _l("Agenda size"),
    "voting_method": _l("Voting method"),
    "club_weighting": _l("How much each club weighs"),
    "weighting_cap": _l("Cap (members)"),
    "club_mode": _l("How a club's votes count"),
    "selection": _l("How the agenda is chosen"),
    "voters_threshold": _l("Majority of voters needed (%)"),
    "clubs_threshold": _l("Majority of clubs needed (%)"),
    "women_slot": _l("Women's priority slot"),
    "participation_parity": _l("Participation parity between women and men"),
    "board_composition": _l("Composition of the board"),
}
#: The names of each setting's values, for the settings that take one of a list.
SETTING_VALUE_NAMES: dict[str, Mapping[Any, Any]] = {
    "voting_method": VOTING_METHOD_NAMES,
    "club_weighting": CLUB_WEIGHTING_NAMES,
    "club_mode": CLUB_MODE_NAMES,
    "selection": AGENDA_SELECTION_NAMES,
    "women_slot": CHECK_MODE_CHOICES,
    "participation_parity": CHECK_MODE_CHOICES,
    "board_composition": CHECK_MODE_CHOICES,
}
#: Settings stored as a share (0.6) that the settings page asks as a percentage (60).
SHARE_SETTINGS = ("voters_threshold", "clubs_threshold")

#: The audit log's actions, by the code each entry stores (an unknown code is shown as it is).
AUDIT_ACTION_NAMES = {
    "agenda.cosign": _l("Minority report co-signed"), "agenda.framing": _l("Agenda introduction saved"),
    "agenda.minority_report": _l("Minority report written"), "agenda.publish": _l("Agenda published"),
    "agenda.report_window": _l("Minority report window set"),
    "assembly.record": _l("Club assembly recorded"), "assembly.cosign": _l("Club assembly co-signed"),
    "assembly.paper_voters": _l("Paper voters marked on the roll"),
    "category.archive": _l("Category archived"), "category.create": _l("Category created"),
    "category.rename": _l("Category renamed"), "category.restore": _l("Category restored"),
    "consultation.create": _l("Consultation created"), "consultation.import_polis": _l("Polis conversation imported"),
    "consultation.phase": _l("Phase changed"), "consultation.step_back": _l("Moved back one phase"),
    "consultation.settings": _l("Settings changed"), "consultation.tally": _l("Votes counted"),
    "consultation.update": _l("Consultation edited"),
    "consolidation.suggest": _l("Suggestions refreshed"), "consolidation.accept": _l("Group accepted as an item"),
    "consolidation.edit": _l("Item edited"), "consolidation.merge": _l("Items merged"),
    "consolidation.split": _l("Demands split out"), "consolidation.move": _l("Demand moved"),
    "consolidation.own": _l("Demand kept as its own item"), "consolidation.out_of_scope": _l("Demand set aside"),
    "consolidation.objection": _l("Objection by an author"), "consolidation.answer": _l("Objection answered"),
    "consolidation.window": _l("Objection window changed"),
    "demand.edit": _l("Demand edited"), "demand.submit": _l("Demand submitted"),
    "demand.withdraw": _l("Demand withdrawn"), "demand.hide": _l("Demand hidden"),
    "demand.keep": _l("Demand kept after a report"), "demand.unhide": _l("Demand shown again"),
    "argument.hide": _l("Argument hidden"), "argument.keep": _l("Argument kept after a report"),
    "argument.unhide": _l("Argument shown again"),
    "federation.appoint": _l("Board appointment"), "federation.time_zone": _l("Time zone changed"),
    "invitation.accept": _l("Invitation accepted"), "invitation.create": _l("Invitation link created"),
    "membership.remove": _l("Membership ended"), "membership.request": _l("Request to join"),
    "membership.role": _l("Role changed"),
    "opinion.recompute": _l("Opinion map recomputed"), "organization.create": _l("Organization created"),
    "organization.update": _l("Organization edited"), "roster.import": _l("Roster imported"),
    "request.refused": _l("Action refused"),
    "programme.create": _l("Programme created"), "programme.edit": _l("Programme edited"),
    "programme.status": _l("Programme status changed"), "programme.progress": _l("Programme progress set"),
    "programme.milestone": _l("Milestone added"), "programme.tick": _l("Milestone ticked"),
    "programme.funding": _l("Funding share recorded"), "programme.received": _l("Funding received"),
    "programme.commitment": _l("Official's commitment recorded"),
    "programme.commitment_status": _l("Commitment's status changed"), "programme.update": _l("Programme update posted"),
}


def name_of(names: Mapping[Any, Any], value: Enum | str | None) -> str:
    """Return the translated name of ``value`` in ``names``; "" for none, and the stored word for an unknown one."""
    if value is None or value == "":
        return ""
    key = value.value if isinstance(value, Enum) else value
    for member, name in names.items():
        if member.value == key:
            return str(name)
    return str(key)


def audit_action_name(action: str) -> str:
    """Return the translated name of an audit log action (its code when it has none)."""
    return str(AUDIT_ACTION_NAMES.get(action, action))


def choices_of(names: Mapping[Enum, Any]) -> list[tuple[str, Any]]:
    """Return a form's choices for these names: each value's stored word and its (lazy) translated name."""
    return [(value.value, name) for value, name in names.items()]


def phase_name(phase: Phase | str | None) -> str:
    return name_of(PHASE_NAMES, phase)


def role_name(role: Role | str | None) -> str:
    return name_of(ROLE_NAMES, role)


def membership_status_name(status: MembershipStatus | str | None) -> str:
    return name_of(MEMBERSHIP_STATUS_NAMES, status)


def programme_status_name(status: Status | str | None) -> str:
    return name_of(PROGRAMME_STATUS_NAMES, status)


def commitment_name(status: CommitmentStatus | str | None) -> str:
    return name_of(COMMITMENT_NAMES, status)


def source_name(source: Source | str | None) -> str:
    return name_of(SOURCE_NAMES, source)


def target_name(target: Target | str | None) -> str:
    return name_of(TARGET_NAMES, target)


def language_name(language: Language | str | None) -> str:
    return name_of(LANGUAGE_NAMES, language)


def check_mode_name(mode: CheckMode | str | None) -> str:
    return name_of(CHECK_MODE_NAMES, mode)


def check_status_name(status: CheckStatus | str | None) -> str:
    return name_of(CHECK_STATUS_NAMES, status)


def event_kind_name(kind: EventKind | str | None) -> str:
    return name_of(EVENT_KIND_NAMES, kind)


def event_mode_name(mode: EventMode | str | None) -> str:
    return name_of(EVENT_MODE_NAMES, mode)


def population_name(population: Population | str | None) -> str:
    return name_of(POPULATION_NAMES, population)


def describe_settings(values: Mapping[str, Any]) -> str:
    """Write saved settings as the settings page names them, in the reader's language ("Voting method: Borda count;
    …"), for the audit log; a setting no longer offered is written as it was stored."""
    parts = []
    for key, value in values.items():
        if value is None or value == "None":
            continue
        if key not in SETTING_NAMES:
            parts.append(f"{key}={value}")
            continue
        if key in SETTING_VALUE_NAMES:
            text = name_of(SETTING_VALUE_NAMES[key], value)
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                text = str(value)
            else:
                text = format_percent(number) if key in SHARE_SETTINGS else format_number(number)
        parts.append(f"{SETTING_NAMES[key]}: {text}")
    return "; ".join(parts)


def zone_name(zone: str) -> str:
    return str(ZONE_NAMES.get(zone, zone))


__all__ = ["in_language", "init_app"]


def init_app(app: Flask) -> None:
    """Give templates this module as ``labels`` (names only: nothing here reads the database)."""
    app.jinja_env.globals["labels"] = sys.modules[__name__]
