"""Assembly pages: a consultation's club assemblies, recording and co-signing one, its demands, the voter roll, the
printable paper ballot, and typing the paper ballots twice (every form works without JavaScript)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from deliberate import permissions
from deliberate.assemblies import services
from deliberate.assemblies.forms import AssemblyForm, ConfirmForm, PrintForm, ResolveForm, SheetForm
from deliberate.ballots.services import BALLOT_SUMMARIES_OPEN_UP_TO
from deliberate.demands.forms import DemandForm
from deliberate.demands.services import DemandInput, active_categories
from deliberate.domain import assembly as engine
from deliberate.domain.errors import DomainError, ValidationFailed
from deliberate.domain.phases import accepts_ballots, accepts_demands
from deliberate.errors import field_error, refusal
from deliberate.forms import choices
from deliberate.models import Language, Target
from deliberate.permissions import Need, assembly_or_404, consultation_or_404

bp = Blueprint("assemblies", __name__)

_WORDS = {
    "not_officer": _l("Only an officer of the club, or a board member, can do this."),
    "same_person": _l("The record must be co-signed by someone else: another officer of the club or a board member."),
    "cosigned": _l("This record is already co-signed."),
    "not_cosigned": _l("Nothing of this assembly counts until its record is co-signed by a second officer or a "
                       "board member."),
    "sheet_counted": _l("This sheet is already counted. Each sheet is counted once."),
    "more_ballots_than_voters": _l("There would be more paper ballots than members marked as voting on paper at this "
                                   "assembly. Mark them on the voter roll first, or check the sheets."),
    "sheet_busy": _l("This sheet was being saved at the same moment. Please send it again."),
    "ballot_key": _l("The paper ballots cannot be opened with the current ballot key. Tell the site administrator."),
    "empty": _l("The sheet gives no position to any item. Type the numbers written in its boxes; a blank sheet is "
                "not entered."),
    "invalid": _l("Some boxes are not valid: a position must be a number from 1 to the number of items."),
    "members": _l("Someone in this list is not an active member of the club."),
}
_SHEET_INVALID = _l("This sheet code is not valid: check it against the sheet (its last character catches typing "
                    "errors).")


def _refused(error: DomainError) -> str:
    if isinstance(error, ValidationFailed) and error.field == "sheet":
        return str(_SHEET_INVALID)
    return refusal(error, _WORDS)


def _locale() -> str:
    return str(get_locale() or "es")


# --- the list and the record ---------------------------------------------------------------------------------

@bp.get("/consultations/<int:consultation_id>/assemblies")
@login_required
def index(consultation_id: int):
    """The consultation's club assemblies, and a link to record one for the clubs the person is an officer of."""
    consultation = consultation_or_404(consultation_id, need=Need.MEMBER)
    return render_template("assemblies/index.html", consultation=consultation,
                           assemblies=services.assemblies_of(consultation),
                           clubs=services.recordable_clubs(consultation, current_user))


def _record_form(consultation):
    form = AssemblyForm()
    form.club_id.choices = choices([(club.id, club.name)
                                    for club in services.recordable_clubs(consultation, current_user)])
    return form


@bp.route("/consultations/<int:consultation_id>/assemblies/new", methods=["GET", "POST"])
@login_required
def new(consultation_id: int):
    """Record a club assembly: date, place, members present, minutes and an optional scan."""
    consultation = consultation_or_404(consultation_id, need=Need.MEMBER)
    form = _record_form(consultation)
    if not form.club_id.choices:
        abort(403)
    if not form.validate_on_submit():
        return render_template("assemblies/new.html", consultation=consultation, form=form), (
            422 if request.method == "POST" else 200)
    club = next(club for club in services.recordable_clubs(consultation, current_user)
                if club.id == form.club_id.data)
    scan = request.files.get(form.scan.name)
    data = services.AssemblyInput(form.held_on.data, form.place.data or "", form.members_present.data,
                                  form.minutes.data or "")
    try:
        assembly = services.record_assembly(consultation, club, current_user, data,
                                            scan.read() if scan and scan.filename else None)
    except ValidationFailed as error:
        field_error(form, error, _scan_words(error))
        return render_template("assemblies/new.html", consultation=consultation, form=form), 422
    except DomainError as error:
        flash(_refused(error), "error")
        return redirect(url_for(".index", consultation_id=consultation.id))
    flash(_("The assembly is recorded. Ask another officer of the club or a board member to co-sign it: nothing "
            "of it counts until then."), "success")
    return redirect(url_for(".show", assembly_id=assembly.id))


def _scan_words(error: ValidationFailed) -> str | None:
    if error.field != "scan":
        return None
    return {"too_large": _("The scan is too large: at most 1.8 MB. Save the photo at a smaller size."),
            "type": _("Send the scan as a JPEG or PNG image (PDF files are not accepted: their metadata cannot be "
                      "removed safely)."),
            "broken": _("This image cannot be read. Send it again, or save it anew as a JPEG or PNG.")}.get(error.code)


