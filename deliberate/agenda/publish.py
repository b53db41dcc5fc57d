"""Publish the agenda: a version freezes its inputs and result, and published agendas are read from those versions.

Publishing freezes a version: the canonical JSON (sorted keys, no spaces, UTF-8) of its inputs (the ballots and the
gender table) and result, and the SHA-256 of exactly those bytes. A correction is a new version; a published
version is never written again, and ``diff`` says what a correction changed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson
from sqlalchemy import select

from deliberate import audit, background
from deliberate.agenda.documents import FORMAT, canonical, sha256
from deliberate.agenda.draft import (
    Draft,
    build_draft,
    ensure_agenda,
    equity_config,
    report_window_open,
    require_board,
)
from deliberate.agenda.reports import reports_of
from deliberate.assemblies.services import cosigned_assemblies
from deliberate.ballots.services import inputs_hash
from deliberate.consultations.services import advance_phase
from deliberate.domain import equity as equity_engine
from deliberate.domain import privacy
from deliberate.domain.errors import Conflict, NotFound, ValidationFailed
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import (
    Agenda,
    AgendaVersion,
    Assembly,
    Consultation,
    MinorityReport,
    Organization,
    OrganizationKind,
    User,
    utcnow,
)
from deliberate.opinion.services import frozen_snapshot
from deliberate.text import clean_text


def published_agenda(agenda_id: int) -> Agenda:
    """Return an agenda with at least one published version, or raise NotFound (drafts are not public)."""
    agenda = db.session.get(Agenda, agenda_id)
    if agenda is None or agenda.latest is None:
        raise NotFound("agenda", agenda_id)
    return agenda


def version_of(agenda: Agenda, number: int | None = None) -> AgendaVersion:
    if number is None:
        return agenda.latest
    for version in agenda.versions:
        if version.number == number:
            return version
    raise NotFound("agenda_version", number)


def document_of(version: AgendaVersion) -> dict[str, Any]:
    return orjson.loads(version.document)


def published_agendas(federation: Organization) -> list[Agenda]:
    """Return the federation's published agendas, the most recently changed first."""
    agendas = db.session.scalars(
        select(Agenda).join(Consultation, Consultation.id == Agenda.consultation_id)
        .where(Consultation.federation_id == federation.id)
    ).all()
    published = [agenda for agenda in agendas if agenda.latest is not None]
    return sorted(published, key=lambda agenda: (agenda.latest.created_at, agenda.id), reverse=True)


def federation_by_slug(slug: str) -> Organization:
    federation = db.session.scalar(
        select(Organization).where(Organization.slug == slug, Organization.kind == OrganizationKind.FEDERATION))
    if federation is None:
        raise NotFound("federation", slug)
    return federation


# --- publishing ---------------------------------------------------------------------------------------------------

def _opinion_summary(consultation: Consultation) -> dict[str, Any] | None:
    snapshot = frozen_snapshot(consultation)
    if snapshot is None:
        return None
    groups = [{"id": group.get("id"), "size": group.get("size")} for group in snapshot.groups or []
              if isinstance(group, dict)]
    return {"frozen_at": snapshot.frozen_at.isoformat() if snapshot.frozen_at else None,
            "participants": snapshot.participants_count, "reactions": snapshot.reactions_count, "groups": groups}


def _report_entry(report: MinorityReport) -> dict[str, Any]:
    return {
        "id": report.id,
        "club": report.club.slug if report.club else None,
        "club_name": report.club.name if report.club else None,
        "opinion_group": report.opinion_group,
        "language": report.language,
        "title": report.title,
        "text": report.text,
        "submitted_at": report.submitted_at.replace(microsecond=0).isoformat(),
        "cosigned_by": [{"club": sign.club.slug, "club_name": sign.club.name} for sign in report.cosignatures],
    }


def equity_dict(report: equity_engine.EquityReport) -> dict[str, Any]:
    """Return the equity report as plain data, each check under its name."""
    data: dict[str, Any] = {"agenda": [str(item) for item in report.agenda],
                            "blocks_publishing": report.blocks_publishing}
    for result in report.results:
        data[result.check.value] = result.to_dict()
    return data


def channels_of(inputs: dict[str, Any]) -> dict[str, dict[str, int | None]]:
    """Return, for each counting group with paper ballots, its online and paper ballots (both None when the split
    is not shown: one of them has fewer than five), recomputed from the input document's ballots."""
    voters = Counter(ballot["club"] for ballot in inputs["ballots"])
    paper = Counter(ballot["club"] for ballot in inputs["ballots"] if ballot.get("paper"))
    channels = {}
    for name, club in inputs["clubs"].items():
        if "paper" not in club:
            continue
        shown = club["paper"] is not None
        channels[name] = {"ballots": voters[name], "online": voters[name] - paper[name] if shown else None,
                          "paper": paper[name] if shown else None}
    return channels


def _assembly_entry(assembly: Assembly) -> dict[str, Any]:
    return {"id": assembly.id, "club": assembly.club.slug, "club_name": assembly.club.name,
            "held_on": assembly.held_on.isoformat(), "place": assembly.place,
            "members_present": assembly.members_present, "acta_sha256": assembly.acta_sha256,
            "scan_sha256": assembly.scan_sha256}


