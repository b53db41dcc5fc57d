"""Mentoring forms: an offer, a request, a meeting, the end of a pairing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, TextAreaField
from wtforms.validators import DataRequired

from deliberate.forms import CleanText, DateInRange, MaxChars


class OfferForm(FlaskForm):
    topics = TextAreaField(_l("What you can help with"), validators=[DataRequired(), MaxChars(1000), CleanText()],
                           description=_l("For example: running a club's assembly, keeping the accounts, speaking "
                                          "with officials."))


class RequestForm(FlaskForm):
    wants = TextAreaField(_l("What you want to learn"), validators=[DataRequired(), MaxChars(1000), CleanText()])
    wants_woman_mentor = BooleanField(_l("I would prefer a woman mentor"))


class MeetingForm(FlaskForm):
    met_on = DateField(_l("Date of the meeting"), validators=[DataRequired(), DateInRange()])
    note = TextAreaField(_l("Short note (only the two of you read it)"), validators=[MaxChars(500), CleanText()])


class EndForm(FlaskForm):
    note = TextAreaField(_l("How it went, in a few words"), validators=[DataRequired(), MaxChars(500), CleanText()])
