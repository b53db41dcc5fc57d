"""The ``cluster`` command on CSV files: groups as JSON, clear errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from deliberate.consolidation.cli import cluster_command

ROWS = [
    ("d1", "Pavimentar la calle", "La calle principal de Jerez esta llena de baches"),
    ("d2", "Pave the road", "Please pave the main road in Jerez, it is full of potholes"),
    ("d3", "Becas", "Becas para los estudiantes de preparatoria del pueblo"),
    ("d4", "Scholarships", "Scholarships for high school students in our hometown"),
    ("d5", "Ambulancia", "Una ambulancia para las emergencias del municipio"),
]


def write(tmp_path: Path, header: str, lines: list[str]) -> Path:
    path = tmp_path / "demands.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cluster_command, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def demands_file(tmp_path: Path) -> Path:
    return write(tmp_path, "id,title,body", [f'{i},{t},"{b}"' for i, t, b in ROWS])


def test_title_and_body_are_clustered_and_ids_come_from_the_id_column(tmp_path: Path) -> None:
    code, output = run(str(demands_file(tmp_path)), "--no-encoder")
    assert code == 0
    clusters = json.loads(output)["clusters"]
    assert sorted(clusters) == [["d1", "d2"], ["d3", "d4"], ["d5"]]
    assert clusters[-1] == ["d5"]


def test_without_an_id_column_rows_are_numbered_from_zero(tmp_path: Path) -> None:
    path = write(tmp_path, "text", [f'"{t}. {b}"' for _, t, b in ROWS])
    code, output = run(str(path), "--no-encoder")
    assert code == 0
    assert sorted(json.loads(output)["clusters"]) == [[0, 1], [2, 3], [4]]


def test_chosen_columns_and_threshold(tmp_path: Path) -> None:
    code, output = run(
        str(demands_file(tmp_path)), "--text-columns", "body", "--id-column", "title", "--threshold", "0.99"
    )
    assert code == 0
    clusters = json.loads(output)["clusters"]
    assert sorted(len(c) for c in clusters) == [1, 1, 1, 1, 1]
    assert {c[0] for c in clusters} == {t for _, t, _ in ROWS}


def test_a_missing_text_column_is_a_clear_error(tmp_path: Path) -> None:
    code, output = run(str(demands_file(tmp_path)), "--text-columns", "title,summary")
    assert code == 2
    assert "no column summary" in output


def test_a_missing_id_column_is_a_clear_error(tmp_path: Path) -> None:
    code, output = run(str(demands_file(tmp_path)), "--id-column", "number")
    assert code == 2
    assert "no id column number" in output


def test_default_columns_must_exist(tmp_path: Path) -> None:
    code, output = run(str(write(tmp_path, "id,demand", ["1,agua"])))
    assert code == 2
    assert "no column title, body" in output


def test_an_empty_file_gives_no_clusters(tmp_path: Path) -> None:
    code, output = run(str(write(tmp_path, "id,text", [])))
    assert code == 0
    assert json.loads(output) == {"clusters": []}


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,text\n1,pavimentación\n".encode("latin-1"))
    code, output = run(str(path))
    assert code == 2
    assert "not a UTF-8 CSV" in output
