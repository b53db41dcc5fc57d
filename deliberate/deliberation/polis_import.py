"""Import a Polis conversation export as demands and reactions of pseudonymous participants.

Each Polis participant becomes one pseudonymous account (``is_pseudonymous``, an unusable password hash ``"!"``,
an address under ``pseudonymous.invalid``) that cannot log in; each comment becomes a demand with no club whose
``external_id`` is the comment id; comments the Polis moderators removed are imported hidden, with a reason; each
participant's latest vote becomes their reaction. Re-running the import adds nothing twice and brings changed votes
up to date. Everything is written with bulk INSERT / UPDATE statements and the demands' counts come from one
aggregate query, so 50,000 reactions take seconds.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import case, func, insert, select, update

from deliberate import audit, background
from deliberate.domain.errors import PhaseClosed
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import Consultation, Demand, Job, Language, PolisUpload, Reaction, User, utcnow
from deliberate.opinion.services import request_recompute
from deliberate.polis import PolisExport, PolisFormatError, read_polis_export
from deliberate.text import clean_markdown, clean_text, render_markdown

UNUSABLE_PASSWORD = "!"  # noqa: S105 - no password hash ever equals this: the account cannot log in
HIDDEN_REASON = (
    "Retirado por la moderación de la conversación original en Polis / "
    "Moderated out in the original Polis conversation"
)
TITLE_LENGTH = 140
ATTRIBUTION = (
    "Data was gathered using the Polis software (compdemocracy.org/polis) and is sub-licensed under CC BY 4.0 with "
    "Attribution to The Computational Democracy Project."
)
ATTRIBUTION_ES = (
    "Los datos se reunieron con el software Polis (compdemocracy.org/polis) y se sublicencian bajo CC BY 4.0 con "
    "atribución a The Computational Democracy Project."
)
_CHUNK = 500


@dataclass(frozen=True)
class PolisImportResult:
    """What the export holds once imported (``demands``, ``reactions``, ``participants``) and what was new."""

    demands: int
    reactions: int
    participants: int
    new_demands: int
    new_reactions: int
    updated_reactions: int
    new_participants: int


def participant_email(consultation_id: int, participant: int) -> str:
    return f"polis-{consultation_id}-{participant}@pseudonymous.invalid"


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _title_and_body(text: str, statement_id: int) -> tuple[str, str]:
    cleaned = clean_text(text)
    if not cleaned:
        return f"Polis #{statement_id}", ""
    single_line = " ".join(cleaned.split())
    if len(single_line) <= TITLE_LENGTH:
        return single_line, ""
    return single_line[: TITLE_LENGTH - 1].rstrip() + "…", clean_markdown(cleaned)


def _participant_ids(consultation: Consultation, participants: Iterable[int]) -> tuple[dict[int, int], int]:
    """Return participant -> user id, creating the missing pseudonymous accounts in bulk; and how many were new."""
    emails = {participant_email(consultation.id, p): p for p in participants}
    existing: dict[str, int] = {}
    for chunk in _chunks(list(emails)):
        existing.update(db.session.execute(select(User.email, User.id).where(User.email.in_(chunk))).all())
    now = utcnow()
    missing = [
        {"email": email, "display_name": f"Participante Polis {participant}", "password_hash": UNUSABLE_PASSWORD,
         "is_pseudonymous": True, "is_admin": False, "is_deleted": False, "created_at": now}
        for email, participant in emails.items() if email not in existing
    ]
    if missing:
        db.session.execute(insert(User), missing)
        for chunk in _chunks([row["email"] for row in missing]):
            existing.update(
                db.session.execute(select(User.email, User.id).where(User.email.in_(chunk))).all()
            )
    return {participant: existing[email] for email, participant in emails.items()}, len(missing)


def _demand_ids(consultation: Consultation, export: PolisExport, users: dict[int, int],
                language: Language) -> tuple[dict[int, int], int]:
    """Return comment id -> demand id, creating the missing demands in bulk; and how many were new."""
    existing = dict(
        db.session.execute(
            select(Demand.external_id, Demand.id)
            .where(Demand.consultation_id == consultation.id, Demand.external_id.is_not(None))
        ).all()
    )
    now = utcnow()
    missing = []
    for statement in export.statements:
        if str(statement.id) in existing:
            continue
        title, body = _title_and_body(statement.text, statement.id)
        created = statement.created_at or now
        missing.append({
            "consultation_id": consultation.id, "author_id": users.get(statement.author_id), "club_id": None,
            "title": title, "body": body, "body_html": render_markdown(body) if body else "",
            "language": language, "version": 1, "is_withdrawn": False,
            "hidden_at": created if statement.is_hidden else None,
            "hidden_reason": HIDDEN_REASON if statement.is_hidden else None,
            "agree_count": 0, "disagree_count": 0, "pass_count": 0,
            "external_id": str(statement.id), "created_at": created, "updated_at": now,
        })
    if missing:
        db.session.execute(insert(Demand), missing)
        existing = dict(
            db.session.execute(
                select(Demand.external_id, Demand.id)
                .where(Demand.consultation_id == consultation.id, Demand.external_id.is_not(None))
            ).all()
        )
    return {s.id: existing[str(s.id)] for s in export.statements}, len(missing)


def _write_reactions(consultation: Consultation, export: PolisExport, users: dict[int, int],
                     demands: dict[int, int]) -> tuple[int, int]:
    """Insert new reactions and update changed ones in bulk; return (inserted, updated)."""
    existing = {
        (user_id, demand_id): (reaction_id, value)
        for reaction_id, user_id, demand_id, value in db.session.execute(
            select(Reaction.id, Reaction.user_id, Reaction.demand_id, Reaction.value)
            .join(Demand, Reaction.demand_id == Demand.id)
            .where(Demand.consultation_id == consultation.id)
        )
    }
    now = utcnow()
    new, changed = [], []
    for reaction in export.reactions:
        key = (users[reaction.participant_id], demands[reaction.statement_id])
        moment = reaction.created_at or now
        if key not in existing:
            new.append({"user_id": key[0], "demand_id": key[1], "value": reaction.value, "created_at": moment,
                        "updated_at": moment})
        elif existing[key][1] != reaction.value:
            changed.append({"id": existing[key][0], "value": reaction.value, "updated_at": moment})
    if new:
        db.session.execute(insert(Reaction), new)
    if changed:
        db.session.execute(update(Reaction), changed)
    return len(new), len(changed)


def recount_consultation(consultation: Consultation) -> None:
    """Set every demand's three counts of the consultation from one aggregate query over its reactions."""
    rows = db.session.execute(
        select(
            Reaction.demand_id,
            func.sum(case((Reaction.value == 1, 1), else_=0)),
            func.sum(case((Reaction.value == -1, 1), else_=0)),
            func.sum(case((Reaction.value == 0, 1), else_=0)),
        )
        .join(Demand, Reaction.demand_id == Demand.id)
        .where(Demand.consultation_id == consultation.id)
        .group_by(Reaction.demand_id)
    ).all()
    counts = {demand_id: (int(a), int(d), int(p)) for demand_id, a, d, p in rows}
    demand_ids = db.session.scalars(select(Demand.id).where(Demand.consultation_id == consultation.id)).all()
    values = [
        {"id": demand_id, "agree_count": a, "disagree_count": d, "pass_count": p}
        for demand_id in demand_ids
        for a, d, p in [counts.get(demand_id, (0, 0, 0))]
    ]
    if values:
        db.session.execute(update(Demand), values)


