"""Measure the Method of Equal Shares on a large electorate, and check its committee against abcvoting.

The default profile is 100,000 approval ballots over 200 candidate items and an agenda of 20 seats; ``--quick``
runs 10,000 ballots. Ballots come from a seeded opinion model: six opinion groups of unequal sizes, each with its
own taste over the items, plus personal noise; each voter ranks the items and draws an approval line (most approve
a handful of items, a few approve dozens), so some ballots repeat and most differ.

The timed call is ``equal_shares(matrix, n_items, seats)`` on the (n_voters, n_items) bool matrix: grouping the
identical ballots, the Equal Shares rounds and the sequential-Phragmen completion. Wall time is the best and the
median of ``--repeat`` runs; CPU time (process time) is shown beside it because the machine is shared. Peak memory
is the Python heap (tracemalloc, which numpy reports to) during one extra, untimed call.

abcvoting (pure Python) takes minutes on the full profile, so the equality check and the speed ratio use a smaller
profile from the same model (``--check-voters``, 5,000 by default, 1,000 with ``--quick``): both must elect the same
committee there. ``--check-voters 100000`` runs the check at full size: on 2026-11-28 abcvoting took 327 s on
100,000 ballots x 200 items (20 seats, run at low priority beside other work) and elected the same committee.

    .venv/bin/python benchmarks/bench_selection.py [--quick] [--repeat N] [--seats N] [--no-abcvoting]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
import tracemalloc

import numpy as np

from deliberate.domain.selection import equal_shares


def make_ballots(n_voters: int, n_items: int, seed: int = 7) -> np.ndarray:
    """Build a seeded (n_voters, n_items) approval matrix from rankings cut at an approval line."""
    rng = np.random.default_rng(seed)
    sizes = np.array([0.35, 0.25, 0.15, 0.12, 0.08, 0.05])
    groups = rng.choice(len(sizes), size=n_voters, p=sizes)
    taste = 1.5 * rng.normal(size=(len(sizes), n_items))
    utility = taste[groups] + rng.normal(size=(n_voters, n_items))
    line = np.minimum(rng.geometric(0.12, size=n_voters), n_items)
    order = np.argsort(-utility, axis=1)
    approved = np.arange(n_items)[None, :] < line[:, None]
    matrix = np.zeros((n_voters, n_items), dtype=bool)
    np.put_along_axis(matrix, order, approved, axis=1)
    return matrix


def timed(matrix: np.ndarray, seats: int, repeat: int) -> tuple[list[float], list[float], object]:
    """Return the wall and CPU times of ``repeat`` calls, and the last selection."""
    walls, cpus = [], []
    selection = None
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        selection = equal_shares(matrix, matrix.shape[1], seats)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus, selection


def peak_memory(matrix: np.ndarray, seats: int) -> int:
    """Return the peak Python-heap bytes allocated during one call (the input itself excluded)."""
    gc.collect()
    tracemalloc.start()
    equal_shares(matrix, matrix.shape[1], seats)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def abcvoting_committee(matrix: np.ndarray, seats: int) -> tuple[list[int], float]:
    """Return abcvoting's Equal Shares committee (resolute) for the same ballots, and its wall time."""
    from abcvoting import abcrules
    from abcvoting.preferences import Profile, Voter

    profile = Profile(matrix.shape[1])
    profile.add_voters([Voter([int(j) for j in np.flatnonzero(row)]) for row in matrix])
    start = time.perf_counter()
    committee = abcrules.compute("equal-shares", profile, seats, resolute=True)[0]
    return sorted(committee), time.perf_counter() - start


def main() -> int:
    """Run the benchmark and print its figures; return 1 if the committees differ from abcvoting's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 ballots and a 1,000-ballot abcvoting check")
    parser.add_argument("--voters", type=int, default=None)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--seats", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--check-voters", type=int, default=None)
    parser.add_argument("--no-abcvoting", action="store_true", help="skip the comparison with abcvoting")
    args = parser.parse_args()
    n_voters = args.voters or (10_000 if args.quick else 100_000)
    check_voters = args.check_voters or (1_000 if args.quick else 5_000)

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} (other work may be running)"
    )
    matrix = make_ballots(n_voters, args.items)
    distinct = len(np.unique(np.packbits(matrix, axis=1), axis=0))
    print(
        f"profile: {n_voters:,} ballots x {args.items} items, {distinct:,} distinct ballots, "
        f"{matrix.sum(axis=1).mean():.1f} approvals per ballot on average; {args.seats} seats"
    )

    equal_shares(matrix, args.items, args.seats)  # warm-up
    walls, cpus, selection = timed(matrix, args.seats, args.repeat)
    phases = [step.phase for step in selection.steps]
    print(
        f"equal_shares: best {min(walls) * 1e3:.1f} ms, median {statistics.median(walls) * 1e3:.1f} ms wall; "
        f"CPU best {min(cpus) * 1e3:.1f} ms ({args.repeat} runs)"
    )
    print(f"  committee {list(selection.committee)}")
    print(
        f"  {phases.count('equal-shares')} seats by Equal Shares, {phases.count('phragmen-completion')} by the "
        f"Phragmen completion; {len(selection.tie_breaks)} tie(s) broken; money left {selection.budget_left:.3f}"
    )
    print(
        f"  peak memory (tracemalloc) {peak_memory(matrix, args.seats) / 2**20:.1f} MiB; "
        f"input matrix {matrix.nbytes / 2**20:.1f} MiB"
    )
    if (n_voters, args.items) == (100_000, 200):
        verdict = "within" if min(walls) <= 0.2 else "OVER"
        print(f"  target: at most 200 ms for 100,000 ballots x 200 items; best run {verdict} it")

    if args.no_abcvoting:
        return 0
    small = make_ballots(check_voters, args.items, seed=11)
    ours_walls, _, ours = timed(small, args.seats, 3)
    reference, reference_time = abcvoting_committee(small, args.seats)
    same = sorted(ours.committee) == reference
    print(
        f"abcvoting check on {check_voters:,} ballots x {args.items} items (abcvoting takes minutes on the full "
        f"profile): abcvoting {reference_time:.2f} s, ours {min(ours_walls) * 1e3:.1f} ms, "
        f"ratio {reference_time / min(ours_walls):,.0f}x; same committee: {same}"
    )
    if not same:
        print(f"  abcvoting {reference}\n  ours      {sorted(ours.committee)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
