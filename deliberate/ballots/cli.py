"""The ``deliberate tally`` command: recount a ballots file, for federations and for anyone verifying."""

from __future__ import annotations

import math
from pathlib import Path

import click
import orjson

from deliberate.ballots.tallyfile import tally_file
from deliberate.domain.count import CountError
from deliberate.domain.rules import AgendaSelection, ClubMode, ClubWeighting, VotingMethod


def _choice(rules: type[AgendaSelection | ClubMode | ClubWeighting | VotingMethod]) -> click.Choice:
    """Offer the words of a rule set, as stored and as published."""
    return click.Choice([rule.value for rule in rules])


class BadInput(click.ClickException):
    """Report an input problem as ``Error: ...`` with exit code 2, without a traceback."""

    exit_code = 2


class Share(click.ParamType):
    """A share from 0 to 1, written as a fraction (``0.55``) or a percentage (``55%``)."""

    name = "share"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        text = str(value).strip()
        try:
            share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            self.fail(f"{value!r} is not a share: write a fraction such as 0.55 or a percentage such as 55%", param,
                      ctx)
        if not math.isfinite(share) or not 0 <= share <= 1:
            self.fail(f"{value!r} is not between 0 and 1 (0% and 100%)", param, ctx)
        return share


@click.command("tally")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--method", type=_choice(VotingMethod), default=VotingMethod.SCHULZE.value, show_default=True,
              help="How a ranking is counted, for each club and for the federation.")
@click.option("--weighting", type=_choice(ClubWeighting), default=ClubWeighting.MEMBERS.value, show_default=True,
              help="Each club's weight in the federation: members (one voter, one vote), equal (one club, one "
                   "vote), sqrt (square root of its registered members) or capped (its members, at most --cap).")
@click.option("--cap", type=click.IntRange(min=1),
              help="Largest weight of a club, in members (only with --weighting capped, which needs it).")
@click.option("--club-mode", type=_choice(ClubMode), default=ClubMode.PROPORTIONAL.value, show_default=True,
              help="proportional: every ballot counts within its club's weight; bloc: each club's own ranking "
                   "carries the club's whole weight.")
@click.option("--seats", type=click.IntRange(min=1), help="Choose this many items for the agenda.")
@click.option("--selection", type=_choice(AgendaSelection), default=AgendaSelection.RANKING.value, show_default=True,
              help="How the --seats items are chosen: the top of the ranking, or proportionally from the "
                   "approvals.")
@click.option("--voters-threshold", type=Share(), default=0.5, show_default=True,
              help="Double majority: an item passes the voters' test when more than this share of all voters "
                   "approve it (0.55 or 55%).")
@click.option("--clubs-threshold", type=Share(), default=0.5, show_default=True,
              help="Double majority: an item passes the clubs' test when more than this share of the clubs with "
                   "voters have a majority approving it.")
@click.option("--min-blocking", type=click.IntRange(min=0), default=0, show_default=True,
              help="Double majority: when fewer than this many clubs oppose an item, it passes the voters' test "
                   "anyway (a blocking minority, as in the Council of the EU); 0 turns it off.")
def tally_command(
    file: Path,
    method: str,
    weighting: str,
    cap: int | None,
    club_mode: str,
    seats: int | None,
    selection: str,
    voters_threshold: float,
    clubs_threshold: float,
    min_blocking: int,
) -> None:
    """Count the ballots FILE per club and for the federation, and print the result as JSON."""
    if weighting == ClubWeighting.CAPPED and cap is None:
        raise click.UsageError("--weighting capped needs --cap N")
    if weighting != ClubWeighting.CAPPED and cap is not None:
        raise click.UsageError(f"--cap applies only to --weighting capped, not {weighting}")
    if selection != AgendaSelection.RANKING and seats is None:
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
            voters_threshold=voters_threshold,
            clubs_threshold=clubs_threshold,
            min_blocking=min_blocking,
        )
    except CountError as error:
        raise BadInput(f"{file}: {error}") from None
    click.echo(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode())
