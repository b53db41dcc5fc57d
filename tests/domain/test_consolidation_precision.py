"""The stricter consolidation: weak members leave their group, request words carry no meaning, the demo reads right."""

from __future__ import annotations

import numpy as np
import pytest

from deliberate.demo.content import DEMANDS
from deliberate.domain import consolidation
from deliberate.domain.consolidation import clustering, featurize, featurize_many, suggest_clusters
from deliberate.domain.consolidation.clustering import prune_group, split_group
from tests.demo_asks import DEMO_ASKS


def test_a_member_weakly_alike_to_the_rest_leaves_the_group() -> None:
    square = np.array(
        [
            [0.0, 0.6, 0.5, 0.05],
            [0.6, 0.0, 0.55, 0.1],
            [0.5, 0.55, 0.0, 0.0],
            [0.05, 0.1, 0.0, 0.0],
        ]
    )
    parts = prune_group([3, 7, 9, 12], square, 0.2)
    assert [members for members, _ in parts] == [[3, 7, 9], [12]]
    kept = parts[0][1]
    assert kept is not None and kept.shape == (3, 3) and kept[0, 1] == pytest.approx(0.6)


def test_a_pair_below_the_floor_falls_apart_and_one_above_it_stays() -> None:
    weak = np.array([[0.0, 0.15], [0.15, 0.0]])
    assert [m for m, _ in prune_group([1, 2], weak, 0.2)] == [[1], [2]]
    strong = np.array([[0.0, 0.25], [0.25, 0.0]])
    assert [m for m, _ in prune_group([1, 2], strong, 0.2)] == [[1, 2]]


def test_no_floor_or_no_square_leaves_the_group_as_it_is() -> None:
    square = np.array([[0.0, 0.01], [0.01, 0.0]])
    assert prune_group([4, 5], square, 0.0) == [([4, 5], square)]
    assert prune_group([4, 5], None, 0.3) == [([4, 5], None)]


def test_the_pruning_pass_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        "Consulado movil en Santa Ana, muchas familias no pueden faltar al trabajo",
        "Guarderia para las socias que trabajan, no pueden ir a las juntas",
        "Consulado movil en Santa Ana para pasaportes",
    ]
    monkeypatch.setattr(clustering, "PRUNE_RATIO", 0.0)
    loose = consolidation.suggest(featurize_many(texts), threshold=0.05)
    monkeypatch.setattr(clustering, "PRUNE_RATIO", 3.0)
    strict = consolidation.suggest(featurize_many(texts), threshold=0.05)
    assert len(strict) >= len(loose)
    assert sorted(i for s in strict for i in s.members) == [0, 1, 2]


def test_chat_spellings_and_request_words_carry_no_meaning() -> None:
    plain = featurize("un medico la clinica")
    chatty = featurize("ocupamos un medico pa la clinica porfa, plis")
    assert chatty.word_index.tolist() == plain.word_index.tolist()
    assert chatty.char_index.tolist() == plain.char_index.tolist()
    english = featurize("we need help: a doctor for the clinic asap")
    assert english.word_index.tolist() == featurize("a doctor for the clinic").word_index.tolist()


def test_two_demands_that_only_share_request_words_are_not_grouped() -> None:
    texts = [
        "Ocupamos ayuda pa la liga de futbol de los chavos",
        "Ocupamos ayuda pa las mamas que no tienen guarderia",
        "Pedimos ayuda con las becas, porfa",
        "We need help for the folklorico classes, pls",
    ]
    groups = suggest_clusters(texts)
    assert all(len(group) == 1 for group in groups)


def test_the_stricter_pass_does_not_split_parts_still_alike_in_absolute_terms() -> None:
    # Two near-copies (0.9) and a translation of them (0.42): less alike than the copies, yet the same demand.
    square = np.array([[0.0, 0.9, 0.42], [0.9, 0.0, 0.41], [0.42, 0.41, 0.0]])
    assert [m for m, _ in split_group([0, 1, 2], square, 0.5)] != [[0, 1, 2]]
    assert [m for m, _ in split_group([0, 1, 2], square, 0.5, ceiling=0.22)] == [[0, 1, 2]]
    # Parts that are weakly alike across the cut are still split.
    weak = np.array([[0.0, 0.9, 0.1], [0.9, 0.0, 0.1], [0.1, 0.1, 0.0]])
    assert sorted(m for m, _ in split_group([0, 1, 2], weak, 0.5, ceiling=0.22)) == [[0, 1], [2]]


def test_a_translation_stays_with_its_spanish_near_copies() -> None:
    texts = [
        "Pavimentar la calle principal de Jerez",
        "Pave the main street in Jerez",
        "Pavimentación de la calle principal en Jerez",
        "Un médico para la clínica de Tlaltenango",
        "A doctor for the Tlaltenango clinic",
        "Becas para estudiantes de preparatoria",
    ]
    assert suggest_clusters(texts) == [[0, 1, 2], [3, 4], [5]]


def test_the_demo_s_confident_suggestions_each_ask_for_one_thing() -> None:
    assert len(DEMO_ASKS) == len(DEMANDS)
    texts = [f"{title}\n{body}" for *_, title, body in DEMANDS]
    found = consolidation.suggest(featurize_many(texts))
    confident = [s for s in found if s.is_confident]
    assert confident, "the demo should have groups a board can take as they are"
    for suggestion in confident:
        assert len({DEMO_ASKS[i] for i in suggestion.members}) == 1, [DEMANDS[i][5] for i in suggestion.members]
