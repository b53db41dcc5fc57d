"""The board's consolidation workspace, agenda item pages with their provenance, and authors' objections."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from deliberate import labels, permissions
from deliberate.consolidation import objections, services, suggestions
from deliberate.consolidation.forms import (
    AcceptForm,
    AnswerForm,
    EmptyForm,
    ItemForm,
    MergeForm,
    MoveForm,
    ObjectionForm,
    OutOfScopeForm,
    PlaceForm,
    SplitForm,
    WindowForm,
)
from deliberate.domain import consolidation
from deliberate.domain.errors import Conflict, DomainError, NotFound, PermissionDenied, PhaseClosed, ValidationFailed
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import Consultation, Demand
from deliberate.models.agenda import AgendaItem, Objection
from deliberate.permissions import Need, consultation_or_404
from deliberate.text import render_markdown

bp = Blueprint("consolidation", __name__)

_CONFLICTS = {
    "stale": _l("This page was out of date: someone changed these demands or items in the meantime. Nothing was "
                "changed; here is the current workspace."),
    "merged": _l("That agenda item has already been merged into another one. Nothing was changed."),
    "already_placed": _l("Some of these demands have already been placed (perhaps by another board member). "
                         "Nothing was changed; the suggestions now show only the demands still to place."),
    "same_item": _l("Choose a different agenda item: nothing was changed."),
    "already_alone": _l("This demand is already the only one in its agenda item: a new item would leave that one "
                        "empty. Nothing was changed; edit the item's titles instead."),
    "window_closed": _l("The time to object to this placement has passed."),
    "not_placed": _l("This demand has not been placed yet, so there is nothing to object to."),
}
_FIELD_MESSAGES = {
    "required": _l("This field is required."),
    "too_long": _l("This text is too long. Please shorten it: your text is still here."),
}


def _locale() -> str:
    return str(get_locale() or "es")


def _board_item(item_id: int) -> AgendaItem:
    item = db.get_or_404(AgendaItem, item_id)
    consultation_or_404(item.consultation_id, need=Need.BOARD)
    return item


def _board_demand(demand_id: int) -> Demand:
    demand = db.get_or_404(Demand, demand_id)
    consultation_or_404(demand.consultation_id, need=Need.BOARD)
    return demand


def _to_workspace(consultation_id: int, anchor: str | None = None):
    return redirect(url_for(".workspace", consultation_id=consultation_id, _anchor=anchor))


def _refused(error: DomainError, consultation_id: int):
    """Flash why a board action changed nothing, and go back to the workspace."""
    if isinstance(error, PhaseClosed):
        flash(_("Consolidation actions are possible only while the consultation is consolidating demands; it is "
                "now in the phase “%(phase)s”. Nothing was changed.", phase=labels.phase_name(error.phase)), "danger")
    elif isinstance(error, Conflict):
        flash(str(_CONFLICTS.get(error.reason, _CONFLICTS["stale"])), "danger")
    elif isinstance(error, NotFound):
        flash(_("That agenda item does not belong to this consultation. Nothing was changed."), "danger")
    else:
        abort(403)
    return _to_workspace(consultation_id)


def _field_error(form, error: ValidationFailed) -> None:
    field = getattr(form, error.field, None) or next(iter(form))
    field.errors = [*field.errors, _FIELD_MESSAGES.get(error.code, _FIELD_MESSAGES["required"])]


def _form_page(form, consultation: Consultation, heading: str, action: str, *, demands=None, item=None):
    """Show one action's form again with the person's text and the problem (status 422)."""
    return render_template("consolidation/form.html", form=form, consultation=consultation, heading=heading,
                           action=action, demands=demands or [], item=item,
                           is_board=permissions.is_board(current_user, consultation)), 422


def _item_values(form: ItemForm) -> dict[str, str]:
    return {"title_es": form.title_es.data or "", "title_en": form.title_en.data or "",
            "summary_es": form.summary_es.data or "", "summary_en": form.summary_en.data or ""}


# --- the workspace ------------------------------------------------------------------------------------------------

@bp.get("/consultations/<int:consultation_id>/consolidation")
@login_required
def workspace(consultation_id: int):
    """Show the board's workspace: suggestions, items with their demands, objections to answer."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    demands = services.visible_demands(consultation)
    placed = services.placements(consultation)
    items = services.items_of(consultation)
    by_item: dict[int, list[Demand]] = {item.id: [] for item in items}
    aside, unplaced = [], []
    for demand in demands:
        placement = placed.get(demand.id)
        if placement is None:
            unplaced.append(demand)
        elif placement.agenda_item_id in by_item:
            by_item[placement.agenda_item_id].append(demand)
        else:
            aside.append((demand, placement))
    groups = suggestions.suggested_groups(consultation, demands, placed)
    in_clusters = {d.id for group in groups for d in group.demands}
    return render_template(
        "consolidation/workspace.html", consultation=consultation, federation=consultation.federation,
        demands=demands, placed=placed, items=items, by_item=by_item, aside=aside,
        groups=groups, sureness=_sureness, not_suggested=[d for d in unplaced if d.id not in in_clusters],
        unplaced=unplaced,
        suggestion=suggestions.suggestion_of(consultation),
        provenance={item.id: services.provenance(item, by_item[item.id]) for item in items},
        objections=objections.objections_of(consultation, open_only=True),
        is_open=consultation.phase is Phase.CONSOLIDATING, prefill=_prefill,
    )


