"""The agenda: draft it from the official count, check equity, collect minority reports, publish and verify.

The draft is the count's: the top N items of the official ranking (or the proportional selection), in the count's
order, with the count's documented tie-break. The board adds framing texts only. The minority section comes from
``deliberate.domain.minority`` on the anonymised ballots (the same document ``deliberate tally`` reads), on a gender
table of federation totals (made when the sealed ballots were mixed: no ballot keeps a gender, groups under five
are hidden) and, for opinion groups, on the members' reactions to each item's linked demands: ballots carry no
link to a person, so a voter's opinion group cannot be known without breaking ballot secrecy.

Publishing freezes a version: the canonical JSON (sorted keys, no spaces, UTF-8) of its inputs (the ballots and the
gender table) and result, and the SHA-256 of exactly those bytes. A correction is a new version; a published
version is never written again. Versions of format ``deliberate-agenda/1`` carried a gender on some ballots instead
of the table; they are still read and verified.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select

from deliberate import audit, permissions
from deliberate.ballots.services import ballot_box, count, inputs_hash, official_tally, official_tally_input
from deliberate.consultations.services import advance_phase
from deliberate.domain import minority as engine
from deliberate.domain import privacy
from deliberate.domain.count import Count, recount_command
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, PhaseClosed, ValidationFailed
from deliberate.domain.gender import GenderGroup, gender_group
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import (
    Agenda,
    AgendaItem,
    AgendaVersion,
    Consultation,
    Membership,
    MembershipStatus,
    MinorityReport,
    MinorityReportCosign,
    Organization,
    OrganizationKind,
    Reaction,
    Role,
    User,
    utcnow,
)
from deliberate.models.agenda import DemandPlacement
from deliberate.opinion.services import frozen_snapshot
from deliberate.permissions import club_membership
from deliberate.text import clean_text

FORMAT = "deliberate-agenda/2"
MAX_REPORT = 3000
MAX_TITLE = 160
MAX_FRAMING = 5000
REPORT_LANGUAGES = ("es", "en")
DRAFT_PHASES = (Phase.TALLIED, Phase.PUBLISHED)


# --- canonical JSON -----------------------------------------------------------------------------------------------

def canonical(document: Any) -> bytes:
    """Return the canonical JSON bytes of a document: sorted keys, no spaces, UTF-8."""
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def sorted_copy(value: Any) -> Any:
    """Return a copy whose dicts list their keys in sorted order, so that plain dumping gives the canonical bytes."""
    if isinstance(value, dict):
        return {key: sorted_copy(value[key]) for key in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [sorted_copy(item) for item in value]
    return value


def recount(ballots: dict[str, Any]) -> Count:
    """Count an input document from its canonical bytes, exactly as ``deliberate tally`` counts the downloaded file.

    The count's lottery tie-break is seeded by the SHA-256 of the file it reads; counting the canonical form makes
    the published result reproducible by anyone from the published ballots.
    """
    return count(sorted_copy(ballots))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- reading ------------------------------------------------------------------------------------------------------

def agenda_of(consultation: Consultation) -> Agenda | None:
    return db.session.scalar(select(Agenda).where(Agenda.consultation_id == consultation.id))


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


# --- the count's order --------------------------------------------------------------------------------------------

def count_agenda(result: Count) -> tuple[list[str], dict[str, Any]]:
    """Return the agenda the count chose (item ids as text, best first) and how any tie was broken.

    With the ranking rule, the count's selection already gives the top N in order, its tie-break documented
    (a lottery order seeded by the inputs' digest, applied only inside a tier cut by the last seat). With a
    proportional rule the chosen items are listed in the ranking's order.
    """
    selection = result.selection
    if selection is None:
        return [], {"used": False}
    if selection.is_ranking:
        return list(selection.items), selection.tie_break.to_dict() if selection.tie_break else {"used": False}
    chosen = set(selection.items)
    order = [item for item in result.order if item in chosen]
    ties = list(selection.tie_breaks)
    return order, {"used": bool(ties), "descriptions": ties, "rule": selection.rule}


def _items_order(result: Count, inputs: dict[str, Any]) -> list[str]:
    """Return every candidate in the count's order, unranked ones last: the order the analysis sorts by."""
    ranked = result.order
    return ranked + [c for c in inputs["candidates"] if c not in ranked]


# --- building the analysis ----------------------------------------------------------------------------------------

def equity_config(consultation: Consultation) -> engine.EquityConfig:
    baseline = consultation.federation.parity_baseline
    return engine.EquityConfig(
        womens_priority_slot=consultation.women_slot,
        participation_parity=consultation.participation_parity,
        board_composition=consultation.board_composition,
        women_baseline=engine.DEFAULT_WOMEN_BASELINE if baseline is None else baseline,
    )


def board_genders(federation: Organization) -> list[GenderGroup | None]:
    """Return the gender group of each active board member of the federation (None when not said)."""
    rows = db.session.scalars(
        select(User.gender).join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == federation.id, Membership.status == MembershipStatus.ACTIVE,
               Membership.role == Role.BOARD, User.is_deleted.is_(False)))
    return [gender_group(gender) for gender in rows]


