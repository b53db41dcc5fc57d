"""The ``deliberate tally`` command: recount a ballots file, for federations and for anyone verifying."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from deliberate.ballots.tallyfile import SELECTIONS, TallyFileError, tally_file
from deliberate.domain.federation import CLUB_MODES, WEIGHTINGS

METHOD_CHOICES = ("schulze", "ranked-pairs", "borda", "copeland", "approval")


class BadInput(click.ClickException):
    """Report an input problem as ``Error: ...`` with exit code 2, without a traceback."""

    exit_code = 2


@click.command("tally")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--method", type=click.Choice(METHOD_CHOICES), default="schulze", show_default=True)
@click.option("--weighting", type=click.Choice(WEIGHTINGS), default="members", show_default=True)
@click.option("--cap", type=click.IntRange(min=1), help="Largest weight of a club (capped weighting).")
@click.option("--club-mode", type=click.Choice(CLUB_MODES), default="proportional", show_default=True)
@click.option("--seats", type=click.IntRange(min=1), help="Choose this many items for the agenda.")
@click.option("--selection", type=click.Choice(SELECTIONS), default="ranking", show_default=True)
def tally_command(
    file: Path,
    method: str,
    weighting: str,
    cap: int | None,
    club_mode: str,
    seats: int | None,
    selection: str,
) -> None:
    """Count the ballots FILE per club and for the federation, and print the result as JSON."""
    if weighting == "capped" and cap is None:
        raise click.UsageError("--weighting capped needs --cap N")
    if selection != "ranking" and seats is None:
        raise click.UsageError(f"--selection {selection} needs --seats N")
    try:
        result = tally_file(
            file,
            method=method,
            weighting=weighting,
            cap=cap,
            club_mode=club_mode,
            seats=seats,
            selection=selection,
        )
    except TallyFileError as error:
        raise BadInput(f"{file}: {error}") from None
    click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
