"""Form helpers shared by every area: the validators that refuse text not fit to store, too long, or dates out of
range, each with a message that says what to change."""

from __future__ import annotations

from datetime import date, datetime

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import Field, Form
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from deliberate.i18n import format_number
from deliberate.text import clean_text, has_invalid_characters

#: The years a typed date may fall in: wide for any schedule, narrow enough that no date arithmetic overflows.
FIRST_YEAR, LAST_YEAR = 2000, 2099


class CleanText:
    """Refuse text with invalid UTF-8 or hidden control characters (NUL included), and, in a plain-text field,
    text made only of markup that cleaning would turn into nothing."""

    def __init__(self, markdown: bool = False) -> None:
        self.markdown = markdown

    def __call__(self, form: Form, field: Field) -> None:
        if not isinstance(field.data, str):
            return
        if has_invalid_characters(field.data):
            raise ValidationError(
                _l("This text contains invalid or invisible characters. Please retype it and send it again.")
            )
        if not self.markdown and field.data.strip() and not clean_text(field.data):
            raise ValidationError(_l("Only markup was written here, and markup is removed. Please write it in words."))


class MaxChars:
    """Refuse text longer than ``limit`` characters, counting a line break as one (browsers send two), and say by
    how much to shorten it.

    Unlike WTForms' Length it sets no maxlength attribute: a browser would silently cut a long paste, and the
    author must see the message and keep the whole text to shorten it.
    """

    def __init__(self, limit: int, message=None) -> None:
        self.limit = limit
        self.message = message or _l("This text can have at most %(max)s characters; it has %(length)s. Please "
                                     "shorten it by %(over)s: your text is still here.")

    def __call__(self, form: Form, field: Field) -> None:
        text = (field.data or "").replace("\r\n", "\n")
        if len(text) > self.limit:
            numbers = {"max": format_number(self.limit), "length": format_number(len(text)),
                       "over": format_number(len(text) - self.limit)}
            raise ValidationError(self.message % numbers)


class DateInRange:
    """Refuse a typed date or moment outside FIRST_YEAR to LAST_YEAR (a year 9999 would overflow a time zone)."""

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data
        if isinstance(value, date | datetime) and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValidationError(_l("Choose a date between the years %(first)s and %(last)s.",
                                     first=FIRST_YEAR, last=LAST_YEAR))


def choices(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs into the choice objects WTForms expects."""
    return [SelectChoice(value, label) for value, label in pairs]


def submitted_within(form_class: type, limit: int):
    """Build and validate ``form_class`` from a request whose files may take up to ``limit`` bytes.

    Return ``(form, submitted)``, or ``(None, False)`` when the body is larger: refused from the length it declares,
    before a byte of it is read, or, for a body that declares none, once ``limit`` bytes were read.
    """
    if (request.content_length or 0) > limit:
        return None, False
    request.max_content_length = limit
    try:
        form = form_class()
        return form, form.validate_on_submit()
    except RequestEntityTooLarge:
        return None, False