def voters_from_ballots(document: dict[str, Any]) -> list[engine.Voter]:
    """Turn the anonymised ballots into Voter records, each of its counting group (club, or pooled small clubs).

    Ballots carry no gender: the analysis reads genders from the table the mix froze. A ``gender`` key on
    ballots of the older format is ignored.
    """
    return [engine.Voter(club=ballot["club"], ranking=ballot["ranking"], approved=ballot["approved"])
            for ballot in document["ballots"]]


def _user_clubs(federation: Organization) -> dict[int, str]:
    rows = db.session.execute(
        select(Membership.user_id, Organization.slug).join(Organization, Organization.id == Membership.organization_id)
        .where(Organization.parent_id == federation.id, Membership.status == MembershipStatus.ACTIVE)
        .order_by(Membership.id))
    clubs: dict[int, str] = {}
    for user_id, slug in rows:
        clubs.setdefault(user_id, slug)
    return clubs


def _linked_demands(consultation: Consultation) -> dict[int, list[int]]:
    """Return each agenda item's linked demand ids (empty when consolidation has not placed any)."""
    rows = db.session.execute(
        select(DemandPlacement.agenda_item_id, DemandPlacement.demand_id)
        .where(DemandPlacement.consultation_id == consultation.id, DemandPlacement.agenda_item_id.is_not(None)))
    linked: dict[int, list[int]] = defaultdict(list)
    for item_id, demand_id in rows:
        linked[item_id].append(demand_id)
    return linked


def group_voters(consultation: Consultation, items: Sequence[str]) -> list[engine.Voter] | None:
    """Build one record per opinion-group member from their reactions to each item's linked demands.

    A member supports an item when they agreed with more of its linked demands than they disagreed with; their
    "ranking" orders the items by that net agreement. Returns None without a frozen opinion snapshot.
    """
    snapshot = frozen_snapshot(consultation)
    if snapshot is None:
        return None
    groups = {int(user): entry.get("group") for user, entry in (snapshot.result or {}).items()
              if entry.get("group") is not None}
    linked = _linked_demands(consultation)
    item_of = {demand: str(item) for item, demands in linked.items() for demand in demands if str(item) in items}
    if not groups or not item_of:
        return []
    net: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = db.session.execute(
        select(Reaction.user_id, Reaction.demand_id, Reaction.value)
        .where(Reaction.demand_id.in_(list(item_of)), Reaction.user_id.in_(list(groups))))
    for user_id, demand_id, value in rows:
        net[user_id][item_of[demand_id]] += value
    clubs = _user_clubs(consultation.federation)
    voters = []
    for user_id in sorted(net):
        scores = {item: score for item, score in net[user_id].items() if score > 0}
        levels = sorted(set(scores.values()), reverse=True)
        ranking = [sorted(item for item, score in scores.items() if score == level) for level in levels]
        voters.append(engine.Voter(club=clubs.get(user_id, "-"), group=groups[user_id], ranking=ranking,
                                   approved=sorted(scores)))
    return voters


@dataclass(frozen=True)
class Draft:
    """Everything the draft page and the published version show."""

    consultation: Consultation
    tally: Count
    inputs: dict[str, Any]
    count_order: tuple[str, ...]
    tie_break: dict[str, Any]
    agenda: tuple[str, ...]
    analysis: engine.Analysis
    gender_table: engine.GenderTable
    groups: engine.MinorityAnalysis | None
    groups_source: str  # "reactions" or "unavailable"
    items: dict[str, AgendaItem]
    matches_official: bool  # the recount from the published ballots chose the same items as the stored count

    @property
    def blocks_publishing(self) -> bool:
        return self.analysis.equity.blocks_publishing

    @property
    def womens_slot_item(self) -> str | None:
        slot = self.analysis.equity.womens_priority_slot
        return str(slot.item) if slot.status is engine.CheckStatus.ADJUSTED else None


