"""The ``deliberate cluster`` command: suggest groups of similar demands from a CSV file gathered offline."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import click

from deliberate.domain.consolidation import suggest_clusters


class BadInput(click.ClickException):
    """Report an input problem as ``Error: ...`` with exit code 2, without a traceback."""

    exit_code = 2


def _read(file: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            return list(reader.fieldnames or []), rows
    except (UnicodeDecodeError, csv.Error) as error:
        raise BadInput(f"{file}: not a UTF-8 CSV file ({error})") from None


@click.command("cluster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--text-columns",
    help="Comma-separated columns joined into each demand's text (default: 'text' if present, else 'title,body').",
)
@click.option("--id-column", help="Column holding each demand's id (default: 'id' if present, else row numbers).")
@click.option("--threshold", type=click.FloatRange(min=0.0, max=1.0), help="Mean similarity a group must keep.")
@click.option("--encoder/--no-encoder", default=False,
              help="Also compare meanings with the optional sentence encoder (slower; off by default).")
def cluster_command(
    file: Path, text_columns: str | None, id_column: str | None, threshold: float | None, encoder: bool
) -> None:
    """Group the demands of FILE.csv that ask for the same thing; print JSON {"clusters": [[id, ...], ...]}.

    Ids come from the id column (as text), else they are 0-based row numbers.
    """
    header, rows = _read(file)
    if text_columns:
        columns = [c.strip() for c in text_columns.split(",") if c.strip()]
    elif "text" in header:
        columns = ["text"]
    else:
        columns = ["title", "body"]
    missing = [c for c in columns if c not in header]
    if missing:
        raise BadInput(f"{file}: no column {', '.join(missing)} (columns: {', '.join(header) or 'none'})")
    if id_column is not None and id_column not in header:
        raise BadInput(f"{file}: no id column {id_column} (columns: {', '.join(header) or 'none'})")
    if id_column is None and "id" in header:
        id_column = "id"
    texts = [". ".join((row.get(c) or "").strip() for c in columns if (row.get(c) or "").strip()) for row in rows]
    groups = suggest_clusters(texts, threshold=threshold, use_encoder=encoder)
    ids: list[str] | list[int] = [row[id_column] for row in rows] if id_column else list(range(len(rows)))
    click.echo(json.dumps({"clusters": [[ids[i] for i in group] for group in groups]}, ensure_ascii=False))
