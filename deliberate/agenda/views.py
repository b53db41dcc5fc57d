"""Agenda pages: the board's draft with its equity checks, minority reports, and the public published agenda."""

from __future__ import annotations

from xml.etree import ElementTree as ET  # noqa: N817 - building (not parsing) the Atom feed

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from deliberate import downloads, labels, permissions
from deliberate.agenda import draft as agenda_draft
from deliberate.agenda import exports as agenda_exports
from deliberate.agenda import publish as agenda_publish
from deliberate.agenda import reports as agenda_reports
from deliberate.agenda.forms import EmptyForm, FramingForm, MinorityReportForm, PublishForm, ReportWindowForm
from deliberate.domain import timezones
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, PhaseClosed, ValidationFailed
from deliberate.extensions import db
from deliberate.forms import choices
from deliberate.i18n import time_zone_name
from deliberate.mail import external_url
from deliberate.models import Agenda, MinorityReport
from deliberate.opinion.services import group_letter
from deliberate.permissions import Need, consultation_or_404
from deliberate.programmes import tracking

bp = Blueprint("agenda", __name__)

CONFLICTS = {
    "stale": _l("Someone published a version while you were looking. Here is the current state: please check it."),
    "blocked": _l("An enforced equity check fails: the agenda cannot be published until it passes."),
    "window_open": _l("Minority reports can still be written. Publish after the report window closes."),
    "empty": _l("No item was chosen by the count: there is nothing to publish."),
    "window_closed": _l("Minority reports are not being accepted now."),
    "duplicate": _l("This has already been done."),
    "own_report": _l("Your club wrote this report: other clubs co-sign it."),
    "too_few_voters": _l("Fewer than five people voted. To keep every ballot secret, no result of this vote is shown "
                         "or published: any figure would tell how these few people voted."),
}
DENIED = {
    "not_officer": _l("Only officers of a club can do this for their club."),
    "not_dissenting": _l("Your club did not dissent on any agenda item, and no item it put first was left out."),
    "no_group": _l("You are not in any opinion group of this consultation."),
}
FIELD_MESSAGES = {
    "required": _l("This field is required."),
    "too_long": _l("This text is too long. Please shorten it: your text is still here."),
    "in_the_past": _l("Choose a moment in the future."),
    "shorter": _l("The report window can be extended, never shortened."),
}


def _agenda_or_404(agenda_id: int):
    try:
        return agenda_publish.published_agenda(agenda_id)
    except NotFound:
        abort(404)


def _field_error(form, error: ValidationFailed) -> None:
    field = getattr(form, error.field, None) or getattr(form, "until", None) or next(iter(form))
    field.errors = [*field.errors, FIELD_MESSAGES.get(error.code, FIELD_MESSAGES["required"])]


# --- the board's draft --------------------------------------------------------------------------------------------

def _draft_page(consultation, framing_form=None, window_form=None, publish_form=None, status=200):
    try:
        draft = agenda_draft.build_draft(consultation)
    except (PhaseClosed, NotFound):
        return render_template("agenda/not_ready.html", consultation=consultation), 200
    except Conflict:  # too few voters: nothing of theirs may be shown
        return render_template("agenda/not_ready.html", consultation=consultation, too_few=True), 200
    # GET never writes: before the first save the agenda is a transient row.
    agenda = agenda_draft.agenda_of(consultation) or Agenda(consultation_id=consultation.id, framing_es="",
                                                            framing_en="")
    versions = len(agenda.versions)
    document = agenda_publish.version_document(draft, agenda, versions + 1, agenda.latest)
    framing_form = framing_form or FramingForm(framing_es=agenda.framing_es, framing_en=agenda.framing_en)
    zone = consultation.federation.time_zone
    until = agenda.minority_report_until
    window_form = window_form or ReportWindowForm(
        until=timezones.to_local(until, zone).replace(tzinfo=None) if until else None)
    # The board types the time on its federation's clock; the page says which clock that is.
    window_form.until.description = _("On the federation's clock: %(zone)s.", zone=time_zone_name(zone))
    publish_form = publish_form or PublishForm(expected_versions=str(versions))
    return render_template("agenda/draft.html", consultation=consultation, agenda=agenda, doc=document, draft=draft,
                           framing_form=framing_form, window_form=window_form, publish_form=publish_form,
                           window_open=agenda_draft.report_window_open(agenda), versions=versions), status


