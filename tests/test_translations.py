"""Spanish is a first language: every string in the code and templates has its Spanish translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "deliberate" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _source_messages() -> set[str]:
    found: set[str] = set()
    for folder, method in (("deliberate", "python"), ("templates", "jinja2")):
        pattern = "**.py" if method == "python" else "**.html"
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[(pattern, method)], keywords={**KEYWORDS}
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_user_visible_string_has_a_spanish_translation():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        translated[key] = all(strings) and not message.fuzzy
    missing = sorted(m for m in _source_messages() if not translated.get(m))
    assert missing == [], f"untranslated: {missing[:20]} (run `make extract-messages` and translate)"


def test_translations_keep_every_placeholder():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    broken = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        broken += [ids[0] for s in strings if s and set(PLACEHOLDER.findall(s)) != wanted and "num" not in wanted]
    assert broken == []


def _spanish() -> list[tuple[str, str]]:
    """Return (msgid, msgstr) for every Spanish string of the catalog (each plural form apart)."""
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs += [(key, string) for string in strings if string]
    return pairs


def test_a_person_in_a_club_is_a_socio_in_spanish():
    """One word for one thing: "miembro" only where it is not a person of a club (member clubs of a federation)."""
    person = re.compile(r"\b(ex)?miembros?\b", re.IGNORECASE)
    allowed = re.compile(r"\b(clubes|organizaciones) miembros?\b", re.IGNORECASE)
    wrong = [key for key, string in _spanish() if person.search(allowed.sub("", string))]
    assert wrong == []


def test_spanish_quotes_are_angle_quotes():
    """«Like this» in Spanish (the English keeps “like this”); a straight quote only inside an HTML attribute."""
    wrong = [key for key, string in _spanish()
             if re.search(r"[“”„]", string) or '"' in re.sub(r'="[^"]*"', "", string)]
    unbalanced = [key for key, string in _spanish() if string.count("«") != string.count("»")]
    assert wrong == [] and unbalanced == []
    assert all(string.count("«") >= key.count("“") for key, string in _spanish())
