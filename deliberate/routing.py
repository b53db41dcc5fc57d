"""Bound what a request can carry to what the database can hold, so that bad input is a 404 or a form error.

- ``<int:...>`` in every route accepts only ids that fit the database's integer columns; anything larger (or
  longer than any such number) is a 404, like an id that does not exist.
- Text in a route (``<slug>``) refuses NUL and other control characters: a 404.
- Query and form values arrive with NUL replaced by U+FFFD, which PostgreSQL stores and CleanText refuses with a
  clear form error, so no field, checked or not, hands the database a byte it refuses.
- ``db_int`` reads an integer query parameter (``?page=``) that fits the database, or gives the default.
"""

from __future__ import annotations

import re

from flask import Flask, Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, UnicodeConverter, ValidationError

#: The largest value of a signed 32-bit integer, PostgreSQL's INTEGER (every id column here).
DB_INT_MAX = 2**31 - 1
_CONTROL = re.compile("[\x00-\x1f\x7f]")


class BoundedIntegerConverter(IntegerConverter):
    """An ``<int:...>`` that only matches values from 0 to DB_INT_MAX (others answer 404)."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's own parameter name
        super().__init__(map, *args, **kwargs)
        self.max = DB_INT_MAX if self.max is None or self.max > DB_INT_MAX else self.max

    def to_python(self, value: str) -> int:
        if len(value.lstrip("-+0")) > len(str(DB_INT_MAX)):  # also spares int() a number of thousands of digits
            raise ValidationError()
        return super().to_python(value)


class PrintableConverter(UnicodeConverter):
    """The default ``<name>`` converter, refusing NUL and control characters (a 404)."""

    def to_python(self, value: str) -> str:
        if _CONTROL.search(value):
            raise ValidationError()
        return value


def db_int(value: str) -> int:
    """Read a non-negative integer that fits the database; raise ValueError otherwise (``args.get`` then gives the
    default)."""
    value = value.strip()
    if not value.isdigit() or not value.isascii() or len(value.lstrip("0")) > len(str(DB_INT_MAX)):
        raise ValueError(value)
    number = int(value)
    if number > DB_INT_MAX:
        raise ValueError(value)
    return number


class _Parameters(ImmutableMultiDict):
    """Query or form values with NUL replaced by U+FFFD (the character of bytes that could not be read)."""

    def __init__(self, mapping=None) -> None:
        super().__init__(mapping)
        for key, values in dict.items(self):
            if any(isinstance(value, str) and "\x00" in value for value in values):
                dict.__setitem__(self, key, [value.replace("\x00", "\ufffd") if isinstance(value, str) else value
                                             for value in values])


class SafeRequest(Request):
    parameter_storage_class = _Parameters


def init_app(app: Flask) -> None:
    """Install the bounded converters and the request class; call before any blueprint is registered."""
    app.request_class = SafeRequest
    app.url_map.converters.update(int=BoundedIntegerConverter, default=PrintableConverter,
                                  string=PrintableConverter)