def _add_attribution(consultation: Consultation, export: PolisExport) -> None:
    topic = f" ({export.topic})" if export.topic else ""
    if ATTRIBUTION not in (consultation.description_en or ""):
        consultation.description_en = "\n\n".join(
            part for part in (consultation.description_en, f"Imported from a Polis conversation{topic}. {ATTRIBUTION}")
            if part
        )
    if ATTRIBUTION_ES not in (consultation.description_es or ""):
        consultation.description_es = "\n\n".join(
            part for part in (consultation.description_es,
                              f"Importado de una conversación de Polis{topic}. {ATTRIBUTION_ES}")
            if part
        )


def import_polis_export(consultation: Consultation, export: PolisExport,
                        language: Language = Language.OTHER) -> PolisImportResult:
    """Import a read Polis export into the consultation (idempotent); commit once and report the figures."""
    users, new_participants = _participant_ids(consultation, export.participants)
    demands, new_demands = _demand_ids(consultation, export, users, language)
    new_reactions, updated_reactions = _write_reactions(consultation, export, users, demands)
    recount_consultation(consultation)
    _add_attribution(consultation, export)
    result = PolisImportResult(
        demands=len(export.statements), reactions=len(export.reactions), participants=len(export.participants),
        new_demands=new_demands, new_reactions=new_reactions, updated_reactions=updated_reactions,
        new_participants=new_participants,
    )
    audit.record(consultation.federation, None, "consultation.import_polis", f"consultation {consultation.id}",
                 facts=dict(result.__dict__))
    db.session.commit()
    return result


