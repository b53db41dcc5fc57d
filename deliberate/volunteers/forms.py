"""Volunteer role forms: posting a role, and a member's choice to show a role beside her name."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from deliberate.domain.volunteers import MAX_PLACES
from deliberate.forms import CleanText, DateInRange, MaxChars, choices


class RoleForm(FlaskForm):
    title_es = StringField(_l("Role in Spanish"), validators=[Optional(), MaxChars(160), CleanText()],
                           description=_l("For example: tesorería, traducción, apoyo en eventos, chofer para la "
                                          "caravana de diciembre."))
    title_en = StringField(_l("Role in English"), validators=[Optional(), MaxChars(160), CleanText()])
    poster = SelectField(_l("Posted by"), coerce=int, validators=[Optional()])
    places = IntegerField(_l("Number of places"), default=1, validators=[
        InputRequired(), NumberRange(min=1, max=MAX_PLACES, message=_l("Write a number from 1 to 100."))])
    ends_on = DateField(_l("Last day to take it up (optional)"), validators=[Optional(), DateInRange()])
    description_es = TextAreaField(_l("What it involves, in Spanish"),
                                   validators=[Optional(), MaxChars(3000), CleanText(markdown=True)])
    description_en = TextAreaField(_l("What it involves, in English"),
                                   validators=[Optional(), MaxChars(3000), CleanText(markdown=True)])

    def set_choices(self, clubs, is_board: bool) -> None:
        posters = ([(0, _l("The federation's board"))] if is_board else []) + [(club.id, club.name)
                                                                               for club in clubs]
        self.poster.choices = choices(posters)


class ShowForm(FlaskForm):
    is_shown = BooleanField(_l("Show this role beside my name to the federation's members"))
