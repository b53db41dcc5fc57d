"""Languages: Flask-Babel set-up, the language switch and localised formatting helpers for templates."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale

from deliberate.extensions import babel, select_locale

TRANSLATIONS = Path(__file__).resolve().parent / "translations"

LANGUAGE_NAMES = {"es": "Español", "en": "English"}


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
        datetime=lambda value, fmt="medium": format_datetime(value, fmt),
        number=format_decimal,
        percent=lambda value, fmt="#,##0%": format_percent(value, fmt),
    )
