"""Assembly forms: the record, its co-signature, the voter roll, a typed sheet, a resolution and the printing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from deliberate.assemblies.services import MAX_MINUTES, MAX_PLACE, MAX_PRESENT
from deliberate.domain.assembly import MAX_SHEETS
from deliberate.forms import CleanText, DateInRange, MaxChars, choices


class AssemblyForm(FlaskForm):
    club_id = SelectField(_l("Club"), coerce=int, validate_choice=True)
    held_on = DateField(_l("Date of the assembly"), validators=[InputRequired(_l("Give the date of the assembly.")),
                                                               DateInRange()])
    place = StringField(_l("Place"), description=_l("For example: the church hall, or a member’s back yard."),
                        validators=[DataRequired(_l("Say where the assembly was held.")), MaxChars(MAX_PLACE),
                                    CleanText()])
    members_present = IntegerField(
        _l("Members present"),
        validators=[InputRequired(_l("Give the number of members present.")),
                    NumberRange(1, MAX_PRESENT, _l("Give a number from 1 to %(max)s.", max=MAX_PRESENT))])
    minutes = TextAreaField(
        _l("Minutes (acta)"), description=_l("What was discussed and agreed, as the minutes say it."),
        validators=[DataRequired(_l("Write the minutes of the assembly.")), MaxChars(MAX_MINUTES), CleanText()])
    scan = FileField(_l("Scan or photo of the signed minutes (optional)"),
                     description=_l("A JPEG or PNG of at most 1.8 MB. Its metadata (place, camera, date) is removed "
                                    "before it is kept."))


class ConfirmForm(FlaskForm):
    """A form with only its CSRF token: co-sign, mark the roll (the members' boxes are read by id)."""


class SheetForm(FlaskForm):
    """A typed paper sheet: its code; the rank boxes and approval boxes are read from the request by item id."""

    sheet = StringField(_l("Sheet code"), description=_l("As printed at the top of the sheet, for example "
                                                         "ABCD-EFGH-K."),
                        validators=[DataRequired(_l("Type the code printed on the sheet.")), MaxChars(20),
                                    CleanText()])


class ResolveForm(FlaskForm):
    sheet_tag = StringField(validators=[DataRequired(), MaxChars(64)])
    entry = StringField(validators=[DataRequired(), MaxChars(32)])


class PrintForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: printing writes nothing

    sheets = IntegerField(_l("Number of sheets"), default=20,
                          validators=[InputRequired(), NumberRange(1, MAX_SHEETS,
                                                                   _l("Give a number from 1 to %(max)s.",
                                                                      max=MAX_SHEETS))])
    language = SelectField(_l("Language of the sheets"), choices=choices([("es", "Español"), ("en", "English")]),
                           default="es")