def build_draft(consultation: Consultation) -> Draft:
    """Draft the agenda from the official count and run the equity checks and the minority analysis."""
    if consultation.phase not in DRAFT_PHASES:
        raise PhaseClosed(consultation.phase)
    tally = official_tally(consultation)
    if tally is None:
        raise NotFound("tally", consultation.id)
    box = ballot_box(consultation)
    inputs = official_tally_input(consultation)
    if privacy.is_small(len(inputs["ballots"])):
        raise Conflict("too_few_voters")
    result = recount(inputs)
    order, tie_break = count_agenda(result)
    items_order = _items_order(result, inputs)
    electorate = engine.Electorate.build(items_order, voters_from_ballots(inputs))
    table = engine.GenderTable.from_dict(box.gender_table)
    analysis = engine.analyse(items_order, order, electorate, genders=table, turnout=box.turnout,
                              board_genders=board_genders(consultation.federation), config=equity_config(consultation))
    reaction_voters = group_voters(consultation, items_order)
    groups = None
    if reaction_voters:
        groups = engine.analyse_minority(items_order, analysis.equity.agenda, reaction_voters)
    items = {str(item.id): item for item in db.session.scalars(
        select(AgendaItem).where(AgendaItem.consultation_id == consultation.id))}
    return Draft(consultation=consultation, tally=result, inputs=inputs, count_order=tuple(order),
                 tie_break=tie_break, agenda=tuple(str(i) for i in analysis.equity.agenda), analysis=analysis,
                 gender_table=table, groups=groups,
                 groups_source="reactions" if reaction_voters else "unavailable", items=items,
                 matches_official=count_agenda(Count.from_dict(tally.result))[0] == order)


# --- drafting: framing and the report window ----------------------------------------------------------------------

def _require_board(consultation: Consultation, actor: User) -> None:
    if not permissions.is_board(actor, consultation):
        raise PermissionDenied("not_board")


def ensure_agenda(consultation: Consultation) -> Agenda:
    agenda = agenda_of(consultation)
    if agenda is None:
        agenda = Agenda(consultation_id=consultation.id, framing_es="", framing_en="")
        db.session.add(agenda)
        db.session.flush()
    return agenda


def save_framing(consultation: Consultation, actor: User, framing_es: str, framing_en: str) -> Agenda:
    """Save the board's framing texts (Spanish and English); items and their order are the count's."""
    _require_board(consultation, actor)
    if consultation.phase not in DRAFT_PHASES:
        raise PhaseClosed(consultation.phase)
    framing_es, framing_en = clean_text(framing_es), clean_text(framing_en)
    for name, value in (("framing_es", framing_es), ("framing_en", framing_en)):
        if len(value) > MAX_FRAMING:
            raise ValidationFailed(name, "too_long")
    agenda = ensure_agenda(consultation)
    agenda.framing_es, agenda.framing_en = framing_es, framing_en
    audit.record(consultation.federation, actor, "agenda.framing", consultation.title("es"))
    db.session.commit()
    return agenda


def open_report_window(consultation: Consultation, actor: User, until: datetime) -> Agenda:
    """Set until when minority reports may be written; a window can be extended, never shortened."""
    _require_board(consultation, actor)
    if consultation.phase not in DRAFT_PHASES:
        raise PhaseClosed(consultation.phase)
    if until <= utcnow():
        raise ValidationFailed("minority_report_until", "in_the_past")
    agenda = ensure_agenda(consultation)
    if agenda.minority_report_until is not None and until < agenda.minority_report_until:
        raise ValidationFailed("minority_report_until", "shorter")
    agenda.minority_report_until = until
    audit.record(consultation.federation, actor, "agenda.report_window", consultation.title("es"),
                 facts={"until": until.isoformat()})
    db.session.commit()
    return agenda


def report_window_open(agenda: Agenda | None) -> bool:
    return agenda is not None and agenda.minority_report_until is not None and utcnow() < agenda.minority_report_until


# --- minority reports ---------------------------------------------------------------------------------------------

def reports_of(consultation: Consultation) -> list[MinorityReport]:
    return list(db.session.scalars(
        select(MinorityReport).where(MinorityReport.consultation_id == consultation.id)
        .order_by(MinorityReport.submitted_at, MinorityReport.id)))


def officer_club(user: User | None, consultation: Consultation) -> Organization | None:
    """Return the club in which the person is an officer (their own membership), or None."""
    if user is None or not user.is_authenticated:
        return None
    membership = club_membership(user, consultation.federation)
    if membership is None or membership.role.rank < Role.OFFICER.rank:
        return None
    return membership.organization


