"""The Polis export reader and the opinion map on the real Polis conversations in tests/data/polis.

The conversations in tests/data/polis are used unchanged (six as participants-votes.csv only, see their
README). Attribution, as their licence asks:

    Data was gathered using the Polis software (compdemocracy.org/polis) and is sub-licensed under
    CC BY 4.0 with Attribution to The Computational Democracy Project.
    https://compdemocracy.org/case-studies/2022-london-youth-policing
    https://compdemocracy.org/case-studies/2019-scoop-hivemind-biodiversity
    https://pol.is/3nemnipcrc (bg2050-volunteers)
    https://pol.is/2demo (15-per-hour-seattle)
    https://pol.is/7wmvbjcjhp (brexit-consensus)
    https://pol.is/5psrv8bm2a (scoop-hivemind.freshwater)
    https://pol.is/4yy3sh84js (scoop-hivemind.ubi)
    https://pol.is/5sw7wa5dep (scoop-hivemind.taxes)
    https://pol.is/4hnmy3zeff (scoop-hivemind.affordable-housing)
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score

from deliberate.domain.opinion import OpinionMap, compute_opinion_map
from deliberate.polis import PolisExport, PolisFormatError, read_polis_export, read_polis_groups
from tests import polis_snapshots as snapshots

POLIS = Path(__file__).resolve().parents[1] / "data" / "polis"
CONVERSATIONS = ("london.youth.policing", "bg2050-volunteers", "scoop-hivemind.biodiversity")


@cache
def export(name: str) -> PolisExport:
    return read_polis_export(POLIS / name)


@cache
def opinion_map(name: str) -> OpinionMap:
    conversation = export(name)
    return compute_opinion_map(
        conversation.participants,
        [s.id for s in conversation.statements],
        [(r.participant_id, r.statement_id, r.value) for r in conversation.reactions],
        hidden=conversation.hidden_statement_ids,
    )


def agreement_with_polis(name: str) -> float:
    """Return the adjusted Rand index over the participants Polis clustered (ours ungrouped count as one more)."""
    reference = {p: g for p, g in read_polis_groups(POLIS / name).items() if g is not None}
    ours = opinion_map(name)
    ids = sorted(reference)
    return adjusted_rand_score(
        [reference[p] for p in ids], [ours.group_of(p) if ours.group_of(p) is not None else -1 for p in ids]
    )


def latest_votes_polis_exported(name: str) -> dict[tuple[int, int], int]:
    """Read the participant x comment matrix of participants-votes.csv (Polis's own latest votes)."""
    with (POLIS / name / "participants-votes.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    first = header.index("n-disagree") + 1
    return {
        (int(row[0]), int(header[column])): int(row[column])
        for row in rows[1:]
        for column in range(first, len(header))
        if row[column] != ""
    }


@pytest.mark.parametrize("name", CONVERSATIONS)
def test_the_latest_vote_wins_as_in_polis_own_matrix(name: str) -> None:
    reactions = {(r.participant_id, r.statement_id): r.value for r in export(name).reactions}

    assert reactions == latest_votes_polis_exported(name)


@pytest.mark.parametrize(
    ("name", "statements", "hidden", "reactions", "participants"),
    [
        ("london.youth.policing", 39, 3, 638, 27),
        ("bg2050-volunteers", 371, 55, 14_283, 126),
        ("scoop-hivemind.biodiversity", 316, 162, 29_719, 536),
    ],
)
def test_both_comment_layouts_are_read(
    name: str, statements: int, hidden: int, reactions: int, participants: int
) -> None:
    conversation = export(name)

    assert len(conversation.statements) == statements
    assert len(conversation.hidden_statement_ids) == hidden
    assert len(conversation.reactions) == reactions
    assert len(conversation.participants) == participants
    assert all(s.text for s in conversation.statements)
    assert conversation.topic


def test_the_newer_layout_keeps_seed_statements() -> None:
    statements = {s.id: s for s in export("bg2050-volunteers").statements}

    assert statements[2].is_seed
    assert not statements[2].is_hidden
    assert statements[2].text == "I hope it can retain its southern hospitality"


def test_a_folder_without_votes_is_refused(tmp_path: Path) -> None:
    (tmp_path / "comments.csv").write_text((POLIS / "london.youth.policing" / "comments.csv").read_text())

    with pytest.raises(PolisFormatError, match="votes.csv"):
        read_polis_export(tmp_path)


@pytest.mark.parametrize(
    ("name", "floor"),
    [
        # Small and older (339 x 54 and 204 x 50, participants-votes.csv only): 0.563 and 0.509 with a single
        # k-means start and the best silhouette taken at any margin (three groups on brexit-consensus).
        ("15-per-hour-seattle", 0.86),
        ("brexit-consensus", 0.78),
        # Large, whole exports: their history says who Polis clustered early and kept (0.932 and 0.948 without it).
        ("bg2050-volunteers", 0.95),
        ("scoop-hivemind.biodiversity", 0.95),
        # Held out (334 x 148, read only after the last change to the engine): 0.788 at its first reading.
        ("scoop-hivemind.taxes", 0.75),
    ],
)
def test_the_groups_agree_with_polis(name: str, floor: float, record_property: pytest.RecordProperty) -> None:
    """Measured 0.884, 0.808, 1.000, 0.966 and 0.788 when written; the floors sit a little below."""
    conversation = snapshots.load(name)
    figure = snapshots.agreement_with_polis(conversation, conversation.opinion_map())
    record_property(f"ari_{name}", round(figure, 3))
    print(f"{name}: adjusted Rand index vs Polis {figure:.3f}")

    assert figure >= floor


@pytest.mark.parametrize("name", snapshots.SMALL)
def test_a_small_conversation_gets_as_many_groups_as_polis_found(name: str) -> None:
    conversation = snapshots.load(name)

    polis = {g for g in conversation.polis_groups.values() if g is not None}
    assert len(conversation.opinion_map().groups) == len(polis) == 2


def test_london_youth_policing_figure_is_recorded(record_property: pytest.RecordProperty) -> None:
    # 24 clustered participants; Polis's three groups (3/18/3) are not separated in the projection the
    # formulas give (their silhouette there is about 0.1), so k-means there does not find them.
    # We record the figure (0.105 when written, -0.019 before several k-means starts) and check only that it
    # is no worse than chance.
    figure = agreement_with_polis("london.youth.policing")
    record_property("ari_london.youth.policing", round(figure, 3))
    print(f"london.youth.policing: adjusted Rand index vs Polis {figure:.3f}")

    assert figure >= -0.1


@pytest.mark.parametrize("name", snapshots.HELD_OUT)
def test_held_out_figures_are_recorded(name: str, record_property: pytest.RecordProperty) -> None:
    # Read after a change, so nothing was adjusted to them. taxes agrees (0.788, also a floor above); three fall
    # short: affordable-housing (381 x 165; 0.057, 0.112 over those with seven votes) where Polis sets 34 apart
    # and the map finds three groups, freshwater (117 x 80; 0.048) where Polis isolates 9 dissenters the map does
    # not, and ubi (234 x 70, four groups for Polis; 0.150) where the map finds two. All three look like another
    # export: every participant is grouped, all those under seven votes in one group, and ubi's groups do not
    # follow from its votes by the published method (see tests/data/polis/README.md). Recorded, not a floor.
    conversation = snapshots.load(name)
    figure = snapshots.agreement_with_polis(conversation, conversation.opinion_map())
    record_property(f"ari_{name}", round(figure, 3))
    print(f"{name}: adjusted Rand index vs Polis {figure:.3f}")

    assert figure >= -0.1


@pytest.mark.parametrize("name", CONVERSATIONS)
def test_everyone_polis_clustered_with_enough_votes_is_clustered(name: str) -> None:
    reference = read_polis_groups(POLIS / name)
    ours = opinion_map(name)
    votes: dict[int, int] = {}
    for reaction in export(name).reactions:
        votes[reaction.participant_id] = votes.get(reaction.participant_id, 0) + 1

    # Polis also keeps anyone it once clustered (when the conversation had fewer statements); we cannot know
    # that from the final votes, so only participants with seven votes or more are compared.
    enough = [p for p, g in reference.items() if g is not None and votes.get(p, 0) >= 7]
    assert all(ours.group_of(p) is not None for p in enough)
    assert all(g.size >= 2 and g.representative for g in ours.groups)


def test_group_informed_consensus_matches_the_value_polis_exported() -> None:
    with (POLIS / "bg2050-volunteers" / "comments.csv").open(newline="", encoding="utf-8") as handle:
        exported = {int(r["comment-id"]): float(r["group-informed-consensus"]) for r in csv.DictReader(handle)}
    ours = opinion_map("bg2050-volunteers").group_informed_consensus

    assert ours
    assert all(ours[s] == pytest.approx(exported[s], abs=0.01) for s in ours)


@pytest.mark.parametrize("name", CONVERSATIONS)
def test_a_real_conversation_maps_every_participant_it_can(name: str) -> None:
    """benchmarks/bench_opinion.py times these conversations (well under a second each); here only the result."""
    conversation = export(name)
    reactions = [(r.participant_id, r.statement_id, r.value) for r in conversation.reactions]
    result = compute_opinion_map(
        conversation.participants,
        [s.id for s in conversation.statements],
        reactions,
        hidden=conversation.hidden_statement_ids,
    )

    assert {p.participant for p in result.participants} == set(conversation.participants)
    assert result.groups


@pytest.mark.parametrize("name", ["bg2050-volunteers", "scoop-hivemind.biodiversity"])
def test_the_history_clusters_exactly_whom_polis_clustered(name: str) -> None:
    """Replayed over the votes' times, the rule takes in the early participants Polis kept (one to two here)."""
    conversation = snapshots.load(name)
    result = conversation.opinion_map()
    polis = {p for p, g in conversation.polis_groups.items() if g is not None}
    ours = {p.participant for p in result.participants if p.group is not None}
    without = {p.participant for p in compute_opinion_map(
        conversation.participants, conversation.statements, conversation.reactions,
        hidden=conversation.hidden).participants if p.group is not None}

    assert ours == polis
    assert without < polis
