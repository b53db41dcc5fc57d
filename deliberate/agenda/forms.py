"""Agenda forms: the board's framing, the report window, publishing; minority reports and co-signatures."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional

from deliberate.forms import CleanText, DateInRange, MaxChars, choices


class FramingForm(FlaskForm):
    framing_es = TextAreaField(_l("Framing text in Spanish"), validators=[Optional(), MaxChars(5000), CleanText()])
    framing_en = TextAreaField(_l("Framing text in English"), validators=[Optional(), MaxChars(5000), CleanText()])


class ReportWindowForm(FlaskForm):
    until = DateTimeLocalField(_l("Minority reports can be written until"), format="%Y-%m-%dT%H:%M",
                               validators=[DataRequired(), DateInRange()])


class PublishForm(FlaskForm):
    expected_versions = HiddenField(validators=[InputRequired()])
    correction_note = TextAreaField(_l("What this correction changes and why"),
                                    validators=[Optional(), MaxChars(2000), CleanText()])


class MinorityReportForm(FlaskForm):
    author = SelectField(_l("Written on behalf of"))
    language = SelectField(_l("Language of the report"),
                           choices=choices([("es", _l("Spanish")), ("en", _l("English"))]))
    title = StringField(_l("Title"), validators=[DataRequired(), MaxChars(160), CleanText()])
    text = TextAreaField(_l("Report"), validators=[DataRequired(), MaxChars(3000), CleanText()],
                         description=_l("At most 3,000 characters. It is published exactly as you write it."))


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for one-button actions."""