_SURENESS = {"high": _l("high"), "medium": _l("medium"), "low": _l("low")}


def _sureness(confidence: float) -> str:
    """Say how sure the engine is, in words and as a percentage ("high, 72 %")."""
    level = "high" if confidence >= 0.6 else "medium" if confidence >= consolidation.CONFIDENT else "low"
    return _("%(level)s (%(percent)d%%)", level=_SURENESS[level], percent=round(confidence * 100))


def _prefill(cluster: list[Demand]) -> dict[str, str]:
    """Prefill an item's titles and summaries from its demands: the most agreed title in each language."""
    ranked = sorted(cluster, key=lambda d: (-d.agree_count, d.id))
    spanish = next((d for d in ranked if d.language.value != "en"), ranked[0])
    english = next((d for d in ranked if d.language.value == "en"), ranked[0])
    listing = "\n".join(f"- {d.title}" for d in ranked)
    return {"title_es": spanish.title, "title_en": english.title, "summary_es": listing, "summary_en": listing}


@bp.post("/consultations/<int:consultation_id>/consolidation/suggestions")
@login_required
def refresh(consultation_id: int):
    """Ask for new suggestions for the demands not placed yet: a job computes them; its page shows when they are."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        job = suggestions.queue_refresh(consultation, current_user)
    except DomainError as error:
        return _refused(error, consultation_id)
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.post("/consultations/<int:consultation_id>/consolidation/accept")
@login_required
def accept(consultation_id: int):
    """Accept a suggested group (its checked demands) as a new agenda item."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    form = AcceptForm()
    if form.validate_on_submit():
        try:
            item = services.accept_cluster(consultation, current_user, form.demand_ids.data or [],
                                           **_item_values(form))
        except ValidationFailed as error:
            if error.field == "demand_ids":
                flash(_("Check at least one demand to make an agenda item. Nothing was changed."), "danger")
                return _to_workspace(consultation_id, "suggestions")
            _field_error(form, error)
        except DomainError as error:
            return _refused(error, consultation_id)
        else:
            flash(_("The agenda item “%(title)s” was created; its authors have been notified.",
                    title=item.title(_locale())), "success")
            return _to_workspace(consultation_id, f"item-{item.id}")
    demands = [d for d in services.visible_demands(consultation) if d.id in set(form.demand_ids.data or [])]
    return _form_page(form, consultation, _("Accept as an agenda item"), url_for(".accept",
                      consultation_id=consultation_id), demands=demands)