def version_document(draft: Draft, agenda: Agenda, number: int, previous: AgendaVersion | None) -> dict[str, Any]:
    """Return the document a version freezes: its inputs and its result, all of them public."""
    consultation = draft.consultation
    config = equity_config(consultation)
    clubs = {club.slug: club.name for club in consultation.federation.clubs()}
    for name in draft.inputs["clubs"]:
        if name not in clubs:  # a counting group that pools small clubs
            clubs[name] = " + ".join(clubs.get(part, part) for part in name.split(privacy.POOL_SEPARATOR))
    slot = draft.womens_slot_item
    entries = []
    for position, item_id in enumerate(draft.agenda, start=1):
        item = draft.items[item_id]
        entries.append({"position": position, "item": item_id, "title_es": item.title_es, "title_en": item.title_en,
                        "summary_es": item.summary_es, "summary_en": item.summary_en,
                        "is_womens_slot": item_id == slot})
    return {
        "format": FORMAT,
        "agenda_id": agenda.id,
        "version": number,
        "previous_sha256": previous.sha256 if previous else None,
        "consultation": {"id": consultation.id, "title_es": consultation.title_es, "title_en": consultation.title_en,
                         "federation": consultation.federation.name,
                         "federation_slug": consultation.federation.slug},
        "inputs": {
            "ballots": draft.inputs,
            "ballots_sha256": inputs_hash(draft.inputs),
            "equity_rules": {"womens_priority_slot": config.womens_priority_slot.value,
                             "participation_parity": config.participation_parity.value,
                             "board_composition": config.board_composition.value,
                             "women_baseline": config.women_baseline, "parity_tolerance": config.parity_tolerance},
            "gender_table": draft.gender_table.to_dict(),
            "opinion_snapshot": _opinion_summary(consultation),
            "assemblies": [_assembly_entry(assembly) for assembly in cosigned_assemblies(consultation)],
        },
        "result": {
            "tally": draft.tally.to_dict(),
            "count_agenda": list(draft.count_order),
            "tie_break": draft.tie_break,
            "agenda": entries,
            "framing": {"es": agenda.framing_es, "en": agenda.framing_en},
            "equity": equity_dict(draft.analysis.equity),
            "minority": draft.analysis.minority.to_dict(),
            "opinion_groups": {"source": draft.groups_source,
                               "analysis": draft.groups.to_dict() if draft.groups else None},
            "clubs": clubs,
            "candidates": {item_id: {"title_es": item.title_es, "title_en": item.title_en}
                           for item_id, item in sorted(draft.items.items()) if item_id in draft.inputs["candidates"]},
            "reports": [_report_entry(report) for report in reports_of(consultation)],
            "channels": channels_of(draft.inputs),
        },
    }


def publish(consultation: Consultation, actor: User, *, expected_versions: int, correction_note: str = "",
            ) -> AgendaVersion:
    """Freeze a new version of the agenda; the first one also moves the consultation to published.

    ``expected_versions`` is the number of versions the board member saw (a stale form raises Conflict("stale")).
    Raises Conflict("blocked") when an enforced equity check fails, Conflict("window_open") while minority reports
    may still be written, and Conflict("empty") when no ballot chose any item.
    """
    require_board(consultation, actor)
    draft = build_draft(consultation)
    agenda = ensure_agenda(consultation)
    if len(agenda.versions) != expected_versions:
        raise Conflict("stale")
    if draft.blocks_publishing:
        raise Conflict("blocked")
    if report_window_open(agenda):
        raise Conflict("window_open")
    if not draft.agenda:
        raise Conflict("empty")
    correction_note = clean_text(correction_note)
    if agenda.versions and not correction_note:
        raise ValidationFailed("correction_note", "required")
    previous = agenda.latest
    number = len(agenda.versions) + 1
    document = version_document(draft, agenda, number, previous)
    data = canonical(document)
    version = AgendaVersion(agenda=agenda, number=number, previous=previous, framing_es=agenda.framing_es,
                            framing_en=agenda.framing_en, correction_note=correction_note,
                            document=data.decode("utf-8"), sha256=sha256(data), created_by_id=actor.id,
                            created_at=utcnow())
    db.session.add(version)
    db.session.flush()
    # its files (ballots, CSV, gender table) are written by a job: see deliberate.agenda.exports
    background.queue("agenda.exports", version.id, key=f"agenda-exports:{version.id}",
                     organization_id=consultation.federation_id, requested_by=actor)
    audit.record(consultation.federation, actor, "agenda.publish", consultation.title("es"),
                 facts={"version": number, "sha256": version.sha256})
    try:
        if consultation.phase is Phase.TALLIED:
            advance_phase(consultation, actor, Phase.TALLIED, Phase.PUBLISHED)  # commits the version with the move
        else:
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return version


# --- differences between versions ---------------------------------------------------------------------------------

def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Say what changed from one version's document to the next: items added, removed, moved; texts changed."""
    if old is None:
        return {"added": [], "removed": [], "moved": [], "texts": [], "reports_added": [], "reports_removed": []}
    before = {entry["item"]: entry for entry in old["result"]["agenda"]}
    after = {entry["item"]: entry for entry in new["result"]["agenda"]}
    texts = []
    for key in ("es", "en"):
        if old["result"]["framing"].get(key) != new["result"]["framing"].get(key):
            texts.append({"what": f"framing_{key}", "item": None})
    for item, entry in after.items():
        if item in before:
            for key in ("title_es", "title_en", "summary_es", "summary_en"):
                if before[item].get(key) != entry.get(key):
                    texts.append({"what": key, "item": item})
    old_reports = {report["id"] for report in old["result"]["reports"]}
    new_reports = {report["id"] for report in new["result"]["reports"]}
    return {
        "added": [after[item] for item in after if item not in before],
        "removed": [before[item] for item in before if item not in after],
        "moved": [{"item": item, "title_es": after[item]["title_es"], "title_en": after[item]["title_en"],
                   "from": before[item]["position"], "to": after[item]["position"]}
                  for item in after if item in before and before[item]["position"] != after[item]["position"]],
        "texts": texts,
        "reports_added": sorted(new_reports - old_reports),
        "reports_removed": sorted(old_reports - new_reports),
    }
