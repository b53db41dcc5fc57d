"""Read a federation's roster: the spreadsheet of clubs and members it already keeps, saved as CSV.

The reader is forgiving about the file and strict about each row. It takes UTF-8 (with or without the BOM Excel
writes) or Windows-1252, commas or semicolons (a Spanish-language Excel writes semicolons), headers in Spanish or
English in any case and with or without accents, and columns in any order. Columns it does not know (a telephone,
an address) are named in the result and never read any further: the product keeps the minimum about people.

Each row must name a club and an email; the role and language are optional. Every problem is reported with its
line number, and a roster with any problem is imported not at all (the service checks ``is_valid``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "Roster",
    "RosterError",
    "RosterRole",
    "RosterRow",
    "read_roster",
]

MAX_BYTES = 1_000_000
MAX_ROWS = 5_000
MAX_NAME = 80
MAX_CLUB = 120
MAX_EMAIL = 254
LANGUAGES = ("es", "en")

_EMAIL = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+$")


class RosterRole(StrEnum):
    """The role a roster gives a person in their club."""

    MEMBER = "member"
    OFFICER = "officer"


def _key(text: str) -> str:
    """Return text folded for matching headers and values: lower case, no accents, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.lower().replace("_", " ").replace("-", " ").split())


_COLUMNS: Mapping[str, str] = MappingProxyType({
    **dict.fromkeys(["club", "club name", "nombre del club", "club de oriundos", "asociacion", "organizacion"], "club"),
    **dict.fromkeys(["name", "full name", "nombre", "nombre completo", "socio", "socia", "integrante"], "name"),
    **dict.fromkeys(["email", "e mail", "mail", "correo", "correo electronico", "email address"], "email"),
    **dict.fromkeys(["role", "rol", "cargo", "puesto"], "role"),
    **dict.fromkeys(["language", "idioma", "lengua", "lang"], "language"),
})

_ROLES: Mapping[str, RosterRole] = MappingProxyType({
    **dict.fromkeys(["", "member", "miembro", "socio", "socia", "socio a", "socio(a)", "integrante"],
                    RosterRole.MEMBER),
    **dict.fromkeys(["officer", "directiva", "mesa directiva", "directivo", "directiva del club", "presidente",
                     "presidenta", "president", "vicepresidente", "vicepresidenta", "tesorero", "tesorera",
                     "treasurer", "secretario", "secretaria", "secretary", "vocal"], RosterRole.OFFICER),
})

_LANGUAGES: Mapping[str, str] = MappingProxyType({
    **dict.fromkeys(["", "es", "espanol", "spanish", "castellano"], "es"),
    **dict.fromkeys(["en", "ingles", "english"], "en"),
})


@dataclass(frozen=True)
class RosterRow:
    """One person of the roster: the line it came from, their club, name, email, role and language."""

    line: int
    club: str
    name: str
    email: str
    role: RosterRole
    language: str


@dataclass(frozen=True)
class RosterError:
    """A problem of the file (line 0) or of one line: the field it concerns and a code the page words."""

    line: int
    field: str
    code: str
    value: str = ""


@dataclass(frozen=True)
class Roster:
    """What a roster file holds: its valid rows, its problems and the columns that were not read."""

    rows: tuple[RosterRow, ...]
    errors: tuple[RosterError, ...]
    ignored_columns: tuple[str, ...]

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def clubs(self) -> tuple[str, ...]:
        """Return the clubs the roster names, each once, in the order they first appear."""
        return tuple(dict.fromkeys(row.club for row in self.rows))


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return None if "\x00" in text else text
    return None


def _failed(code: str, field: str = "file", value: str = "") -> Roster:
    return Roster((), (RosterError(0, field, code, value),), ())


def read_roster(data: bytes) -> Roster:
    """Read a roster file's bytes into its rows and its problems; never raise for a bad file."""
    if len(data) > MAX_BYTES:
        return _failed("too_large")
    text = _decode(data)
    if text is None:
        return _failed("not_text")
    if not text.strip():
        return _failed("empty")
    first_line = text.lstrip().splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return _failed("empty")
    fields: dict[int, str] = {}
    ignored: list[str] = []
    for index, title in enumerate(header):
        field = _COLUMNS.get(_key(title))
        if field is None or field in fields.values():
            if title.strip():
                ignored.append(title.strip()[:40])
            continue
        fields[index] = field
    missing = [field for field in ("club", "email") if field not in fields.values()]
    if missing:
        return _failed("missing_column", missing[0])
    return _read_rows(reader, fields, tuple(ignored))


def _read_rows(reader, fields: dict[int, str], ignored: tuple[str, ...]) -> Roster:
    rows: list[RosterRow] = []
    errors: list[RosterError] = []
    first_seen: dict[str, int] = {}
    count = 0
    try:
        for record in reader:
            line = reader.line_num
            values = {field: (record[index].strip() if index < len(record) else "") for index, field in fields.items()}
            if not any(values.values()):
                continue  # a blank line, or a line of empty cells
            count += 1
            if count > MAX_ROWS:
                return Roster((), (RosterError(0, "file", "too_many_rows", str(MAX_ROWS)),), ignored)
            row, problems = _read_row(line, values, first_seen)
            errors.extend(problems)
            if row is not None:
                rows.append(row)
    except csv.Error:
        errors.append(RosterError(reader.line_num, "file", "unreadable"))
    if not rows and not errors:
        errors.append(RosterError(0, "file", "no_rows"))
    return Roster(tuple(rows), tuple(errors), ignored)


def _read_row(line: int, values: dict[str, str], first_seen: dict[str, int]) -> tuple[RosterRow | None, list]:
    problems: list[RosterError] = []
    club = " ".join(values.get("club", "").split())
    name = " ".join(values.get("name", "").split())
    email = values.get("email", "").strip().lower()
    role = _ROLES.get(_key(values.get("role", "")))
    language = _LANGUAGES.get(_key(values.get("language", "")))
    if not club:
        problems.append(RosterError(line, "club", "required"))
    elif len(club) > MAX_CLUB:
        problems.append(RosterError(line, "club", "too_long", str(MAX_CLUB)))
    if len(name) > MAX_NAME:
        problems.append(RosterError(line, "name", "too_long", str(MAX_NAME)))
    if not email:
        problems.append(RosterError(line, "email", "required"))
    elif len(email) > MAX_EMAIL or not _EMAIL.match(email):
        problems.append(RosterError(line, "email", "invalid", email[:80]))
    elif email in first_seen:
        problems.append(RosterError(line, "email", "duplicate", str(first_seen[email])))
    else:
        first_seen[email] = line
    if role is None:
        problems.append(RosterError(line, "role", "unknown", values.get("role", "")[:40]))
    if language is None:
        problems.append(RosterError(line, "language", "unknown", values.get("language", "")[:40]))
    if problems:
        return None, problems
    return RosterRow(line, club, name, email, role, language), []
