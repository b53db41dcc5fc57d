"""Event forms: planning an event, the attendance checklist, materials (links and documents) and tracks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateTimeLocalField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from deliberate import labels
from deliberate.domain.events import MAX_CAPACITY, EventKind, EventMode, TrackAudience
from deliberate.forms import CleanText, DateInRange, MaxChars, choices

MOMENT = "%Y-%m-%dT%H:%M"


class EventForm(FlaskForm):
    title_es = StringField(_l("Title in Spanish"), validators=[Optional(), MaxChars(160), CleanText()])
    title_en = StringField(_l("Title in English"), validators=[Optional(), MaxChars(160), CleanText()])
    kind = SelectField(_l("Kind of event"), default=EventKind.WORKSHOP.value,
                       choices=choices(labels.choices_of(labels.EVENT_KIND_NAMES)))
    organiser = SelectField(_l("Organised by"), coerce=int, validators=[Optional()])
    starts_at = DateTimeLocalField(_l("Starts"), format=MOMENT, validators=[DataRequired(), DateInRange()])
    ends_at = DateTimeLocalField(_l("Ends"), format=MOMENT, validators=[Optional(), DateInRange()])
    mode = RadioField(_l("Where"), default=EventMode.IN_PERSON.value,
                      choices=choices(labels.choices_of(labels.EVENT_MODE_NAMES)))
    address = StringField(_l("Address, for an event in person"), validators=[Optional(), MaxChars(300), CleanText()],
                          description=_l("Only the federation's members see it."))
    online_link = StringField(_l("Link, for an online event"), validators=[Optional(), MaxChars(500), CleanText()],
                              description=_l("A full address starting with https://. Only the federation's members "
                                             "see it."))
    capacity = IntegerField(_l("Seats"), default=30, validators=[
        InputRequired(), NumberRange(min=1, max=MAX_CAPACITY, message=_l("Write a number from 1 to 10,000."))])
    track = SelectField(_l("Track"), coerce=int, validators=[Optional()])
    is_reserved = BooleanField(_l("Reserved for the track's audience"))
    description_es = TextAreaField(_l("Description in Spanish"),
                                   validators=[Optional(), MaxChars(5000), CleanText(markdown=True)])
    description_en = TextAreaField(_l("Description in English"),
                                   validators=[Optional(), MaxChars(5000), CleanText(markdown=True)])

    def set_choices(self, clubs, tracks, locale: str, is_board: bool) -> None:
        organisers = ([(0, _l("The federation's board"))] if is_board else []) + [(club.id, club.name)
                                                                                  for club in clubs]
        self.organiser.choices = choices(organisers)
        self.track.choices = choices([(0, _l("No track"))] + [
            (track.id, labels.in_language(track.name_es, track.name_en, locale)) for track in tracks])


class MaterialForm(FlaskForm):
    title = StringField(_l("What it is"), validators=[DataRequired(), MaxChars(160), CleanText()])
    url = StringField(_l("Link"), validators=[DataRequired(), MaxChars(500), CleanText()],
                      description=_l("A full address starting with https://"))


class DocumentForm(FlaskForm):
    doc_title = StringField(_l("What it is"), validators=[DataRequired(), MaxChars(160), CleanText()])
    document = FileField(_l("Document"), validators=[FileRequired(_l("Choose a file to share."))],
                         description=_l("A PDF, a JPEG or a PNG of at most 1.8 MB. Photos lose their metadata (the "
                                        "place, the camera); a PDF keeps its properties (such as its author), so "
                                        "check them before you share it."))


class TrackForm(FlaskForm):
    name_es = StringField(_l("Name in Spanish"), validators=[Optional(), MaxChars(120), CleanText()])
    name_en = StringField(_l("Name in English"), validators=[Optional(), MaxChars(120), CleanText()])
    audience = SelectField(_l("Who it is for"), default=TrackAudience.EVERYONE.value,
                           choices=choices(labels.choices_of(labels.AUDIENCE_NAMES)))
