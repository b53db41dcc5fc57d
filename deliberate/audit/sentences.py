"""Tell an audit entry in the reader's language: one sentence per action, each reading only its own facts.

:func:`describe` turns an entry's facts into its detail line and :func:`describe_subject` its subject (the
references some services wrote, ``demand:12``, in the reader's words). Entries written before facts existed kept an
English sentence (or a bare value) in ``detail``: they are shown as they were, marked as English where they are
English, and the bare values some actions wrote are read back as facts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from deliberate import labels
from deliberate.i18n import format_date, format_money, format_percent
from deliberate.models import AuditEntry

#: Actions whose detail, before facts, was an English sentence that cannot be read back (shown marked as English).
_ENGLISH_BEFORE = ("consolidation.",)


def facts_of(entry: AuditEntry) -> dict[str, Any] | None:
    """Return an entry's facts (read back from an older entry's bare value where possible), or None."""
    if entry.action not in _SENTENCES or not entry.detail:
        return None
    if entry.detail.startswith("{"):
        try:
            facts = json.loads(entry.detail)
        except ValueError:
            facts = None
        if isinstance(facts, dict):
            return facts
    legacy = _LEGACY.get(entry.action)
    return legacy(entry.detail) if legacy else None


@dataclass(frozen=True)
class Detail:
    """The detail line of an entry as a page shows it: ``lang`` is set when it is not in the reader's language."""

    text: str
    lang: str | None = None


def describe(entry: AuditEntry) -> Detail:
    """Return the entry's detail in the reader's language (older entries: their stored text, with its language)."""
    facts = facts_of(entry)
    if facts is not None:
        try:
            return Detail(_SENTENCES[entry.action](facts))
        except (KeyError, TypeError, ValueError):  # facts of an unexpected shape: show them rather than fail
            return Detail(entry.detail, "zxx")
    text = entry.detail
    if entry.action.startswith("consolidation.") and text.startswith("consultation "):
        text = text.split(": ", 1)[-1]
    return Detail(text, "en" if entry.action.startswith(_ENGLISH_BEFORE) and text else None)


_SUBJECT = re.compile(r"^(demand|argument|consultation|programme)[: ](\d+)$")


def describe_subject(entry: AuditEntry) -> str:
    """Return the entry's subject, with the references some services wrote (``demand:12``) in the reader's words."""
    found = _SUBJECT.match(entry.subject)
    if found is None:
        return entry.subject
    kind, number = found.group(1), int(found.group(2))
    if kind == "demand":
        return _("Demand #%(id)d", id=number)
    if kind == "argument":
        return _("Argument #%(id)d", id=number)
    if kind == "programme":
        return _("Programme #%(id)d", id=number)
    return _("Consultation #%(id)d", id=number)


# --- the sentences, one per action (each reads only its own facts) --------------------------------------------------

def _ids(ids: list[int]) -> str:
    return ", ".join(f"#{int(i)}" for i in ids)


def _role(role: str | None) -> str:
    return labels.role_name(role)


def _phase(value: str) -> str:
    return labels.phase_name(value)


def _merge(f: dict[str, Any]) -> str:
    if not f["demands"]:
        return _("Item #%(source)d merged into item #%(target)d, which had no demands to move.",
                 source=f["source"], target=f["target"])
    return ngettext("Item #%(source)d merged into item #%(target)d, moving demand %(demands)s.",
                    "Item #%(source)d merged into item #%(target)d, moving demands %(demands)s.", len(f["demands"]),
                    source=f["source"], target=f["target"], demands=_ids(f["demands"]))


def _move(f: dict[str, Any]) -> str:
    if f.get("from_item") is None:
        return _("Demand #%(demand)d moved to item #%(target)d (it had no item).", demand=f["demand"],
                 target=f["to_item"])
    return _("Demand #%(demand)d moved from item #%(source)d to item #%(target)d.", demand=f["demand"],
             source=f["from_item"], target=f["to_item"])