@bp.route("/agenda-items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit(item_id: int):
    """Edit an item's titles and summaries in Spanish and English."""
    item = _board_item(item_id)
    form = ItemForm(obj=item)
    if form.validate_on_submit():
        try:
            services.edit_item(item, current_user, **_item_values(form))
        except ValidationFailed as error:
            _field_error(form, error)
        except DomainError as error:
            return _refused(error, item.consultation_id)
        else:
            flash(_("The agenda item was saved."), "success")
            return _to_workspace(item.consultation_id, f"item-{item.id}")
    page = render_template("consolidation/form.html", form=form, consultation=item.consultation, item=item,
                           is_board=permissions.is_board(current_user, item.consultation),
                           heading=_("Edit the agenda item"), action=url_for(".edit", item_id=item.id), demands=[])
    return page, 422 if form.is_submitted() else 200


@bp.post("/agenda-items/<int:item_id>/merge")
@login_required
def merge(item_id: int):
    """Merge this item into another one (its demands move; nothing is deleted)."""
    source = _board_item(item_id)
    form = MergeForm()
    if not form.validate_on_submit():
        flash(_("Choose the agenda item to merge into. Nothing was changed."), "danger")
        return _to_workspace(source.consultation_id, f"item-{source.id}")
    target = db.session.get(AgendaItem, form.target_id.data)
    try:
        if target is None:
            raise NotFound("agenda_item", form.target_id.data)
        services.merge_items(source, target, current_user)
    except DomainError as error:
        return _refused(error, source.consultation_id)
    flash(_("“%(source)s” was merged into “%(target)s”; its demands now belong to it.",
            source=source.title(_locale()), target=target.title(_locale())), "success")
    return _to_workspace(source.consultation_id, f"item-{target.id}")


@bp.post("/agenda-items/<int:item_id>/split")
@login_required
def split(item_id: int):
    """Take the checked demands out of this item into a new one."""
    item = _board_item(item_id)
    form = SplitForm()
    if form.validate_on_submit():
        try:
            new = services.split_item(item, current_user, form.demand_ids.data or [], **_item_values(form))
        except ValidationFailed as error:
            if error.field == "demand_ids":
                flash(_("Check at least one demand to split out. Nothing was changed."), "danger")
                return _to_workspace(item.consultation_id, f"item-{item.id}")
            _field_error(form, error)
        except DomainError as error:
            return _refused(error, item.consultation_id)
        else:
            flash(_("The checked demands now form the new agenda item “%(title)s”.", title=new.title(_locale())),
                  "success")
            return _to_workspace(item.consultation_id, f"item-{new.id}")
    demands = services.demands_of_item(item)
    return _form_page(form, item.consultation, _("Split demands out into a new item"),
                      url_for(".split", item_id=item.id), demands=demands, item=item)


@bp.post("/demands/<int:demand_id>/placement/move")
@login_required
def move(demand_id: int):
    """Link a demand to another agenda item."""
    demand = _board_demand(demand_id)
    form = MoveForm()
    if not form.validate_on_submit():
        flash(_("Choose the agenda item to move the demand to. Nothing was changed."), "danger")
        return _to_workspace(demand.consultation_id)
    target = db.session.get(AgendaItem, form.target_id.data)
    try:
        if target is None:
            raise NotFound("agenda_item", form.target_id.data)
        services.move_demand(demand, target, current_user, form.expected.data)
    except DomainError as error:
        return _refused(error, demand.consultation_id)
    flash(_("“%(demand)s” is now linked to “%(item)s”; its author has been notified.", demand=demand.title,
            item=target.title(_locale())), "success")
    return _to_workspace(demand.consultation_id, f"item-{target.id}")


@bp.post("/demands/<int:demand_id>/placement/own")
@login_required
def own(demand_id: int):
    """Keep a demand as an agenda item of its own."""
    demand = _board_demand(demand_id)
    form = PlaceForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        item = services.keep_as_own_item(demand, current_user, form.expected.data)
    except DomainError as error:
        return _refused(error, demand.consultation_id)
    flash(_("“%(demand)s” is now an agenda item of its own. You can edit its titles.", demand=demand.title),
          "success")
    return _to_workspace(demand.consultation_id, f"item-{item.id}")


@bp.post("/demands/<int:demand_id>/placement/out-of-scope")
@login_required
def out_of_scope(demand_id: int):
    """Set a demand aside as out of scope, with a public reason."""
    demand = _board_demand(demand_id)
    form = OutOfScopeForm()
    if form.validate_on_submit():
        try:
            services.set_out_of_scope(demand, current_user, form.reason.data, form.expected.data)
        except ValidationFailed as error:
            _field_error(form, error)
        except DomainError as error:
            return _refused(error, demand.consultation_id)
        else:
            flash(_("“%(demand)s” was set aside as out of scope; its author can read the reason.",
                    demand=demand.title), "success")
            return _to_workspace(demand.consultation_id, "aside")
    return _form_page(form, demand.consultation, _("Set “%(demand)s” aside as out of scope", demand=demand.title),
                      url_for(".out_of_scope", demand_id=demand.id))


@bp.post("/objections/<int:objection_id>/answer")
@login_required
def answer(objection_id: int):
    """Answer an author's objection (the answer is public on the demand's placement page)."""
    objection = db.get_or_404(Objection, objection_id)
    consultation = consultation_or_404(objection.demand.consultation_id, need=Need.BOARD)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            objections.answer_objection(objection, current_user, form.answer.data)
        except ValidationFailed as error:
            _field_error(form, error)
        except DomainError as error:
            return _refused(error, consultation.id)
        else:
            flash(_("Your answer was recorded; the author has been notified."), "success")
            return _to_workspace(consultation.id, "objections")
    return _form_page(form, consultation, _("Answer the objection"), url_for(".answer", objection_id=objection.id))


@bp.post("/consultations/<int:consultation_id>/consolidation/window")
@login_required
def window(consultation_id: int):
    """Set how many days authors have to object after their demand is placed."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    form = WindowForm()
    if not form.validate_on_submit():
        flash(_("The objection window must be a whole number of days between 1 and 60. Nothing was changed."),
              "danger")
        return _to_workspace(consultation_id, "objections")
    try:
        objections.set_objection_days(consultation, current_user, form.days.data)
    except PhaseClosed:
        flash(_("The objection window can be changed only while consolidating or deliberating."), "danger")
    except ValidationFailed:
        flash(_("The objection window must be a whole number of days between 1 and 60. Nothing was changed."),
              "danger")
    else:
        flash(ngettext("Authors now have %(num)d day to object after a placement.",
                       "Authors now have %(num)d days to object after a placement.", form.days.data), "success")
    return _to_workspace(consultation_id, "objections")


@bp.get("/consultations/<int:consultation_id>/consolidation/log")
@login_required
def log(consultation_id: int):
    """Show the board the audit log of consolidation actions."""
    consultation = consultation_or_404(consultation_id, need=Need.BOARD)
    return render_template("consolidation/log.html", consultation=consultation,
                           entries=services.audit_log(consultation))


# --- pages for members (and the public after consolidating) -------------------------------------------------------

@bp.get("/consultations/<int:consultation_id>/items")
def items(consultation_id: int):
    """List a consultation's agenda items with their provenance."""
    consultation = consultation_or_404(consultation_id, need=Need.ITEMS)
    listed = services.items_of(consultation)
    linked = {item.id: services.demands_of_item(item) for item in listed}
    return render_template(
        "consolidation/items.html", consultation=consultation, items=[i for i in listed if linked[i.id]],
        provenance={item.id: services.provenance(item, linked[item.id]) for item in listed},
        is_board=permissions.is_board(current_user, consultation),
    )


@bp.get("/agenda-items/<int:item_id>")
def item(item_id: int):
    """Show an agenda item: the demands it links, the clubs and members behind it, objections and answers."""
    item = db.get_or_404(AgendaItem, item_id)
    consultation = consultation_or_404(item.consultation_id, need=Need.ITEMS)
    is_member = permissions.is_member(current_user, consultation)
    demands = services.demands_of_item(item)
    locale = _locale()
    return render_template(
        "consolidation/item.html", item=item, consultation=consultation, demands=demands,
        provenance=services.provenance(item, demands), is_member=is_member,
        summary_html=render_markdown(item.summary(locale)),
        objections=objections.objections_on([d.id for d in demands]),
        is_board=permissions.is_board(current_user, consultation),
    )


@bp.get("/demands/<int:demand_id>/placement")
@login_required
def placement(demand_id: int):
    """Show where the board placed a demand, and let its author object within the window."""
    demand = db.get_or_404(Demand, demand_id)
    consultation = consultation_or_404(demand.consultation_id, need=Need.ITEMS)
    board = permissions.is_board(current_user, consultation)
    if not demand.is_visible and not board and demand.author_id != current_user.id:
        abort(404)
    current = services.placement_of(demand)
    return render_template(
        "consolidation/placement.html", demand=demand, consultation=consultation, placement=current,
        deadline=objections.objection_deadline(consultation, current) if current else None,
        can_object=objections.can_object(demand, current_user, current), form=ObjectionForm(),
        objections=objections.objections_on([demand.id]), is_board=board,
    )


@bp.post("/demands/<int:demand_id>/placement/objection")
@login_required
def object_(demand_id: int):
    """Let the author object to where their demand was placed."""
    demand = db.get_or_404(Demand, demand_id)
    consultation_or_404(demand.consultation_id, need=Need.ITEMS)
    form = ObjectionForm()
    back = url_for(".placement", demand_id=demand.id)
    if form.validate_on_submit():
        try:
            objections.object_to_placement(demand, current_user, form.text.data)
        except PermissionDenied:
            abort(403)
        except ValidationFailed as error:
            _field_error(form, error)
        except PhaseClosed:
            flash(_("Objections are no longer possible in this phase of the consultation."), "danger")
            return redirect(back)
        except Conflict as error:
            flash(str(_CONFLICTS.get(error.reason, _CONFLICTS["stale"])), "danger")
            return redirect(back)
        else:
            flash(_("Your objection was sent to the board. Its answer will appear on this page."), "success")
            return redirect(back)
    if demand.author_id != current_user.id:
        abort(403)
    return _form_page(form, demand.consultation, _("Object to the placement of “%(demand)s”", demand=demand.title),
                      url_for(".object_", demand_id=demand.id))
