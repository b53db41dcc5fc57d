"""Languages: Flask-Babel set-up, the language switch and localised formatting helpers for templates."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from babel import Locale, dates, numbers
from flask import Flask, current_app
from flask_babel import get_locale, to_user_timezone

from deliberate.extensions import babel, select_locale

TRANSLATIONS = Path(__file__).resolve().parent / "translations"

LANGUAGE_NAMES = {"es": "Español", "en": "English"}

# Spanish pages are read by Mexican migrants in the United States: numbers and times are written as in Mexico
# (3,200 and 7:21 p.m.), not as in Spain (3.200 and 19:21), where a thousands point reads as a decimal point.
FORMAT_REGIONS = {"es": "es_MX"}


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.globals.update(
        get_locale=lambda: str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
        language_names=LANGUAGE_NAMES,
    )
    app.jinja_env.filters.update(
        date=format_date,
        datetime=format_datetime,
        number=format_number,
        percent=format_percent,
    )


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


def format_date(value: date | datetime, format: str = "medium") -> str:
    """Write a date (a stored datetime is naive UTC, shown in the site's time zone)."""
    if isinstance(value, datetime):
        value = to_user_timezone(value)
    return dates.format_date(value, format, locale=formatting_locale())


def format_datetime(value: datetime, format: str = "medium") -> str:
    """Write a moment as a date in words and a time without seconds: "8 nov 2026, 7:21 p.m.", "Nov 8, 2026, 7:21 PM".

    "short" and "medium" both give this form: an all-digit date such as 8/11/26 reads as August 11 to someone who
    lives in the United States, and the seconds are noise. "long" and "full" keep Babel's own patterns.
    """
    value = to_user_timezone(value)
    locale = formatting_locale()
    if format in ("short", "medium"):
        time = dates.format_time(value, "short", locale=locale)
        day = dates.format_date(value, "medium", locale=locale)
        return locale.datetime_formats["medium"].format(time, day)
    return dates.format_datetime(value, format, locale=locale)
