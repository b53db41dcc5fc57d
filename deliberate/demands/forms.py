"""Demand forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from deliberate import labels
from deliberate.demands.services import BODY_MAX, TITLE_MAX
from deliberate.forms import CleanText, MaxChars, choices
from deliberate.models import Target


class DemandForm(FlaskForm):
    title = StringField(
        _l("Title"),
        description=_l("One sentence: what should change? At most 140 characters."),
        validators=[
            DataRequired(message=_l("Please give your demand a title.")),
            MaxChars(TITLE_MAX, _l("The title can have at most %(max)s characters; it has %(length)s.")),
            CleanText(),
        ],
    )
    body = TextAreaField(
        _l("Description"),
        description=_l("Why it matters and for whom. You can use Markdown: **bold**, lists, links. "
                       "At most 5,000 characters."),
        validators=[
            MaxChars(BODY_MAX, _l("The description can have at most %(max)s characters; it has %(length)s. "
                                  "Please shorten it: your text is still here.")),
            CleanText(markdown=True),
        ],
    )
    category_id = SelectField(_l("Category"), coerce=int, validate_choice=True)
    target = SelectField(
        _l("Addressed to"), choices=choices(labels.choices_of(labels.TARGET_NAMES)),
        default=Target.HOMETOWN_MUNICIPALITY.value,
    )
    language = SelectField(
        _l("Language of the demand"), choices=choices(labels.choices_of(labels.LANGUAGE_NAMES))
    )


class EditDemandForm(DemandForm):
    version = HiddenField()


class WithdrawForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, withdraw my demand"),
        validators=[DataRequired(message=_l("Tick the box to confirm that you want to withdraw your demand."))],
    )


class ListFilterForm(FlaskForm):
    """The list's GET filters (no CSRF: they change nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search words"), validators=[CleanText()])
    club = SelectField(_l("Club"), coerce=int, validate_choice=False)
    category = SelectField(_l("Category"), coerce=int, validate_choice=False)
    target = SelectField(_l("Addressed to"), validate_choice=False)
    language = SelectField(_l("Language"), validate_choice=False)
    sort = SelectField(
        _l("Sort by"), validate_choice=False,
        choices=choices([("newest", _l("Newest first")), ("reactions", _l("Most reactions first"))]),
    )
    per_page = IntegerField(_l("Per page"))
