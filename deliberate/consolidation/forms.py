"""Forms of the consolidation workspace (the many per-row forms are rendered by hand with unique ids)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional

from deliberate.forms import CleanText, MaxChars
from deliberate.routing import DB_INT_MAX


class EmptyForm(FlaskForm):
    """Only the CSRF token: for one-button actions."""


class ItemForm(FlaskForm):
    title_es = StringField(_l("Title in Spanish"), validators=[Optional(), MaxChars(160), CleanText()])
    title_en = StringField(_l("Title in English"), validators=[Optional(), MaxChars(160), CleanText()])
    summary_es = TextAreaField(_l("Summary in Spanish"),
                               validators=[Optional(), MaxChars(5000), CleanText(markdown=True)])
    summary_en = TextAreaField(_l("Summary in English"),
                               validators=[Optional(), MaxChars(5000), CleanText(markdown=True)])


class AcceptForm(ItemForm):
    """Accept a suggested group (or the checked part of it) as a new agenda item."""

    demand_ids = SelectMultipleField(_l("Demands"), coerce=int, validate_choice=False)


class SplitForm(ItemForm):
    """Take the checked demands out of an item into a new item."""

    demand_ids = SelectMultipleField(_l("Demands"), coerce=int, validate_choice=False)


class MergeForm(FlaskForm):
    target_id = IntegerField(_l("Merge into"), validators=[DataRequired(), NumberRange(1, DB_INT_MAX)])


class MoveForm(FlaskForm):
    target_id = IntegerField(_l("Move to"), validators=[DataRequired(), NumberRange(1, DB_INT_MAX)])
    expected = HiddenField()


class PlaceForm(FlaskForm):
    expected = HiddenField()


class OutOfScopeForm(FlaskForm):
    reason = StringField(_l("Public reason"), validators=[DataRequired(), MaxChars(1000), CleanText()])
    expected = HiddenField()


class ObjectionForm(FlaskForm):
    text = TextAreaField(_l("Your objection"), validators=[DataRequired(), MaxChars(2000), CleanText()])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("The board's answer"), validators=[DataRequired(), MaxChars(2000), CleanText()])


class WindowForm(FlaskForm):
    days = IntegerField(_l("Days to object after a placement"), validators=[DataRequired(), NumberRange(min=1, max=60)])
