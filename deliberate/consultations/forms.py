"""Consultation forms: the texts and schedule, the settings, categories, and the phase confirmation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from deliberate import labels
from deliberate.domain.rules import ClubWeighting
from deliberate.forms import CleanText, DateInRange, MaxChars, choices


class ConsultationForm(FlaskForm):
    title_es = StringField(_l("Title in Spanish"), validators=[Optional(), MaxChars(160), CleanText()])
    title_en = StringField(_l("Title in English"), validators=[Optional(), MaxChars(160), CleanText()])
    description_es = TextAreaField(
        _l("Description in Spanish"), validators=[Optional(), MaxChars(5000), CleanText(markdown=True)],
        description=_l("What this consultation is about and who takes part. You can use Markdown."),
    )
    description_en = TextAreaField(_l("Description in English"),
                                   validators=[Optional(), MaxChars(5000), CleanText(markdown=True)])
    collecting_until = DateField(_l("Collecting demands: last day"), validators=[Optional(), DateInRange()])
    consolidating_until = DateField(_l("Consolidating: last day"), validators=[Optional(), DateInRange()])
    deliberating_until = DateField(_l("Deliberating: last day"), validators=[Optional(), DateInRange()])
    voting_until = DateField(_l("Voting: last day"), validators=[Optional(), DateInRange()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.title_es.data or "").strip() and not (self.title_en.data or "").strip():
            self.title_es.errors.append(_l("Give the consultation a title in Spanish, in English, or both."))
            valid = False
        previous = None
        for field in (self.collecting_until, self.consolidating_until, self.deliberating_until, self.voting_until):
            if field.data is not None and previous is not None and field.data < previous.data:
                field.errors.append(
                    _l("This date comes before the end of an earlier phase (%(label)s). Dates must be in order.",
                       label=previous.label.text)
                )
                valid = False
            previous = field if field.data is not None else previous
        return valid


class SettingsForm(FlaskForm):
    agenda_size = IntegerField(
        labels.SETTING_NAMES["agenda_size"], validators=[InputRequired(), NumberRange(1, 50)],
        description=_l("How many items the published agenda has (1 to 50)."),
    )
    voting_method = SelectField(labels.SETTING_NAMES["voting_method"],
                                choices=choices(labels.choices_of(labels.VOTING_METHOD_NAMES)))
    club_weighting = SelectField(
        labels.SETTING_NAMES["club_weighting"], choices=choices(labels.choices_of(labels.CLUB_WEIGHTING_NAMES)),
    )
    weighting_cap = IntegerField(
        labels.SETTING_NAMES["weighting_cap"], validators=[Optional(), NumberRange(1, 100000)],
        description=_l("Only with the capped weighting: a club weighs at most as much as this many members."),
    )
    club_mode = SelectField(
        labels.SETTING_NAMES["club_mode"],
        choices=choices(labels.choices_of(labels.CLUB_MODE_NAMES)),
        description=_l("Proportional: every member's ballot counts within the club's weight. Bloc: the club's "
                       "majority carries the club's whole weight."),
    )
    selection = SelectField(labels.SETTING_NAMES["selection"],
                            choices=choices(labels.choices_of(labels.AGENDA_SELECTION_NAMES)))
    voters_threshold = IntegerField(
        labels.SETTING_NAMES["voters_threshold"], validators=[InputRequired(), NumberRange(1, 100)],
        description=_l("For the double-majority check: the share of voters an item needs."),
    )
    clubs_threshold = IntegerField(
        labels.SETTING_NAMES["clubs_threshold"], validators=[InputRequired(), NumberRange(1, 100)],
        description=_l("For the double-majority check: the share of clubs an item needs."),
    )
    women_slot = SelectField(labels.SETTING_NAMES["women_slot"])
    participation_parity = SelectField(labels.SETTING_NAMES["participation_parity"])
    board_composition = SelectField(labels.SETTING_NAMES["board_composition"])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        modes = choices(labels.choices_of(labels.CHECK_MODE_CHOICES))
        for field in (self.women_slot, self.participation_parity, self.board_composition):
            field.choices = modes

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.club_weighting.data == ClubWeighting.CAPPED.value and not self.weighting_cap.data:
            self.weighting_cap.errors = [*self.weighting_cap.errors,
                                         _l("With the capped weighting, say how many members the cap is.")]
            valid = False
        return valid


class CategoryForm(FlaskForm):
    name_es = StringField(_l("Name in Spanish"), validators=[Optional(), MaxChars(80), CleanText()])
    name_en = StringField(_l("Name in English"), validators=[Optional(), MaxChars(80), CleanText()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.name_es.data or "").strip() and not (self.name_en.data or "").strip():
            self.name_es.errors = [*self.name_es.errors, _l("Give the category a name.")]
            valid = False
        return valid


class AdvanceForm(FlaskForm):
    """Confirm a phase move; carries the phase the board member saw, so a stale form changes nothing."""

    expected = HiddenField(validators=[DataRequired()])
    target = HiddenField(validators=[DataRequired()])
    confirm = BooleanField(_l("I have read what deserves a second look, and I want to move on"))


class StepBackForm(FlaskForm):
    """Move a consultation one phase back; carries the phase the board member saw, and asks why."""

    expected = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Why are you moving back? Members will read it."),
                           validators=[DataRequired(), MaxChars(500), CleanText()])


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for one-button actions."""