def _hide(f: dict[str, Any]) -> str:
    content = f.get("content") or {}
    hidden = " — ".join(part for part in (content.get("title"), content.get("body")) if part)
    reason = _("Reason: %(reason)s", reason=f["reason"])
    if not hidden:
        return reason
    text = _("Hidden text: %(text)s", text=hidden)
    return f"{reason} · {text}"


def _polis(f: dict[str, Any]) -> str:
    return _("%(demands)d statements, %(reactions)d votes and %(participants)d participants read; new: "
             "%(new_demands)d statements, %(new_reactions)d votes, %(new_participants)d participants; "
             "%(updated_reactions)d votes changed.", **{key: int(f[key]) for key in (
                 "demands", "reactions", "participants", "new_demands", "new_reactions", "new_participants",
                 "updated_reactions")})


def _settings(f: dict[str, Any]) -> str:
    return _("Settings saved: %(values)s", values=labels.describe_settings(f["settings"]))


def _time_zone(f: dict[str, Any]) -> str:
    source, target = (labels.zone_name(name) for name in (f["from"], f["to"]))
    return _("From %(source)s to %(target)s.", source=source, target=target)


def _report_window(f: dict[str, Any]) -> str:
    return _("Minority reports accepted until %(date)s.", date=format_datetime(datetime.fromisoformat(f["until"])))


_REFUSALS = {
    "ValidationFailed": _l("a value was not accepted"), "Conflict": _l("not possible in the current state"),
    "PhaseClosed": _l("closed in this phase"), "PermissionDenied": _l("not allowed"), "NotFound": _l("not found"),
    "NotReady": _l("not ready"), "InvalidTransition": _l("not a possible phase move"),
}


def _amount(cents: int, currency: str) -> str:
    return format_money(int(cents), currency)


def _programme_status(f: dict[str, Any]) -> str:
    source = labels.programme_status_name(f["from"])
    target = labels.programme_status_name(f["to"])
    if f.get("reason"):
        return _("From “%(source)s” to “%(target)s”. Reason: %(reason)s", source=source, target=target,
                 reason=f["reason"])
    return _("From “%(source)s” to “%(target)s”.", source=source, target=target)


def _refused(facts: dict[str, Any]) -> str:
    words = str(_REFUSALS.get(facts["kind"], facts["kind"]))
    if facts.get("field"):
        return _("Refused: %(why)s (%(code)s, field %(field)s).", why=words, code=facts["code"], field=facts["field"])
    return _("Refused: %(why)s (%(code)s).", why=words, code=facts["code"] or "-")


