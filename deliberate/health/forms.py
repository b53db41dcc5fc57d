"""Health forms: a quota rule over a leadership body."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from deliberate import labels
from deliberate.forms import choices


class QuotaForm(FlaskForm):
    body = SelectField(_l("Leadership body"), choices=choices(labels.choices_of(labels.BODY_NAMES)))
    min_percent = IntegerField(_l("At least this percent of women"), default=40, validators=[
        InputRequired(), NumberRange(min=1, max=100, message=_l("Write a number from 1 to 100."))])