@bp.get("/assemblies/<int:assembly_id>")
@login_required
def show(assembly_id: int):
    """An assembly's record, its co-signature, its demands and, for its officers, the roll and the paper ballots."""
    assembly = assembly_or_404(assembly_id)
    may_enter = permissions.can_enter_for_assembly(current_user, assembly)
    phase = assembly.consultation.phase
    return render_template(
        "assemblies/show.html", assembly=assembly, consultation=assembly.consultation, form=ConfirmForm(),
        may_cosign=permissions.can_cosign_assembly(current_user, assembly),
        is_officer=permissions.can_record_assembly(current_user, assembly.club), may_enter=may_enter,
        demands=services.assembly_demands(assembly), paper_voters=services.paper_voters(assembly),
        demands_open=accepts_demands(phase), ballots_open=accepts_ballots(phase),
        state=services.entry_state(assembly) if may_enter and accepts_ballots(phase) else None,
        items={item.id: item for item in services.sheet_items(assembly)} if may_enter else {},
        resolve_form=ResolveForm())


@bp.get("/assemblies/<int:assembly_id>/scan")
@login_required
def scan(assembly_id: int):
    """The scan or photo of the minutes, without its metadata."""
    assembly = assembly_or_404(assembly_id)
    if not assembly.scan:
        abort(404)
    response = make_response(assembly.scan)
    response.headers["Content-Type"] = assembly.scan_type or "application/octet-stream"
    response.headers["Content-Disposition"] = f'inline; filename="acta-{assembly.id}.{assembly.scan_type[6:]}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/assemblies/<int:assembly_id>/cosign")
