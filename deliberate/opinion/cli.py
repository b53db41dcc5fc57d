"""The ``deliberate opinion-map DIR`` command: the opinion map of a Polis export folder, as JSON, without the app."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path
from typing import Any

import click

from deliberate.domain.opinion import OpinionMap, compute_opinion_map, once_clustered
from deliberate.polis import PolisFormatError, PolisVotes, read_polis_votes


def opinion_map_of_export(votes: PolisVotes) -> OpinionMap:
    """Compute the opinion map of a Polis export's votes (moderated-out statements carry no weight).

    The votes' and statements' times replay who Polis clustered early and kept (see ``once_clustered``).
    """
    appeared = [statement.created_at for statement in votes.statements]
    earlier: frozenset[int] = frozenset()
    if appeared and all(when is not None for when in appeared):
        earlier = once_clustered(zip(votes.millis.tolist(), votes.voter.tolist(), strict=True),
                                 [round(when.replace(tzinfo=UTC).timestamp() * 1000) for when in appeared])
    return compute_opinion_map(
        votes.participants,
        [statement.id for statement in votes.statements],
        list(zip(votes.voter.tolist(), votes.statement.tolist(), votes.value.tolist(), strict=True)),
        hidden=frozenset(statement.id for statement in votes.statements if statement.is_hidden),
        once_clustered=earlier,
    )


def opinion_map_payload(result: OpinionMap) -> dict[str, Any]:
    """Turn an opinion map into plain JSON-ready data (ids as strings where they are object keys)."""
    return {
        "participants": {
            str(p.participant): {"group": p.group, "x": round(p.x, 6), "y": round(p.y, 6)} for p in result.participants
        },
        "groups": [
            {
                "id": group.id,
                "size": group.size,
                "representative": [
                    {
                        "statement": r.statement,
                        "direction": r.direction,
                        "agree": round(r.agree, 6),
                        "disagree": round(r.disagree, 6),
                        "agree_rest": round(r.agree_rest, 6),
                        "disagree_rest": round(r.disagree_rest, 6),
                        "significant": r.is_significant,
                    }
                    for r in group.representative
                ],
            }
            for group in result.groups
        ],
        "consensus": [
            {
                "statement": c.statement,
                "direction": c.direction,
                "agree": round(c.agree, 6),
                "disagree": round(c.disagree, 6),
            }
            for c in result.consensus
        ],
        "group_informed_consensus": {str(s): round(v, 6) for s, v in result.group_informed_consensus.items()},
    }


@click.command("opinion-map")
@click.argument("directory", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--indent", type=int, default=None, help="Indent the JSON by this many spaces.")
def opinion_map_command(directory: Path, indent: int | None) -> None:
    """Print the opinion map (groups, representative and consensus statements) of a Polis export folder.

    DIR holds comments.csv and votes.csv as Polis exports them; the latest vote of each participant wins and
    moderated-out comments carry no weight. Rates are smoothed ((n + 1) / (seen + 2)).
    """
    try:
        votes = read_polis_votes(directory)
    except PolisFormatError as error:
        raise click.ClickException(str(error)) from error
    click.echo(json.dumps(opinion_map_payload(opinion_map_of_export(votes)), indent=indent))
