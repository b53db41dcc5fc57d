"""Languages: Flask-Babel set-up, the language switch and localised formatting helpers for templates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel import Locale, dates, numbers
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from sqlalchemy import select

from deliberate import models
from deliberate.domain import timezones
from deliberate.extensions import babel, db, select_locale

TRANSLATIONS = Path(__file__).resolve().parent / "translations"

LANGUAGE_NAMES = {"es": "Español", "en": "English"}

# Spanish pages are read by Mexican migrants in the United States: numbers and times are written as in Mexico
# (3,200 and 7:21 p.m.), not as in Spain (3.200 and 19:21), where a thousands point reads as a decimal point.
FORMAT_REGIONS = {"es": "es_MX"}


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_time_zone)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.globals.update(
        get_locale=lambda: str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
        language_names=LANGUAGE_NAMES,
        time_zone_name=time_zone_name,
    )
    app.jinja_env.filters.update(
        date=format_date,
        datetime=format_datetime,
        number=format_number,
        percent=format_percent,
    )


# Which federation a page belongs to, from the address it was asked at: (name in the URL, model, path to the
# federation). The first name the URL has wins; consultation_id comes first because most pages carry it.
_FEDERATION_FROM_URL = (
    ("consultation_id", "Consultation", "federation"),
    ("demand_id", "Demand", "consultation.federation"),
    ("item_id", "AgendaItem", "consultation.federation"),
    ("agenda_id", "Agenda", "consultation.federation"),
    ("report_id", "MinorityReport", "consultation.federation"),
    ("category_id", "Category", "federation"),
    ("membership_id", "Membership", "organization.federation"),
    ("event_id", "Event", "federation"),
)


def page_federation():
    """Return the federation (or confederation) the current page belongs to, or None for a page of no federation.

    A view may name it in `g.page_federation`; otherwise it is found from the page's address, so that every page of a
    consultation, demand, agenda or organization shows its federation's clock without each view saying so.
    """
    if "page_federation" in g:
        return g.page_federation
    args = request.view_args or {}
    found = None
    if isinstance(args.get("slug"), str):
        organization = db.session.scalar(select(models.Organization).where(models.Organization.slug == args["slug"]))
        found = organization.federation if organization is not None else None
    else:
        for name, model, path in _FEDERATION_FROM_URL:
            if isinstance(args.get(name), int):
                found = db.session.get(getattr(models, model), args[name])
                for attribute in path.split("."):
                    found = getattr(found, attribute, None)
                break
    g.page_federation = found
    return found


def select_time_zone() -> str:
    """Choose the clock a page's times are shown on: its federation's; else, on a page of no federation (the
    notifications, the account), the federation of the member's clubs when they all share one zone; else UTC."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_TIMEZONE"]
    federation = page_federation()
    if federation is not None:
        return federation.time_zone
    if current_user.is_authenticated:
        zones = {m.organization.federation.time_zone for m in current_user.active_memberships()}
        if len(zones) == 1:
            return zones.pop()
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def page_time_zone() -> str:
    """Return the IANA name of the clock this page shows times on."""
    name = str(get_timezone() or current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return name if name in timezones.ZONES else timezones.DEFAULT_ZONE


def to_page_time(value: datetime) -> datetime:
    """Return a stored moment (naive UTC) on the page's clock, as an aware datetime."""
    return timezones.to_local(value, page_time_zone())


def time_zone_name(name: str | None = None) -> str:
    """Name a zone the way a reader of the page's language knows it: "Pacific Time", "hora del Pacífico", "UTC"."""
    name = name or page_time_zone()
    if name == "UTC":
        return "UTC"
    generic = dates.get_timezone_name(timezones.zone(name), "long", locale=formatting_locale())
    if "(" in generic:  # no common name (Hawaii in Spanish): Babel falls back to "country (city)"
        return generic.split("(", 1)[1].rstrip(")").strip() if ")" in generic else generic
    return generic


def zone_abbreviation(moment: datetime) -> str:
    """Say which clock an aware moment is on, short: "PST", "CDT", "UTC" in English; "hora del Pacífico" in Spanish,
    where no abbreviation is in common use (Babel would write "-0800")."""
    short = dates.format_time(moment, "z", locale=formatting_locale())
    if short and short[0] not in "+-" and not short.startswith("GMT"):
        return short
    return time_zone_name(getattr(moment.tzinfo, "key", None))


def formatting_locale() -> Locale:
    """Return the locale that numbers and dates are written in: the page's language, with its region."""
    language = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    return Locale.parse(FORMAT_REGIONS.get(language, language))


def format_number(value: float, format: str | None = None) -> str:
    """Write a number for the page's language: 3,200 in Spanish and English alike."""
    return numbers.format_decimal(value, format=format, locale=formatting_locale())


def format_percent(value: float, format: str = "#,##0%") -> str:
    """Write a share (0.68) as a percentage (68%)."""
    return numbers.format_percent(value, format, locale=formatting_locale())


def format_money(amount_cents: int | None, currency: str) -> str:
    """Write an amount of whole cents in its own currency (MXN, USD), the page's way; never converted."""
    return numbers.format_currency(Decimal(amount_cents or 0) / 100, str(currency), locale=formatting_locale())


def format_date(value: date | datetime | str, format: str = "medium") -> str:
    """Write a date (a stored datetime is naive UTC: its day on the page's federation's clock; a published
    document's date is ISO text, ``2026-11-28``)."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        value = to_page_time(value)
    return dates.format_date(value, format, locale=formatting_locale())


def format_datetime(value: datetime, format: str = "medium") -> str:
    """Write a moment on the page's federation's clock, saying which clock: "8 nov 2026, 7:21 p.m., hora del
    Pacífico", "Nov 8, 2026, 7:21 PM PST".

    "short" and "medium" both give a date in words and a time without seconds: an all-digit date such as 8/11/26
    reads as August 11 to someone who lives in the United States, and the seconds are noise. "long" and "full" keep
    Babel's own patterns, which name the zone themselves.
    """
    value = to_page_time(value)
    locale = formatting_locale()
    if format in ("short", "medium"):
        time = dates.format_time(value, "short", locale=locale)
        zone = zone_abbreviation(value)
        # "7:21 PM PST", but "7:21 p.m., hora del Pacífico": a name reads after a comma, and needs no brackets that
        # would nest inside a sentence's own "(replaced on …)".
        time = f"{time} {zone}" if zone.isupper() else f"{time}, {zone}"
        day = dates.format_date(value, "medium", locale=locale)
        return locale.datetime_formats["medium"].format(time, day)
    return dates.format_datetime(value, format, locale=locale)
