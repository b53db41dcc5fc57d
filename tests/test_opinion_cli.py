"""The ``opinion-map`` command on a real Polis export folder.

It reads a conversation from tests/data/polis. Attribution, as its licence asks: Data was gathered using
the Polis software (compdemocracy.org/polis) and is sub-licensed under CC BY 4.0 with Attribution to The
Computational Democracy Project. https://pol.is/3nemnipcrc (bg2050-volunteers)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from deliberate.opinion.cli import opinion_map_command

FOLDER = Path(__file__).resolve().parent / "data" / "polis" / "bg2050-volunteers"


@pytest.fixture(scope="module")
def printed() -> dict:
    result = CliRunner().invoke(opinion_map_command, [str(FOLDER)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_command_prints_the_map_as_json(printed: dict) -> None:
    assert set(printed) == {"participants", "groups", "consensus", "group_informed_consensus"}
    assert len(printed["participants"]) == 126
    for key, position in printed["participants"].items():
        assert key.isdigit()
        assert set(position) == {"group", "x", "y"}
        assert position["group"] is None or isinstance(position["group"], int)
        assert isinstance(position["x"], float) and isinstance(position["y"], float)


def test_every_group_lists_its_size_and_representative_statements(printed: dict) -> None:
    groups = printed["groups"]
    assert [g["id"] for g in groups] == list(range(len(groups)))
    assert len(groups) >= 2
    grouped = [p for p in printed["participants"].values() if p["group"] is not None]
    assert sum(g["size"] for g in groups) == len(grouped)
    for group in groups:
        assert group["size"] >= 2
        assert group["representative"]
        for statement in group["representative"]:
            assert {"statement", "agree", "disagree"} <= set(statement)
            assert isinstance(statement["statement"], int)
            assert 0 < statement["agree"] < 1 and 0 < statement["disagree"] < 1


def test_consensus_and_group_informed_consensus_are_given_per_statement(printed: dict) -> None:
    informed = printed["group_informed_consensus"]
    assert len(informed) == 371 - 55  # the moderated-out comments carry no weight
    assert all(0 < value < 1 for value in informed.values())
    for statement in printed["consensus"]:
        assert str(statement["statement"]) in informed
        assert statement["direction"] in ("agree", "disagree")


def test_the_same_folder_prints_the_same_json_twice(printed: dict) -> None:
    again = CliRunner().invoke(opinion_map_command, [str(FOLDER)])
    assert json.loads(again.output) == printed


def test_a_folder_that_is_not_a_polis_export_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(opinion_map_command, [str(tmp_path)])

    assert result.exit_code != 0
    assert "comments.csv" in result.output