@login_required
def cosign(assembly_id: int):
    """Co-sign the record (another officer of the club or a board member)."""
    assembly = assembly_or_404(assembly_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.cosign_assembly(assembly, current_user)
    except DomainError as error:
        flash(_refused(error), "error")
    else:
        flash(_("You co-signed the record. Its demands and paper ballots can now be entered."), "success")
    return redirect(url_for(".show", assembly_id=assembly.id))


# --- demands from the assembly -----------------------------------------------------------------------------------

def _demand_form(assembly) -> DemandForm:
    form = DemandForm()
    form.category_id.choices = choices(
        [(0, _("Choose a category"))]
        + [(c.id, c.name(_locale())) for c in active_categories(assembly.consultation.federation)])
    if request.method == "GET" and not form.language.data:
        form.language.data = "en" if _locale() == "en" else "es"
    return form


@bp.route("/assemblies/<int:assembly_id>/demands/new", methods=["GET", "POST"])
@login_required
def new_demand(assembly_id: int):
    """Enter a demand raised at the assembly, on the club's behalf."""
    assembly = assembly_or_404(assembly_id)
    if not permissions.can_enter_for_assembly(current_user, assembly):
        abort(403)
    form = _demand_form(assembly)
    if not form.validate_on_submit():
        return render_template("assemblies/demand.html", assembly=assembly, consultation=assembly.consultation,
                               form=form), 422 if request.method == "POST" else 200
    data = DemandInput(title=form.title.data or "", body=form.body.data or "",
                       category_id=form.category_id.data or None, target=Target(form.target.data),
                       language=Language(form.language.data))
    try:
        demand = services.submit_assembly_demand(assembly, current_user, data)
    except ValidationFailed as error:
        field_error(form, error)
        return render_template("assemblies/demand.html", assembly=assembly, consultation=assembly.consultation,
                               form=form), 422
    except DomainError as error:
        flash(_refused(error), "error")
        return redirect(url_for(".show", assembly_id=assembly.id))
    flash(_("The demand from the assembly has been entered. It goes through consolidation like any other."),
          "success")
    return redirect(url_for("demands.show", demand_id=demand.id))


# --- the voter roll ---------------------------------------------------------------------------------------------

@bp.route("/assemblies/<int:assembly_id>/roll", methods=["GET", "POST"])
@login_required
def roll(assembly_id: int):
    """The voter roll of the club: tick who voted on paper here (a mark is never taken back)."""
    assembly = assembly_or_404(assembly_id)
    if not permissions.can_enter_for_assembly(current_user, assembly):
        abort(403)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        picked = [int(value) for value in request.form.getlist("member") if value.isdigit() and len(value) < 12]
        try:
            marks = services.mark_paper_voters(assembly, current_user, picked)
        except DomainError as error:
            flash(_refused(error), "error")
        else:
            if marks.marked:
                flash(_("Marked as voting on paper: %(names)s.",
                        names=", ".join(user.display_name for user in marks.marked)), "success")
            if marks.voted_online:
                flash(_("Not marked, because they already voted online: %(names)s. Someone who voted online "
                        "cannot also vote on paper.",
                        names=", ".join(user.display_name for user in marks.voted_online)), "warning")
        return redirect(url_for(".roll", assembly_id=assembly.id))
    return render_template("assemblies/roll.html", assembly=assembly, consultation=assembly.consultation, form=form,
                           roll=services.roll(assembly), open=accepts_ballots(assembly.consultation.phase),
                           paper_voters=services.paper_voters(assembly))


# --- paper ballots ----------------------------------------------------------------------------------------------

@bp.get("/assemblies/<int:assembly_id>/sheets/print")
@login_required
def print_sheets(assembly_id: int):
    """Printable paper ballots: each sheet with its own code and its own order of the items (nothing is stored)."""
    assembly = assembly_or_404(assembly_id)
    if not permissions.can_record_assembly(current_user, assembly.club):
        abort(403)
    form = PrintForm(request.args)
    if not request.args or not form.validate():
        return render_template("assemblies/print_form.html", assembly=assembly, consultation=assembly.consultation,
                               form=form), 422 if request.args else 200
    language = form.language.data
    items = {item.id: item for item in services.sheet_items(assembly)}
    sheets = []
    for _number in range(form.sheets.data):
        code = engine.new_sheet_code()
        sheets.append((code, [items[i] for i in engine.sheet_order(code, list(items))]))
    with force_locale(language):
        page = render_template("assemblies/print.html", assembly=assembly, consultation=assembly.consultation,
                               sheets=sheets, language=language, count=len(items))
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def _sheet_page(assembly, form, items, ranks, supported, error=None, status=200):
    return render_template("assemblies/enter.html", assembly=assembly, consultation=assembly.consultation, form=form,
                           items=items, ranks=ranks, supported=supported, error=error,
                           fold=len(items) > BALLOT_SUMMARIES_OPEN_UP_TO), status


@bp.get("/assemblies/<int:assembly_id>/sheets/enter")
@login_required
def enter(assembly_id: int):
    """Type a sheet: first its code, then its boxes, in the order printed on that sheet."""
    assembly = assembly_or_404(assembly_id)
    if not permissions.can_enter_for_assembly(current_user, assembly):
        abort(403)
    sheet = request.args.get("sheet", "")[:40]
    form = SheetForm(formdata=None, sheet=sheet)
    if not sheet:
        return _sheet_page(assembly, form, [], {}, set())
    try:
        code = engine.normal_sheet_code(sheet)
    except ValidationFailed:
        form.sheet.errors = [str(_SHEET_INVALID)]
        return _sheet_page(assembly, form, [], {}, set(), status=422)
    form.sheet.data = code
    return _sheet_page(assembly, form, services.sheet_items(assembly, code), {}, set())


@bp.post("/assemblies/<int:assembly_id>/sheets/enter")
@login_required
def enter_post(assembly_id: int):
    """Save one typing of a sheet; say whether it waits for its second entry, agrees, or disagrees."""
    assembly = assembly_or_404(assembly_id)
    if not permissions.can_enter_for_assembly(current_user, assembly):
        abort(403)
    form = SheetForm()
    all_items = services.sheet_items(assembly)
    ranks = {item.id: request.form.get(f"rank_{item.id}", "")[:10] for item in all_items}
    supported = {item.id for item in all_items if request.form.get(f"support_{item.id}")}
    if not form.validate_on_submit():
        return _sheet_page(assembly, form, [], {}, set(), status=422)
    try:
        code = engine.normal_sheet_code(form.sheet.data)
        items = services.sheet_items(assembly, code)
        tiers, approved = services.read_sheet(assembly, ranks, supported)
        outcome = services.enter_sheet(assembly, current_user, code, tiers, approved)
    except ValidationFailed as error:
        if error.field == "sheet":
            form.sheet.errors = [str(_SHEET_INVALID)]
            return _sheet_page(assembly, form, [], {}, set(), status=422)
        return _sheet_page(assembly, form, items, ranks, supported, _refused(error), 422)
    except DomainError as error:
        flash(_refused(error), "error")
        return redirect(url_for(".show", assembly_id=assembly.id))
    flash({"waiting": _("Sheet %(sheet)s saved. A second officer must type it too before it counts.",
                        sheet=outcome.sheet),
           "agreed": _("Sheet %(sheet)s: both entries agree. It is now one secret ballot, counted with the club.",
                       sheet=outcome.sheet),
           "conflict": _("Sheet %(sheet)s: the two entries disagree. Check the paper and choose the right one below.",
                         sheet=outcome.sheet)}[outcome.state],
          "warning" if outcome.state == "conflict" else "success")
    if outcome.state == "conflict":
        return redirect(url_for(".show", assembly_id=assembly.id, _anchor="conflicts"))
    return redirect(url_for(".enter", assembly_id=assembly.id))


@bp.post("/assemblies/<int:assembly_id>/sheets/resolve")
@login_required
def resolve(assembly_id: int):
    """Keep one of a sheet's disagreeing entries, checked against the paper."""
    assembly = assembly_or_404(assembly_id)
    if not permissions.can_enter_for_assembly(current_user, assembly):
        abort(403)
    form = ResolveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.resolve_sheet(assembly, current_user, form.sheet_tag.data, form.entry.data)
    except DomainError as error:
        flash(_refused(error), "error")
    else:
        flash(_("The disagreement is resolved: the sheet is now one secret ballot."), "success")
    return redirect(url_for(".show", assembly_id=assembly.id, _anchor="conflicts"))
