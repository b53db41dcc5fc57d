"""Organization forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, NumberRange, Optional

from deliberate import labels
from deliberate.domain.timezones import ZONES
from deliberate.forms import CleanText, MaxChars, choices
from deliberate.models import Role


class ClubForm(FlaskForm):
    name = StringField(_l("Club name"), validators=[DataRequired(), MaxChars(120), CleanText()])
    hometown_municipality = StringField(
        _l("Hometown (municipality)"), validators=[Optional(), MaxChars(120), CleanText()]
    )
    hometown_state = StringField(_l("State of origin"), validators=[Optional(), MaxChars(80), CleanText()])
    us_city = StringField(_l("City in the United States"), validators=[Optional(), MaxChars(120), CleanText()])
    us_state = StringField(_l("US state"), validators=[Optional(), MaxChars(80), CleanText()])
    founded_year = IntegerField(_l("Year founded"), validators=[Optional(), NumberRange(min=1900, max=2100)])
    public_contact = StringField(_l("Public contact"), validators=[Optional(), MaxChars(200), CleanText()])
    description = TextAreaField(_l("Description"), validators=[Optional(), MaxChars(2000), CleanText()])


class FederationSettingsForm(FlaskForm):
    """Everything the board sets about its federation: its public details, its clock and its parity baseline."""

    name = StringField(_l("Name of the federation"), validators=[DataRequired(), MaxChars(120), CleanText()])
    description = TextAreaField(_l("Description"), validators=[Optional(), MaxChars(2000), CleanText()])
    public_contact = StringField(_l("Public contact"), validators=[Optional(), MaxChars(200), CleanText()])
    parity_baseline = DecimalField(
        _l("Women's share to compare participation with (%)"), places=1,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
        description=_l("Parity checks compare the share of women among participants with this figure. About 44 "
                       "in 100 Mexican migrants in the United States are women (43.9 according to INEGI)."))
    time_zone = SelectField(
        _l("Time zone"),
        choices=choices((name, labels.ZONE_NAMES[name]) for name in ZONES),
        validate_choice=False,
        validators=[AnyOf(ZONES, message=_l("Choose a time zone from the list."))],
        description=_l("Dates and times on the federation's pages are shown on this clock, and the times the board "
                       "types are read on it. A phase's last day ends at midnight on this clock."),
    )


class RosterForm(FlaskForm):
    """The board uploads the spreadsheet of clubs and members it keeps, saved as CSV."""

    roster = FileField(_l("Roster file (CSV)"), validators=[FileRequired()],
                       render_kw={"accept": ".csv,text/csv,text/plain"},
                       description=_l("One line per person with the columns club, name, email, role (member or "
                                      "officer) and language (es or en), in Spanish or English. Other columns are "
                                      "not read."))


class RosterConfirmForm(FlaskForm):
    """Carries the previewed roster back, so that confirming imports exactly what was shown."""

    roster_data = HiddenField(validators=[DataRequired()])


class FederationSetUpForm(FlaskForm):
    """A site administrator sets up a federation and names its board."""

    name = StringField(_l("Name of the federation"), validators=[DataRequired(), MaxChars(120), CleanText()])
    slug = StringField(_l("Address (optional)"), validators=[Optional(), MaxChars(70)],
                       description=_l("Lower-case words and hyphens, as in /o/fed-zacatecas. Made from the name when "
                                      "left empty."))
    time_zone = SelectField(_l("Time zone"), choices=choices((name, labels.ZONE_NAMES[name]) for name in ZONES),
                            validate_choice=True, default="America/Los_Angeles")
    board = TextAreaField(_l("Board members' email addresses"), validators=[DataRequired(), MaxChars(5000)],
                          description=_l("One per line. People with an account join the board now; the others are "
                                         "emailed a link that works once."))


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), MaxChars(500), CleanText()])


class ClubRoleForm(FlaskForm):
    role = SelectField(
        _l("Role"), choices=choices([(role.value, labels.ROLE_NAMES[role]) for role in (Role.MEMBER, Role.OFFICER)])
    )


class AppointForm(FlaskForm):
    user_id = SelectField(_l("Person"), coerce=int, validate_choice=True)
    role = SelectField(
        _l("Role"),
        choices=choices(
            [(role.value, labels.ROLE_NAMES[role]) for role in (Role.BOARD, Role.ADMIN)] + [("", _l("No role"))]
        ),
    )


class InvitationForm(FlaskForm):
    role = SelectField(_l("Role"))
    max_uses = IntegerField(
        _l("How many people can use it"), default=1, validators=[DataRequired(), NumberRange(1, 500)]
    )
    days = IntegerField(_l("Valid for (days)"), default=14, validators=[DataRequired(), NumberRange(1, 90)])


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for one-button actions."""