def own_group(user: User | None, consultation: Consultation) -> int | None:
    """Return the person's own opinion group in the frozen snapshot (only ever used for themself)."""
    if user is None or not user.is_authenticated or club_membership(user, consultation.federation) is None:
        return None
    snapshot = frozen_snapshot(consultation)
    if snapshot is None:
        return None
    entry = (snapshot.result or {}).get(str(user.id)) or {}
    return entry.get("group")


def minority_clubs(draft: Draft) -> set[str]:
    """Return the slugs of clubs entitled to a report: dissenting on an agenda item, or left out of their first."""
    clubs = {club for item in draft.analysis.minority.items for club in item.dissenting_clubs}
    clubs |= {club for priority in draft.analysis.minority.priorities for club in priority.first_for_clubs}
    # a counting group that pools small clubs speaks for each of them
    return {part for club in clubs for part in str(club).split(privacy.POOL_SEPARATOR)}


def _check_open(consultation: Consultation) -> Agenda:
    agenda = agenda_of(consultation)
    if consultation.phase not in DRAFT_PHASES or not report_window_open(agenda):
        raise Conflict("window_closed")
    return agenda


def submit_report(consultation: Consultation, author: User, *, as_club: bool, language: str, title: str,
                  text: str) -> MinorityReport:
    """Record a minority report by an officer of a dissenting club, or by a member of an opinion group."""
    _check_open(consultation)
    title, text = clean_text(title), clean_text(text)
    if language not in REPORT_LANGUAGES:
        raise ValidationFailed("language", "invalid")
    if not title:
        raise ValidationFailed("title", "required")
    if len(title) > MAX_TITLE:
        raise ValidationFailed("title", "too_long")
    if not text:
        raise ValidationFailed("text", "required")
    if len(text) > MAX_REPORT:
        raise ValidationFailed("text", "too_long")
    club, group = None, None
    if as_club:
        club = officer_club(author, consultation)
        if club is None:
            raise PermissionDenied("not_officer")
        if club.slug not in minority_clubs(build_draft(consultation)):
            raise PermissionDenied("not_dissenting")
        duplicate = MinorityReport.club_id == club.id
    else:
        group = own_group(author, consultation)
        if group is None:
            raise PermissionDenied("no_group")
        duplicate = (MinorityReport.opinion_group == group) & (MinorityReport.author_id == author.id)
    if db.session.scalar(select(MinorityReport.id).where(MinorityReport.consultation_id == consultation.id,
                                                         duplicate)) is not None:
        raise Conflict("duplicate")
    report = MinorityReport(consultation_id=consultation.id, club_id=club.id if club else None, opinion_group=group,
                            author_id=author.id, language=language, title=title, text=text, submitted_at=utcnow())
    db.session.add(report)
    audit.record(consultation.federation, author, "agenda.minority_report", title)
    db.session.commit()
    return report


def cosign_report(report: MinorityReport, signer: User) -> MinorityReportCosign:
    """Co-sign a report on behalf of the signer's club (officers of another club; once per club)."""
    consultation = report.consultation
    _check_open(consultation)
    club = officer_club(signer, consultation)
    if club is None:
        raise PermissionDenied("not_officer")
    if club.id == report.club_id:
        raise Conflict("own_report")
    if any(sign.club_id == club.id for sign in report.cosignatures):
        raise Conflict("duplicate")
    cosign = MinorityReportCosign(report_id=report.id, club_id=club.id, signed_by_id=signer.id, created_at=utcnow())
    db.session.add(cosign)
    audit.record(consultation.federation, signer, "agenda.cosign", report.title, facts={"club": club.name})
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise Conflict("duplicate") from None
    return cosign


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


def equity_dict(report: engine.EquityReport) -> dict[str, Any]:
    """Return the equity report as plain data, each check under its name."""
    data: dict[str, Any] = {"agenda": [str(item) for item in report.agenda],
                            "blocks_publishing": report.blocks_publishing}
    for result in report.results:
        data[result.check.value] = result.to_dict()
    return data


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
        },
    }


def publish(consultation: Consultation, actor: User, *, expected_versions: int, correction_note: str = "",
            ) -> AgendaVersion:
    """Freeze a new version of the agenda; the first one also moves the consultation to published.

    ``expected_versions`` is the number of versions the board member saw (a stale form raises Conflict("stale")).
    Raises Conflict("blocked") when an enforced equity check fails, Conflict("window_open") while minority reports
    may still be written, and Conflict("empty") when no ballot chose any item.
    """
    _require_board(consultation, actor)
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


