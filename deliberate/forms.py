"""Form helpers shared by every area: the validator that refuses text that is not clean to store."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Field, Form
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from deliberate.text import has_invalid_characters


class CleanText:
    """Refuse text with invalid UTF-8 or hidden control characters, with a clear message."""

    def __call__(self, form: Form, field: Field) -> None:
        if isinstance(field.data, str) and has_invalid_characters(field.data):
            raise ValidationError(
                _l("This text contains invalid or invisible characters. Please retype it and send it again.")
            )


def choices(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs into the choice objects WTForms expects."""
    return [SelectChoice(value, label) for value, label in pairs]