@bp.get("/consultations/<int:consultation_id>/agenda")
@login_required
def draft(consultation_id: int):
    """Show the board the draft agenda from the count, its equity checks and minority section."""
    return _draft_page(consultation_or_404(consultation_id, need=Need.BOARD))


@bp.post("/consultations/<int:consultation_id>/agenda/framing")
@login_required
def framing(consultation_id: int):
    """Save the board's framing texts."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    form = FramingForm()
    if not form.validate_on_submit():
        return _draft_page(consultation, framing_form=form, status=422)
    try:
        agenda_draft.save_framing(consultation, current_user, form.framing_es.data, form.framing_en.data)
    except ValidationFailed as error:
        _field_error(form, error)
        return _draft_page(consultation, framing_form=form, status=422)
    except PhaseClosed:
        flash(_("The agenda cannot be drafted in this phase."), "warning")
    else:
        flash(_("The framing texts have been saved."), "success")
    return redirect(url_for(".draft", consultation_id=consultation.id))


@bp.post("/consultations/<int:consultation_id>/agenda/window")
@login_required
def window(consultation_id: int):
    """Open or extend the window for minority reports."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    form = ReportWindowForm()
    if not form.validate_on_submit():
        return _draft_page(consultation, window_form=form, status=422)
    try:
        until = timezones.to_stored(form.until.data, consultation.federation.time_zone)
        agenda_draft.open_report_window(consultation, current_user, until)
    except ValidationFailed as error:
        _field_error(form, error)
        return _draft_page(consultation, window_form=form, status=422)
    except PhaseClosed:
        flash(_("The agenda cannot be drafted in this phase."), "warning")
    else:
        flash(_("Minority reports can be written until the time you set."), "success")
    return redirect(url_for(".draft", consultation_id=consultation.id))


