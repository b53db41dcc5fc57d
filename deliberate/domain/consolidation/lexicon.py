"""The bilingual civic vocabulary and the gazetteer of places, loaded from CSV files (the shipped ones once)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from deliberate.domain.consolidation.text import DATA_DIR, normal_tokens, stem_pair

VOCABULARY_PATH = DATA_DIR / "civic_vocabulary.csv"
GAZETTEER_PATH = DATA_DIR / "places.csv"


@dataclass(frozen=True)
class Vocabulary:
    """Map stemmed Spanish or English phrases to a shared concept name."""

    phrases: dict[tuple[str, ...], str]
    longest: int
    words: frozenset[str]
    starts: frozenset[str] = frozenset()  # the stems that begin a phrase (most words begin none)


def _read_rows(path: Path | str) -> Iterable[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if line.strip() and not line.lstrip().startswith("#"))
        yield from csv.DictReader(lines)


def load_vocabulary(path: Path | str = VOCABULARY_PATH, *extra_paths: Path | str) -> Vocabulary:
    """Load the bilingual civic vocabulary, then any federation files in the same ``es,en`` format."""
    phrases: dict[tuple[str, ...], str] = {}
    words: set[str] = set()
    for source in (path, *extra_paths):
        for row in _read_rows(source):
            es_terms = [t for t in (row.get("es") or "").split("|") if t.strip()]
            en_terms = [t for t in (row.get("en") or "").split("|") if t.strip()]
            if not es_terms and not en_terms:
                continue
            concept = "_".join(normal_tokens((es_terms or en_terms)[0]))
            for term in es_terms + en_terms:
                tokens = normal_tokens(term)
                if not tokens:
                    continue
                words.update(tokens)
                for which in (0, 1):
                    key = tuple(stem_pair(t)[which] for t in tokens)
                    phrases.setdefault(key, concept)
    longest = max((len(k) for k in phrases), default=1)
    starts = frozenset(key[0] for key in phrases)
    return Vocabulary(phrases=phrases, longest=longest, words=frozenset(words), starts=starts)


@dataclass(frozen=True)
class Gazetteer:
    """Known place names (accent-free token tuples) with their kind."""

    places: dict[tuple[str, ...], str]
    longest: int
    sides: dict[str, str] = field(default_factory=dict)  # "town:jerez" -> "mx", "city:chicago" -> "us"

    @property
    def firsts(self) -> frozenset[str]:
        """Return the words that begin a place name (a token that begins none needs no look-up)."""
        cached = self.__dict__.get("_firsts")
        if cached is None:
            cached = frozenset(key[0] for key in self.places)
            object.__setattr__(self, "_firsts", cached)
        return cached


# Which side of the border each kind of place is on (a country of the region is on neither).

# Which side of the border each kind of place is on (a country of the region is on neither).
_SIDES = {"town": "mx", "mx_state": "mx", "us_city": "us", "us_state": "us"}
# Level of each kind of place: a hometown is more specific than a city of residence, itself more than a region.
_LEVELS = {"town": "town", "us_city": "city", "city": "city"}


def load_gazetteer(path: Path | str = GAZETTEER_PATH, *extra_paths: Path | str) -> Gazetteer:
    """Load the gazetteer of hometowns, US cities, states and countries, then any extra files."""
    places: dict[tuple[str, ...], str] = {}
    sides: dict[str, str] = {}
    for source in (path, *extra_paths):
        for row in _read_rows(source):
            names = [n for n in (row.get("name") or "").split("|") if n.strip()]
            if not names:
                continue
            key = "_".join(normal_tokens(names[0]))
            kind = (row.get("kind") or "").strip()
            level = _LEVELS.get(kind, "region")
            if kind in _SIDES:
                sides.setdefault(f"{level}:{key}", _SIDES[kind])
            for name in names:
                tokens = tuple(normal_tokens(name))
                if tokens:
                    places.setdefault(tokens, f"{level}:{key}")
    longest = max((len(k) for k in places), default=1)
    return Gazetteer(places=places, longest=longest, sides=sides)


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """Return the vocabulary shipped with deliberate (loaded once)."""
    return load_vocabulary()


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """Return the gazetteer shipped with deliberate (loaded once)."""
    return load_gazetteer()
