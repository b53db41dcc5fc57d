"""Files the site hands out: an attachment response, and CSV that spreadsheets open safely and with its accents."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from flask import Response

#: A cell that starts with one of these is read by spreadsheets as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def attachment(body: bytes, mimetype: str, filename: str) -> Response:
    """Return ``body`` as a file to save under ``filename``."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def spreadsheet_cell(value: Any) -> Any:
    """Return a CSV cell a spreadsheet shows as text: a text that could start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_file(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Write a CSV file whose every cell is safe to open in a spreadsheet.

    It starts with a UTF-8 byte order mark, so Excel reads it as UTF-8 (accents intact) instead of the system's code
    page.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_cell(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def atom_time(moment: datetime) -> str:
    """Write a naive UTC time as an Atom (RFC 3339) timestamp."""
    return moment.replace(microsecond=0).isoformat() + "Z"
