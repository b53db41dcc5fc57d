"""Health pages: the public summary of a federation's strength and parity, and the board's dashboard."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from deliberate import errors, labels
from deliberate.domain import health as rules
from deliberate.domain.errors import DomainError
from deliberate.domain.health import Body, Flag, FlagKind
from deliberate.health import services
from deliberate.health.forms import QuotaForm
from deliberate.i18n import format_percent
from deliberate.models import Role
from deliberate.organizations.forms import EmptyForm
from deliberate.organizations.views import federation_or_404, organization_or_404
from deliberate.permissions import is_board

bp = Blueprint("health", __name__)
def describe_flag(flag: Flag) -> str:
    """Say where action is needed, in the page's language."""
    if flag.kind is FlagKind.NO_WOMAN_OFFICER:
        return _("%(club)s has no woman officer.", club=flag.subject)
    if flag.kind is FlagKind.INACTIVE_CLUB:
        return _("%(club)s has shown no activity in the last 90 days.", club=flag.subject)
    if flag.kind is FlagKind.SHARE_FELL:
        return _("Women's share among %(group)s fell %(points)s points since the previous consultation.",
                 group=labels.population_name(flag.subject).lower(), points=f"{flag.points:g}")
    if flag.kind is FlagKind.BELOW_BASELINE:
        return _("Women's share among %(group)s is %(points)s points below the baseline.",
                 group=labels.population_name(flag.subject).lower(), points=f"{flag.points:g}")
    return _("The quota rule for %(body)s (at least %(percent)s%% women) is not met.",
             body=labels.name_of(labels.BODY_NAMES, flag.subject).lower(), percent=f"{flag.points:g}")


def _trend_chart(data: services.Health) -> Markup:
    chart = rules.Chart(
        title=_("Women's share over the last consultations"),
        labels=tuple(f"#{row.consultation.id}" for row in data.trends),
        series=tuple(rules.Series(labels.population_name(name), tuple(getattr(row, name).share for row in data.trends),
                                  f"chart-series-{number}")
                     for number, name in enumerate(("authors", "reactors", "voters"))),
        baseline=data.baseline)
    return Markup(rules.svg_chart(chart, baseline_label=_("Baseline: %(share)s",  # noqa: S704 - it escapes its text
                                                          share=format_percent(data.baseline, "#,##0.0%"))))


def quarter_label(quarter: rules.Quarter) -> str:
    return _("Q%(number)s %(year)s", number=quarter.number, year=quarter.year)


def _quarter_chart(data: services.Health) -> Markup:
    names = ("voters", "authors", "attendees")
    chart = rules.Chart(
        title=_("Women's share by quarter"), labels=tuple(quarter_label(row.quarter) for row in data.quarters),
        series=tuple(rules.Series(labels.population_name(name),
                                  tuple(getattr(row, name).share for row in data.quarters),
                                  f"chart-series-{number}") for number, name in enumerate(names)),
        baseline=data.baseline)
    return Markup(rules.svg_chart(chart, baseline_label=_("Baseline: %(share)s",  # noqa: S704 - it escapes its text
                                                          share=format_percent(data.baseline, "#,##0.0%"))))


@bp.get("/o/<slug>/health")
def summary(slug: str):
    """Show anyone how strong the federation is and where women stand in its leadership."""
    federation = organization_or_404(slug)
    if federation.is_club:
        abort(404)
    data = services.federation_health(federation, full=False)
    return render_template("health/summary.html", federation=federation, data=data,
                           is_board=is_board(current_user, federation))


@bp.get("/o/<slug>/health/board")
@login_required
def dashboard(slug: str):
    """The board's dashboard: clubs, participation per stage, parity, trends, flags and quota rules."""
    federation = federation_or_404(slug, Role.BOARD)
    return _dashboard(federation)


def _dashboard(federation, form: QuotaForm | None = None, status: int = 200):
    data = services.federation_health(federation, full=True)
    return render_template("health/dashboard.html", federation=federation, data=data,
                           flags=[describe_flag(flag) for flag in data.flags],
                           chart=_trend_chart(data) if data.trends else None,
                           quarter_chart=_quarter_chart(data) if data.quarters else None,
                           quarter_label=quarter_label,
                           quota_form=form or QuotaForm(formdata=None), empty_form=EmptyForm(formdata=None)), status


@bp.post("/o/<slug>/health/quotas")
@login_required
def set_quota(slug: str):
    federation = federation_or_404(slug, Role.BOARD)
    form = QuotaForm()
    if not form.validate_on_submit():
        return _dashboard(federation, form, 422)
    services.set_quota(federation, current_user, Body(form.body.data), form.min_percent.data)
    flash(_("The quota rule is saved."), "success")
    return redirect(url_for(".dashboard", slug=federation.slug))


@bp.post("/o/<slug>/health/quotas/<int:rule_id>/remove")
@login_required
def remove_quota(slug: str, rule_id: int):
    federation = federation_or_404(slug, Role.BOARD)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.remove_quota(federation, current_user, rule_id)
    except DomainError as error:
        flash(errors.refusal(error), "warning")
    else:
        flash(_("The quota rule is removed."), "success")
    return redirect(url_for(".dashboard", slug=federation.slug))