@bp.post("/consultations/<int:consultation_id>/agenda/publish")
@login_required
def publish(consultation_id: int):
    """Publish the agenda (the first version) or a correction (a new version)."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    form = PublishForm()
    if not form.validate_on_submit() or not (form.expected_versions.data or "").isdigit():
        return _draft_page(consultation, publish_form=form, status=422)
    try:
        version = agenda_publish.publish(consultation, current_user, expected_versions=int(form.expected_versions.data),
                                   correction_note=form.correction_note.data or "")
    except ValidationFailed as error:
        _field_error(form, error)
        return _draft_page(consultation, publish_form=form, status=422)
    except Conflict as error:
        flash(CONFLICTS.get(error.reason, CONFLICTS["stale"]), "warning")
    except PhaseClosed:
        flash(_("The agenda cannot be drafted in this phase."), "warning")
    else:
        flash(_("Version %(number)d of the agenda is published.", number=version.number), "success")
        return redirect(url_for(".public", agenda_id=version.agenda_id))
    return redirect(url_for(".draft", consultation_id=consultation.id))


# --- minority reports ---------------------------------------------------------------------------------------------

def _report_authors(consultation) -> list[tuple[str, str]]:
    options = []
    club = agenda_reports.officer_club(current_user, consultation)
    if club is not None:
        options.append(("club", _("My club: %(club)s", club=club.name)))
    group = agenda_reports.own_group(current_user, consultation)
    if group is not None:
        options.append(("group", _("My opinion group: %(group)s", group=group_letter(group))))
    return options


def _reports_page(consultation, form=None, status=200):
    if permissions.role_in(current_user, consultation.federation) is None:
        abort(403)
    agenda = agenda_draft.agenda_of(consultation)
    authors = _report_authors(consultation)
    if form is None:
        form = MinorityReportForm()
    form.author.choices = choices(authors)
    return render_template("agenda/reports.html", consultation=consultation, agenda=agenda, form=form,
                           reports=agenda_reports.reports_of(consultation), can_write=bool(authors),
                           window_open=agenda_draft.report_window_open(agenda),
                           my_club=agenda_reports.officer_club(current_user, consultation),
                           cosign_form=EmptyForm()), status


@bp.get("/consultations/<int:consultation_id>/agenda/reports")
@login_required
def reports(consultation_id: int):
    """List the minority reports; officers and opinion-group members write them, other clubs co-sign."""
    return _reports_page(consultation_or_404(consultation_id))


@bp.post("/consultations/<int:consultation_id>/agenda/reports")
@login_required
def write_report(consultation_id: int):
    """Submit a minority report."""
    consultation = consultation_or_404(consultation_id)
    form = MinorityReportForm()
    form.author.choices = choices(_report_authors(consultation))
    if not form.validate_on_submit():
        return _reports_page(consultation, form=form, status=422)
    try:
        agenda_reports.submit_report(consultation, current_user, as_club=form.author.data == "club",
                               language=form.language.data, title=form.title.data, text=form.text.data)
    except ValidationFailed as error:
        _field_error(form, error)
        return _reports_page(consultation, form=form, status=422)
    except PermissionDenied as error:
        form.author.errors = [DENIED.get(error.reason, DENIED["not_officer"])]
        return _reports_page(consultation, form=form, status=403)
    except Conflict as error:
        flash(CONFLICTS.get(error.reason, CONFLICTS["duplicate"]), "warning")
        if error.reason == "window_closed":
            return _reports_page(consultation, form=form, status=409)
    else:
        flash(_("Your report has been recorded. It will be published with the agenda as written."), "success")
    return redirect(url_for(".reports", consultation_id=consultation.id))


@bp.post("/agenda/reports/<int:report_id>/cosign")
@login_required
def cosign(report_id: int):
    """Co-sign a minority report for the signer's club."""
    report = db.get_or_404(MinorityReport, report_id)
    consultation = consultation_or_404(report.consultation_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        agenda_reports.cosign_report(report, current_user)
    except PermissionDenied as error:
        flash(DENIED.get(error.reason, DENIED["not_officer"]), "warning")
    except Conflict as error:
        flash(CONFLICTS.get(error.reason, CONFLICTS["duplicate"]), "warning")
    else:
        flash(_("Your club has co-signed this report."), "success")
    return redirect(url_for(".reports", consultation_id=consultation.id))


# --- public pages -------------------------------------------------------------------------------------------------

def _public_page(agenda, number: int | None, template: str, printing: bool = False):
    try:
        version = agenda_publish.version_of(agenda, number)
    except NotFound:
        abort(404)
    document = agenda_publish.document_of(version)
    previous = agenda_publish.document_of(version.previous) if version.previous else None
    return render_template(template, agenda=agenda, version=version, doc=document,
                           changes=agenda_publish.diff(previous, document) if previous else None,
                           consultation=agenda.consultation, printing=printing,
                           recount=agenda_draft.recount_command_of(version, document),
                           womens_projects=tracking.womens_projects(agenda))


@bp.get("/consultations/<int:consultation_id>/published-agenda")
def for_consultation(consultation_id: int):
    """Send anyone to a consultation's published agenda."""
    consultation = consultation_or_404(consultation_id)
    agenda = agenda_draft.agenda_of(consultation)
    if agenda is None or agenda.latest is None:
        abort(404)
    return redirect(url_for(".public", agenda_id=agenda.id))


@bp.get("/agendas/<int:agenda_id>")
def public(agenda_id: int):
    """Show the published agenda with its minority section, to anyone."""
    return _public_page(_agenda_or_404(agenda_id), None, "agenda/public.html")


@bp.get("/agendas/<int:agenda_id>/v<int:number>")
def public_version(agenda_id: int, number: int):
    """Show one version of a published agenda."""
    return _public_page(_agenda_or_404(agenda_id), number, "agenda/public.html")


@bp.get("/agendas/<int:agenda_id>/print")
def print_version(agenda_id: int):
    """Show the latest version laid out for printing."""
    return _public_page(_agenda_or_404(agenda_id), request.args.get("v", type=int), "agenda/print.html", printing=True)


@bp.get("/agendas/<int:agenda_id>/versions")
def versions(agenda_id: int):
    """List every version with its hash and what changed from the one before."""
    agenda = _agenda_or_404(agenda_id)
    rows, previous = [], None
    for version in agenda.versions:
        document = agenda_publish.document_of(version)
        rows.append((version, agenda_publish.diff(previous, document) if previous else None))
        previous = document
    return render_template("agenda/versions.html", agenda=agenda, rows=list(reversed(rows)),
                           consultation=agenda.consultation)


@bp.get("/agendas/<int:agenda_id>.json")
def download_json(agenda_id: int):
    """Download the version's canonical JSON, byte for byte as hashed."""
    version = agenda_publish.version_of(_agenda_or_404(agenda_id), request.args.get("v", type=int))
    return downloads.attachment(version.document.encode("utf-8"), "application/json",
                     f"agenda-{agenda_id}-v{version.number}.json")


def _stored_download(agenda_id: int, kind: str):
    """Serve a version's file as the export job stored it; while the job runs, a page that says so (202).

    A version published before the files were stored (no job, no file) has it written here, as it always was.
    """
    version = agenda_publish.version_of(_agenda_or_404(agenda_id), request.args.get("v", type=int))
    stored = agenda_exports.stored_file(version, kind)
    if stored is not None:
        return downloads.attachment(stored.data, stored.content_type, stored.filename)
    job = agenda_exports.pending_job(version)
    if job is not None:
        return render_template("agenda/preparing.html", agenda=version.agenda, version=version, job=job,
                               consultation=version.agenda.consultation), 202
    files = agenda_exports.files_of(version, agenda_publish.document_of(version))
    if kind not in files:
        abort(404)
    data, content_type, filename = files[kind]
    return downloads.attachment(data, content_type, filename)


@bp.get("/agendas/<int:agenda_id>/ballots.json")
def download_ballots(agenda_id: int):
    """Download the anonymised ballots in the ``deliberate tally`` input format."""
    return _stored_download(agenda_id, "ballots")


@bp.get("/agendas/<int:agenda_id>/gender-table.json")
def download_gender_table(agenda_id: int):
    """Download the federation's votes by gender (groups under 5 hidden), from which the gender analysis is redone."""
    return _stored_download(agenda_id, "gender_table")


@bp.get("/agendas/<int:agenda_id>.csv")
def download_csv(agenda_id: int):
    """Download the agenda items with their support, one row per item."""
    return _stored_download(agenda_id, "csv")


@bp.get("/o/<slug>/agendas.atom")
def feed(slug: str):
    """An Atom feed of the federation's published agendas."""
    try:
        federation = agenda_publish.federation_by_slug(slug)
    except NotFound:
        abort(404)
    ns = "http://www.w3.org/2005/Atom"
    root = ET.Element("feed", xmlns=ns)
    ET.SubElement(root, "title").text = _("Published agendas: %(federation)s", federation=federation.name)
    # Feed readers keep these addresses: they start with DELIBERATE_BASE_URL, not with whatever Host was sent.
    self_link = external_url("agenda.feed", slug=slug)
    ET.SubElement(root, "id").text = self_link
    ET.SubElement(root, "link", rel="self", href=self_link)
    agendas = agenda_publish.published_agendas(federation)
    updated = max((agenda.latest.created_at for agenda in agendas), default=federation.created_at)
    ET.SubElement(root, "updated").text = downloads.atom_time(updated)
    ET.SubElement(ET.SubElement(root, "author"), "name").text = federation.name
    for agenda in agendas:
        version = agenda.latest
        link = external_url("agenda.public", agenda_id=agenda.id)
        entry = ET.SubElement(root, "entry")
        ET.SubElement(entry, "title").text = agenda.consultation.title(_locale())
        ET.SubElement(entry, "id").text = f"{link}#v{version.number}"
        ET.SubElement(entry, "link", href=link)
        ET.SubElement(entry, "updated").text = downloads.atom_time(version.created_at)
        ET.SubElement(entry, "summary").text = _("Version %(number)d, SHA-256 %(hash)s", number=version.number,
                                                 hash=version.sha256)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="application/atom+xml")


def _locale() -> str:
    return str(get_locale() or "es")


@bp.app_template_filter("item_title")
def item_title(item_id, document) -> str:
    """Return an item's title in the page's language from a version document."""
    entry = document["result"].get("candidates", {}).get(str(item_id)) or {}
    locale = _locale()
    return labels.in_language(entry.get("title_es"), entry.get("title_en"), locale) or str(item_id)


@bp.app_template_filter("group_letter")
def group_letter_filter(group) -> str:
    return group_letter(int(group))
