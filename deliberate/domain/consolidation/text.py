"""Normalise demand text: accent-free tokens, Spanish and English stems, and the word lists the engine reads.

The word lists are data files in ``deliberate/data/`` (one or more words a line, ``#`` for comments), read once when
this module is imported: ``stop_words_es.txt``, ``stop_words_en.txt``, ``place_cues.txt`` (words after which a
capitalised name is a place) and ``not_places.txt`` (capitalised words that follow such a word without naming one).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import snowballstemmer

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def read_words(path: Path | str) -> frozenset[str]:
    """Return the words of a word-list file (whitespace-separated; lines starting with ``#`` are comments)."""
    with open(path, encoding="utf-8") as handle:
        return frozenset(word for line in handle if not line.lstrip().startswith("#") for word in line.split())


STOP_WORDS = read_words(DATA_DIR / "stop_words_es.txt") | read_words(DATA_DIR / "stop_words_en.txt")
# Words after which a capitalised name is taken as a place (Spanish and English prepositions and kinds of place).
PLACE_CUES = read_words(DATA_DIR / "place_cues.txt")
ARTICLES = frozenset(["el", "la", "los", "las", "lo", "the"])
# Capitalised words that follow such a word without naming a hometown: the two countries, people, the calendar.
NOT_PLACES = read_words(DATA_DIR / "not_places.txt")

TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?¡¿:;\n\"“(]\s*$")


def _strip_accents(text: str) -> str:
    """Return ``text`` in lower case without diacritics (ñ becomes n, as members often type it)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _stemmers() -> tuple[Any, Any]:
    return snowballstemmer.stemmer("spanish"), snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def stem_pair(word: str) -> tuple[str, str]:
    """Return the Spanish and the English Snowball stems of an accent-free word."""
    es, en = _stemmers()
    return es.stemWord(word), en.stemWord(word)


def normal_tokens(text: str) -> list[str]:
    """Return the accent-free lower-case tokens of ``text``."""
    return TOKEN.findall(_strip_accents(text))


_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")


def word_tokens(text: str) -> list[tuple[str, bool]]:
    """Split ``text`` into accent-free lower-case tokens, flagging capitalised words inside a sentence."""
    text = _POSSESSIVE.sub("", text)  # "driver's license" is "driver license"
    result = []
    for match in TOKEN.finditer(text):
        word = match.group()
        start = match.start()
        capitalised = word[0].isupper() and not word.isupper() and start > 0
        if capitalised and _SENTENCE_END.search(text[max(0, start - 3) : start]):
            capitalised = False
        for part in normal_tokens(word):
            result.append((part, capitalised))
    return result
