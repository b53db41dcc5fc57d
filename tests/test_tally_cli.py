"""The ``tally`` command on ballots files: results as JSON, clear errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from deliberate.ballots.cli import tally_command

VECTORS = Path(__file__).resolve().parent / "data" / "voting" / "test-vectors.json"

SMALL = {
    "candidates": ["a", "b", "c"],
    "clubs": {"club-1": {"members": 40}, "club-2": {"members": 12}},
    "ballots": [
        {"club": "club-1", "ranking": [["a"], ["b", "c"]], "approved": ["a"]},
        {"club": "club-1", "ranking": [["a"], ["c"]], "approved": ["a", "c"]},
        {"club": "club-1", "ranking": [["b"], ["a"]], "approved": ["b"]},
        {"club": "club-2", "ranking": [["c"]], "approved": ["c"]},
    ],
}


def run(tmp_path: Path, data: object, *args: str) -> tuple[int, str]:
    """Write ``data`` as a ballots file, run the command on it, and return the exit code and output."""
    path = tmp_path / "ballots.json"
    path.write_text(json.dumps(data))
    result = CliRunner().invoke(tally_command, [str(path), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_a_small_file_is_counted_per_club_and_for_the_federation(tmp_path: Path) -> None:
    code, output = run(tmp_path, SMALL)
    assert code == 0
    result = json.loads(output)
    assert result["ranking"] == [["a"], ["c"], ["b"]]
    assert result["clubs"] == {
        "club-1": {"ranking": [["a"], ["b", "c"]], "voters": 3, "members": 40, "weight": 3.0},
        "club-2": {"ranking": [["c"], ["a", "b"]], "voters": 1, "members": 12, "weight": 1.0},
    }
    assert result["double_majority"]["a"] == {
        "voter_share": 0.5,
        "club_share": 0.5,
        "voters_pass": False,
        "clubs_pass": False,
        "passes": False,
    }
    assert result["pairwise"]["support"][0] == [0, 2, 3]  # the last voter ranks only c


def test_the_method_weighting_and_seats_options_change_the_count(tmp_path: Path) -> None:
    code, output = run(tmp_path, SMALL, "--method", "borda", "--weighting", "capped", "--cap", "20", "--seats", "2")
    assert code == 0
    result = json.loads(output)
    assert (result["method"], result["weighting"], result["cap"]) == ("borda", "capped", 20)
    assert [club["weight"] for club in result["clubs"].values()] == [20.0, 12.0]  # min(members, cap)
    assert set(result["scores"]) == {"a", "b", "c"}
    assert result["selection"]["seats"] == 2 and len(result["selection"]["items"]) == 2
    assert result["selection"]["tie_break"]["used"] in (True, False)


def test_a_tie_for_the_last_seat_is_broken_by_the_published_lottery_and_reported(tmp_path: Path) -> None:
    tied = {"candidates": ["a", "b"], "ballots": [{"ranking": [["a"]]}, {"ranking": [["b"]]}]}
    code, output = run(tmp_path, tied, "--seats", "1")
    assert code == 0
    result = json.loads(output)
    assert result["ranking"] == [["a", "b"]]
    assert result["clubs"]["all"]["voters"] == 2
    selection = result["selection"]
    assert selection["tie_break"]["used"] and selection["tie_break"]["tied"] == ["a", "b"]
    assert len(selection["tie_break"]["seed"]) == 64


def test_proportional_selection_uses_the_approvals(tmp_path: Path) -> None:
    code, output = run(tmp_path, SMALL, "--seats", "2", "--selection", "equal-shares")
    assert code == 0
    selection = json.loads(output)["selection"]
    assert selection["rule"] == "equal-shares" and len(selection["items"]) == 2
    assert selection["ejr"]["satisfies_jr"] is True


def test_the_published_federated_example_elects_by_the_rule_chosen(tmp_path: Path) -> None:
    example = json.loads(VECTORS.read_text())["federation"]["flat_vs_federated"]
    ballots, clubs = [], {}
    for club, lines in example["clubs"].items():
        voters = 0
        for line in lines:
            count, ranking = line.split()
            ballots += [{"club": club, "ranking": [[c] for c in ranking]}] * int(count)
            voters += int(count)
        clubs[club] = {"members": voters}
    data = {"candidates": ["X", "Y", "Z"], "clubs": clubs, "ballots": ballots}
    expected = example["expected"]

    def winner(*args: str) -> str:
        code, output = run(tmp_path, data, *args)
        assert code == 0
        result = json.loads(output)
        for club, ranking in expected["club_rankings"].items():
            assert result["clubs"][club]["ranking"] == [[c] for c in ranking]
        (top,) = result["ranking"][0]
        return top

    assert winner() == expected["flat_pooling"]
    assert winner("--weighting", "equal") == expected["normalised_pooling_equal"]
    assert winner("--weighting", "equal", "--club-mode", "bloc") == expected["club_ranking_ballots_equal"]
    assert (
        winner("--weighting", "sqrt", "--club-mode", "bloc")
        == expected["club_ranking_ballots_sqrt_x1000_2236_2236_3317"]
    )
    assert winner("--club-mode", "bloc") == expected["club_ranking_ballots_proportional"]


@pytest.mark.parametrize(
    ("ballot", "message"),
    [
        ({"club": "club-1", "ranking": [["a"], ["z"]]}, "ballot 4: unknown candidate 'z'"),
        ({"club": "club-1", "ranking": [["a"], ["b", "a"]]}, "ballot 4: candidate 'a' is ranked twice"),
        ({"club": "club-9", "ranking": [["a"]]}, "ballot 4: unknown club 'club-9'"),
        ({"club": "club-1", "ranking": [["a"]], "approved": ["q"]}, "ballot 4: unknown candidate 'q' in approved"),
        ({"club": "club-1", "ranking": ["a", "b"]}, "ballot 4: every tier must be a non-empty list"),
        ({"club": "club-1"}, 'ballot 4: no "ranking"'),
    ],
)
def test_a_bad_ballot_is_named_with_exit_code_2_and_no_traceback(tmp_path: Path, ballot: dict, message: str) -> None:
    data = {**SMALL, "ballots": [*SMALL["ballots"], ballot]}
    code, output = run(tmp_path, data)
    assert code == 2
    assert message in output and "Traceback" not in output


def test_a_file_that_is_not_a_ballots_file_is_refused_with_exit_code_2(tmp_path: Path) -> None:
    for data in ([1, 2], {"candidates": ["a", "a"], "ballots": []}, {"candidates": ["a"]}):
        code, output = run(tmp_path, data)
        assert code == 2 and output.startswith("Error:")
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    result = CliRunner().invoke(tally_command, [str(path)])
    assert result.exit_code == 2 and "not valid JSON" in result.output


def test_capped_weighting_without_a_cap_is_a_usage_error(tmp_path: Path) -> None:
    code, output = run(tmp_path, SMALL, "--weighting", "capped")
    assert code == 2 and "--cap" in output
    code, output = run(tmp_path, SMALL, "--selection", "pav")
    assert code == 2 and "--seats" in output


def test_the_double_majority_thresholds_decide_which_items_pass(tmp_path: Path) -> None:
    # a: 2 of 4 voters approve it, and the majority of club-1 but not of club-2.
    code, output = run(tmp_path, SMALL)
    assert code == 0 and json.loads(output)["double_majority"]["a"]["passes"] is False
    code, output = run(tmp_path, SMALL, "--voters-threshold", "0.45", "--clubs-threshold", "40%")
    assert code == 0
    result = json.loads(output)
    assert result["double_majority_rule"] == {"voters_threshold": 0.45, "clubs_threshold": 0.4, "min_blocking": 0}
    assert result["double_majority"]["a"] == {
        "voter_share": 0.5, "club_share": 0.5, "voters_pass": True, "clubs_pass": True, "passes": True,
    }
    assert result["double_majority"]["b"]["passes"] is False  # 1 voter in 4, no club's majority
    code, output = run(tmp_path, SMALL, "--voters-threshold", "1", "--clubs-threshold", "0%")
    assert code == 0
    assert not any(item["voters_pass"] for item in json.loads(output)["double_majority"].values())


def test_a_blocking_minority_of_clubs_is_needed_to_fail_the_voters_test(tmp_path: Path) -> None:
    # Only club-2 opposes a: with a blocking minority of two clubs, a passes the voters' test at 50%.
    code, output = run(tmp_path, SMALL, "--min-blocking", "2")
    assert code == 0
    result = json.loads(output)
    assert result["double_majority_rule"]["min_blocking"] == 2
    assert result["double_majority"]["a"]["voters_pass"] is True
    assert result["double_majority"]["a"]["clubs_pass"] is False  # the clubs' test is untouched


def test_the_weighting_options_are_reported_with_the_result(tmp_path: Path) -> None:
    code, output = run(tmp_path, SMALL, "--weighting", "sqrt", "--club-mode", "bloc")
    assert code == 0
    result = json.loads(output)
    assert (result["weighting"], result["club_mode"], result["cap"]) == ("sqrt", "bloc", None)
    assert [club["weight"] for club in result["clubs"].values()] == pytest.approx([40 ** 0.5, 12 ** 0.5])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--voters-threshold", "1.5"], "'1.5' is not between 0 and 1"),
        (["--voters-threshold", "150%"], "'150%' is not between 0 and 1"),
        (["--clubs-threshold", "-0.1"], "'-0.1' is not between 0 and 1"),
        (["--clubs-threshold", "nan"], "'nan' is not between 0 and 1"),
        (["--voters-threshold", "half"], "'half' is not a share"),
        (["--min-blocking", "-1"], "--min-blocking"),
        (["--min-blocking", "3"], "--min-blocking must be between 0 and the number of clubs (2)"),
        (["--cap", "0", "--weighting", "capped"], "--cap"),
        (["--cap", "20"], "--cap applies only to --weighting capped, not members"),
        (["--weighting", "penrose"], "--weighting"),
        (["--club-mode", "mandate"], "--club-mode"),
    ],
)
def test_bad_weighting_and_threshold_options_are_refused_with_exit_code_2(
        tmp_path: Path, args: list[str], message: str) -> None:
    code, output = run(tmp_path, SMALL, *args)
    assert code == 2
    assert message in output and "Traceback" not in output


def test_every_counting_option_is_explained_in_the_help() -> None:
    result = CliRunner().invoke(tally_command, ["--help"])
    assert result.exit_code == 0
    for option in ("--method", "--weighting", "--cap", "--club-mode", "--seats", "--selection",
                   "--voters-threshold", "--clubs-threshold", "--min-blocking"):
        assert option in result.output
    assert "55%" in result.output and "blocking minority" in result.output