_SENTENCES: dict[str, Any] = {
    "request.refused": _refused,
    "consolidation.suggest": lambda f: ngettext(
        "%(num)d suggested group from %(demands)d demands not placed yet.",
        "%(num)d suggested groups from %(demands)d demands not placed yet.", f["groups"], demands=f["demands"]),
    "consolidation.accept": lambda f: ngettext(
        "Item #%(item)d created, linking demand %(demands)s.", "Item #%(item)d created, linking demands %(demands)s.",
        len(f["demands"]), item=f["item"], demands=_ids(f["demands"])),
    "consolidation.edit": lambda f: _("Item #%(item)d edited.", item=f["item"]),
    "consolidation.merge": _merge,
    "consolidation.split": lambda f: ngettext(
        "Demand %(demands)s split out of item #%(source)d into the new item #%(item)d.",
        "Demands %(demands)s split out of item #%(source)d into the new item #%(item)d.", len(f["demands"]),
        demands=_ids(f["demands"]), source=f["source"], item=f["item"]),
    "consolidation.move": _move,
    "consolidation.own": lambda f: _("Demand #%(demand)d kept as its own item #%(item)d.", demand=f["demand"],
                                     item=f["item"]),
    "consolidation.out_of_scope": lambda f: _("Demand #%(demand)d set aside: %(reason)s", demand=f["demand"],
                                              reason=f["reason"]),
    "consolidation.window": lambda f: ngettext("Objection window set to %(num)d day.",
                                               "Objection window set to %(num)d days.", f["days"]),
    "consolidation.objection": lambda f: _("Objection by the author of demand #%(demand)d.", demand=f["demand"]),
    "consolidation.answer": lambda f: _("Objection #%(objection)d to demand #%(demand)d answered.",
                                        objection=f["objection"], demand=f["demand"]),
    "consultation.tally": lambda f: ngettext("%(num)d ballot counted; SHA-256 of the inputs: %(sha)s",
                                             "%(num)d ballots counted; SHA-256 of the inputs: %(sha)s",
                                             f["ballots"], sha=f["sha256"]) + (". " + ngettext(
        "%(num)d ballot was not counted: its club has left the federation.",
        "%(num)d ballots were not counted: their clubs have left the federation.",
        f["uncounted"]) if f.get("uncounted") else ""),
    "consultation.phase": lambda f: _("From “%(source)s” to “%(target)s”.", source=_phase(f["from"]),
                                      target=_phase(f["to"])),
    "consultation.step_back": lambda f: _("From “%(source)s” back to “%(target)s”. Reason: %(reason)s",
                                          source=_phase(f["from"]), target=_phase(f["to"]), reason=f["reason"]),
    "roster.import": lambda f: ngettext("%(num)d line; clubs created: %(clubs)d; invitations: %(invited)d.",
                                        "%(num)d lines; clubs created: %(clubs)d; invitations: %(invited)d.",
                                        f["rows"], clubs=f["clubs"], invited=f["invited"]),
    "consultation.settings": _settings,
    "federation.time_zone": _time_zone,
    "consultation.import_polis": _polis,
    "agenda.report_window": _report_window,
    "agenda.cosign": lambda f: _("Co-signed for %(club)s.", club=f["club"]),
    "agenda.publish": lambda f: _("Version %(version)d; SHA-256: %(sha)s", version=f["version"], sha=f["sha256"]),
    "assembly.record": lambda f: ngettext(
        "Assembly of %(date)s, %(num)d member present; SHA-256 of the minutes: %(sha)s",
        "Assembly of %(date)s, %(num)d members present; SHA-256 of the minutes: %(sha)s", f["members_present"],
        date=f["held_on"], sha=f["sha256"]),
    "assembly.cosign": lambda f: _("SHA-256 of the minutes: %(sha)s", sha=f["sha256"]),
    "assembly.paper_voters": lambda f: ngettext("%(num)d member marked as voting on paper.",
                                                "%(num)d members marked as voting on paper.", f["marked"]),
    "programme.create": lambda f: _("For item #%(item)d.", item=f["item"]),
    "programme.edit": lambda f: "",  # the subject says which programme; the page shows what it says now
    "programme.status": _programme_status,
    "programme.progress": lambda f: _("Progress: %(percent)s", percent=format_percent(int(f["percent"]) / 100)),
    "programme.milestone": lambda f: _("Milestone #%(milestone)d, weight %(weight)d.", milestone=f["milestone"],
                                       weight=f["weight"]),
    "programme.tick": lambda f: (_("Milestone #%(milestone)d done.", milestone=f["milestone"]) if f["done"]
                                 else _("Milestone #%(milestone)d not done after all.", milestone=f["milestone"])),
    "programme.funding": lambda f: _("From %(source)s: %(committed)s committed, %(received)s received.",
                                     source=labels.source_name(f["source"]),
                                     committed=_amount(f["committed_cents"], f["currency"]),
                                     received=_amount(f["received_cents"], f["currency"])),
    "programme.received": lambda f: _("Share #%(funding)d: %(received)s received of %(committed)s committed.",
                                      funding=f["funding"], received=_amount(f["received_cents"], f["currency"]),
                                      committed=_amount(f["committed_cents"], f["currency"])),
    "programme.commitment": lambda f: _("Promise by %(official)s.", official=f["official"]),
    "programme.commitment_status": lambda f: _("Promise by %(official)s: %(status)s.", official=f["official"],
                                               status=labels.commitment_name(f["status"])),
    "programme.update": lambda f: _("Update of %(date)s.", date=format_date(f["happened_on"])),
    "category.create": lambda f: _("Name in links: %(slug)s", slug=f["slug"]),
    "category.rename": lambda f: _("Before: %(name_es)s / %(name_en)s", name_es=f["name_es"], name_en=f["name_en"]),
    "demand.edit": lambda f: _("Version %(version)d", version=f["version"]),
    "opinion.recompute": lambda f: ngettext("From %(num)d reaction.", "From %(num)d reactions.", f["reactions"]),
    "organization.create": lambda f: {"club": _("A club"), "federation": _("A federation"),
                                      "confederation": _("A confederation")}.get(f["kind"], f["kind"]),
    "invitation.create": lambda f: ngettext("Role: %(role)s; usable once.", "Role: %(role)s; usable %(num)d times.",
                                            f["max_uses"], role=_role(f["role"])),
    "invitation.accept": lambda f: _("Role: %(role)s", role=_role(f["role"])),
    "membership.role": lambda f: _("New role: %(role)s", role=_role(f["role"])),
    "federation.appoint": lambda f: (_("New role: %(role)s", role=_role(f["role"])) if f["role"]
                                     else _("No longer on the board.")),
    "membership.remove": lambda f: _("Reason: %(reason)s", reason=f["reason"]),
    "demand.hide": _hide,
    "argument.hide": _hide,
    "demand.keep": lambda f: ngettext("%(num)d report closed.", "%(num)d reports closed.", f["reports"]),
    "argument.keep": lambda f: ngettext("%(num)d report closed.", "%(num)d reports closed.", f["reports"]),
    "demand.unhide": lambda f: _("It had been hidden for this reason: %(reason)s", reason=f["previous_reason"] or "-"),
    "argument.unhide": lambda f: _("It had been hidden for this reason: %(reason)s",
                                   reason=f["previous_reason"] or "-"),
}


