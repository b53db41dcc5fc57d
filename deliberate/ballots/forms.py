"""Ballot forms: the rank selectors and support boxes are read from the request by item id; these forms carry the
CSRF token, the receipt code for a replacement and the receipt lookup."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Optional

from deliberate.forms import CleanText, MaxChars


class BallotForm(FlaskForm):
    """The review and cast steps; ``receipt`` is needed only to replace a ballot already cast."""

    receipt = StringField(_l("Your receipt code (only to replace the ballot you already cast)"),
                          validators=[Optional(), MaxChars(40), CleanText()])


class ReceiptLookupForm(FlaskForm):
    code = StringField(_l("Receipt code"), validators=[DataRequired(), MaxChars(40), CleanText()])