# --- an export uploaded through the site, imported by a job ---------------------------------------------------------

#: The phases a conversation may be imported in: before the vote (its demands and reactions feed consolidation,
#: deliberation and the map, never a ballot already open).
IMPORT_PHASES = (Phase.DRAFT, Phase.COLLECTING, Phase.CONSOLIDATING, Phase.DELIBERATING)
#: The files of an upload: the name each is saved under, and whether the import needs it.
UPLOAD_FILES = {"comments": ("comments.csv", True), "votes": ("votes.csv", True), "summary": ("summary.csv", False)}


def queue_upload(consultation: Consultation, actor: User, files: dict[str, str | None], language: Language) -> Job:
    """Keep an uploaded export's files and queue its import; commit, and return the job whose page shows it.

    ``files`` holds the text of ``comments`` and ``votes`` (and, if given, ``summary``), already checked to be
    UTF-8 within the size limits by the form. Reading and importing them is the job's work, off the request.
    Raises PhaseClosed once the consultation is past ``IMPORT_PHASES``.
    """
    if consultation.phase not in IMPORT_PHASES:
        raise PhaseClosed(consultation.phase)
    upload = PolisUpload(consultation_id=consultation.id, uploaded_by_id=actor.id, language=Language(language).value,
                         comments=files["comments"] or "", votes=files["votes"] or "", summary=files.get("summary"),
                         created_at=utcnow())
    db.session.add(upload)
    db.session.flush()
    job = background.queue("polis.import", upload.id, requested_by=actor, organization_id=consultation.federation_id)
    db.session.commit()
    return job


def _read_upload(upload: PolisUpload) -> PolisExport:
    """Read the stored files as an export folder; a malformed one refuses the job with the file and the line."""
    with tempfile.TemporaryDirectory(prefix="polis-") as folder:
        for field, (name, _needed) in UPLOAD_FILES.items():
            text = getattr(upload, field)
            if text is not None:
                (Path(folder) / name).write_text(text, encoding="utf-8")
        try:
            return read_polis_export(folder)
        except PolisFormatError as error:
            raise background.Refused("polis.format", file=Path(error.path).name, line=error.line,
                               problem=error.problem) from error


@background.register("polis.import")
def import_upload(job: Job, upload_id: int) -> dict:
    """Import an uploaded export into its consultation, then ask for the opinion map (never computed here).

    Three steps show on the job's page: reading the files, writing demands and reactions, asking for the map.
    Idempotent like the command: run again (a killed worker), it adds nothing twice. The files' text is erased
    once imported.
    """
    upload = db.session.get(PolisUpload, upload_id)
    if upload is None or upload.imported_at is not None:
        return dict(job.result or {})
    consultation = db.session.get(Consultation, upload.consultation_id)
    if consultation.phase not in IMPORT_PHASES:  # voting opened while the upload waited
        raise background.Refused("polis.phase", phase=consultation.phase.value)
    background.progress(job, 0, 3)
    export = _read_upload(db.session.get(PolisUpload, upload_id))
    background.progress(job, 1)
    result = import_polis_export(db.session.get(Consultation, consultation.id), export, Language(upload.language))
    background.progress(job, 2)
    upload = db.session.get(PolisUpload, upload_id)
    upload.comments, upload.votes, upload.summary, upload.imported_at = "", "", None, utcnow()
    db.session.commit()
    request_recompute(db.session.get(Consultation, consultation.id))
    return {"link": f"/consultations/{consultation.id}", "demands": result.demands, "reactions": result.reactions,
            "participants": result.participants, "new_demands": result.new_demands,
            "new_reactions": result.new_reactions}