# --- older entries: their bare values read back as facts -----------------------------------------------------------

def _match(pattern: str, *names: str, numbers: tuple[str, ...] = ()):
    def read(detail: str) -> dict[str, Any] | None:
        found = re.fullmatch(pattern, detail)
        if found is None:
            return None
        values = zip(names, found.groups(), strict=True)
        return {name: int(value) if name in numbers else value for name, value in values}
    return read


def _old_settings(detail: str) -> dict[str, Any] | None:
    pairs = [pair.split("=", 1) for pair in detail.split(", ")]
    return {"settings": dict(pairs)} if all(len(pair) == 2 for pair in pairs) else None


def _old_rename(detail: str) -> dict[str, Any] | None:
    name_es, _sep, name_en = detail.partition(" / ")
    return {"name_es": name_es, "name_en": name_en}


_LEGACY: dict[str, Any] = {
    "consultation.phase": _match(r"(\w+) -> (\w+)", "from", "to"),
    "federation.time_zone": _match(r"(\S+) -> (\S+)", "from", "to"),
    "consultation.tally": _match(r"(\d+) ballots, sha256 (\w+)", "ballots", "sha256", numbers=("ballots",)),
    "consultation.settings": _old_settings,
    "agenda.publish": _match(r"version (\d+), sha256 (\w+)", "version", "sha256", numbers=("version",)),
    "agenda.report_window": _match(r"(\d{4}-\d\d-\d\dT[\d:.]+)", "until"),
    "agenda.cosign": lambda detail: {"club": detail},
    "category.create": lambda detail: {"slug": detail},
    "category.rename": _old_rename,
    "demand.edit": _match(r"version (\d+)", "version", numbers=("version",)),
    "opinion.recompute": _match(r"(\d+)", "reactions", numbers=("reactions",)),
    "organization.create": _match(r"(club|federation|confederation)", "kind"),
    "invitation.create": _match(r"(\w+) x(\d+)", "role", "max_uses", numbers=("max_uses",)),
    "invitation.accept": _match(r"(member|officer|board|admin)", "role"),
    "membership.role": _match(r"(member|officer|board|admin)", "role"),
    "federation.appoint": lambda detail: {"role": None if detail == "none" else detail},
    "membership.remove": lambda detail: {"reason": detail},
}
