"""Forms of deliberation: a reaction, an argument, a report or a moderation reason, and one-button actions."""

from __future__ import annotations

import csv
import io

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, StopValidation

from deliberate import labels
from deliberate.forms import CleanText, MaxChars, choices
from deliberate.models import Language, ReactionValue, Side

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


#: The columns each file of a Polis export must have for the import (deliberate.polis reads them by name).
POLIS_COLUMNS = {
    "comments": ("comment-id", "author-id", "moderated", "comment-body"),
    "votes": ("timestamp", "comment-id", "voter-id", "vote"),
    "summary": (),
}


class PolisCsv:
    """Check an uploaded file of a Polis export: its size, UTF-8 text, and the columns the import reads.

    The file's text is left on ``field.text`` for the view; reading every row is the import job's work.
    """

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns

    def __call__(self, form, field) -> None:
        field.text = None
        storage = field.data
        if storage is None or not getattr(storage, "filename", ""):
            return
        limit = current_app.config["POLIS_FILE_MAX_BYTES"]
        data = storage.read(limit + 1)
        if len(data) > limit:
            raise StopValidation(_l("This file is larger than %(mb)d MB: export a smaller conversation, or ask "
                                    "whoever runs the site to import it.", mb=limit // 1_000_000))
        if not data.strip():
            raise StopValidation(_l("This file is empty."))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise StopValidation(_l("This file is not UTF-8 text (byte %(byte)d). Polis exports are UTF-8: save "
                                    "it as UTF-8 and upload it again.", byte=error.start)) from None
        header = next(csv.reader(io.StringIO(text)), [])
        missing = [column for column in self.columns if column not in {name.strip() for name in header}]
        if missing:
            raise StopValidation(_l("This file is not the expected file of a Polis export: the column(s) "
                                    "%(columns)s are missing.", columns=", ".join(missing)))
        field.text = text


class PolisUploadForm(FlaskForm):
    """A board member uploads the CSV files of a Polis conversation's export."""

    comments = FileField(_l("comments.csv (the statements)"),
                         validators=[FileRequired(_l("Choose the file comments.csv of the export.")),
                                     PolisCsv(POLIS_COLUMNS["comments"])],
                         render_kw={"accept": ".csv,text/csv,text/plain"})
    votes = FileField(_l("votes.csv (every vote)"),
                      validators=[FileRequired(_l("Choose the file votes.csv of the export.")),
                                  PolisCsv(POLIS_COLUMNS["votes"])],
                      render_kw={"accept": ".csv,text/csv,text/plain"})
    summary = FileField(_l("summary.csv (optional: the conversation's topic)"),
                        validators=[PolisCsv(POLIS_COLUMNS["summary"])],
                        render_kw={"accept": ".csv,text/csv,text/plain"})
    language = SelectField(_l("Language of the statements"),
                           choices=choices((language.value, labels.LANGUAGE_NAMES[language]) for language in Language),
                           default=Language.OTHER.value, validate_choice=True)


def panel_forms(argument_forms: dict[Side, ArgumentForm] | None = None) -> dict:
    """Return the empty forms of a demand's panel, keeping an argument form that came back with errors."""
    kept = argument_forms or {}
    return {
        "reaction_form": ReactionForm(formdata=None),
        "argument_forms": {side: kept.get(side) or ArgumentForm(formdata=None, prefix=side.value) for side in Side},
        "empty_form": EmptyForm(formdata=None),
    }
