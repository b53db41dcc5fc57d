"""Measure the opinion map: time, peak memory and agreement with Polis.

Run ``.venv/bin/python benchmarks/bench_opinion.py`` (``--quick`` skips the 10,000 x 2,000 case and repeats
less). It prints, for the three real Polis conversations in ``tests/data/polis`` (when present) and for
synthetic conversations of 2,000 x 500 and 10,000 x 2,000 with sparse participation like the real ones:

- the best wall-clock time of :func:`compute_opinion_map` over a few runs (input already in memory);
- the peak memory the computation allocates (``tracemalloc``, which numpy reports to) in a separate run;
- for the real conversations, the adjusted Rand index against the ``group-id`` Polis exported, over the
  participants Polis clustered (one we leave ungrouped counts as a group of its own).

Real data: gathered using the Polis software (compdemocracy.org/polis) and sub-licensed under CC BY 4.0 with
Attribution to The Computational Democracy Project (see tests/data/polis/README.md).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deliberate.domain.opinion import OpinionMap, compute_opinion_map  # noqa: E402
from deliberate.polis import read_polis_export, read_polis_groups  # noqa: E402

POLIS = ROOT / "tests" / "data" / "polis"
CONVERSATIONS = ("london.youth.policing", "bg2050-volunteers", "scoop-hivemind.biodiversity")

Inputs = tuple[list[int], list[int], list[tuple[int, int, int]], frozenset[int]]


def synthetic(n_people: int, n_statements: int, seed: int = 0) -> tuple[Inputs, list[int]]:
    """Build a conversation with three planted opinion groups and sparse, uneven participation.

    Each participant sees a Beta(1.2, 4) share of the statements (about a quarter on average, many see only a
    few), earlier statements more often; 5% of the statements are hidden. Returns the inputs and each
    participant's planted group.
    """
    rng = np.random.default_rng(seed)
    group = rng.choice(3, size=n_people, p=[0.6, 0.3, 0.1])
    stance = rng.choice([-1, 0, 1], size=(3, n_statements), p=[0.3, 0.3, 0.4])
    share = rng.beta(1.2, 4.0, size=n_people)
    seen = np.maximum(1, np.round(share * n_statements)).astype(int)
    popularity = np.linspace(2.0, 0.5, n_statements)
    keys = rng.gumbel(size=(n_people, n_statements)) + np.log(popularity)
    order = np.argsort(-keys, axis=1)
    reactions: list[tuple[int, int, int]] = []
    for person in range(n_people):
        chosen = order[person, : seen[person]]
        s = stance[group[person], chosen]
        p_agree = np.where(s > 0, 0.8, np.where(s < 0, 0.1, 0.4))
        p_pass = 0.15
        draw = rng.random(len(chosen))
        value = np.where(draw < p_pass, 0, np.where(draw < p_pass + (1 - p_pass) * p_agree, 1, -1))
        reactions.extend(zip([person] * len(chosen), chosen.tolist(), value.tolist(), strict=True))
    hidden = frozenset(rng.choice(n_statements, size=n_statements // 20, replace=False).tolist())
    return (list(range(n_people)), list(range(n_statements)), reactions, hidden), group.tolist()


def polis_inputs(name: str) -> Inputs:
    """Read one real conversation into the engine's inputs."""
    export = read_polis_export(POLIS / name)
    reactions = [(r.participant_id, r.statement_id, r.value) for r in export.reactions]
    return list(export.participants), [s.id for s in export.statements], reactions, export.hidden_statement_ids


def run(inputs: Inputs) -> OpinionMap:
    """Compute the map of prepared inputs."""
    participants, statements, reactions, hidden = inputs
    return compute_opinion_map(participants, statements, reactions, hidden=hidden)


def measure(label: str, inputs: Inputs, repeat: int) -> OpinionMap:
    """Print the best time and the peak traced memory of computing one map; return the map."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run(inputs)
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    run(inputs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result is not None
    people, statements, reactions, _ = inputs
    sizes = "/".join(str(g.size) for g in result.groups)
    print(
        f"{label:32} {len(people):>6} x {len(statements):<5} {len(reactions):>9,} reactions  "
        f"{best * 1000:8.0f} ms  peak {peak / 2**20:7.1f} MiB  groups {sizes}"
    )
    return result


def agreement(name: str, result: OpinionMap) -> float:
    """Return the adjusted Rand index against Polis's groups, over the participants Polis clustered."""
    reference = {p: g for p, g in read_polis_groups(POLIS / name).items() if g is not None}
    ours = {p.participant: (p.group if p.group is not None else -1) for p in result.participants}
    ids = sorted(reference)
    return float(adjusted_rand_score([reference[p] for p in ids], [ours.get(p, -1) for p in ids]))


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip 10,000 x 2,000 and repeat less")
    args = parser.parse_args()
    repeat = 2 if args.quick else 5
    print("Opinion map (single-threaded by design; best of", repeat, "runs)")
    if POLIS.is_dir():
        for name in CONVERSATIONS:
            result = measure(name, polis_inputs(name), repeat)
            print(f"{'':32} adjusted Rand index vs Polis: {agreement(name, result):.3f}")
    else:
        print(f"(no Polis data at {POLIS}: real conversations skipped)")
    sizes = [(2_000, 500)] if args.quick else [(2_000, 500), (10_000, 2_000)]
    for n_people, n_statements in sizes:
        inputs, planted = synthetic(n_people, n_statements)
        result = measure(f"synthetic {n_people} x {n_statements}", inputs, 1 if n_people > 5000 else repeat)
        clustered = [p for p in result.participants if p.group is not None]
        found = adjusted_rand_score([planted[p.participant] for p in clustered], [p.group for p in clustered])
        print(f"{'':32} adjusted Rand index vs the planted groups (clustered participants): {found:.3f}")


if __name__ == "__main__":
    main()
