"""The ``deliberate import-polis DIR --consultation ID`` command: a Polis export as demands and reactions."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from deliberate.deliberation.polis_import import import_polis_export
from deliberate.extensions import db
from deliberate.models import Consultation, Language
from deliberate.polis import PolisFormatError, read_polis_export


@click.command("import-polis")
@click.argument("directory", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--consultation", "consultation_id", type=int, required=True, help="The consultation to import into.")
@click.option("--language", type=click.Choice([v.value for v in Language]), default=Language.OTHER.value,
              show_default=True, help="The language of the conversation's statements.")
@with_appcontext
def import_polis_command(directory: Path, consultation_id: int, language: str) -> None:
    """Import a Polis export folder (comments.csv, votes.csv) as demands and reactions of pseudonymous participants.

    The latest vote of each participant wins; moderated-out comments are imported hidden. Running it again adds
    nothing twice. Prints {"demands": n, "reactions": m, "participants": p}.
    """
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise click.ClickException(f"There is no consultation {consultation_id}.")
    try:
        export = read_polis_export(directory)
    except PolisFormatError as error:
        raise click.ClickException(str(error)) from error
    except UnicodeDecodeError as error:
        raise click.ClickException(_not_utf8(directory, error)) from error
    result = import_polis_export(consultation, export, Language(language))
    click.echo(json.dumps({"demands": result.demands, "reactions": result.reactions,
                           "participants": result.participants}))


def _not_utf8(directory: Path, error: UnicodeDecodeError) -> str:
    """Say which file of the export is not UTF-8 text, and where."""
    for path in sorted(directory.glob("*.csv")):
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as found:
            return (f"{path} is not valid UTF-8 text (byte {found.start}). Polis exports are UTF-8: "
                    "save the file as UTF-8 and run the import again.")
    return f"A file in {directory} is not valid UTF-8 text ({error.reason} at byte {error.start})."
