"""Measure the time and peak memory of the full minority and equity analysis.

The default profile is 100,000 voters, 60 items, 50 clubs of unequal sizes and 5 opinion groups, with ties and
truncated rankings; ``--quick`` runs a tenth of it. The time covers turning the voter records into arrays, the
equity checks and the minority section (what a service calls before publishing); building the records does not
count. Peak memory is the Python heap (tracemalloc, which numpy reports to) during one analysis.

    .venv/bin/python benchmarks/bench_minority.py [--quick] [--repeat N]
"""

from __future__ import annotations

import argparse
import gc
import platform
import time
import tracemalloc

import numpy as np

from deliberate.domain.electorate import Voter
from deliberate.domain.equity import EquityConfig
from deliberate.domain.minority import analyse

GENDERS = ("woman", "man", "non-binary", None)


def make_voters(n_voters: int, n_items: int, n_clubs: int, n_groups: int, seed: int = 7) -> list[Voter]:
    """Build a seeded electorate whose clubs and opinion groups lean towards different items."""
    rng = np.random.default_rng(seed)
    club_sizes = rng.pareto(1.5, n_clubs) + 1.0
    clubs = rng.choice(n_clubs, size=n_voters, p=club_sizes / club_sizes.sum())
    groups = rng.integers(0, n_groups, n_voters)
    genders = rng.choice(len(GENDERS), size=n_voters, p=[0.40, 0.50, 0.02, 0.08])
    taste = rng.normal(size=(n_clubs, n_items)) + rng.normal(size=(n_groups, n_items))[:, None, :]
    voters = []
    for v in range(n_voters):
        utility = taste[groups[v], clubs[v]] + rng.normal(size=n_items)
        order = np.argsort(-utility)[: rng.integers(1, n_items + 1)].tolist()
        tier_breaks = sorted(
            set(rng.integers(1, len(order) + 1, size=min(len(order), 8)).tolist()) | {len(order)}
        )
        tiers, start = [], 0
        for end in tier_breaks:
            tiers.append(tuple(order[start:end]))
            start = end
        line = int(rng.integers(0, len(tiers) + 1))
        approved = tuple(item for tier in tiers[:line] for item in tier)
        voters.append(
            Voter(
                club=f"club-{clubs[v]:02d}",
                gender=GENDERS[genders[v]],
                group=int(groups[v]),
                ranking=tuple(tiers),
                approved=approved,
            )
        )
    return voters


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the voters")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (the best is reported)")
    args = parser.parse_args()
    n_voters, n_items, n_clubs, n_groups = (10_000 if args.quick else 100_000), 60, 50, 5

    started = time.perf_counter()
    voters = make_voters(n_voters, n_items, n_clubs, n_groups)
    built = time.perf_counter() - started
    items = list(range(n_items))
    agenda = items[:10]
    board = ["woman", "man", "man", "woman", "man", None, "man"]
    config = EquityConfig(
        womens_priority_slot="enforce", participation_parity="warn", board_composition="warn"
    )

    times = []
    for _ in range(max(1, args.repeat)):
        gc.collect()
        t0 = time.perf_counter()
        result = analyse(items, agenda, voters, board_genders=board, config=config)
        times.append(time.perf_counter() - t0)

    gc.collect()
    tracemalloc.start()
    analyse(items, agenda, voters, board_genders=board, config=config)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    minority = result.minority
    print(f"machine          {platform.machine()} python {platform.python_version()} numpy {np.__version__}")
    print(
        f"profile          {n_voters:,} voters, {n_items} items, {n_clubs} clubs, {n_groups} opinion groups"
    )
    print(f"records built    {built:.2f} s (not timed below)")
    median = sorted(times)[len(times) // 2]
    print(
        f"analysis         best {min(times) * 1000:.0f} ms, median {median * 1000:.0f} ms, {len(times)} runs"
    )
    print(f"peak memory      {peak / 2**20:.1f} MiB (tracemalloc, one analysis)")
    print(
        f"result           {len(minority.items)} agenda items, "
        f"{len(minority.priorities)} minority priorities, "
        f"{sum(len(i.dissenting_clubs) for i in minority.items)} club dissents, "
        f"{sum(bool(i.gender_gap and i.gender_gap.is_flagged) for i in minority.items)} gender gaps, "
        f"{len(minority.suppressed_clubs)} suppressed clubs"
    )
    print("equity           " + ", ".join(f"{r.check}={r.status}" for r in result.equity.results))


if __name__ == "__main__":
    main()
