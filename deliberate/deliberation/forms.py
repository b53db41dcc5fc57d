"""Forms of deliberation: a reaction, an argument, a report or a moderation reason, and one-button actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired

from deliberate.forms import CleanText, MaxChars, choices
from deliberate.models import ReactionValue, Side

REACTION_CHOICES = [
    (int(ReactionValue.AGREE), _l("Agree")),
    (int(ReactionValue.DISAGREE), _l("Disagree")),
    (int(ReactionValue.PASS), _l("Pass")),
]


class ReactionForm(FlaskForm):
    """Three submit buttons named ``value``; ``return_to`` says which page to go back to."""

    value = SelectField(_l("Your reaction"), coerce=int, choices=choices(REACTION_CHOICES))
    return_to = HiddenField(default="demand", validators=[AnyOf(["demand", "flow"])])


class ArgumentForm(FlaskForm):
    """Used with prefix "for" or "against", so both columns' forms can sit on one page."""

    body = TextAreaField(
        _l("Your argument"),
        validators=[DataRequired(_l("Write your argument first.")), MaxChars(1000), CleanText()],
        description=_l("Plain text, at most 1,000 characters. Line breaks are kept."),
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Please give a reason.")), MaxChars(500), CleanText()],
        description=_l("At most 500 characters."),
    )


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for one-button actions."""


def panel_forms(argument_forms: dict[Side, ArgumentForm] | None = None) -> dict:
    """Return the empty forms of a demand's panel, keeping an argument form that came back with errors."""
    kept = argument_forms or {}
    return {
        "reaction_form": ReactionForm(formdata=None),
        "argument_forms": {side: kept.get(side) or ArgumentForm(formdata=None, prefix=side.value) for side in Side},
        "empty_form": EmptyForm(formdata=None),
    }
