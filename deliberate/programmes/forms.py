"""Programme forms: the board's programme and commitments; the owners' status, progress, milestones, funding and
updates; following an item."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from deliberate import labels
from deliberate.domain.programmes import CommitmentStatus, OwnerKind
from deliberate.forms import CleanText, MaxChars, choices


class _DateRange:
    """Refuse a date outside the years 2000 to 2099 (a typed year 9999 is a mistake, and overflows date sums)."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, date) and not date(2000, 1, 1) <= field.data <= date(2099, 12, 31):
            raise ValidationError(_l("Choose a date between the years 2000 and 2099."))


DATE_RANGE = _DateRange()
MONEY = NumberRange(min=Decimal(0), max=Decimal(10**12), message=_l("Write an amount from 0 to 1,000,000,000,000."))
MONEY_HINT = _l("In the currency chosen, with up to two decimals; it is never converted.")


def _date(label, required: bool = False, **kwargs) -> DateField:
    return DateField(label, validators=[DataRequired() if required else Optional(), DATE_RANGE], **kwargs)


def _money(label, required: bool = False, **kwargs) -> DecimalField:
    return DecimalField(label, places=2, validators=[InputRequired() if required else Optional(), MONEY],
                        description=MONEY_HINT, **kwargs)


def cents(amount: Decimal | None) -> int:
    """Turn a typed amount into whole cents."""
    return int((amount or Decimal(0)).quantize(Decimal("0.01")) * 100)


def authority_choices(blank: bool = True):
    pairs = labels.choices_of(labels.TARGET_NAMES)
    return choices(([("", _l("Not addressed to an authority yet"))] if blank else []) + pairs)


class ProgrammeForm(FlaskForm):
    item = SelectField(_l("Agenda item"), coerce=int, validators=[InputRequired()])
    title_es = StringField(_l("Title in Spanish"), validators=[Optional(), MaxChars(160), CleanText()])
    title_en = StringField(_l("Title in English"), validators=[Optional(), MaxChars(160), CleanText()])
    description_es = TextAreaField(_l("Description in Spanish"),
                                   validators=[Optional(), MaxChars(5000), CleanText()])
    description_en = TextAreaField(_l("Description in English"),
                                   validators=[Optional(), MaxChars(5000), CleanText()])
    owner_kind = RadioField(_l("Who answers for it"), default=OwnerKind.BOARD.value,
                            choices=choices(labels.choices_of(labels.OWNER_NAMES)))
    owner_club = SelectField(_l("The club, when a club answers for it"), coerce=int, validators=[Optional()])
    owner_member = SelectField(_l("The member, when a named member answers for it"), coerce=int,
                               validators=[Optional()])
    authority = SelectField(_l("Addressed to"), choices=authority_choices(), validators=[Optional()])
    starts_on = _date(_l("Starts on"))
    due_on = _date(_l("Due on"))
    budget = _money(_l("Budget"))
    budget_currency = SelectField(_l("Currency of the budget"),
                                  choices=choices(labels.choices_of(labels.CURRENCY_NAMES)))
    is_for_women = BooleanField(_l("Designed for women: by women, for women"),
                                description=_l("The agenda and the programme pages count these projects and show "
                                               "how they are doing."))

    def set_owner_choices(self, items, clubs, users) -> None:
        if "item" in self._fields:  # editing: the item never changes (a programme for another item is new)
            self.item.choices = choices((item.id, title) for item, title in items)
        self.owner_club.choices = choices([(0, _l("No club"))] + [(club.id, club.name) for club in clubs])
        self.owner_member.choices = choices([(0, _l("No member"))] + [(user.id, user.display_name)
                                                                        for user in users])


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=choices(labels.choices_of(labels.PROGRAMME_STATUS_NAMES)))
    reason = TextAreaField(_l("Public reason"), validators=[Optional(), MaxChars(2000), CleanText()],
                           description=_l("Needed to block or drop a programme. Everyone can read it."))


class ProgressForm(FlaskForm):
    percent = IntegerField(_l("Progress in percent"), validators=[
        InputRequired(), NumberRange(min=0, max=100, message=_l("Write a number from 0 to 100."))])


class MilestoneForm(FlaskForm):
    title_es = StringField(_l("Milestone in Spanish"), validators=[Optional(), MaxChars(160), CleanText()])
    title_en = StringField(_l("Milestone in English"), validators=[Optional(), MaxChars(160), CleanText()])
    due_on = _date(_l("Due on"))
    weight = IntegerField(_l("Weight (share of 100)"), default=10, validators=[
        InputRequired(), NumberRange(min=1, max=100, message=_l("Write a number from 1 to 100."))],
        description=_l("The weights of a programme's milestones add up to at most 100."))


class FundingForm(FlaskForm):
    source = SelectField(_l("Source"), choices=choices(labels.choices_of(labels.SOURCE_NAMES)))
    currency = SelectField(_l("Currency"), choices=choices(labels.choices_of(labels.CURRENCY_NAMES)))
    committed = _money(_l("Committed"), required=True)
    received = _money(_l("Received so far"))
    committed_on = _date(_l("Committed on"))
    received_on = _date(_l("Last received on"))


class ReceivedForm(FlaskForm):
    received = _money(_l("Received so far"), required=True)
    received_on = _date(_l("Last received on"))


class CommitmentForm(FlaskForm):
    official = StringField(_l("Official or office"), validators=[DataRequired(), MaxChars(120), CleanText()])
    authority = SelectField(_l("Authority"), choices=authority_choices(blank=False))
    promise = TextAreaField(_l("What was promised"), validators=[DataRequired(), MaxChars(2000), CleanText()])
    promised_on = _date(_l("Promised on"), required=True)
    due_on = _date(_l("To be kept by"))
    evidence = TextAreaField(_l("Evidence links"), validators=[Optional(), MaxChars(5000), CleanText()],
                             description=_l("Addresses starting with https://, one a line: a minute, a video, a "
                                            "news article."))


class CommitmentStatusForm(FlaskForm):
    status = SelectField(_l("The promise was"), choices=choices(
        (s.value, label) for s, label in labels.COMMITMENT_NAMES.items() if s is not CommitmentStatus.LATE))


class UpdateForm(FlaskForm):
    happened_on = _date(_l("Date"), required=True)
    text = TextAreaField(_l("What happened"), validators=[DataRequired(), MaxChars(3000), CleanText()])
    links = TextAreaField(_l("Links"), validators=[Optional(), MaxChars(5000), CleanText()],
                          description=_l("Addresses starting with https://, one a line."))
    photo = FileField(_l("Photo (optional)"), render_kw={"accept": "image/jpeg,image/png,image/webp"},
                      description=_l("A JPEG, PNG or WebP picture of at most 15 MB. Where, when and with which phone "
                                     "it was taken is removed: only the picture is published."))
    photo_description = StringField(
        _l("What the photo shows"), validators=[Optional(), MaxChars(300), CleanText()],
        description=_l("Needed with a photo: it is read to people who cannot see the picture."))

