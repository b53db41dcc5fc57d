"""The files of a published version, written once by a job after publication and then served as stored.

A version's document holds every anonymised ballot: with 100,000 ballots it is tens of megabytes, and parsing it
for each download would put that work (and its memory) in a public request, where anyone could repeat it. So
publishing (:func:`deliberate.agenda.publish.publish`) queues the ``agenda.exports`` job, which reads the
document once and stores each file:

- ``ballots``: the anonymised ballots in the ``deliberate tally`` input format;
- ``csv``: one row per agenda item with its support, safe to open in a spreadsheet;
- ``gender_table``: the federation's votes by gender (groups under five hidden), when the version has one.

The canonical JSON itself is stored as published and needs no job. A version published before this module has no
stored files; its downloads are written in the request, as they always were, until the job has run for it.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import undefer

from deliberate import background, downloads
from deliberate.agenda import draft as agenda_draft
from deliberate.agenda import publish as agenda_publish
from deliberate.extensions import db
from deliberate.models import AgendaExport, AgendaVersion, Job, JobStatus, utcnow

KINDS = ("ballots", "csv", "gender_table")
CSV_COLUMNS = ["position", "item", "title_es", "title_en", "is_womens_slot", "voters", "approving", "support_share",
               "dissenting_clubs"]


def files_of(version: AgendaVersion, document: dict[str, Any]) -> dict[str, tuple[bytes, str, str]]:
    """Write the version's files from its document: kind -> (bytes, content type, file name)."""
    stem = f"agenda-{version.agenda_id}-v{version.number}"
    files = {
        "ballots": (orjson.dumps(document["inputs"]["ballots"], option=orjson.OPT_SORT_KEYS), "application/json",
                    agenda_draft.ballots_filename(version)),
        "csv": (downloads.csv_file(CSV_COLUMNS, csv_rows(document)), "text/csv; charset=utf-8", f"{stem}.csv"),
    }
    table = document["inputs"].get("gender_table")
    if table is not None:
        files["gender_table"] = (orjson.dumps(table, option=orjson.OPT_SORT_KEYS), "application/json",
                                 f"{stem}-gender-table.json")
    return files


def csv_rows(document: dict[str, Any]):
    """Yield the agenda's rows of :data:`CSV_COLUMNS`, in the agenda's order."""
    support = {entry["item"]: entry["overall"] for entry in document["result"]["minority"]["items"]}
    dissent = {entry["item"]: entry["dissenting_clubs"] for entry in document["result"]["minority"]["items"]}
    for entry in document["result"]["agenda"]:
        overall = support.get(entry["item"]) or {}
        yield (entry["position"], entry["item"], entry["title_es"], entry["title_en"],
               "yes" if entry["is_womens_slot"] else "no", overall.get("voters") or "", overall.get("approving") or "",
               overall.get("share") or "", " ".join(dissent.get(entry["item"], [])))


@background.register("agenda.exports")
def write_exports(job: Job, version_id: int) -> dict:
    """Write the files of a published version that are not stored yet (run again, it writes nothing twice)."""
    version = db.session.get(AgendaVersion, version_id)
    if version is None:
        return {}
    stored = set(db.session.scalars(select(AgendaExport.kind).where(AgendaExport.version_id == version_id)))
    files = files_of(version, agenda_publish.document_of(version))
    background.progress(job, 0, len(files))
    for done, (kind, (data, content_type, filename)) in enumerate(files.items(), start=1):
        if kind not in stored:
            db.session.add(AgendaExport(version_id=version_id, kind=kind, content_type=content_type,
                                        filename=filename, data=data, byte_size=len(data), created_at=utcnow()))
        background.progress(job, done)  # commits the file with its step
    return {"link": f"/agendas/{version.agenda_id}", "files": sorted(files)}


def stored_file(version: AgendaVersion, kind: str) -> AgendaExport | None:
    """Return the version's stored file of this kind, with its bytes, or None while it is not written."""
    return db.session.scalar(select(AgendaExport).where(AgendaExport.version_id == version.id,
                                                        AgendaExport.kind == kind)
                             .options(undefer(AgendaExport.data)))


def pending_job(version: AgendaVersion) -> Job | None:
    """Return the job writing the version's files while it has not finished (None once done, or if none)."""
    waiting = db.session.scalars(select(Job).where(
        Job.name == "agenda.exports", Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED]),
        Job.organization_id == version.agenda.consultation.federation_id))
    return next((job for job in waiting if list(job.args or ())[:1] == [version.id]), None)