# --- verification -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verification:
    ok: bool
    problems: tuple[str, ...]
    sha256: str
    version: int


def expected_agenda(document: dict[str, Any], tally: Count) -> list[str]:
    """Recompute the published agenda's order from a recount and the stored women's-slot decision."""
    order, _ = count_agenda(tally)
    slot = document["result"]["equity"]["womens_priority_slot"]
    if slot.get("status") == "adjusted" and slot.get("item") is not None:
        item = str(slot["item"])
        order = [*order[:-1], item] if order else [item]
    return order


def _frozen_config(rules: dict[str, Any]) -> engine.EquityConfig:
    return engine.EquityConfig(
        womens_priority_slot=rules["womens_priority_slot"], participation_parity=rules["participation_parity"],
        board_composition=rules["board_composition"], women_baseline=rules["women_baseline"],
        parity_tolerance=rules["parity_tolerance"])


def gender_problems(document: dict[str, Any], tally: Count) -> list[str]:
    """Recompute the minority section and the women's priority slot from the frozen ballots and gender table.

    Versions of the first format carry a gender on some ballots and no table: their recount is checked, not this.
    """
    inputs = document["inputs"]
    if "gender_table" not in inputs:
        return []
    try:
        table = engine.GenderTable.from_dict(inputs["gender_table"])
        order, _ = count_agenda(tally)
        analysis = engine.analyse(_items_order(tally, inputs["ballots"]), order, voters_from_ballots(inputs["ballots"]),
                                  genders=table, config=_frozen_config(inputs["equity_rules"]))
    except ValidationFailed as error:
        return [f"the gender table does not fit the ballots ({error.code})"]
    problems = []
    if canonical(analysis.minority.to_dict()) != canonical(document["result"]["minority"]):
        problems.append("the minority section differs from the one recomputed from the ballots and the gender table")
    slot = document["result"]["equity"]["womens_priority_slot"]
    if canonical(analysis.equity.womens_priority_slot.to_dict()) != canonical(slot):
        problems.append("the women's priority slot differs from the one recomputed from the gender table")
    return problems


def published_part(recounted: Count, published: dict[str, Any]) -> dict[str, Any]:
    """Keep the parts of a recount that a version published.

    The count's output may gain new entries over the years (a version published before the double majority's rule
    was reported has no such entry); a published version must still verify, on every figure it did publish. A
    published entry that the recount lacks stays missing, and so fails the comparison.
    """
    return {key: value for key, value in recounted.to_dict().items() if key in published}


def ballots_filename(version: AgendaVersion) -> str:
    """Return the name under which a version's anonymised ballots are downloaded."""
    return f"agenda-{version.agenda_id}-v{version.number}-ballots.json"


def recount_command_of(version: AgendaVersion, document: dict[str, Any]) -> str:
    """Return the command that recounts a version's downloaded ballots with the settings of its published count."""
    return recount_command(Count.from_dict(document["result"]["tally"]), ballots_filename(version))


def verify_version(version: AgendaVersion) -> Verification:
    """Recount from the stored inputs with the counting functions and check the result and the hash."""
    problems: list[str] = []
    data = version.document.encode("utf-8")
    actual = sha256(data)
    if actual != version.sha256:
        problems.append(f"hash mismatch: stored {version.sha256}, computed {actual}")
    try:
        document = orjson.loads(data)
        ballots = document["inputs"]["ballots"]
        if inputs_hash(ballots) != document["inputs"]["ballots_sha256"]:
            problems.append("the ballots do not match their recorded SHA-256")
        again = recount(ballots)
        if canonical(published_part(again, document["result"]["tally"])) != canonical(document["result"]["tally"]):
            problems.append("the recount differs from the published count")
        published = [entry["item"] for entry in document["result"]["agenda"]]
        if expected_agenda(document, again) != published:
            problems.append("the published agenda is not the recount's agenda")
        problems.extend(gender_problems(document, again))
        if canonical(document) != data:
            problems.append("the stored JSON is not in canonical form")
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        problems.append(f"the stored document cannot be read: {error!r}")
    return Verification(not problems, tuple(problems), actual, version.number)


def verify_agenda(agenda_id: int) -> list[Verification]:
    """Verify every version of an agenda (raises NotFound when it has none)."""
    agenda = published_agenda(agenda_id)
    return [verify_version(version) for version in agenda.versions]
